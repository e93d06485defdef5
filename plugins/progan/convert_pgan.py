"""Converter for pytorch_GAN_zoo ``PGAN`` checkpoints (facebookresearch; the torch.hub models).

The file is ``torch.save({"config": BaseConfig, "netG": ..., "netD": ..., "avgG": ...})``
(plus ``tmp`` when saved with the training state). ``config`` is a pickled instance of
``models.utils.config.BaseConfig``, so a plain ``torch.load(weights_only=True)`` refuses it. It
is read with the safe loader all the same: an inert stand-in class of that qualified name is the
only global added to the allow-list, so a pickle referencing anything else (``os.system``, ...)
is refused before anything runs.

Upstream's generator, from its config (``depthScale0`` = d0, ``depthOtherScales`` = [d1, ...]):
pixelnorm(z) → ``formatLayer`` (linear, 16·d0) → lrelu → view N×d0×4×4 → pixelnorm →
``groupScale0.0`` (3×3) → lrelu → pixelnorm → per added scale i: nearest ×2, ``scaleLayers.i.0``
and ``.1`` (3×3, each → lrelu → pixelnorm) → ``toRGBLayers.k`` (1×1, no activation). That is
genzoo's ProGAN generator layer for layer, with ``arch.widths`` = [d0, d1, ...].

Two conventions differ and are folded into the stored tensors and buffers:

* Equalized lr. Upstream computes ``c·(W*x + b)`` with c = √(2/fan_in): the bias is scaled
  too. genzoo computes ``(s·W)*x + b`` with s = gain/√fan_in. Storing W·c/s and b·c gives
  the same output (c/s is 1 for the 3×3 convs, √2 for toRGB, 4 for the dense layer).
* Fade-in. Upstream's ``alpha`` is reversed: out = alpha·up(low) + (1 − alpha)·new, so
  alpha = 0 is the new resolution only. genzoo's ``G.alpha`` = 1 − alpha.
"""

from __future__ import annotations

import math
import pickle
from itertools import pairwise
from pathlib import Path
from typing import Any

import torch

from genzoo.errors import UnsafePickleError, UnsupportedCheckpointError, WeightsError
from genzoo.weights.convert import check_converter_options

OPTIONS = ("network", "name")
NETWORKS = ("avgG", "netG")

# genzoo's He gains (genzoo_plugins.progan.progan.Generator): dense, 3×3 convs, toRGB
_GAIN_DENSE = math.sqrt(2) / 4
_GAIN_CONV = math.sqrt(2)
_GAIN_RGB = 1.0

# upstream defaults (ProgressiveGAN / BaseGAN constructors) for fields an old config may lack
_DEFAULTS: dict[str, Any] = {
    "depthOtherScales": [],
    "alpha": 0.0,
    "dimOutput": 3,
    "lossCriterion": "WGANGP",
    "perChannelNormalization": True,
    "equalizedlR": True,
    "leakyReluLeak": 0.2,
    "miniBatchStdDev": False,
    "categoryVectorDim": 0,
    "attribKeysOrder": None,
}
# loss criteria whose generator has no output activation (DCGAN and MSE end in tanh)
_LINEAR_OUTPUT_LOSSES = ("WGANGP", "Logistic")


class BaseConfig:
    """Inert stand-in for upstream's ``models.utils.config.BaseConfig``: unpickling only sets
    attributes on it (``__dict__``), nothing is called."""


BaseConfig.__module__ = "models.utils.config"  # the qualified name the pickle refers to


def _load(path: Path) -> dict[str, Any]:
    try:
        with torch.serialization.safe_globals([BaseConfig]):
            ck = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        if "Weights only load failed" not in str(exc):
            raise WeightsError(f"{path}: cannot read the checkpoint ({exc})") from None
        lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
        why = next((ln for ln in lines if "GLOBAL" in ln or "Unsupported" in ln), lines[-1])
        raise UnsafePickleError(
            f"{path}: refused: the pickle holds more than a PGAN checkpoint ({why}); "
            "nothing in it was executed"
        ) from None
    except Exception as exc:  # not a torch file, truncated, ...
        raise WeightsError(
            f"{path}: cannot read the checkpoint ({type(exc).__name__}: {exc})"
        ) from None
    if not isinstance(ck, dict) or "config" not in ck or not ({"avgG", "netG"} & set(ck)):
        keys = ", ".join(map(repr, list(ck)[:6])) if isinstance(ck, dict) else ""
        raise UnsupportedCheckpointError(
            f"{path}: not a pytorch_GAN_zoo PGAN checkpoint (expected a dict with 'config' and "
            f"'avgG' or 'netG'; got a {type(ck).__name__}"
            + (f" with keys {keys})" if keys else ")")
        )
    return ck


