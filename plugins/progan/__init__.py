"""genzoo plugin: ProGAN (progressive growing) and StyleGAN (AdaIN) families, and the converter
``pgan`` of pytorch_GAN_zoo's PGAN checkpoints. Imports no torch."""

from __future__ import annotations

from genzoo.plugins import hookimpl
from genzoo.registry import Converter, Family
from genzoo_plugins.progan.spec import (
    GrowthSchedule,
    ProGANArch,
    StyleGANArch,
    StyleGANTraining,
    check_schedule,
    check_stylegan,
)


@hookimpl
def genzoo_register_families(register):  # type: ignore[no-untyped-def]
    register(
        Family(
            name="progan",
            arch=ProGANArch,
            model="genzoo_plugins.progan.progan:ProGAN",
            description="progressive GAN (Karras et al. 2018): grows 4×4 → N×N with fade-in",
            loss_roles=("adversarial", "penalty"),
            training_options=GrowthSchedule,
            check=check_schedule,
        )
    )
    register(
        Family(
            name="stylegan",
            arch=StyleGANArch,
            model="genzoo_plugins.progan.stylegan:StyleGAN",
            description="StyleGAN (Karras et al. 2019): mapping network, AdaIN, noise, mixing",
            loss_roles=("adversarial", "penalty"),
            training_options=StyleGANTraining,
            check=check_stylegan,
        )
    )


@hookimpl
def genzoo_register_converters(register):  # type: ignore[no-untyped-def]
    register(
        Converter(
            "pgan",
            "genzoo_plugins.progan.convert_pgan:convert_pgan",
            description="pytorch_GAN_zoo PGAN .pth (config + avgG/netG; weights_only with one "
            "stand-in class), generator only",
            suffixes=(".pth", ".pt"),
        )
    )
