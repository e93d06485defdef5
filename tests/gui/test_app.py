"""The app driven as a person uses it (pytest-qt, offscreen), with screenshots of each view.

Screenshots go to $GENZOO_SCREENSHOTS when set (docs/screenshots for the README), else to a
temporary folder.
"""

from __future__ import annotations

import os
import threading

import pytest
from PySide6.QtCore import Qt

from genzoo.settings import Settings
from genzoo.zoo import Zoo
from genzoo_gui import render as render_mod
from genzoo_gui.app import MainWindow

pytestmark = pytest.mark.gui


@pytest.fixture
def window(qtbot, tmp_path):
    zoo = Zoo(settings=Settings(store_dir=tmp_path / "store", cache_dir=tmp_path / "cache"))
    win = MainWindow(zoo=zoo, state_file=tmp_path / "state.json")
    qtbot.addWidget(win)
    win.show()
    return win


def wait_for_frame(qtbot, win, label=None, timeout=10000):
    label = label or win.canvas
    before = label.pixmap().cacheKey() if label.pixmap() else None
    qtbot.waitUntil(
        lambda: (
            label.pixmap() is not None
            and not label.pixmap().isNull()
            and label.pixmap().cacheKey() != before
        ),
        timeout=timeout,
    )


def test_browse_sample_and_change_seed(qtbot, window, shots, monkeypatch):
    threads = []
    real = render_mod.render

    def spy(req, cache):
        res = real(req, cache)
        threads.append(res.thread)
        return res

    monkeypatch.setattr("genzoo_gui.workers.render", spy)
    names = [window.entries.item(i).text() for i in range(window.entries.count())]
    assert any(n.startswith("dcgan-mnist") for n in names)
    window.search.setText("dcgan")  # by name or family: dcgan-mnist, cgan-mnist, wgan-gp-mnist
    assert window.entries.count() == 3
    window.search.setText("dcgan-mnist")
    assert window.entries.count() == 1
    window.select("dcgan-mnist")
    wait_for_frame(qtbot, window)
    assert "dcgan-mnist" in window.card.toPlainText()
    assert "seed 0" in window.status.currentMessage()
    qtbot.keyClick(window, Qt.Key.Key_Right)  # next seed
    wait_for_frame(qtbot, window)
    assert window.seed.value() == 1 and "seed 1" in window.status.currentMessage()
    window.psi.setValue(50)  # drag the truncation slider
    wait_for_frame(qtbot, window)
    assert "ψ 0.50" in window.status.currentMessage()
    assert threads and all(t != threading.main_thread().name for t in threads)
    window.grab().save(str(shots / "sample.png"))
    out = shots.parent / "grid.png" if "GENZOO_SCREENSHOTS" not in os.environ else None
    if out:
        window.save_image(str(out))
        assert out.stat().st_size > 0


def test_class_picker_for_conditional_models(qtbot, window, shots):
    window.select("cgan-mnist")
    wait_for_frame(qtbot, window)
    assert window.label.isEnabled() and window.label.count() == 10
    window.label.setCurrentIndex(7)
    wait_for_frame(qtbot, window)
    assert window.sample_request().label == 7
    window.grab().save(str(shots / "conditional.png"))


def test_interpolation_plays_and_exports(qtbot, window, shots, tmp_path):
    window.select("dcgan-mnist")
    wait_for_frame(qtbot, window)
    window.tabs.setCurrentIndex(1)
    window.steps.setValue(6)
    window.request_interpolation()
    qtbot.waitUntil(lambda: len(window.frames) == 6, timeout=10000)
    window.toggle_play()
    qtbot.waitUntil(lambda: window.scrub.value() >= 2, timeout=5000)
    window.toggle_play()
    assert not window.timer.isActive()
    gif = tmp_path / "i.gif"
    window.export_interpolation(str(gif))
    assert gif.stat().st_size > 0
    window.grab().save(str(shots / "interpolate.png"))


def test_a_model_that_raises_shows_an_error_and_the_app_lives(qtbot, window, monkeypatch):
    window.select("dcgan-mnist")
    wait_for_frame(qtbot, window)

    def boom(req, cache):
        raise RuntimeError("the model fell over")

    monkeypatch.setattr("genzoo_gui.workers.render", boom)
    window.step_seed(1)
    qtbot.waitUntil(lambda: "the model fell over" in window.status.currentMessage(), timeout=5000)
    monkeypatch.undo()
    window.step_seed(1)
    wait_for_frame(qtbot, window)
    assert window.isVisible()


