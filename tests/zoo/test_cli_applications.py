"""The command line on the shipped entries, as a person would type it (offline)."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from genzoo.cli import cli
from genzoo_plugins.data.sources import mnist5k


@pytest.fixture(scope="module")
def digits(tmp_path_factory):
    d = mnist5k(split="test")
    folder = tmp_path_factory.mktemp("digits")
    paths = {}
    for c in (0, 1, 7, 9):
        i = int((d.y == c).nonzero()[0])
        p = folder / f"{c}.png"
        Image.fromarray(((d.x[i, 0].numpy() + 1) * 127.5).astype("uint8")).save(p)
        paths[c] = str(p)
    return paths


def run(tmp_path, monkeypatch, *args):
    monkeypatch.setenv("GENZOO_STORE", str(tmp_path / "store"))
    monkeypatch.setenv("GENZOO_OFFLINE", "1")
    res = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return res


def test_sample_grid_npy_and_label(tmp_path, monkeypatch):
    res = run(
        tmp_path,
        monkeypatch,
        "sample",
        "cgan-mnist",
        "-n",
        "8",
        "--label",
        "7",
        "-o",
        str(tmp_path / "s.png"),
        "--npy",
        str(tmp_path / "s.npy"),
    )
    assert res.exit_code == 0, res.output
    assert np.load(tmp_path / "s.npy").shape == (8, 1, 32, 32)
    res = run(tmp_path, monkeypatch, "sample", "cgan-mnist", "--label", "12")
    assert res.exit_code == 1 and "out of range" in res.output


def test_interpolate_seeds_and_encoded_images(tmp_path, monkeypatch, digits):
    res = run(
        tmp_path,
        monkeypatch,
        "interpolate",
        "dcgan-mnist",
        "--seeds",
        "1",
        "2",
        "3",
        "--steps",
        "4",
        "--slerp",
        "-o",
        str(tmp_path / "m.gif"),
    )
    assert res.exit_code == 0 and "wrote 7 frames" in res.output, res.output
    res = run(
        tmp_path,
        monkeypatch,
        "interpolate",
        "vae-mnist",
        "--images",
        digits[0],
        digits[9],
        "--steps",
        "5",
        "-o",
        str(tmp_path / "v.png"),
    )
    assert res.exit_code == 0 and "wrote 5 frames" in res.output, res.output
    res = run(tmp_path, monkeypatch, "interpolate", "dcgan-mnist", "--images", digits[0], digits[9])
    assert res.exit_code == 1 and "no encoder" in res.output


def test_encode_reconstruct_arithmetic_anomaly(tmp_path, monkeypatch, digits):
    res = run(
        tmp_path,
        monkeypatch,
        "encode",
        "vae-mnist",
        digits[0],
        digits[1],
        "-o",
        str(tmp_path / "c.npy"),
    )
    assert res.exit_code == 0 and np.load(tmp_path / "c.npy").shape == (2, 16)
    res = run(
        tmp_path,
        monkeypatch,
        "reconstruct",
        "dae-mnist",
        digits[7],
        "--noise",
        "0.3",
        "-o",
        str(tmp_path / "r.png"),
    )
    assert res.exit_code == 0, res.output
    res = run(
        tmp_path,
        monkeypatch,
        "arithmetic",
        "vae-mnist",
        digits[7],
        digits[1],
        digits[0],
        "-o",
        str(tmp_path / "a.png"),
    )
    assert res.exit_code == 0, res.output
    res = run(tmp_path, monkeypatch, "anomaly", "ae-anomaly-mnist", digits[0], digits[7])
    lines = res.output.strip().splitlines()
    assert res.exit_code == 0 and lines[0].startswith("normal") and lines[1].startswith("ANOMALY")
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"not an image")
    res = run(tmp_path, monkeypatch, "encode", "vae-mnist", str(bad))
    assert res.exit_code == 1 and "cannot read image" in res.output


def test_tabular_sample_and_translate(tmp_path, monkeypatch):
    rows = tmp_path / "b.csv"
    res = run(
        tmp_path,
        monkeypatch,
        "sample",
        "radialgan-breast-cancer",
        "--domain",
        "hospital_b",
        "-n",
        "20",
        "-o",
        str(rows),
    )
    assert res.exit_code == 0, res.output
    res = run(
        tmp_path,
        monkeypatch,
        "translate",
        "radialgan-breast-cancer",
        str(rows),
        "--from",
        "hospital_b",
        "--to",
        "hospital_c",
        "-o",
        str(tmp_path / "c.csv"),
    )
    assert res.exit_code == 0 and "wrote 20 rows of hospital_c" in res.output, res.output
    res = run(tmp_path, monkeypatch, "sample", "radialgan-breast-cancer")
    assert res.exit_code == 1 and "--domain" in res.output


def test_style_mixing_grid(tmp_path, monkeypatch):
    coarse, fine = tmp_path / "coarse.png", tmp_path / "fine.png"
    for out, layers in ((coarse, "coarse"), (fine, "fine")):
        res = run(
            tmp_path,
            monkeypatch,
            "mix",
            "stylegan-mnist",
            "--rows",
            "1,2",
            "--cols",
            "3,4,5",
            "--layers",
            layers,
            "-o",
            str(out),
        )
        assert res.exit_code == 0, res.output
    a, b = np.asarray(Image.open(coarse), float), np.asarray(Image.open(fine), float)
    assert a.shape == b.shape and a.shape[1] > a.shape[0]  # 3 rows × 4 columns of cells
    h = a.shape[0] // 3
    assert np.array_equal(a[:h], b[:h])  # the columns' own images are the same on top
    assert np.abs(a[h:] - b[h:]).mean() > 1  # coarse and fine mixes differ
    res = run(tmp_path, monkeypatch, "mix", "dcgan-mnist", "--rows", "1", "--cols", "2")
    assert res.exit_code == 1 and "no styles to mix" in res.output
    res = run(tmp_path, monkeypatch, "mix", "stylegan-mnist", "--rows", "1", "--cols", "x")
    assert res.exit_code == 2 and "--cols" in res.output
