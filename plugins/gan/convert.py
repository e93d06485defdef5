"""Converter for PyTorch examples' DCGAN generator checkpoints (``netG_epoch_*.pth``).

The file is a plain state dict saved with ``torch.save(netG.state_dict(), ...)`` (keys
``main.N.*``, or ``module.main.N.*`` when the net was wrapped in ``DataParallel``). It is read
with ``torch.load(weights_only=True)``, which refuses anything but tensors and containers.
Keys are checked against the reference layout below (written from the examples' ``netG``,
not from genzoo's model) and map one-to-one to genzoo's DCGAN ``G.main.N.*``.

Reference ``netG`` (64×64): ``main.0`` ConvT(nz, 8·ngf, 4, 1, 0) → ``main.1`` BN → ReLU →
``main.3`` ConvT(8·ngf, 4·ngf) → ``main.4`` BN → ReLU → ``main.6`` ConvT(4·ngf, 2·ngf) →
``main.7`` BN → ReLU → ``main.9`` ConvT(2·ngf, ngf) → ``main.10`` BN → ReLU →
``main.12`` ConvT(ngf, nc) → Tanh; every ConvT without bias, stride 2 after the first.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from genzoo.errors import SpecError, UnsupportedCheckpointError, WeightsError

SIZE = 64
OPTIONS = ("nz", "ngf", "nc", "name")


def reference_layout(nz: int, ngf: int, nc: int) -> dict[str, tuple[int, ...]]:
    """Tensor names and shapes of the examples' ``netG`` state dict."""
    layout: dict[str, tuple[int, ...]] = {}
    chans = [nz, 8 * ngf, 4 * ngf, 2 * ngf, ngf, nc]
    for i in range(5):
        conv = 3 * i  # main.0, main.3, ..., main.12
        layout[f"main.{conv}.weight"] = (chans[i], chans[i + 1], 4, 4)  # ConvT: in×out×k×k
        if i < 4:
            bn, c = conv + 1, chans[i + 1]
            layout |= {f"main.{bn}.{t}": (c,) for t in ("weight", "bias")}
            layout |= {f"main.{bn}.{t}": (c,) for t in ("running_mean", "running_var")}
            layout[f"main.{bn}.num_batches_tracked"] = ()
    return layout


def _load_state(path: Path) -> dict[str, torch.Tensor]:
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # UnpicklingError for anything but tensors and containers
        raise WeightsError(
            f"{path}: not a plain PyTorch state dict ({type(exc).__name__}: {exc})"
        ) from None
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        keys = ", ".join(map(repr, list(state)[:4])) if isinstance(state, dict) else ""
        raise UnsupportedCheckpointError(
            f"{path}: expected netG's state dict (tensors by name), got a "
            f"{type(state).__name__}" + (f" with keys {keys}" if keys else "")
        )
    if state and all(k.startswith("module.") for k in state):  # saved from nn.DataParallel
        state = {k.removeprefix("module."): v for k, v in state.items()}
    return state


def _check_layout(path: Path, state: dict[str, torch.Tensor], nz: int, ngf: int, nc: int) -> None:
    if "main.11.weight" in state and "main.12.weight" not in state:
        raise UnsupportedCheckpointError(f"{path}: this is a discriminator (netD); pass netG")
    expected = reference_layout(nz, ngf, nc)
    hint = f"for nz={nz} ngf={ngf} nc={nc} (pass --nz/--ngf/--nc to match the checkpoint)"
    for k, shape in expected.items():
        if k not in state:
            raise WeightsError(f"{path}: missing tensor {k!r} of the reference netG")
        if tuple(state[k].shape) != shape:
            raise WeightsError(
                f"{path}: tensor {k!r} has shape {tuple(state[k].shape)}, expected {shape} {hint}"
            )
    extra = sorted(set(state) - set(expected))
    if extra:
        raise WeightsError(f"{path}: unexpected tensor {extra[0]!r}, not in the reference netG")


def convert_pytorch_dcgan(
    path: str | Path,
    *,
    nz: int = 100,
    ngf: int = 64,
    nc: int = 3,
    name: str | None = None,
    **unknown: Any,
) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
    """(spec dict, tensors) of a genzoo DCGAN from a PyTorch-examples ``netG`` state dict.

    Args:
        path: the ``.pth`` file.
        nz: latent dimension the checkpoint was trained with (``--nz``).
        ngf: generator width (``--ngf``).
        nc: image channels (3 in the examples).
        name: entry name for the spec (None: leave it to the caller, e.g. the folder name).

    Returns:
        A partial spec (family ``dcgan``, 64×64×nc images, latent nz, arch ngf/ndf) and the
        tensors as ``G.main.N.*`` float32 (``num_batches_tracked`` stays int64).

    Raises:
        WeightsError: the file is not a plain state dict, or a tensor is missing, unexpected or
            of the wrong shape (the message names it).
        SpecError: an option this converter does not take.
    """
    if unknown:
        raise SpecError(
            f"pytorch-dcgan converter: unknown option(s) {', '.join(sorted(unknown))}; "
            f"it takes {', '.join(OPTIONS)}"
        )
    path = Path(path)
    nz, ngf, nc = int(nz), int(ngf), int(nc)
    state = _load_state(path)
    _check_layout(path, state, nz, ngf, nc)
    spec: dict[str, Any] = {
        "family": "dcgan",
        "description": f"DCGAN generator converted from PyTorch examples ({path.name})",
        "data": {"kind": "image", "channels": nc, "size": SIZE},
        "latent": {"dim": nz},
        "arch": {"ngf": ngf, "ndf": ngf},
        "license": "unknown",
        "paper": "Radford, Metz & Chintala, Unsupervised Representation Learning with Deep "
        "Convolutional GANs, ICLR 2016",
        "provenance": f"pytorch/examples dcgan generator checkpoint {path.name}",
    }
    if name is not None:
        spec["name"] = name
    tensors = {f"G.{k}": v.float() if v.is_floating_point() else v for k, v in state.items()}
    return spec, tensors
