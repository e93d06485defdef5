"""Data sources: image folders and .npz arrays load, convert and crop; bad data gives one clear
:class:`DataError` naming the file or folder (never a bare KeyError or IndexError), and bad files
in a folder are skipped and counted."""

from __future__ import annotations

import logging

import numpy as np
import pytest
import torch
import yaml
from click.testing import CliRunner
from PIL import Image

from genzoo.data import to_model_images
from genzoo.errors import DataError
from genzoo.images import read_images
from genzoo_plugins.data.sources import image_folder, npz_arrays


def png(path, array, mode=None):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.asarray(array, dtype=np.uint8), mode).save(path)
    return path


def grey(value, h=12, w=12):
    return np.full((h, w), value, np.uint8)


def truncated_png(path):
    noise = np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    png(path, noise)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


# -- image folders: errors ------------------------------------------------------------------
def test_a_missing_folder_or_a_file_is_named(tmp_path):
    missing = tmp_path / "no" / "such"
    with pytest.raises(DataError, match=rf"^image folder {missing} does not exist$"):
        image_folder(str(missing))
    afile = png(tmp_path / "one.png", grey(0))
    with pytest.raises(DataError, match=rf"^image folder {afile} is not a folder$"):
        image_folder(str(afile))


def test_a_folder_without_images(tmp_path):
    (tmp_path / "notes.txt").write_text("no images here")
    (tmp_path / "sub").mkdir()
    with pytest.raises(DataError, match=rf"^image folder {tmp_path} holds no images \(.*\.png"):
        image_folder(str(tmp_path))


def test_unreadable_files_are_skipped_counted_and_logged(tmp_path, caplog):
    for i in range(3):
        png(tmp_path / f"good{i}.png", grey(50 * i))
    (tmp_path / "text.png").write_text("not an image at all")
    truncated_png(tmp_path / "truncated.png")
    with caplog.at_level(logging.WARNING, logger="genzoo_plugins.data.sources"):
        data = image_folder(str(tmp_path), channels=1, size=8)
    assert len(data) == 3 and data.x.shape == (3, 1, 8, 8)
    assert data.info["skipped"] == 2
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    msg = warnings[0].getMessage()
    assert f"skipped 2 unreadable image(s) of 5 in {tmp_path}" in msg
    assert "text.png: cannot read image (not a file Pillow can read)" in msg
    assert "\n" not in msg


def test_clean_folder_reports_zero_skipped(tmp_path, caplog):
    png(tmp_path / "a.png", grey(0))
    with caplog.at_level(logging.WARNING):
        assert image_folder(str(tmp_path), channels=1, size=8).info["skipped"] == 0
    assert not caplog.records


def test_a_folder_where_nothing_is_readable(tmp_path):
    (tmp_path / "a.png").write_text("text")
    truncated_png(tmp_path / "b.png")
    with pytest.raises(DataError, match=r"none of 2 images could be read, e\.g\. .*a\.png"):
        image_folder(str(tmp_path), channels=1, size=8)


# -- image folders: labels, channels, sizes, crops -----------------------------------------
def test_labels_come_from_sub_folders(tmp_path):
    for name, n in (("cats", 2), ("dogs", 3)):
        for i in range(n):
            png(tmp_path / name / f"{i}.png", grey(40 * i))
    png(tmp_path / "dogs" / "deeper" / "x.png", grey(9))  # label of its top sub-folder
    data = image_folder(str(tmp_path), channels=1, size=8)
    assert data.class_names == ["cats", "dogs"]
    assert data.y.tolist() == [0, 0, 1, 1, 1, 1]
    cats = image_folder(str(tmp_path), channels=1, size=8, classes=[0])
    assert cats.y.tolist() == [0, 0]
    # one image at the top: not every image has a sub-folder, so no labels
    png(tmp_path / "loose.png", grey(0))
    unlabelled = image_folder(str(tmp_path), channels=1, size=8)
    assert unlabelled.y is None and unlabelled.class_names is None and len(unlabelled) == 7


def test_grey_and_rgb_convert_and_resize_to_the_spec(tmp_path):
    png(tmp_path / "g" / "grey.png", grey(255, 20, 20))
    red = np.zeros((20, 20, 3), np.uint8)
    red[..., 0] = 255
    png(tmp_path / "c" / "red.png", red)
    rgb = image_folder(str(tmp_path / "g"), channels=3, size=8)
    assert rgb.x.shape == (1, 3, 8, 8) and rgb.x.dtype == torch.float32
    assert torch.allclose(rgb.x, torch.ones_like(rgb.x))  # white on all three channels
    grey1 = image_folder(str(tmp_path / "c"), channels=1, size=16)
    assert grey1.x.shape == (1, 1, 16, 16)
    # Pillow's luma: L = 0.299 R → 76 of 255
    assert torch.allclose(grey1.x, torch.full_like(grey1.x, 76 / 127.5 - 1), atol=1e-6)
    # RGBA for 4-channel models; grey gets an opaque alpha
    rgba = image_folder(str(tmp_path / "g"), channels=4, size=8)
    assert rgba.x.shape == (1, 4, 8, 8) and torch.allclose(rgba.x, torch.ones_like(rgba.x))


