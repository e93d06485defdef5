"""genzoo plugin: the ``stylegan2`` family (NVIDIA-compatible StyleGAN2) and the ``nvlabs``
converter of NVIDIA's network pickles (read without executing them). Imports no torch."""

from __future__ import annotations

from genzoo.plugins import hookimpl
from genzoo.registry import Converter, Family
from genzoo_plugins.stylegan2.spec import StyleGAN2Arch, StyleGAN2Training, check_stylegan2


@hookimpl
def genzoo_register_families(register):  # type: ignore[no-untyped-def]
    register(
        Family(
            name="stylegan2",
            arch=StyleGAN2Arch,
            model="genzoo_plugins.stylegan2.model:StyleGAN2",
            description="StyleGAN2 (Karras et al. 2020): modulated convs, loads NVIDIA's weights",
            tasks=("unconditional", "conditional"),
            loss_roles=("adversarial", "penalty"),
            training_options=StyleGAN2Training,
            check=check_stylegan2,
        )
    )


@hookimpl
def genzoo_register_converters(register):  # type: ignore[no-untyped-def]
    register(
        Converter(
            "nvlabs",
            "genzoo_plugins.stylegan2.nvpickle:convert_nvlabs",
            description="NVIDIA stylegan2-ada-pytorch / stylegan3-repo StyleGAN2 network pickle "
            "(G_ema; read by a restricted unpickler, no code runs)",
            suffixes=(".pkl",),
            remote_ok=True,  # the allow-list unpickler never runs code from the file
        )
    )
