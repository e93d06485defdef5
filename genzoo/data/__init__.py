"""Data for training and evaluation: in-memory datasets and image helpers.

Data sources themselves are plugins (``genzoo_register_data_sources``); genzoo's own live in
``genzoo_plugins.data``. A source returns an :class:`ArrayDataset`: images NCHW float32 in
[-1, 1] (or rows N×F for tables), optional integer labels, optional class names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from genzoo.errors import DataError

if TYPE_CHECKING:
    import numpy as np
    import torch


@dataclass
class ArrayDataset:
    """An in-memory dataset: ``x`` and optional labels ``y``.

    Attributes:
        x: float32 tensor, images NCHW in [-1, 1] or rows N×F.
        y: int64 labels of length N, or None.
        class_names: names of the label values (index = label).
        info: free-form facts (source, skipped files, split) for cards.
    """

    x: torch.Tensor
    y: torch.Tensor | None = None
    class_names: list[str] | None = None
    info: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.y is not None and len(self.y) != len(self.x):
            raise DataError(f"{len(self.x)} samples but {len(self.y)} labels")
        if len(self.x) == 0:
            raise DataError("the data source is empty")

    def __len__(self) -> int:
        return len(self.x)

    def subset(self, index: Any) -> ArrayDataset:
        """Rows selected by an index tensor/array (labels and names kept)."""
        import torch

        idx = torch.as_tensor(index, dtype=torch.long)
        return ArrayDataset(
            self.x[idx], None if self.y is None else self.y[idx], self.class_names, dict(self.info)
        )

    def split(self, holdout: float, seed: int = 0) -> tuple[ArrayDataset, ArrayDataset]:
        """A shuffled (never positional) train / held-out split; stratified when labelled."""
        import torch

        g = torch.Generator().manual_seed(seed)
        n = len(self)
        if self.y is None:
            perm = torch.randperm(n, generator=g)
            k = round(n * holdout)
            return self.subset(perm[k:]), self.subset(perm[:k])
        train, held = [], []
        for c in torch.unique(self.y).tolist():
            idx = torch.nonzero(self.y == c).flatten()
            idx = idx[torch.randperm(len(idx), generator=g)]
            k = round(len(idx) * holdout)
            held.append(idx[:k])
            train.append(idx[k:])
        tr, he = torch.cat(train), torch.cat(held)
        return self.subset(tr[torch.randperm(len(tr), generator=g)]), self.subset(he)


def to_model_images(
    images: np.ndarray | torch.Tensor, channels: int, size: int, *, source: str = "images"
) -> torch.Tensor:
    """Convert images (N,H,W), (N,H,W,C) or (N,C,H,W) uint8 or float to NCHW [-1, 1].

    Converts grey ↔ RGB, drops an alpha channel the model does not take (or adds an opaque one
    it does), centre-crops non-square images to a square (never squashes them) and resizes
    (bilinear, antialiased) to ``size``. Anything else (no images, another layout, a channel
    count that cannot be converted, NaN) is a :class:`DataError` naming ``source``.
    """
    import numpy as np
    import torch
    import torch.nn.functional as F

    arr = images if isinstance(images, torch.Tensor) else np.asarray(images)
    if isinstance(arr, np.ndarray) and arr.dtype.kind not in "biuf":
        raise DataError(f"{source}: images must be numbers, got an array of {arr.dtype}")
    t = torch.as_tensor(arr)
    shape = tuple(t.shape)
    layouts = "(N,H,W), (N,H,W,C) or (N,C,H,W)"
    if t.ndim == 3:
        t = t[:, None]
    elif t.ndim == 4:  # channels last when the last axis is small and the second is not
        small = {1, 2, 3, 4, channels}
        if t.shape[-1] in small and t.shape[1] not in small:
            t = t.permute(0, 3, 1, 2)
    if t.ndim != 4:
        raise DataError(f"{source}: expected images of shape {layouts}, got {shape}")
    if len(t) == 0 or t.shape[-1] == 0 or t.shape[-2] == 0:
        raise DataError(f"{source}: holds no images (shape {shape})")
    if t.dtype == torch.uint8:
        t = t.float() / 127.5 - 1
    else:
        t = t.float()
        if not bool(torch.isfinite(t).all()):
            raise DataError(f"{source}: images hold NaN or infinite values")
        lo, hi = float(t.min()), float(t.max())
        if lo >= 0 and hi > 1.0:  # 0..255 floats (or 0..16 as sklearn digits)
            t = t / (255.0 if hi > 16 else 16.0) * 2 - 1
        elif lo >= 0:  # 0..1
            t = t * 2 - 1
    c = given = t.shape[1]
    if c != channels:
        if c == 4:  # drop the alpha channel the model does not take
            t, c = t[:, :3], 3
        if c == 1 and channels in (3, 4):
            t, c = t.expand(-1, 3, -1, -1), 3
        elif c == 3 and channels == 1:
            t = (t * torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)).sum(1, keepdim=True)
            c = 1
        if c == 3 and channels == 4:  # opaque alpha
            t, c = torch.cat([t, torch.ones_like(t[:, :1])], 1), 4
        if c != channels:
            raise DataError(
                f"{source}: images of shape {shape} have {given} channels; the model "
                f"takes {channels} (1, 3 and 4 convert into each other, other counts do not)"
            )
    h, w = t.shape[-2:]
    if h != w:  # centre crop to the largest square
        s = min(h, w)
        top, left = (h - s) // 2, (w - s) // 2
        t = t[:, :, top : top + s, left : left + s]
    if t.shape[-1] != size:
        t = F.interpolate(
            t, size=(size, size), mode="bilinear", align_corners=False, antialias=True
        )
    return t.clamp(-1, 1).contiguous()


def to_uint8_images(x: torch.Tensor) -> np.ndarray:
    """NCHW [-1, 1] → N×H×W×C uint8."""
    return ((x.detach().cpu().clamp(-1, 1) + 1) * 127.5).round().byte().permute(0, 2, 3, 1).numpy()