def _config(path: Path, raw: Any) -> dict[str, Any]:
    if not isinstance(raw, dict | BaseConfig):
        raise UnsupportedCheckpointError(
            f"{path}: 'config' is a {type(raw).__name__}, expected upstream's BaseConfig"
        )
    cfg = {**_DEFAULTS, **(raw if isinstance(raw, dict) else vars(raw))}
    if "depthScale0" not in cfg:
        raise UnsupportedCheckpointError(f"{path}: config has no 'depthScale0'")
    if "noiseVectorDim" not in cfg:
        if "latentVectorDim" not in cfg:
            raise UnsupportedCheckpointError(
                f"{path}: config has neither 'noiseVectorDim' nor 'latentVectorDim'"
            )
        cfg["noiseVectorDim"] = cfg["latentVectorDim"]

    def refuse(key: str, why: str) -> UnsupportedCheckpointError:
        return UnsupportedCheckpointError(f"{path}: config {key}={cfg[key]!r}: {why}")

    if cfg["categoryVectorDim"] or cfg["attribKeysOrder"]:
        key = "categoryVectorDim" if cfg["categoryVectorDim"] else "attribKeysOrder"
        raise refuse(key, "AC-GAN (conditional) generators are not supported by genzoo's progan")
    if cfg["lossCriterion"] not in _LINEAR_OUTPUT_LOSSES:
        why = (
            "its generator ends in tanh, which genzoo's progan has not"
            if cfg["lossCriterion"] in ("DCGAN", "MSE")
            else "unknown loss criterion"
        )
        raise refuse("lossCriterion", f"{why}; supported: {', '.join(_LINEAR_OUTPUT_LOSSES)}")
    if not cfg["perChannelNormalization"]:
        raise refuse("perChannelNormalization", "genzoo's progan always uses pixel norm")
    if not cfg["equalizedlR"]:
        raise refuse("equalizedlR", "genzoo's progan always uses equalized learning rate")
    if float(cfg["leakyReluLeak"]) != 0.2:
        raise refuse("leakyReluLeak", "genzoo's progan uses a leaky-ReLU slope of 0.2")
    if not isinstance(cfg["depthOtherScales"], list | tuple):
        raise refuse("depthOtherScales", "expected a list of channel counts")
    if len(cfg["depthOtherScales"]) > 8:
        raise refuse("depthOtherScales", "more than 8 added scales (beyond 1024×1024)")
    if not 0.0 <= float(cfg["alpha"]) <= 1.0:
        raise refuse("alpha", "the blending factor must lie in [0, 1]")
    if not 1 <= int(cfg["dimOutput"]) <= 4:
        raise refuse("dimOutput", "genzoo images have 1 to 4 channels")
    return cfg


def reference_layout(
    latent: int, d0: int, others: list[int], channels: int
) -> dict[str, tuple[int, ...]]:
    """Tensor names and shapes of upstream's ``netG`` (``avgG``) state dict."""
    layout: dict[str, tuple[int, ...]] = {
        "formatLayer.module.weight": (16 * d0, latent),
        "formatLayer.module.bias": (16 * d0,),
        "groupScale0.0.module.weight": (d0, d0, 3, 3),
        "groupScale0.0.module.bias": (d0,),
    }
    depths = [d0, *others]
    for i, (cin, cout) in enumerate(pairwise(depths)):
        layout[f"scaleLayers.{i}.0.module.weight"] = (cout, cin, 3, 3)
        layout[f"scaleLayers.{i}.0.module.bias"] = (cout,)
        layout[f"scaleLayers.{i}.1.module.weight"] = (cout, cout, 3, 3)
        layout[f"scaleLayers.{i}.1.module.bias"] = (cout,)
    for k, d in enumerate(depths):
        layout[f"toRGBLayers.{k}.module.weight"] = (channels, d, 1, 1)
        layout[f"toRGBLayers.{k}.module.bias"] = (channels,)
    return layout


def _genzoo_name(key: str) -> tuple[str, float]:
    """genzoo's G tensor name of an upstream key, and genzoo's gain of that layer."""
    parts = key.split(".")
    if parts[0] == "formatLayer":
        return "dense", _GAIN_DENSE
    if parts[0] == "groupScale0":
        return "conv0", _GAIN_CONV
    if parts[0] == "scaleLayers":
        return f"blocks.{8 * 2 ** int(parts[1])}.conv{int(parts[2]) + 1}", _GAIN_CONV
    return f"to_rgb.{4 * 2 ** int(parts[1])}", _GAIN_RGB


