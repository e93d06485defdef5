"""Specs of the autoencoder families (no torch)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from genzoo.spec.model import Strict

Activation = Literal["relu", "leaky_relu", "sigmoid", "tanh", "linear"]


class Sparse(Strict):
    """Sparsity penalty on the code: L1 `λ Σ|h_j|`, or KL to a Bernoulli target ρ (seed 002)."""

    penalty: Literal["l1", "kl"] = Field("l1", description="l1 activity or kl to target rho.")
    weight: float = Field(1e-3, description="λ (l1) or β (kl).", ge=0)
    rho: float = Field(0.05, description="Target mean activation for kl.", gt=0, lt=1)


class Denoising(Strict):
    """Corruption C(x̃|x) of the inputs; the loss compares to the clean x."""

    kind: Literal["mask", "gaussian"] = Field("mask", description="mask: drop inputs to 0 (black).")
    p: float = Field(0.3, description="Drop probability (mask).", ge=0, lt=1)
    sigma: float = Field(0.5, description="Noise standard deviation (gaussian).", ge=0)


class _Options(Strict):
    sparse: Sparse | None = Field(None, description="Sparse autoencoder penalty.")
    denoising: Denoising | None = Field(None, description="Denoising corruption.")


class AutoencoderArch(_Options):
    """MLP autoencoder with a mirrored decoder; bottleneck = latent.dim."""

    hidden: list[int] = Field([512, 256], description="Encoder hidden widths (decoder mirrors).")
    activation: Activation = Field(
        "relu", description="Hidden activation; linear gives a PCA-like AE."
    )
    output: Literal["tanh", "sigmoid", "linear"] = Field("tanh", description="Output activation.")


class ConvAutoencoderArch(_Options):
    """Conv + max-pool encoder, linear bottleneck, transposed-conv decoder."""

    channels: list[int] = Field([32, 64], description="Channels per conv block (each halves H, W).")


class VAEArch(Strict):
    """Variational autoencoder (Kingma & Welling 2014); β-VAE when beta ≠ 1."""

    encoder: Literal["mlp", "conv"] = Field("mlp", description="Encoder/decoder kind.")
    hidden: list[int] = Field([512, 256], description="MLP hidden widths (mlp).")
    channels: list[int] = Field([32, 64], description="Conv channels (conv).")
    likelihood: Literal["bernoulli", "gaussian"] = Field(
        "bernoulli", description="p(x|z): Bernoulli on pixels in [0, 1], or Gaussian with fixed σ."
    )
    sigma: float = Field(0.1, description="σ of the Gaussian likelihood (pixels in [0, 1]).", gt=0)
    beta: float = Field(1.0, description="Weight β of the KL term (β-VAE).", ge=0)


class StackedTraining(Strict):
    """``training.options`` of the MLP autoencoder: greedy layer-wise pretraining."""

    pretrain_steps_per_layer: int = Field(
        0,
        description="Steps training one shallow AE (encoder layer k + its mirror) at a time on "
        "the codes of the frozen layers below, before fine-tuning all (0: no pretraining).",
        ge=0,
    )

    @model_validator(mode="after")
    def _ok(self) -> StackedTraining:
        return self


def check_conv(spec) -> list[str]:  # type: ignore[no-untyped-def]
    k = 2 ** len(spec.arch.channels)
    if spec.data.size % k:
        return [f"data.size: must be divisible by {k} for {len(spec.arch.channels)} pooling blocks"]
    return []


def check_vae(spec) -> list[str]:  # type: ignore[no-untyped-def]
    return check_conv(spec) if spec.arch.encoder == "conv" else []
