"""Weights I/O: safetensors only, atomic writes, strict checks that name the tensor.

This package and :mod:`genzoo.hub` are the only places that read or write model files. Foreign
formats are read by converters (``genzoo.weights.nvpickle`` for NVIDIA pickles,
``torch.load(weights_only=True)`` for state dicts the user points at); nothing from outside is
ever unpickled with the standard unpickler.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from genzoo.errors import WeightsError

if TYPE_CHECKING:
    import torch
    from torch import nn

__all__ = [
    "atomic_write",
    "load_model_weights",
    "read_metadata",
    "read_tensors",
    "save_model_weights",
    "save_tensors",
    "sha256_file",
]


@contextmanager
def atomic_write(path: str | Path, mode: str = "wb"):  # type: ignore[no-untyped-def]
    """Write to a temporary file beside ``path``, fsync, then rename over ``path``.

    After a crash there is either the old complete file or the new complete file.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the file the usual permissions
    try:
        with os.fdopen(fd, mode) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        _fsync_dir(path.parent)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - e.g. Windows
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def sha256_file(path: str | Path, chunk: int = 1 << 20) -> str:
    """Hex sha256 of a file, read in chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def save_tensors(
    tensors: Mapping[str, torch.Tensor], path: str | Path, metadata: Mapping[str, Any] | None = None
) -> None:
    """Save tensors as safetensors, atomically. Metadata values are stored as strings."""
    from safetensors.torch import save

    meta = {k: v if isinstance(v, str) else json.dumps(v) for k, v in (metadata or {}).items()}
    data = save({k: v.detach().contiguous().cpu() for k, v in tensors.items()}, metadata=meta)
    with atomic_write(path) as f:
        f.write(data)


def _check_header(path: Path, f: BinaryIO) -> None:
    size = path.stat().st_size
    head = f.read(8)
    if len(head) < 8:
        raise WeightsError(f"{path}: not a safetensors file (only {size} bytes)")
    n = int.from_bytes(head, "little")
    if n <= 0 or n > 100_000_000 or 8 + n > size:
        raise WeightsError(f"{path}: not a safetensors file or truncated header ({size} bytes)")
    try:
        header = json.loads(f.read(n))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise WeightsError(f"{path}: corrupt safetensors header") from None
    end = 8 + n
    for name, info in header.items():
        if name == "__metadata__":
            continue
        try:
            _, stop = info["data_offsets"]
        except (KeyError, TypeError, ValueError):
            raise WeightsError(f"{path}: tensor {name!r}: corrupt header entry") from None
        if end + stop > size:
            raise WeightsError(
                f"{path}: tensor {name!r} extends past the end of the file "
                f"(file truncated: {size} bytes, needs {end + stop})"
            )


def read_metadata(path: str | Path) -> dict[str, str]:
    """The safetensors metadata of a file (no tensors are read)."""
    path = Path(path)
    try:
        with path.open("rb") as f:
            _check_header(path, f)
            f.seek(0)
            n = int.from_bytes(f.read(8), "little")
            header = json.loads(f.read(n))
    except FileNotFoundError:
        raise WeightsError(f"{path}: no such weights file") from None
    return dict(header.get("__metadata__") or {})


def read_tensors(path: str | Path, device: str = "cpu") -> dict[str, torch.Tensor]:
    """All tensors of a safetensors file, with a clear error for missing or corrupt files."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    path = Path(path)
    try:
        with path.open("rb") as f:
            _check_header(path, f)
        return load_file(str(path), device=device)
    except FileNotFoundError:
        raise WeightsError(f"{path}: no such weights file") from None
    except (SafetensorError, OSError, ValueError) as exc:
        raise WeightsError(f"{path}: cannot read weights: {exc}") from None


def check_tensors(
    expected: Mapping[str, torch.Tensor], got: Mapping[str, torch.Tensor], source: str
) -> None:
    """Raise :class:`WeightsError` naming the first missing, unexpected or mismatched tensor."""
    missing = [k for k in expected if k not in got]
    if missing:
        more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
        raise WeightsError(f"{source}: missing tensor {missing[0]!r}{more}")
    unexpected = [k for k in got if k not in expected]
    if unexpected:
        more = f" (and {len(unexpected) - 1} more)" if len(unexpected) > 1 else ""
        raise WeightsError(f"{source}: unexpected tensor {unexpected[0]!r}{more}")
    for k, ref in expected.items():
        if tuple(got[k].shape) != tuple(ref.shape):
            raise WeightsError(
                f"{source}: tensor {k!r} has shape {tuple(got[k].shape)}, "
                f"the model expects {tuple(ref.shape)}"
            )
        if got[k].is_floating_point() != ref.is_floating_point():
            raise WeightsError(
                f"{source}: tensor {k!r} has dtype {got[k].dtype}, expected {ref.dtype}"
            )
        if got[k].is_floating_point() and not bool(got[k].isfinite().all()):
            raise WeightsError(f"{source}: tensor {k!r} holds NaN or infinite values")


def save_model_weights(
    model: Any, path: str | Path, extra: Mapping[str, Any] | None = None
) -> None:
    """Save a model's sampling networks with genzoo's metadata, atomically."""
    import genzoo

    meta = {
        "format": "genzoo",
        "genzoo_version": genzoo.__version__,
        "family": model.spec.family,
        "spec_hash": model.spec.spec_hash(),
        **(extra or {}),
    }
    save_tensors(model.sampling_state_dict(), path, meta)


def load_model_weights(model: nn.Module, path: str | Path, *, strict: bool = True) -> None:
    """Load a safetensors file into ``model``'s sampling networks, checking every tensor."""
    import torch

    tensors = read_tensors(path)
    expected = model.sampling_state_dict()  # type: ignore[operator]
    if strict:
        check_tensors(expected, tensors, str(path))
    meta = read_metadata(path)
    family = meta.get("family")
    if family and family != model.spec.family:  # type: ignore[union-attr]
        raise WeightsError(
            f"{path}: weights are for family {family!r}, the spec says {model.spec.family!r}"  # type: ignore[union-attr]
        )
    with torch.no_grad():
        state = model.state_dict()
        for k, v in tensors.items():
            if k in state:
                state[k].copy_(v.to(state[k].dtype))
