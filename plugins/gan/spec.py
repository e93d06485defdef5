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
    num_features: int = Field(
        1,
        description="Statistics appended as channels (D's channels are split into this many "
        "groups; must divide them).",
        ge=1,
    )


class DiscriminatorOptions(Strict):
    """Options every GAN family's discriminator takes."""

    conditioning: Literal["concat", "projection"] = Field(
        "concat",
        description="How D sees labels (conditional task): concatenated one-hot input, or a "
        "projection term <embed(y), features> (Miyato & Koyama 2018). Ignored when "
        "unconditional.",
    )
    critic: bool = Field(
        False,
        description="WGAN critic: no batch norm in D (layer norm instead, as WGAN-GP "
        "recommends); the output is an unbounded score. Needed by gradient_penalty.",
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
    activation: Literal["leaky_relu", "relu"] = Field(
        "leaky_relu", description="Hidden activation of G and D (leaky_relu has slope 0.2)."
    )
    norm: Literal["batch", "none"] = Field(
        "batch", description="Normalisation after each hidden layer of G (batch norm or none)."
    )
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
        description="WGAN weight clipping: clamp every parameter of D to [−c, c] after each D "
        "optimizer step (Arjovsky et al. 2017 use c = 0.01 with RMSProp).",
        gt=0,
    )
    penalty_every: int = Field(
        1,
        description="Lazy regularisation (Karras et al. 2020): compute the penalty in its own D "
        "phase every k steps, weighted by k; 1 adds it to every D loss.",
        ge=1,
    )


def _check_mbstd(spec, channels: int) -> list[str]:  # type: ignore[no-untyped-def]
    s = spec.arch.minibatch_stddev
    if s is not None and channels % s.num_features:
        return [
            f"arch.minibatch_stddev.num_features: {s.num_features} does not divide the "
            f"{channels} channels of D's last features"
        ]
    return []


PENALTIES = ("gradient_penalty", "r1", "drift")


def _check_penalty(spec) -> list[str]:  # type: ignore[no-untyped-def]
    pen = spec.training.losses.get("penalty") if spec.training is not None else None
    if pen is not None and pen.name not in PENALTIES:
        return [
            f"training.losses.penalty.name: the GAN families take {', '.join(PENALTIES)}, "
            f"not {pen.name!r}"
        ]
    return []


def check_gan(spec) -> list[str]:  # type: ignore[no-untyped-def]
    """Cross-field checks of the MLP GAN."""
    return _check_mbstd(spec, spec.arch.d_hidden[-1]) + _check_penalty(spec)


def check_dcgan(spec) -> list[str]:  # type: ignore[no-untyped-def]
    """Cross-field checks of the DCGAN: a power-of-two size, mbstd features."""
    size = spec.data.size
    if size < 16 or size & (size - 1):
        return [f"data.size: DCGAN needs a power of two ≥ 16 (16, 32, 64, ...), got {size}"]
    problems = _check_mbstd(spec, spec.arch.ndf * size // 8) + _check_penalty(spec)
    pen = spec.training.losses.get("penalty") if spec.training is not None else None
    if pen is not None and pen.name == "gradient_penalty" and not spec.arch.critic:
        # batch norm mixes the samples, so the per-sample gradient norm is not defined
        problems.append(
            "arch.critic: gradient_penalty needs a critic without batch norm; set `critic: true`"
        )
    return problems
