"""The zoo browser as a person uses it: filters, pull from a local Hub (licence, progress,
cancel, failure), remove, and the settings dialog."""

from __future__ import annotations

import pytest

from genzoo.settings import Settings
from genzoo.zoo import Zoo
from genzoo_gui.app import MainWindow
from tests.hub.test_pull import REPO, remote_entry, weights_bytes
from tests.toy import toy_plugin

pytestmark = pytest.mark.gui


@pytest.fixture(autouse=True)
def _no_backoff(hf_no_backoff):
    """The Hub client's retry sleeps are made instant."""


@pytest.fixture
def hub_window(qtbot, tmp_path, fake_hub, make_zoo):
    data = weights_bytes(make_zoo)
    fake_hub.add_repo(REPO, {"model.safetensors": data})
    zoo_dir = tmp_path / "zoo"
    remote_entry(zoo_dir, data, restricted=True)
    settings = Settings(
        store_dir=tmp_path / "store", cache_dir=tmp_path / "cache", hub_endpoint=fake_hub.endpoint
    )
    zoo = Zoo(settings=settings, plugins=[("toy", toy_plugin)], zoo_paths=[zoo_dir])
    win = MainWindow(zoo=zoo, state_file=tmp_path / "state.json")
    qtbot.addWidget(win)
    win.show()
    return win


def messages(win):
    return win.status.currentMessage()


def test_family_and_task_filters(qtbot, hub_window):
    panel = hub_window.zoo_panel
    everything = panel.entries.count()
    panel.family.setCurrentIndex(panel.family.findData("autoencoder"))
    names = [panel.entries.item(i).data(256) for i in range(panel.entries.count())]
    assert names and all(hub_window.zoo.entry(n).spec.family == "autoencoder" for n in names)
    panel.family.setCurrentIndex(0)
    panel.task.setCurrentIndex(panel.task.findData("multi-domain"))
    assert [panel.entries.item(i).data(256) for i in range(panel.entries.count())] == [
        "radialgan-breast-cancer"
    ]
    panel.task.setCurrentIndex(0)
    assert panel.entries.count() == everything
    # local entries with sample grids get a thumbnail
    panel.select("dcgan-mnist")
    assert not panel.entries.currentItem().icon().isNull()


def test_pull_with_licence_progress_then_remove(qtbot, hub_window, fake_hub, shots):
    panel = hub_window.zoo_panel
    asked = []
    panel.confirm = lambda title, text: asked.append(text) or False
    hub_window.select("toy-remote")
    assert "not installed" in hub_window.canvas.text() and panel.pull.isEnabled()
    assert not panel.remove.isEnabled()
    n = fake_hub.count("GET")
    assert not panel.start_pull()  # licence refused: nothing downloaded
    assert "NVIDIA" in asked[0] and "not accepted" in messages(hub_window)
    assert fake_hub.count("GET") == n
    panel.confirm = lambda title, text: True
    seen = []
    panel.pulls.progress.connect(lambda d, t: seen.append((d, t)))
    assert panel.start_pull()
    assert panel.progress.isVisible() and panel.cancel.isVisible()
    qtbot.waitUntil(lambda: "installed toy-remote" in messages(hub_window), timeout=20000)
    assert seen and seen[-1][0] == seen[-1][1] > 0
    assert hub_window.zoo.entry("toy-remote").is_local and panel.remove.isEnabled()
    assert not panel.progress.isVisible()
    qtbot.waitUntil(
        lambda: hub_window.canvas.pixmap() is not None and not hub_window.canvas.pixmap().isNull(),
        timeout=10000,
    )
    hub_window.grab().save(str(shots / "pulled.png"))
    assert panel.remove_local()
    assert not hub_window.zoo.entry("toy-remote").is_local
    assert "removed toy-remote" in messages(hub_window)
    assert "not installed" in hub_window.canvas.text()


def test_cancel_and_failed_pulls_install_nothing_and_the_app_lives(qtbot, hub_window, fake_hub):
    panel = hub_window.zoo_panel
    panel.confirm = lambda title, text: True
    hub_window.select("toy-remote")
    fake_hub.delay(1.5, "*/resolve/*", times=None)
    assert panel.start_pull()
    assert not panel.start_pull()  # one pull at a time
    panel.cancel.click()
    qtbot.waitUntil(lambda: "cancelled" in messages(hub_window), timeout=20000)
    assert not hub_window.zoo.entry("toy-remote").is_local
    fake_hub.clear_faults()
    fake_hub.fail_next(status=503, times=None)
    assert panel.start_pull()
    qtbot.waitUntil(lambda: messages(hub_window).startswith("error: pull"), timeout=30000)
    assert not hub_window.zoo.entry("toy-remote").is_local and panel.pull.isEnabled()
    fake_hub.clear_faults()
    hub_window.select("dcgan-mnist")
    qtbot.waitUntil(lambda: "seed" in messages(hub_window), timeout=10000)


def test_settings_dialog_saves_and_applies(qtbot, hub_window, tmp_path, monkeypatch):
    from genzoo.settings import _read_config_file
    from genzoo_gui.settings_dialog import SettingsDialog

    for var in ("GENZOO_OFFLINE", "HF_HUB_OFFLINE", "GENZOO_DEVICE", "GENZOO_STORE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("GENZOO_CONFIG", str(tmp_path / "config.toml"))
    monkeypatch.setenv("GENZOO_CACHE", str(tmp_path / "cache"))  # fixed by the environment
    dialog = SettingsDialog(hub_window.zoo.settings, hub_window)
    assert not dialog.cache.isEnabled() and "GENZOO_CACHE" in dialog.cache.toolTip()
    dialog.offline.setChecked(True)
    dialog.store.setText(str(tmp_path / "other-store"))
    dialog.exec = lambda: True
    assert hub_window.open_settings(dialog)
    assert hub_window.zoo.settings.offline
    assert hub_window.zoo.settings.store_dir == tmp_path / "other-store"
    saved = _read_config_file()
    assert saved["offline"] is True and "cache_dir" not in saved
    assert "settings saved" in messages(hub_window)