def test_state_is_remembered(qtbot, tmp_path):
    zoo = Zoo(settings=Settings(store_dir=tmp_path / "store", cache_dir=tmp_path / "cache"))
    win = MainWindow(zoo=zoo, state_file=tmp_path / "state.json")
    qtbot.addWidget(win)
    win.select("dcgan-mnist")
    win.seed.setValue(42)
    win.close()
    again = MainWindow(zoo=zoo, state_file=tmp_path / "state.json")
    qtbot.addWidget(again)
    assert again.state.entry == "dcgan-mnist" and again.seed.value() == 42


def test_latent_editing_with_sliders_reset_and_undo(qtbot, window, shots):
    window.select("dcgan-mnist")
    wait_for_frame(qtbot, window)
    window.tabs.setCurrentIndex(2)  # Edit: directions are computed in a worker when missing
    assert "directions" in window.status.currentMessage()
    wait_for_frame(qtbot, window, window.ecanvas, timeout=60000)
    qtbot.waitUntil(lambda: window.slider_names[0].text().startswith("pca:0"), timeout=10000)

    def tiles():  # the frame shown: [pad | seed's sample | pad | edited | pad], 32 px each
        f = window.edit_frame
        return f[2:34, 2:34], f[2:34, 36:68]

    before, after = tiles()
    assert (before == after).all()  # no edit yet
    window.sliders[0].setValue(25)
    wait_for_frame(qtbot, window, window.ecanvas)
    before, after = tiles()
    assert (before != after).any()
    window.grab().save(str(shots / "edit.png"))
    window.sliders[1].setValue(-10)
    wait_for_frame(qtbot, window, window.ecanvas)
    window.undo_edit()
    assert [s.value() for s in window.sliders[:2]] == [25, 0]
    window.reset_edit()
    assert all(s.value() == 0 for s in window.sliders)
    window.method.setCurrentText("sefa")  # closed form from G's first layer
    qtbot.waitUntil(lambda: window.slider_names[0].text().startswith("sefa:0"), timeout=30000)
    window.select("ae-mnist")  # a plain autoencoder has no prior to draw edits from
    assert "does not sample" in window.ecanvas.text()
    window.select("vae-mnist")  # a VAE samples, but its decoder has no projection to factorise
    assert window.slider_names[0].text() == "–"  # no stale names from the last entry
    qtbot.waitUntil(lambda: "SeFa" in window.status.currentMessage(), timeout=30000)
    window.method.setCurrentText("pca")
    qtbot.waitUntil(lambda: window.slider_names[0].text().startswith("pca:0"), timeout=30000)
    assert window.isVisible()


def test_boundary_edit_moves_toward_the_class(tmp_path):
    """Qt-free: the edit the app shows pushes the digit classifier toward the chosen class."""
    import torch

    zoo = Zoo(settings=Settings(store_dir=tmp_path / "store", cache_dir=tmp_path / "cache"))
    cache = render_mod.ModelCache(zoo)
    model = zoo.load("dcgan-mnist")
    clf = zoo.registries.extractors.get("digits").function()()
    dirs, names = cache.directions("dcgan-mnist", "boundary")
    c = names.index("boundary:7")
    gains = []
    for seed in range(8):
        z0 = model.sample_latent(1, torch.Generator().manual_seed(seed))
        strengths = tuple(3.0 if i == c else 0.0 for i in range(c + 1))
        req = render_mod.EditRequest("dcgan-mnist", seed, None, "boundary", strengths)
        res = render_mod.render(req, cache)
        assert res.names[c] == "boundary:7" and res.frames[0].shape[1] > res.frames[0].shape[0]
        with torch.no_grad():
            x = model.decode(torch.cat([z0, z0 + 3.0 * dirs[c].view_as(z0)]))
            p = clf.probabilities(x)[:, 7] if hasattr(clf, "probabilities") else None
        if p is None:
            pred = clf.classify(x)
            gains.append(int(pred[1] == 7) - int(pred[0] == 7))
        else:
            gains.append(float(p[1] - p[0]))
    assert sum(gains) > 0


def tab(window, name):
    for i in range(window.tabs.count()):
        if window.tabs.tabText(i) == name:
            window.tabs.setCurrentIndex(i)
            return window.tabs.widget(i)
    raise AssertionError(name)


def test_a_picked_cell_is_a_reproducible_seed_and_an_endpoint(qtbot, window, tmp_path):
    import numpy as np
    from PIL import Image

    window.select("dcgan-mnist")
    window.seed.setValue(10)
    qtbot.waitUntil(lambda: "seed 10" in window.status.currentMessage(), timeout=10000)
    c = window.canvas
    pix = c.pixmap()
    left, top = (c.width() - pix.width()) / 2, (c.height() - pix.height()) / 2
    # the third cell of the first row of a 4×4 grid
    assert c.cell_at(left + pix.width() * 2.5 / 4, top + pix.height() * 0.5 / 4) == 2
    window.pick_cell(2)
    assert "seed 12" in window.picked.text()
    window.use_as_endpoint(1)
    assert window.seed_b.value() == 12
    out = tmp_path / "cell.png"
    window.save_cell(str(out))
    cell = np.asarray(Image.open(out))
    model = window.zoo.load("dcgan-mnist")
    x = model.sample(1, seed=12)[0, 0]  # what `genzoo sample dcgan-mnist -n 1 --seed 12` draws
    want = ((x.clamp(-1, 1) + 1) * 127.5).round().numpy()
    assert cell.shape == want.shape and np.abs(cell - want).max() <= 1


