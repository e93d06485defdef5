"""genzoo plugin: probabilistic PCA as a generative family (imports no torch)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from genzoo.plugins import hookimpl
from genzoo.registry import Family
from genzoo.spec import Strict


class PPCAArch(Strict):
    """Architecture of a probabilistic PCA model."""

    min_sigma: float = Field(1e-3, description="Lower bound of the isotropic noise σ.", gt=0)


@hookimpl
def genzoo_register_families(register):  # type: ignore[no-untyped-def]
    register(
        Family(
            name="ppca",
            arch=PPCAArch,
            model="genzoo_ppca.model:PPCA",
            description="probabilistic PCA: x = W z + mu + sigma eps",
            loss_roles=(),
        )
    )


@hookimpl
def genzoo_zoo_paths() -> list[Path]:
    return [Path(__file__).parent / "zoo"]