def stripes(h, w):
    """Black edges, a white centre square of side min(h, w)."""
    a = np.zeros((h, w), np.uint8)
    s = min(h, w)
    top, left = (h - s) // 2, (w - s) // 2
    a[top : top + s, left : left + s] = 255
    return a


@pytest.mark.parametrize("h,w", [(10, 30), (40, 16)])
def test_non_square_images_are_centre_cropped_not_squashed(tmp_path, h, w):
    png(tmp_path / "wide.png", stripes(h, w))
    x = image_folder(str(tmp_path), channels=1, size=8).x
    assert x.shape == (1, 1, 8, 8)
    # squashed, the black edges would show; cropped, only the white centre is left
    assert torch.allclose(x, torch.ones_like(x))
    assert torch.allclose(read_images([tmp_path / "wide.png"], (1, 8, 8)), x)
    arrays = to_model_images(stripes(h, w)[None], 1, 8)  # .npz / array inputs alike
    assert torch.allclose(arrays, torch.ones_like(arrays), atol=1e-6)


@pytest.mark.parametrize("channels", [2, 5])
def test_an_unsupported_channel_count_is_a_data_error(tmp_path, channels):
    png(tmp_path / "a.png", grey(0))
    with pytest.raises(DataError, match=rf"image folder {tmp_path}: cannot read images as "):
        image_folder(str(tmp_path), channels=channels, size=8)
    with pytest.raises(DataError, match=rf"a\.png: cannot read images as {channels} channels"):
        read_images([tmp_path / "a.png"], (channels, 8, 8))


def test_read_images_names_a_missing_or_unreadable_file(tmp_path):
    with pytest.raises(DataError, match=r"nope\.png: no such image file"):
        read_images([tmp_path / "nope.png"], (1, 8, 8))
    bad = truncated_png(tmp_path / "bad.png")
    with pytest.raises(DataError, match=rf"^{bad}: cannot read image \("):
        read_images([bad], (3, 8, 8))


# -- .npz arrays ---------------------------------------------------------------------------
def test_npz_loads_with_labels_and_layouts(tmp_path):
    x = np.random.default_rng(0).integers(0, 256, (6, 10, 10, 3), dtype=np.uint8)
    np.savez(tmp_path / "d.npz", x=x, y=np.array([0, 1, 2, 0, 1, 2]))
    data = npz_arrays(str(tmp_path / "d.npz"), channels=3, size=8)
    assert data.x.shape == (6, 3, 8, 8) and data.y.tolist() == [0, 1, 2, 0, 1, 2]
    np.savez(tmp_path / "two.npz", x=np.zeros((4, 8, 8, 2), np.uint8))  # channels-last, 2
    assert npz_arrays(str(tmp_path / "two.npz"), channels=2, size=8).x.shape == (4, 2, 8, 8)


def test_npz_errors_name_the_file(tmp_path):
    p = tmp_path / "d.npz"
    with pytest.raises(DataError, match=rf"^{p}: no such \.npz file$"):
        npz_arrays(str(p))
    np.savez(p, images=np.zeros((4, 8, 8), np.uint8))
    with pytest.raises(DataError, match=rf"^{p}: needs an array named 'x' \(found \['images'\]\)"):
        npz_arrays(str(p))
    np.savez(p, x=np.zeros((4, 64), np.uint8))
    with pytest.raises(DataError, match=rf"^{p}: expected images of shape .*got \(4, 64\)$"):
        npz_arrays(str(p), channels=1, size=8)
    np.savez(p, x=np.zeros((4, 8, 8, 2), np.uint8))
    with pytest.raises(DataError, match=rf"^{p}: images of shape .* have 2 channels; the model"):
        npz_arrays(str(p), channels=1, size=8)
    np.savez(p, x=np.zeros((10, 8, 8), np.uint8), y=np.zeros(9, np.int64))
    with pytest.raises(DataError, match=rf"^{p}: 10 images but 9 labels$"):
        npz_arrays(str(p), channels=1, size=8)
    with pytest.raises(DataError, match="10 images but 9 labels"):  # not an IndexError
        npz_arrays(str(p), channels=1, size=8, classes=[0])
    np.savez(p, x=np.zeros((10, 8, 8), np.uint8), y=np.zeros((10, 2)))
    with pytest.raises(DataError, match=r"labels must have shape \(N,\).*got \(10, 2\)"):
        npz_arrays(str(p), channels=1, size=8)
    np.savez(p, x=np.zeros((3, 8, 8), np.uint8), y=np.array([0.0, 0.5, 1.0]))
    with pytest.raises(DataError, match="labels must be integers"):
        npz_arrays(str(p), channels=1, size=8)
    p.write_text("not an archive")
    with pytest.raises(DataError, match=rf"^{p}: not a \.npz archive"):
        npz_arrays(str(p))
    np.save(tmp_path / "a.npy", np.zeros((2, 8, 8)))
    (tmp_path / "a.npy").rename(p)
    with pytest.raises(DataError, match=rf"^{p}: a single \.npy array"):
        npz_arrays(str(p))


