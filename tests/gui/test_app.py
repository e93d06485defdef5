"""The app driven as a person uses it (pytest-qt, offscreen), with screenshots of each view.

Screenshots go to $GENZOO_SCREENSHOTS when set (docs/screenshots for the README), else to a
temporary folder.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from genzoo.settings import Settings
from genzoo.zoo import Zoo
from genzoo_gui import render as render_mod
from genzoo_gui.app import MainWindow

pytestmark = pytest.mark.gui


@pytest.fixture
def shots(tmp_path):
    folder = Path(os.environ.get("GENZOO_SCREENSHOTS") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def window(qtbot, tmp_path):
    zoo = Zoo(settings=Settings(store_dir=tmp_path / "store", cache_dir=tmp_path / "cache"))
    win = MainWindow(zoo=zoo, state_file=tmp_path / "state.json")
    qtbot.addWidget(win)
    win.show()
    return win


def wait_for_frame(qtbot, win, label=None):
    label = label or win.canvas
    before = label.pixmap().cacheKey() if label.pixmap() else None
    qtbot.waitUntil(
        lambda: (
            label.pixmap() is not None
            and not label.pixmap().isNull()
            and label.pixmap().cacheKey() != before
        ),
        timeout=10000,
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
