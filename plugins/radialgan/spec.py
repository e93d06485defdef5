"""RadialGAN spec (no torch)."""

from __future__ import annotations

from pydantic import Field

from genzoo.spec.model import Strict


class RadialGANArch(Strict):
    """Per-domain encoders/decoders/discriminators around one shared latent space."""

    domain_columns: dict[str, list[str]] = Field(
        description="Each domain's feature subset: domain name → column names (from data.columns)."
    )
    hidden: list[int] = Field([64, 64], description="Hidden widths of every E, G and D.")
    cycle_weight: float = Field(
        1.0, description="λ of the cycle loss ‖E_j(G_j(E_i(x_i))) − E_i(x_i)‖².", ge=0
    )
    reconstruction_weight: float = Field(
        1.0, description="Weight of ‖G_i(E_i(x_i)) − x_i‖² (keeps codes informative).", ge=0
    )
    code_momentum: float = Field(
        0.99,
        description="Momentum of the tracked mean/covariance of codes (sampling prior).",
        gt=0,
        lt=1,
    )


def check(spec) -> list[str]:  # type: ignore[no-untyped-def]
    problems = []
    names = spec.conditions.names if spec.conditions else []
    dc = spec.arch.domain_columns
    if sorted(dc) != sorted(names):
        problems.append(
            f"arch.domain_columns: domains {sorted(dc)} differ from conditions.names "
            f"{sorted(names)}"
        )
    known = {c.name for c in spec.data.columns}
    for d, cols in dc.items():
        unknown = [c for c in cols if c not in known]
        if unknown:
            problems.append(f"arch.domain_columns.{d}: unknown columns {unknown}")
        if not cols:
            problems.append(f"arch.domain_columns.{d}: a domain needs at least one column")
    return problems
