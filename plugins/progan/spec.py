"""Specs of the progressive families: architecture and the growth schedule (no torch)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, field_validator, model_validator

from genzoo.spec.model import Strict


def _pow2(v: int) -> bool:
    return v >= 4 and v & (v - 1) == 0


class ProGANArch(Strict):
    """Generator and discriminator widths of a progressive GAN (Karras et al. 2018)."""

    start_resolution: int = Field(4, description="Resolution of the first stage (power of two).")
    fmap_base: int = Field(
        4096, description="Channels at resolution r are min(fmap_base / r, fmap_max).", ge=16
    )
    fmap_max: int = Field(256, description="Upper bound of channels per layer.", ge=8)
    widths: list[Annotated[int, Field(ge=1)]] | None = Field(
        None,
        description="Explicit channels per resolution, one entry each from start_resolution up "
        "to data.size (e.g. [512, 512, 256] for 4, 8, 16); overrides fmap_base/fmap_max. Used "
        "by imported checkpoints whose widths follow no formula (pytorch_GAN_zoo's PGAN).",
        exclude_if=lambda v: v is None,  # absent: canonical JSON and spec hash stay as before
    )
    mbstd_group: int = Field(
        4, description="Minibatch-stddev group size in D's last block (0 disables).", ge=0
    )
    wgan_epsilon_drift: float = Field(
        0.001, description="Drift penalty ε·E[D(x)²] keeping critic outputs near 0.", ge=0
    )

    @field_validator("start_resolution")
    @classmethod
    def _start(cls, v: int) -> int:
        if not _pow2(v):
            raise ValueError(f"must be a power of two ≥ 4, got {v}")
        return v

    def channels(self, res: int) -> int:
        """Feature maps at resolution ``res``."""
        if self.widths is not None:
            return self.widths[(res // self.start_resolution).bit_length() - 1]
        return max(8, min(self.fmap_base // res, self.fmap_max))


class Stage(Strict):
    """One stage of a growth schedule, counted in real images shown to the discriminator."""

    resolution: int = Field(description="Resolution of this stage (power of two).")
    fade_images: int = Field(
        0, description="Images shown while the new layers fade in (0 for the first stage).", ge=0
    )
    stable_images: int = Field(description="Images shown at full strength afterwards.", ge=1)
    batch_size: int = Field(description="Batch size of this stage.", ge=1)
    lr: float | None = Field(None, description="Learning rate of G and D (None: the optimizer's).")

    @field_validator("resolution")
    @classmethod
    def _res(cls, v: int) -> int:
        if not _pow2(v) or v > 1024:
            raise ValueError(f"must be a power of two between 4 and 1024, got {v}")
        return v


class GrowthSchedule(Strict):
    """``training.options`` of progressive families: the stages, from small to large."""

    stages: list[Stage] = Field(description="Stages in order; each doubles the resolution.")

    @model_validator(mode="after")
    def _increasing(self) -> GrowthSchedule:
        if not self.stages:
            raise ValueError("a growth schedule needs at least one stage")
        if self.stages[0].fade_images:
            raise ValueError("the first stage has nothing to fade from: set fade_images: 0")
        for a, b in zip(self.stages, self.stages[1:], strict=False):
            if b.resolution != 2 * a.resolution:
                raise ValueError(
                    f"stages must double the resolution: {a.resolution} is followed by "
                    f"{b.resolution}"
                )
        return self


def check_schedule(spec) -> list[str]:  # type: ignore[no-untyped-def]
    """Cross-field checks: the schedule starts at start_resolution and ends at data.size."""
    problems = []
    size = spec.data.size
    if not _pow2(size) or size > 1024:
        problems.append(f"data.size: progressive models need a power of two ≤ 1024, got {size}")
    if spec.arch.start_resolution > size:
        problems.append("arch.start_resolution: larger than data.size")
    if spec.training is not None and spec.training.options.get("stages"):
        stages = spec.training.options["stages"]
        if stages[0]["resolution"] != spec.arch.start_resolution:
            problems.append(
                "training.options.stages.0.resolution: must equal arch.start_resolution "
                f"({spec.arch.start_resolution})"
            )
        if stages[-1]["resolution"] > size:
            problems.append(f"training.options.stages: the last stage exceeds data.size ({size})")
    widths = spec.arch.widths
    if widths is not None and _pow2(size) and spec.arch.start_resolution <= size:
        n = (size // spec.arch.start_resolution).bit_length()
        if len(widths) != n:
            problems.append(
                f"arch.widths: needs one entry per resolution from {spec.arch.start_resolution} "
                f"to {size} ({n} entries), got {len(widths)}"
            )
    return problems


class StyleGANArch(ProGANArch):
    """StyleGAN 1 (Karras et al. 2019): ProGAN widths plus the style pathway."""

    w_dim: int = Field(256, description="Width of the intermediate latent w.", ge=1)
    mapping_layers: int = Field(8, description="Depth of the mapping network z → w.", ge=1)
    mapping_lr_mul: float = Field(
        0.01, description="Learning-rate multiplier of the mapping network.", gt=0
    )
    style_mixing_prob: float = Field(
        0.9, description="Probability of mixing two latents during training.", ge=0, le=1
    )
    w_avg_beta: float = Field(
        0.995, description="Decay of the tracked average w used for truncation.", ge=0, lt=1
    )
    truncation_cutoff: int | None = Field(
        None, description="Truncate only the first N style layers (None: all).", ge=1
    )
    r1_gamma: float = Field(10.0, description="R1 penalty weight γ (γ/2 E‖∇D(x)‖²).", ge=0)


class StyleGANTraining(Strict):
    """``training.options`` of StyleGAN: an optional growth schedule (fixed resolution if empty)."""

    stages: list[Stage] = Field(
        default_factory=list, description="Growth stages; empty trains at data.size directly."
    )

    @model_validator(mode="after")
    def _valid(self) -> StyleGANTraining:
        if self.stages:
            GrowthSchedule(stages=self.stages)
        return self


def check_stylegan(spec) -> list[str]:  # type: ignore[no-untyped-def]
    """Like the ProGAN checks, with the schedule optional."""
    if spec.training is not None and not spec.training.options.get("stages"):
        spec = spec.model_copy(
            update={"training": spec.training.model_copy(update={"options": {}})}
        )
    return check_schedule(spec)
