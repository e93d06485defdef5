"""Specs of the GAN families (no torch)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from genzoo.spec.model import Strict


class MinibatchDiscrimination(Strict):
    """Salimans et al. 2016: features compare each sample with the rest of the batch."""

    num_kernels: int = Field(50, description="Number of kernels B.", ge=1)
    kernel_dim: int = Field(5, description="Dimension C of each kernel.", ge=1)


class MinibatchStdDev(Strict):
    """Karras et al. 2018: the batch's feature standard deviation as extra channels."""

    group_size: int = Field(
        4, description="Samples per group (the batch is split in groups).", ge=1
    )
    num_features: int = Field(1, description="Channels the features are split into.", ge=1)


class DiscriminatorOptions(Strict):
    """Options every GAN family's discriminator takes."""

    conditioning: Literal["concat", "projection"] = Field(
        "concat",
        description="How D sees labels (conditional task): concatenated one-hot input, or a "
        "projection term <embed(y), features> (Miyato & Koyama 2018).",
    )
    critic: bool = Field(
        False,
        description="WGAN critic: no batch norm in D (layer norm instead); output is a score.",
    )
    minibatch_discrimination: MinibatchDiscrimination | None = Field(
        None, description="Minibatch discrimination before D's output."
    )
    minibatch_stddev: MinibatchStdDev | None = Field(
        None, description="Minibatch standard deviation before D's last layer."
    )


class GANArch(DiscriminatorOptions):
    """MLP generator and discriminator (Goodfellow et al. 2014)."""

    g_hidden: list[int] = Field([256, 512], description="Hidden widths of G.", min_length=1)
    d_hidden: list[int] = Field([512, 256], description="Hidden widths of D.", min_length=1)
    g_norm: Literal["batch", "none"] = Field("batch", description="Normalisation in G.")
    d_dropout: float = Field(0.3, description="Dropout in D's hidden layers.", ge=0, lt=1)
    label_dim: int = Field(
        0, description="Label embedding size for G (0: one-hot of the classes).", ge=0
    )


class DCGANArch(DiscriminatorOptions):
    """Deep convolutional GAN (Radford et al. 2016), weight-compatible with PyTorch examples."""

    ngf: int = Field(64, description="Generator width (channels of the last hidden layer).", ge=1)
    ndf: int = Field(64, description="Discriminator width (channels of its first layer).", ge=1)
    label_dim: int = Field(
        0, description="Label embedding size for G (0: one-hot of the classes).", ge=0
    )


class GANTraining(Strict):
    """``training.options`` of the GAN families."""

    clip_weights: float | None = Field(
        None,
        description="WGAN weight clipping: clamp D's weights to [−c, c] after each step.",
        gt=0,
    )


def check_dcgan(spec) -> list[str]:  # type: ignore[no-untyped-def]
    size = spec.data.size
    if size < 16 or size & (size - 1):
        return [f"data.size: DCGAN needs a power of two ≥ 16, got {size}"]
    return []
