"""The Encode and Latent map views driven as a person uses them (pytest-qt, offscreen), with the
shipped autoencoders and VAE, and screenshots of each view.

The views are built standalone (no main window) on one model cache shared by the module, so each
model and the held-out digits load once. Screenshots go to $GENZOO_SCREENSHOTS when set, else to
a temporary folder.
"""

from __future__ import annotations

import random
import threading

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QFileDialog

from genzoo.settings import Settings
from genzoo.zoo import Zoo
from genzoo_gui import render as render_mod
from genzoo_gui.encode_view import EncodeView, dropped_file
from genzoo_gui.latent_map_view import LatentMapView
from genzoo_gui.render import AutoencodeRequest, LatentMapResult, ModelCache

pytestmark = pytest.mark.gui

SIZE = (800, 560)  # about the main window's tab area


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("zoo")
    return ModelCache(Zoo(settings=Settings(store_dir=tmp / "store", cache_dir=tmp / "cache")), 6)


@pytest.fixture(scope="module")
def digits(tmp_path_factory, cache):
    """Digit → a 28×28 grey PNG of a held-out MNIST image of that class (mnist5k's test split,
    loaded once into the cache the views share)."""
    data = render_mod._held_out(cache, cache.get("ae-mnist"), 500)
    assert data.info["split"].startswith("test")
    folder = tmp_path_factory.mktemp("digits")
    out = {}
    for d in range(10):
        i = int(np.nonzero(data.y.numpy() == d)[0][0])
        arr = ((data.x[i, 0].numpy() + 1) * 127.5).round().astype(np.uint8)
        out[d] = folder / f"digit-{d}.png"
        Image.fromarray(arr).save(out[d])
    return out


@pytest.fixture
def messages():
    return []


def encode_view(qtbot, cache, messages, entry):
    view = EncodeView(cache, messages.append)
    qtbot.addWidget(view)
    view.resize(*SIZE)
    view.show()
    view.set_entry(cache.zoo.entry(entry))
    view.activate()
    return view


def wait_result(qtbot, view, before, timeout=10000):
    qtbot.waitUntil(lambda: view.result is not None and view.result is not before, timeout=timeout)
    return view.result


def as_float(arr):
    return arr.astype(np.float64) / 127.5 - 1


def blank_mse(arr):
    """The error of an empty (black) guess: what a useless reconstruction scores."""
    return float(((as_float(arr) + 1) ** 2).mean())


