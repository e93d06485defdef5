"""A tiny family used by the core tests (registered explicitly, never through entry points)."""

from __future__ import annotations

import itertools

from pydantic import Field

from genzoo.plugins import hookimpl
from genzoo.registry import Family, Loss
from genzoo.spec.model import Strict


class ToyArch(Strict):
    """Arch of the toy family."""

    hidden: int = Field(8, description="Hidden width.", ge=1)
    schedule: list[int] = Field(default_factory=list, description="Increasing numbers.")


def check(spec):  # type: ignore[no-untyped-def]
    s = spec.arch.schedule
    if any(b <= a for a, b in itertools.pairwise(s)):
        return ["arch.schedule: values must increase"]
    return []


@hookimpl
def genzoo_register_families(register):  # type: ignore[no-untyped-def]
    register(
        Family(
            name="toy",
            arch=ToyArch,
            model="tests.toy.toy_model:ToyGAN",
            description="a linear GAN for tests",
            tasks=("unconditional", "conditional"),
            loss_roles=("adversarial",),
            check=check,
        )
    )


@hookimpl
def genzoo_register_losses(register):  # type: ignore[no-untyped-def]
    register(Loss("toy_bce", "tests.toy.toy_model:toy_bce", kind="adversarial"))