# -- the command line ----------------------------------------------------------------------
def test_train_with_a_missing_folder_is_one_line_and_exit_1(tmp_path, monkeypatch):
    from genzoo.cli import cli

    monkeypatch.setenv("GENZOO_STORE", str(tmp_path / "store"))
    monkeypatch.setenv("GENZOO_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("GENZOO_OFFLINE", "1")
    monkeypatch.delenv("GENZOO_DEBUG", raising=False)
    spec = {
        "name": "tiny-gan",
        "family": "gan",
        "data": {"channels": 1, "size": 8},
        "latent": {"dim": 4},
        "arch": {"g_hidden": [8], "d_hidden": [8]},
        "training": {"batch_size": 4, "steps": 1},
    }
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(spec))
    missing = tmp_path / "missing" / "folder"
    args = ["train", str(path), "--data", str(missing), "--out", str(tmp_path / "run")]
    res = CliRunner().invoke(cli, args)
    assert res.exit_code == 1, res.output
    assert isinstance(res.exception, SystemExit)  # handled, not a crash
    assert res.output.splitlines() == [f"error: image folder {missing} does not exist"]
    assert "Traceback" not in res.output
    assert not (tmp_path / "run").exists()


def test_exif_orientation_is_applied_before_cropping(tmp_path):
    """A photo stored sideways with EXIF orientation 6 (rotate 90° clockwise to view) is read
    upright: the stored 40×20 image, white left half, is viewed 20×40 with the white half on
    top, so the centre square's top half is white and its bottom half black."""
    from PIL import Image

    a = np.zeros((20, 40), np.uint8)
    a[:, :20] = 255
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation
    Image.fromarray(a).save(tmp_path / "photo.png", exif=exif)
    for x in (read_images([tmp_path / "photo.png"], (1, 8, 8)),
              image_folder(str(tmp_path), channels=1, size=8).x):  # fmt: skip
        top, bottom = x[0, 0, :3].mean().item(), x[0, 0, -3:].mean().item()
        assert top > 0.9 and bottom < -0.9, (top, bottom)


def _broken_source(channels, size, path="x"):
    return len(3)  # a TypeError inside the source


def test_options_a_source_does_not_take_are_named_but_its_own_type_errors_are_not_hidden(
    tmp_path,
):
    """An option the source's function does not take is a DataError that names the options it
    does take; a TypeError raised *inside* the source is a bug there and keeps its traceback
    (it used to be reported as "bad options" too)."""
    import types

    from genzoo.plugins import hookimpl
    from genzoo.registry import DataSource
    from genzoo.settings import Settings
    from genzoo.spec.model import ModelSpec
    from genzoo.train import load_data
    from genzoo.zoo import Zoo

    @hookimpl
    def genzoo_register_data_sources(register):
        register(DataSource("broken", f"{__name__}:_broken_source", kind="image"))

    plugin = types.ModuleType("broken_source")
    plugin.genzoo_register_data_sources = genzoo_register_data_sources
    import genzoo_plugins.gan as gan

    settings = Settings(store_dir=tmp_path / "s", cache_dir=tmp_path / "c", offline=True)
    zoo = Zoo(settings=settings, plugins=[("gan", gan), ("broken", plugin)], discover=False)
    arch = {"g_hidden": [8], "d_hidden": [8]}
    data = {"channels": 1, "size": 8}
    spec = zoo.resolve({"name": "g", "family": "gan", "data": data, "latent": {"dim": 4},
                        "arch": arch})  # fmt: skip
    assert isinstance(spec, ModelSpec)
    with pytest.raises(DataError, match=r"'broken': bad options .*colour.*it takes channels, "):
        load_data(zoo, spec, "broken", {"colour": "red"})
    with pytest.raises(TypeError, match="has no len"):
        load_data(zoo, spec, "broken", {})
