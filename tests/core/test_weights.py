"""safetensors I/O: atomic, strict, clear errors for corrupt files."""

from __future__ import annotations

import pytest
import torch

from genzoo.errors import WeightsError
from genzoo.weights import read_metadata, read_tensors, save_tensors, sha256_file


def test_round_trip_with_metadata(tmp_path):
    p = tmp_path / "w.safetensors"
    save_tensors({"a": torch.arange(6.0).view(2, 3)}, p, {"family": "toy", "n": 3})
    assert torch.equal(read_tensors(p)["a"], torch.arange(6.0).view(2, 3))
    assert read_metadata(p) == {"family": "toy", "n": "3"}
    assert len(sha256_file(p)) == 64
    assert not list(tmp_path.glob(".*tmp"))


def test_truncated_file_names_the_tensor(tmp_path):
    p = tmp_path / "w.safetensors"
    save_tensors({"a": torch.zeros(10), "b": torch.zeros(1000)}, p)
    data = p.read_bytes()
    p.write_bytes(data[:-100])
    with pytest.raises(WeightsError, match="tensor 'b' extends past the end"):
        read_tensors(p)


def test_garbage_file(tmp_path):
    p = tmp_path / "w.safetensors"
    p.write_bytes(b"\x00" * 3)
    with pytest.raises(WeightsError, match="not a safetensors file"):
        read_tensors(p)
    p.write_bytes(b"PK\x03\x04" + b"x" * 100)  # a zip (torch.save) file
    with pytest.raises(WeightsError, match="not a safetensors file"):
        read_tensors(p)


def test_missing_file(tmp_path):
    with pytest.raises(WeightsError, match="no such weights file"):
        read_tensors(tmp_path / "nope.safetensors")


def test_failed_write_keeps_old_file(tmp_path, monkeypatch):
    p = tmp_path / "w.safetensors"
    save_tensors({"a": torch.ones(2)}, p)
    good = p.read_bytes()

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr("os.replace", boom)
    with pytest.raises(OSError):
        save_tensors({"a": torch.zeros(2)}, p)
    assert p.read_bytes() == good
    assert not list(tmp_path.glob(".*tmp"))
