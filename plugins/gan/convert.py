"""Converter for PyTorch examples' DCGAN generator checkpoints (``netG_epoch_*.pth``).

The file is a plain state dict saved with ``torch.save``; it is read with
``torch.load(weights_only=True)``, which refuses anything but tensors and containers, and only
from a path the user points at (never from the Hub). Keys ``main.N.*`` map one-to-one to
genzoo's DCGAN ``G.main.N.*`` (64×64 generator, same layer order).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from genzoo.errors import UnsupportedCheckpointError, WeightsError


def _expected(nz: int, ngf: int, nc: int, size: int) -> dict[str, tuple[int, ...]]:
    from genzoo_plugins.gan.model import DCGenerator

    g = DCGenerator(nz, ngf, nc, size)
    return {k: tuple(v.shape) for k, v in g.state_dict().items()}


def convert_pytorch_dcgan(
    path: str | Path, *, nz: int = 100, ngf: int = 64, nc: int = 3, size: int = 64, **_: Any
) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
    """(spec dict, tensors) of a genzoo DCGAN from a PyTorch-examples ``netG`` state dict."""
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # UnpicklingError for anything but plain tensors
        raise WeightsError(
            f"{path}: not a plain PyTorch state dict ({type(exc).__name__}: {exc})"
        ) from None
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise UnsupportedCheckpointError(f"{path}: expected a state dict of tensors")
    state = {k.removeprefix("module."): v for k, v in state.items()}  # DataParallel
    if any(k.startswith("main.11") for k in state) and "main.12.weight" not in state:
        raise UnsupportedCheckpointError(f"{path}: this is a discriminator (netD); pass netG")
    expected = _expected(int(nz), int(ngf), int(nc), int(size))
    for k, shape in expected.items():
        if k not in state:
            raise WeightsError(f"{path}: missing tensor {k!r} (is --nz/--ngf/--nc right?)")
        if tuple(state[k].shape) != shape:
            raise WeightsError(
                f"{path}: tensor {k!r} has shape {tuple(state[k].shape)}, expected {shape} for "
                f"nz={nz} ngf={ngf} nc={nc}"
            )
    extra = sorted(set(state) - set(expected))
    if extra:
        raise WeightsError(f"{path}: unexpected tensor {extra[0]!r}")
    spec = {
        "family": "dcgan",
        "description": f"DCGAN generator converted from PyTorch examples ({Path(path).name})",
        "data": {"channels": int(nc), "size": int(size)},
        "latent": {"dim": int(nz)},
        "arch": {"ngf": int(ngf), "ndf": int(ngf)},
        "license": "unknown",
        "provenance": f"pytorch/examples dcgan checkpoint {Path(path).name}",
    }
    return spec, {f"G.{k}": v.float() if v.is_floating_point() else v for k, v in state.items()}
