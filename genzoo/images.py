"""Images in: read files a user points at into model-ready NCHW tensors in [-1, 1]."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import torch

from genzoo.errors import DataError


def read_images(paths: Sequence[str | Path], shape: tuple[int, int, int]) -> torch.Tensor:
    """Read image files, converting channels and resizing to ``shape`` (C, H, W).

    Unreadable files raise :class:`DataError` naming the file.
    """
    import numpy as np
    from PIL import Image, UnidentifiedImageError

    from genzoo.data import to_model_images

    c, h, _ = shape
    mode = {1: "L", 3: "RGB", 4: "RGB"}[c]
    arrays = []
    for p in paths:
        try:
            with Image.open(p) as im:
                arrays.append(np.asarray(im.convert(mode).resize((h, h), Image.Resampling.BICUBIC)))
        except FileNotFoundError:
            raise DataError(f"{p}: no such image file") from None
        except (UnidentifiedImageError, OSError, ValueError) as exc:
            raise DataError(f"{p}: cannot read image: {exc}") from None
    if not arrays:
        raise DataError("no images given")
    return to_model_images(np.stack(arrays), c, h, source=str(paths[0]))


def mask_pixels(x: torch.Tensor, fraction: float, seed: int = 0) -> torch.Tensor:
    """Masking noise: a seeded ``fraction`` of the values dropped to black (−1), as
    ``genzoo reconstruct --noise`` does."""
    if not fraction:
        return x
    g = torch.Generator().manual_seed(seed)
    return torch.where(torch.rand(x.shape, generator=g) < fraction, torch.full_like(x, -1.0), x)
