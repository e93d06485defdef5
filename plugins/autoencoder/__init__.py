"""genzoo plugin: autoencoders (MLP, convolutional; sparse, denoising, stacked) and VAEs,
with reconstruction, KL and sparsity losses. Imports no torch."""

from __future__ import annotations

from genzoo.plugins import hookimpl
from genzoo.registry import Family, Loss
from genzoo_plugins.autoencoder.spec import (
    AutoencoderArch,
    ConvAutoencoderArch,
    StackedTraining,
    VAEArch,
    check_conv,
    check_vae,
)

ROLES = ("reconstruction",)


@hookimpl
def genzoo_register_families(register):  # type: ignore[no-untyped-def]
    register(
        Family(
            "autoencoder",
            AutoencoderArch,
            "genzoo_plugins.autoencoder.model:Autoencoder",
            description="MLP autoencoder (undercomplete, linear≈PCA, sparse, denoising, stacked)",
            loss_roles=ROLES,
            training_options=StackedTraining,
        )
    )
    register(
        Family(
            "conv_autoencoder",
            ConvAutoencoderArch,
            "genzoo_plugins.autoencoder.model:ConvAutoencoder",
            description="convolutional autoencoder (max-pool encoder, transposed-conv decoder)",
            loss_roles=ROLES,
            check=check_conv,
        )
    )
    register(
        Family(
            "vae",
            VAEArch,
            "genzoo_plugins.autoencoder.model:VAE",
            description="variational autoencoder / β-VAE (Kingma & Welling 2014)",
            loss_roles=ROLES,
            check=check_vae,
        )
    )


@hookimpl
def genzoo_register_losses(register):  # type: ignore[no-untyped-def]
    m = "genzoo_plugins.autoencoder.losses"
    register(Loss("mse", f"{m}:mse", kind="reconstruction", description="mean squared error"))
    register(
        Loss(
            "bce",
            f"{m}:bce",
            kind="reconstruction",
            description="binary cross-entropy on pixels mapped to [0, 1]",
        )
    )
    register(
        Loss(
            "kl_normal",
            f"{m}:kl_normal",
            kind="regularizer",
            description="KL(N(μ, σ²) ‖ N(0, I)) in closed form",
        )
    )
    register(Loss("l1_activity", f"{m}:l1_activity", kind="regularizer", description="Σ|h|"))
    register(
        Loss(
            "kl_sparsity",
            f"{m}:kl_sparsity",
            kind="regularizer",
            description="Σ KL(ρ ‖ ρ̂_j) of mean activations",
        )
    )