def test_style_mixing_takes_coarse_or_fine_styles_from_the_columns(qtbot, window, shots):
    import numpy as np

    window.select("stylegan-mnist")
    view = tab(window, "Mix")
    qtbot.waitUntil(lambda: view.frame is not None, timeout=30000)
    assert view.num_ws > 2 and "styles" in view.message.text()

    def cells(frame, n=5):  # (1 + 3 rows) × (1 + 4 columns) of 32 px with 2 px padding
        side = (frame.shape[0] - 2) // 4 - 2
        return [
            [frame[2 + r * (side + 2) :][:side, 2 + k * (side + 2) :][:, :side] for k in range(n)]
            for r in range(4)
        ]

    coarse = cells(view.frame)
    view.preset.setCurrentText("fine")
    qtbot.waitUntil(lambda: view.first.value() > 0, timeout=30000)
    fine = cells(view.frame)

    def diff(a, b):
        return float(np.abs(a.astype(float) - b.astype(float)).mean())

    # a mixed cell with fine styles from a column stays close to its row; with coarse ones, to
    # its column (the column gives the shape)
    near_row = np.mean([diff(fine[r][k], fine[r][0]) for r in (1, 2, 3) for k in (1, 2, 3, 4)])
    near_col = np.mean([diff(coarse[r][k], coarse[0][k]) for r in (1, 2, 3) for k in (1, 2, 3, 4)])
    coarse_row = np.mean(
        [diff(coarse[r][k], coarse[r][0]) for r in (1, 2, 3) for k in (1, 2, 3, 4)]
    )
    assert near_row < coarse_row and near_col < coarse_row
    window.grab().save(str(shots / "mix.png"))
    view.rows.setText("1 2 x")
    view.request()
    assert "seeds" in window.status.currentMessage()
    window.select("dcgan-mnist")
    assert not view.rows.isEnabled() and "no styles" in view.message.text()


def test_tabular_entries_show_a_table_of_rows(qtbot, window, shots, tmp_path):
    window.select("radialgan-breast-cancer")
    assert "does not sample images" in window.canvas.text()
    view = tab(window, "Table")
    qtbot.waitUntil(lambda: view.columns is not None, timeout=30000)
    assert view.domain.count() == 3 and view.table.rowCount() == 20
    first = view.table.horizontalHeaderItem(0).text()
    assert first in view.columns and view.table.columnCount() == len(view.columns)
    view.domain.setCurrentIndex(2)
    qtbot.waitUntil(lambda: "hospital_c" in window.status.currentMessage(), timeout=30000)
    out = tmp_path / "rows.csv"
    view.save_rows(str(out))
    assert out.read_text().count("\n") == 21
    window.grab().save(str(shots / "table.png"))


def test_the_window_stays_responsive_while_a_slow_model_renders(qtbot, window, monkeypatch):
    """A 1024² StyleGAN takes seconds per frame on a CPU: stand in for it with a render that
    sleeps, and check the GUI thread keeps answering meanwhile (typing filters the zoo, timers
    fire), and that only the newest request's frame is shown."""
    import time

    real = render_mod.render
    done = []

    def slow(req, cache):
        time.sleep(1.0)
        res = real(req, cache)
        done.append(req.seed)
        return res

    monkeypatch.setattr("genzoo_gui.workers.render", slow)
    window.select("dcgan-mnist")
    window.seed.setValue(5)
    window.request_samples()
    ticks = []
    timer = __import__("PySide6.QtCore", fromlist=["QTimer"]).QTimer(window, interval=20)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    timer.start()
    t0 = time.perf_counter()
    window.search.setText("vae")
    assert window.entries.count() == 1  # answered at once, while the model works
    window.search.setText("")
    window.seed.setValue(7)  # a newer request: the seed-5 frame must not be shown
    window.request_samples()
    qtbot.waitUntil(lambda: 7 in done, timeout=20000)
    qtbot.wait(50)
    timer.stop()
    gaps = [b - a for a, b in zip([t0, *ticks], ticks, strict=False)]
    assert len(ticks) > 20 and max(gaps) < 0.5, max(gaps)
    assert "seed 7" in window.status.currentMessage()
