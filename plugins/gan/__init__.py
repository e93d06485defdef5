"""genzoo plugin: the GAN families (gan, dcgan), adversarial losses and penalties, and the
PyTorch-examples DCGAN converter. Imports no torch.

Registered names: families ``gan`` and ``dcgan``; adversarial losses ``minimax``,
``non_saturating``, ``wasserstein``, ``hinge``, ``least_squares``; penalties
``gradient_penalty``, ``r1``, ``drift``; converter ``pytorch-dcgan``. Weight clipping is the
training option ``clip_weights`` (see :mod:`genzoo_plugins.gan.model`).
"""

from __future__ import annotations

from genzoo.plugins import hookimpl
from genzoo.registry import Converter, Family, Loss
from genzoo_plugins.gan.spec import DCGANArch, GANArch, GANTraining, check_dcgan, check_gan

TASKS = ("unconditional", "conditional")
ROLES = ("adversarial", "penalty")


@hookimpl
def genzoo_register_families(register):  # type: ignore[no-untyped-def]
    register(
        Family(
            name="gan",
            arch=GANArch,
            model="genzoo_plugins.gan.model:MLPGAN",
            description="GAN with MLP generator and discriminator (Goodfellow et al. 2014)",
            tasks=TASKS,
            loss_roles=ROLES,
            training_options=GANTraining,
            check=check_gan,
        )
    )
    register(
        Family(
            name="dcgan",
            arch=DCGANArch,
            model="genzoo_plugins.gan.model:DCGAN",
            description="deep convolutional GAN (Radford et al. 2016)",
            tasks=TASKS,
            loss_roles=ROLES,
            training_options=GANTraining,
            check=check_dcgan,
        )
    )


_LOSSES = [
    ("minimax", "adversarial", "saturating minimax: G minimises log(1 − D(G(z)))"),
    ("non_saturating", "adversarial", "non-saturating: G maximises log D(G(z))"),
    ("wasserstein", "adversarial", "WGAN: critic maximises D(x) − D(G(z))"),
    ("hinge", "adversarial", "hinge: D minimises relu(1 − D(x)) + relu(1 + D(G(z)))"),
    ("least_squares", "adversarial", "LSGAN: (D(x) − 1)² + D(G(z))²"),
    ("gradient_penalty", "penalty", "WGAN-GP: E(‖∇D(x̂)‖ − 1)² at interpolates x̂, weight λ"),
    ("r1", "penalty", "R1: ½ E‖∇D(x)‖² on real data, weight γ (Mescheder et al. 2018)"),
    ("drift", "penalty", "ProGAN drift: E[D(x)²], weight ε (Karras et al. 2018)"),
]


@hookimpl
def genzoo_register_losses(register):  # type: ignore[no-untyped-def]
    for name, kind, text in _LOSSES:
        register(Loss(name, f"genzoo_plugins.gan.losses:{name}", kind=kind, description=text))


@hookimpl
def genzoo_register_converters(register):  # type: ignore[no-untyped-def]
    register(
        Converter(
            "pytorch-dcgan",
            "genzoo_plugins.gan.convert:convert_pytorch_dcgan",
            description="netG_epoch_*.pth of PyTorch examples' dcgan (state dict, weights_only)",
            suffixes=(".pth", ".pt"),
        )
    )
