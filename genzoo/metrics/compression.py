"""Compression by an autoencoder, stated honestly: bytes of a stored code versus a PNG of the
same image, and what each code precision costs in reconstruction error.

A code is smaller than a PNG of a small digit, but it is lossy, and the receiver needs the
decoder's weights (reported as ``model_bytes``): it pays off only over many images that the model
fits. PNG is lossless, so it is the honest baseline rather than a strawman.
"""

from __future__ import annotations

import io
import math
from typing import Any

import torch

from genzoo.errors import CapabilityError

PRECISIONS = ("float32", "float16", "uint8")


def png_bytes(x: torch.Tensor) -> list[int]:
    """Size in bytes of each NCHW [-1, 1] image as an 8-bit PNG (Pillow, ``optimize=True``)."""
    from genzoo.imaging import to_pil, to_uint8

    sizes = []
    for arr in to_uint8(x):
        buf = io.BytesIO()
        to_pil(arr).save(buf, format="PNG", optimize=True)
        sizes.append(buf.tell())
    return sizes


def quantize(z: torch.Tensor, precision: str) -> tuple[torch.Tensor, int, int]:
    """Codes as a receiver would read them back: (codes, bytes per image, shared bytes).

    ``uint8`` maps each dimension linearly between its minimum and maximum over ``z``; those two
    float32 numbers per dimension are stored once (the shared bytes).
    """
    d = z.shape[1]
    if precision == "float32":
        return z, 4 * d, 0
    if precision == "float16":
        return z.half().float(), 2 * d, 0
    if precision == "uint8":
        lo, hi = z.min(0).values, z.max(0).values
        scale = (hi - lo).clamp_min(1e-12) / 255
        q = ((z - lo) / scale).round().clamp(0, 255)
        return q * scale + lo, d, 8 * d
    raise CapabilityError(f"unknown code precision {precision!r}; known: {list(PRECISIONS)}")


@torch.no_grad()
def compression_report(model: Any, x: torch.Tensor, batch: int = 500) -> dict[str, Any]:
    """Code size and reconstruction error per precision, versus PNG, for images ``x``.

    Errors are mean squared error per pixel on the [0, 1] scale.
    """
    if not {"encode", "reconstruct"} <= set(model.capabilities):
        raise CapabilityError(f"{model.spec.name} ({model.spec.family}) has no encoder")
    codes = torch.cat([model.encode(x[i : i + batch]) for i in range(0, len(x), batch)])
    z = codes.flatten(1)
    pngs = png_bytes(x)
    out: dict[str, Any] = {
        "images": len(x),
        "pixels": int(x[0].numel()),
        "png_bytes_mean": round(sum(pngs) / len(pngs), 1),
        "code_dims": int(z.shape[1]),
        "model_bytes": int(sum(p.numel() * p.element_size() for p in model.parameters())),
    }
    for precision in PRECISIONS:
        zq, per_image, shared = quantize(z, precision)
        zq = zq.view_as(codes)
        err = torch.cat(
            [
                ((model.decode(zq[i : i + batch]) - x[i : i + batch]) / 2).pow(2).flatten(1).mean(1)
                for i in range(0, len(x), batch)
            ]
        )
        out[f"code_bytes_{precision}"] = per_image
        out[f"shared_bytes_{precision}"] = shared
        out[f"ratio_vs_png_{precision}"] = round(out["png_bytes_mean"] / per_image, 2)
        out[f"recon_mse_{precision}"] = round(float(err.mean()), 6)
        # images after which codes + shared bytes + the model's weights undercut the PNGs
        saved = out["png_bytes_mean"] - per_image
        out[f"break_even_images_{precision}"] = (
            math.ceil((out["model_bytes"] + shared) / saved) if saved > 0 else None
        )
    return out