def test_open_an_image_reconstruct_and_denoise(qtbot, cache, digits, messages, shots, monkeypatch):
    view = encode_view(qtbot, cache, messages, "dae-mnist")
    assert view.open_button.isEnabled() and view.input.pixmap().isNull()
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(digits[0]), "Images"))
    qtbot.mouseClick(view.open_button, Qt.MouseButton.LeftButton)
    res = wait_result(qtbot, view, None)
    assert res.thread != threading.main_thread().name
    assert res.input.shape == (28, 28, 1) and res.note == "28×28 grey image, used as is"
    assert view.trained.text() == "dae-mnist was trained to undo 30% of pixels masked."
    original = np.asarray(Image.open(digits[0]))[..., None]
    assert np.abs(res.input.astype(int) - original).max() <= 1  # the input as it was written
    mse = float(((as_float(res.reconstruction) - as_float(res.input)) ** 2).mean())
    assert mse < 0.2 * blank_mse(res.input) and abs(mse - res.score) < 2e-3
    assert f"MSE {res.score:.4f}" in view.reconstruction.caption.text()
    # the denoising autoencoder undoes most of the masking noise it was trained on
    assert res.denoised_mse < 0.5 * res.noisy_mse
    assert f"MSE {res.denoised_mse:.4f}" in view.denoised.caption.text()
    assert not view.input.pixmap().isNull() and view.input.pixmap().width() >= 140
    assert view.verdict.text() == "no threshold"
    assert "dae-mnist has no calibrated threshold" in view.details.text()

    # drop a large colour copy onto the view: converted like `genzoo reconstruct` converts it
    # (a wide canvas with the digit in the middle: the reader centre-crops, then resizes)
    digit = Image.open(digits[0]).convert("RGB").resize((84, 84), Image.Resampling.NEAREST)
    big = Image.new("RGB", (112, 84))
    big.paste(digit, (14, 0))
    big.save(digits[0].with_name("big.png"))
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(digits[0].with_name("big.png")))])
    assert view.acceptDrops() and dropped_file(mime) == str(digits[0].with_name("big.png"))
    drop = QDropEvent(
        QPointF(200, 200),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    view.dropEvent(drop)
    res = wait_result(qtbot, view, res)
    assert res.note == "112×84 RGB converted to 28×28 grey"
    assert view.note.text() == res.note
    view.grab().save(str(shots / "encode.png"))

    before = res
    view.noise.setValue(60)  # drag the noise slider: debounced, one new result
    res = wait_result(qtbot, view, before)
    assert "60% masked" in view.noisy.caption.text() and res.noisy_mse > before.noisy_mse

    view.set_entry(cache.zoo.entry("ae-mnist"))  # the same image through a plain autoencoder
    res = wait_result(qtbot, view, res)
    assert "not trained to denoise" in view.trained.text()
    assert res.score < 0.15 * blank_mse(res.input)
    assert any("ae-mnist" in m and "reconstruction MSE" in m for m in messages)


def test_anomaly_verdict_against_the_calibrated_threshold(qtbot, cache, digits, messages, shots):
    view = encode_view(qtbot, cache, messages, "ae-anomaly-mnist")
    view.open_path(str(digits[0]))  # the class it was trained on
    res = wait_result(qtbot, view, None)
    threshold = res.threshold["threshold"]
    assert res.score < 0.5 * threshold
    assert view.verdict.text() == "normal" and "#2e7d32" in view.verdict.styleSheet()
    assert f"{res.score:.4f} ≤ threshold {threshold:.4f}" in view.details.text()
    view.open_path(str(digits[7]))  # a clear anomaly
    res = wait_result(qtbot, view, res)
    assert res.score > 1.5 * threshold
    assert view.verdict.text() == "anomalous" and "#c62828" in view.verdict.styleSheet()
    assert f"{res.score:.4f} > threshold {threshold:.4f}" in view.details.text()
    view.grab().save(str(shots / "encode-anomaly.png"))
    # Qt-free, what the view shows for one held-out image of each other digit
    scores = {
        d: render_mod.render(AutoencodeRequest("ae-anomaly-mnist", str(digits[d]), 0.0), cache)
        for d in range(1, 10)
    }
    flagged = [d for d, r in scores.items() if r.score > threshold]
    assert len(flagged) >= 7, {d: round(r.score, 3) for d, r in scores.items()}


def test_a_held_out_digit(qtbot, cache, messages, monkeypatch):
    monkeypatch.setattr("genzoo_gui.encode_view.random", random.Random(0))  # picks image 432
    view = encode_view(qtbot, cache, messages, "vae-mnist")
    qtbot.mouseClick(view.held_out_button, Qt.MouseButton.LeftButton)
    res = wait_result(qtbot, view, None)
    assert res.note.startswith("held-out image ") and "(mnist5k test split)" in res.note
    index = view.source[1]
    assert index == 432 and "held-out image 432" in view.note.text()
    data = render_mod._held_out(cache, cache.get("vae-mnist"), 500)
    expected = ((data.x[index, 0].numpy() + 1) * 127.5).round()
    assert np.abs(res.input[..., 0].astype(float) - expected).max() <= 1
    assert f"a {int(data.y[index])}" in res.note
    assert res.score < 0.5 * blank_mse(res.input)


def test_bad_files_are_messages_and_the_view_lives(qtbot, cache, digits, tmp_path, messages):
    view = encode_view(qtbot, cache, messages, "ae-mnist")
    text = tmp_path / "notes.txt"
    text.write_text("not an image")
    view.open_path(str(text))
    qtbot.waitUntil(lambda: "cannot read image" in view.message.text(), timeout=10000)
    assert messages[-1].startswith("error: DataError") and str(text) in messages[-1]
    assert view.input.pixmap().isNull() and view.input.image.text() == "no image"
    view.noise.setValue(50)  # nothing to resend: the failed file is forgotten
    qtbot.wait(100)
    assert messages[-1].startswith("error:") and view.result is None
    view.open_path(str(tmp_path / "missing.png"))
    qtbot.waitUntil(lambda: "no such image file" in view.message.text(), timeout=10000)
    view.open_path(str(digits[7]))
    res = wait_result(qtbot, view, None)
    assert res.score < 0.5 * blank_mse(res.input) and not view.input.pixmap().isNull()
    assert "Could not" not in view.message.text() and view.isVisible()


def test_entries_that_cannot_encode_disable_the_views(qtbot, cache, digits, messages):
    enc = encode_view(qtbot, cache, messages, "dcgan-mnist")
    lat = LatentMapView(cache, messages.append)
    qtbot.addWidget(lat)
    lat.show()
    submitted = []
    for v in (enc, lat):
        v.renderer.submit = submitted.append
    expected = {
        "dcgan-mnist": "dcgan-mnist cannot encode images: pick an autoencoder or VAE.",
        "stylegan-ffhq": "stylegan-ffhq cannot encode images: pick an autoencoder or VAE.",
        "radialgan-breast-cancer": "radialgan-breast-cancer is a tabular model, it cannot "
        "encode images: pick an autoencoder or VAE.",
    }
    for name, words in expected.items():
        for v in (enc, lat):
            v.set_entry(cache.zoo.entry(name))
            v.activate()
        assert enc.message.text() == words and lat.title.text() == words
        assert not any(w.isEnabled() for w in enc.controls) and not lat.plot.isEnabled()
        enc.open_path(str(digits[0]))
        enc.use_held_out()
        qtbot.mouseClick(lat.plot, Qt.MouseButton.LeftButton, pos=QPoint(200, 200))
    enc.set_entry(None)
    assert "No entry selected" in enc.message.text()
    assert submitted == [] and not messages


def test_latent_map_vae_fills_the_prior_and_ae_has_holes(qtbot, cache, messages, shots):
    view = LatentMapView(cache, messages.append)
    qtbot.addWidget(view)
    view.resize(*SIZE)
    view.set_entry(cache.zoo.entry("vae-mnist"))  # hidden: lazy, nothing computed yet
    qtbot.wait(50)
    assert view.pending is None and not view.maps
    view.show()
    view.activate()
    qtbot.waitUntil(lambda: "vae-mnist" in view.maps, timeout=15000)
    vae = view.maps["vae-mnist"]
    assert isinstance(vae, LatentMapResult) and vae.codes.shape == (500, 2)
    assert vae.thread != threading.main_thread().name
    assert set(np.unique(vae.labels)) == set(range(10)) and vae.prior.shape == (500, 2)
    # a VAE's codes sit where its prior's draws do; √16 = 4 is the prior's typical length
    assert vae.samples and abs(vae.code_norm - vae.prior_norm) < 0.25 * vae.prior_norm
    assert "is a VAE" in view.caption.text() and f"{vae.code_norm:.2f}" in view.caption.text()
    assert "500 held-out images (mnist5k, test split)" in view.title.text()

    # the map's lift is the projection's inverse on the plane: a code's 2-D point comes back
    x, y = vae.codes[0]
    lifted = np.array(vae.code_at(float(x), float(y)))
    assert np.allclose((lifted - vae.mean) @ vae.basis.T, [x, y], atol=1e-4)

    i = int(np.argmax(vae.labels == 1))  # click a code of a 1
    pos = view.plot.to_pixel(*vae.codes[i]).toPoint()
    qtbot.mouseClick(view.plot, Qt.MouseButton.LeftButton, pos=pos)
    qtbot.waitUntil(lambda: not view.decoded.pixmap().isNull(), timeout=10000)
    assert len(view.decoded_code) == 16 and "map point" in view.point.text()
    again = render_mod.render(render_mod.DecodeRequest("vae-mnist", view.decoded_code), cache)
    assert (view.decoded_frame == again.frames[0]).all() and view.decoded_frame.shape == (28, 28, 1)
    assert view.decoded_frame.max() > 200  # a bright stroke, not an empty image
    assert view.decoded.pixmap().width() >= 140
    view.grab().save(str(shots / "latent-map-vae.png"))

    view.set_entry(cache.zoo.entry("ae-mnist"))  # visible: computed at once
    qtbot.waitUntil(lambda: "ae-mnist" in view.maps, timeout=15000)
    ae = view.maps["ae-mnist"]
    # a plain autoencoder's codes are nowhere near N(0, I): √32 ≈ 5.7 against their length
    assert not ae.samples and ae.code_norm > 2.5 * ae.prior_norm
    assert "holes" in view.caption.text() and "plain autoencoder" in view.caption.text()
    far = int(np.argmax(((ae.prior - ae.codes.mean(0)) ** 2).sum(1)))  # click a prior draw
    qtbot.mouseClick(
        view.plot, Qt.MouseButton.LeftButton, pos=view.plot.to_pixel(*ae.prior[far]).toPoint()
    )
    qtbot.waitUntil(lambda: not view.decoded.pixmap().isNull(), timeout=10000)
    view.grab().save(str(shots / "latent-map-ae.png"))

    submitted = []
    view.renderer.submit = submitted.append
    view.set_entry(cache.zoo.entry("vae-mnist"))  # kept per entry: shown without a new run
    view.activate()
    assert submitted == [] and "is a VAE" in view.caption.text()
    assert not any(m.startswith("error") for m in messages)