def _normalise_keys(state: dict[str, Any]) -> dict[str, Any]:
    """Upstream names: strip a DataParallel ``module.`` prefix, add ``.module.`` to legacy keys."""
    out = {}
    for k, v in state.items():
        k = k.removeprefix("module.")
        stem, _, leaf = k.rpartition(".")
        if leaf in ("weight", "bias") and not stem.endswith(".module") and stem != "module":
            k = f"{stem}.module.{leaf}"
        out[k] = v
    return out


def convert_pgan(
    path: str | Path,
    *,
    network: str | None = None,
    name: str | None = None,
    **unknown: Any,
) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
    """(spec dict, tensors) of a genzoo ProGAN from a pytorch_GAN_zoo PGAN checkpoint.

    Args:
        path: the ``.pth`` file (``{"config", "netG", "netD", "avgG"}``).
        network: ``avgG`` (the moving-average generator) or ``netG``; None: ``avgG`` when the
            file has it, else ``netG``.
        name: entry name for the spec (None: leave it to the caller).

    Returns:
        A partial spec (family ``progan``, images of 4·2^n pixels, explicit ``arch.widths``)
        and the generator's tensors as ``G.*`` float32, with ``G.stage_res`` and ``G.alpha``
        set to the checkpoint's stage. The discriminator is not converted.

    Raises:
        UnsafePickleError: the pickle references globals beyond the checkpoint format.
        UnsupportedCheckpointError: not a PGAN checkpoint, or a config field genzoo cannot
            represent (the message names the field and its value).
        WeightsError: a tensor is missing, unexpected or of the wrong shape (named).
        SpecError: an option this converter does not take.
    """
    check_converter_options("pgan", unknown, network, NETWORKS, OPTIONS)
    path = Path(path)
    ck = _load(path)
    cfg = _config(path, ck["config"])
    net = network or ("avgG" if ck.get("avgG") is not None else "netG")
    state = ck.get(net)
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise UnsupportedCheckpointError(f"{path}: {net!r} is not a state dict of tensors")
    state = _normalise_keys(state)

    latent, d0 = int(cfg["noiseVectorDim"]), int(cfg["depthScale0"])
    others, channels = [int(d) for d in cfg["depthOtherScales"]], int(cfg["dimOutput"])
    expected = reference_layout(latent, d0, others, channels)
    for k, shape in expected.items():
        if k not in state:
            raise WeightsError(f"{path}: missing tensor {net}.{k} of upstream's generator")
        if tuple(state[k].shape) != shape:
            raise WeightsError(
                f"{path}: tensor {net}.{k} has shape {tuple(state[k].shape)}, expected {shape} "
                f"from the config (depthScale0={d0}, depthOtherScales={others}, "
                f"noiseVectorDim={latent}, dimOutput={channels})"
            )
    extra = [k for k in state if k not in expected]
    if extra:
        raise WeightsError(
            f"{path}: unexpected tensor {net}.{extra[0]}, not in upstream's generator"
        )

    tensors: dict[str, torch.Tensor] = {}
    for k in expected:
        t = state[k].detach().to(torch.float64)
        fan_in = math.prod(state[k.rsplit(".", 1)[0] + ".weight"].shape[1:])
        c = math.sqrt(2.0 / fan_in)  # upstream's constant, applied to W*x + b
        gz, gain = _genzoo_name(k)
        s = gain / math.sqrt(fan_in)  # genzoo's constant, applied to W only
        t = t * (c / s) if k.endswith(".weight") else t * c
        tensors[f"G.{gz}.{k.rsplit('.', 1)[1]}"] = t.to(torch.float32).contiguous()
    size = 4 * 2 ** len(others)
    alpha = 1.0 - float(cfg["alpha"]) if others else 1.0
    tensors["G.stage_res"] = torch.tensor(size)
    tensors["G.alpha"] = torch.tensor(alpha)

    spec: dict[str, Any] = {
        "family": "progan",
        "description": f"ProGAN generator converted from pytorch_GAN_zoo PGAN ({path.name})",
        "data": {"kind": "image", "channels": channels, "size": size},
        "latent": {"dim": latent},
        "arch": {
            "start_resolution": 4,
            "widths": [d0, *others],
            "mbstd_group": 4 if cfg["miniBatchStdDev"] else 0,
        },
        "license": "unknown",
        "paper": "Karras et al., Progressive Growing of GANs for Improved Quality, Stability, "
        "and Variation, ICLR 2018",
        "provenance": f"facebookresearch/pytorch_GAN_zoo PGAN checkpoint {path.name} ({net}, "
        f"alpha={float(cfg['alpha']):g} in upstream's convention)",
    }
    if name is not None:
        spec["name"] = name
    return spec, tensors
