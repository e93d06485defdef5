"""Images in: read files a user points at into model-ready NCHW tensors in [-1, 1]."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import torch

from genzoo.errors import DataError

if TYPE_CHECKING:
    import numpy as np

IMAGE_MODES = {1: "L", 3: "RGB", 4: "RGBA"}
"""Pillow mode an image file is converted to, by the model's channel count."""


def image_mode(channels: int, source: str) -> str:
    """The Pillow mode for ``channels``; a :class:`DataError` naming ``source`` for others."""
    try:
        return IMAGE_MODES[channels]
    except KeyError:
        raise DataError(
            f"{source}: cannot read images as {channels} channels; image files give "
            "1 (grey), 3 (RGB) or 4 (RGBA) channels"
        ) from None


def load_image(path: str | Path, channels: int, size: int) -> np.ndarray:
    """One image file as an H×W (grey) or H×W×C uint8 array of ``size``×``size``.

    The image is turned upright as its EXIF orientation says (phone photos are stored
    sideways), converted to grey, RGB or RGBA, centre-cropped to the largest square in its
    middle (a non-square image is cropped, never squashed) and resized (bicubic) to ``size``.
    A missing or unreadable file (not an image, truncated, ...) raises :class:`DataError`
    naming it.
    """
    import numpy as np
    from PIL import Image, ImageOps, UnidentifiedImageError

    mode = image_mode(channels, str(path))
    try:
        with Image.open(path) as im:
            im = ImageOps.exif_transpose(im).convert(mode)
            w, h = im.size
            s = min(w, h)
            left, top = (w - s) // 2, (h - s) // 2
            # crop first: resize(box=...) would let the filter read pixels outside the square
            im = im.crop((left, top, left + s, top + s)).resize(
                (size, size), Image.Resampling.BICUBIC
            )
            return np.asarray(im, dtype=np.uint8)
    except FileNotFoundError:
        raise DataError(f"{path}: no such image file") from None
    except UnidentifiedImageError:
        raise DataError(f"{path}: cannot read image (not a file Pillow can read)") from None
    except (OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombError) as exc:
        reason = (str(exc).splitlines() or [type(exc).__name__])[0]
        raise DataError(f"{path}: cannot read image ({reason})") from None


def read_images(paths: Sequence[str | Path], shape: tuple[int, int, int]) -> torch.Tensor:
    """Read image files, converting channels and resizing to ``shape`` (C, H, W).

    Non-square images are centre-cropped to a square first (see :func:`load_image`).
    Unreadable files, or a channel count image files cannot give, raise :class:`DataError`
    naming the file.
    """
    import numpy as np

    from genzoo.data import to_model_images

    c, h, _ = shape
    if not paths:
        raise DataError("no images given")
    arrays = [load_image(p, c, h) for p in paths]
    return to_model_images(np.stack(arrays), c, h, source=str(paths[0]))


def mask_pixels(x: torch.Tensor, fraction: float, seed: int = 0) -> torch.Tensor:
    """Masking noise: a seeded ``fraction`` of the values dropped to black (−1), as
    ``genzoo reconstruct --noise`` does."""
    if not fraction:
        return x
    g = torch.Generator().manual_seed(seed)
    return torch.where(torch.rand(x.shape, generator=g) < fraction, torch.full_like(x, -1.0), x)
