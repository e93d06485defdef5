"""Spec classes of the ``stylegan2`` family. Field names follow NVIDIA's stylegan2-ada-pytorch
constructor arguments, so a converted network's kwargs map one-to-one (z_dim → ``latent.dim``,
c_dim → the number of ``conditions``, img_resolution/img_channels → ``data``)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StyleGAN2Arch(Strict):
    """StyleGAN2 generator (mapping + modulated-conv synthesis) and a resnet discriminator."""

    w_dim: int = Field(512, description="Width of the intermediate latent w.", ge=1)
    mapping_layers: int = Field(8, description="Depth of the mapping network z → w.", ge=1)
    mapping_lr_multiplier: float = Field(
        0.01, description="Learning-rate multiplier of the mapping network.", gt=0
    )
    layer_features: int | None = Field(
        None, description="Width of the hidden mapping layers (None: w_dim).", ge=1
    )
    embed_features: int | None = Field(
        None, description="Width of the class embedding (conditional only; None: w_dim).", ge=1
    )
    w_avg_beta: float = Field(
        0.995, description="Decay of the tracked average w used for truncation.", ge=0, lt=1
    )
    channel_base: int = Field(
        32768, description="Channels at resolution r are min(channel_base / r, channel_max).", ge=1
    )
    channel_max: int = Field(512, description="Most channels of any layer.", ge=1)
    num_fp16_res: int = Field(
        0,
        description="Resolutions NVIDIA runs in fp16 (recorded from converted networks; genzoo "
        "computes in fp32).",
        ge=0,
    )
    conv_clamp: float | None = Field(
        None, description="Clamp the output of every conv to ±conv_clamp (None: no clamp).", gt=0
    )
    architecture: Literal["orig", "skip", "resnet"] = Field(
        "skip", description="Generator output architecture (skip: sum of upsampled toRGBs)."
    )
    resample_filter: list[int] = Field(
        [1, 3, 3, 1], description="Separable FIR filter of up/down-sampling.", min_length=1
    )
    use_noise: bool = Field(True, description="Per-pixel noise inputs in the synthesis layers.")
    truncation_cutoff: int | None = Field(
        None, description="Truncate only the first N style layers (None: all).", ge=1
    )
    d_architecture: Literal["orig", "resnet"] = Field(
        "resnet",
        description="Discriminator architecture: resnet (residual blocks, NVIDIA's default) or "
        "orig (plain conv stack); NVIDIA's skip discriminator is not implemented.",
    )
    d_channel_base: int | None = Field(
        None, description="Discriminator channel_base (None: the generator's).", ge=1
    )
    d_channel_max: int | None = Field(
        None, description="Discriminator channel_max (None: the generator's).", ge=1
    )
    mbstd_group_size: int = Field(
        4, description="Minibatch-stddev group size of the discriminator.", ge=1
    )
    mbstd_num_channels: int = Field(
        1, description="Minibatch-stddev feature channels of the discriminator.", ge=1
    )

    def channels(self, res: int) -> int:
        """Generator channels at resolution ``res``."""
        return min(self.channel_base // res, self.channel_max)


class StyleGAN2Training(Strict):
    """``training.options`` of StyleGAN2: regularisation as in the paper (lazy R1, path length)."""

    r1_gamma: float = Field(10.0, description="R1 weight γ (γ/2 E‖∇D(x)‖²).", ge=0)
    r1_interval: int = Field(16, description="Lazy R1: apply every N discriminator steps.", ge=1)
    pl_weight: float = Field(2.0, description="Path-length regularisation weight (0: off).", ge=0)
    pl_interval: int = Field(4, description="Lazy path length: every N generator steps.", ge=1)
    pl_batch_shrink: int = Field(2, description="Path length on batch/N samples.", ge=1)
    pl_decay: float = Field(0.01, description="Decay of the path-length target mean.", gt=0, le=1)
    style_mixing_prob: float = Field(
        0.9, description="Probability of mixing two latents during training.", ge=0, le=1
    )


def check_stylegan2(spec) -> list[str]:  # type: ignore[no-untyped-def]
    """Cross-field checks: a power-of-two resolution from 8 to 1024, a valid truncation cut-off."""
    problems = []
    size = spec.data.size
    if size < 8 or size > 1024 or size & (size - 1):
        problems.append(f"data.size: stylegan2 needs a power of two in 8..1024, got {size}")
    if spec.arch.truncation_cutoff is not None and size >= 8 and not size & (size - 1):
        num_ws = 2 * size.bit_length() - 4
        if spec.arch.truncation_cutoff > num_ws:
            problems.append(
                f"arch.truncation_cutoff: the network has {num_ws} style layers, "
                f"got {spec.arch.truncation_cutoff}"
            )
    return problems
