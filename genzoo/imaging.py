"""Images out: grids, strips and GIFs from NCHW tensors in [-1, 1] (Pillow does the encoding)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import torch
    from PIL import Image


def to_uint8(x: torch.Tensor) -> np.ndarray:
    """NCHW [-1, 1] → N×H×W×C uint8."""
    from genzoo.data import to_uint8_images

    return to_uint8_images(x)


def grid_array(
    x: torch.Tensor, nrow: int | None = None, pad: int = 2, pad_value: int = 0
) -> np.ndarray:
    """Tile N images into one H×W×C uint8 array, ``nrow`` images per row (default √N)."""
    imgs = to_uint8(x)
    n, h, w, c = imgs.shape
    nrow = nrow or max(1, math.ceil(math.sqrt(n)))
    rows = math.ceil(n / nrow)
    out = np.full((rows * (h + pad) + pad, nrow * (w + pad) + pad, c), pad_value, np.uint8)
    for i in range(n):
        r, col = divmod(i, nrow)
        y, xx = pad + r * (h + pad), pad + col * (w + pad)
        out[y : y + h, xx : xx + w] = imgs[i]
    return out


def to_pil(arr: np.ndarray, scale: int = 1) -> Image.Image:
    """An H×W×C uint8 array as a PIL image, upscaled ``scale``× with nearest neighbours."""
    from PIL import Image

    img = Image.fromarray(arr[..., 0] if arr.shape[-1] == 1 else arr)
    if scale > 1:
        img = img.resize((img.width * scale, img.height * scale), Image.Resampling.NEAREST)
    return img


def _auto_scale(h: int) -> int:
    # small digits are hard to see: upscale tiny images so the grid is at least ~64 px a cell
    return max(1, 64 // h) if h < 64 else 1


def image_format(path: Path) -> str:
    """PIL's format name for an output file's suffix (``.png`` when it has none)."""
    from PIL import Image

    from genzoo.errors import DataError

    suffix = path.suffix.lower() or ".png"
    known = Image.registered_extensions()
    if suffix not in known or known[suffix] not in Image.SAVE:
        raise DataError(f"{path}: cannot write {suffix} images; use .png, .jpg or .webp")
    return known[suffix]


def save_grid(
    x: torch.Tensor, path: str | Path, nrow: int | None = None, scale: int | None = None
) -> Path:
    """Save images as one grid PNG (atomically)."""
    from genzoo.weights import atomic_write

    path = Path(path)
    fmt = image_format(path)
    arr = grid_array(x, nrow)
    img = to_pil(arr, scale or _auto_scale(x.shape[-1]))
    with atomic_write(path) as f:
        img.save(f, format=fmt)
    return path


def save_animation(
    frames: Sequence[torch.Tensor] | torch.Tensor,
    path: str | Path,
    fps: float = 12,
    scale: int | None = None,
) -> Path:
    """Save frames (each NCHW, tiled as a grid; or one N-frame tensor) as an animated GIF."""
    from genzoo.weights import atomic_write

    path = Path(path)
    if not isinstance(frames, (list, tuple)):
        frames = [f[None] for f in frames]
    s = scale or _auto_scale(frames[0].shape[-1])
    pics = [to_pil(grid_array(f), s) for f in frames]
    with atomic_write(path) as f:
        pics[0].save(
            f, format="GIF", save_all=True, append_images=pics[1:], duration=int(1000 / fps), loop=0
        )
    return path
