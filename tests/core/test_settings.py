"""User settings: arguments > GENZOO_* environment > config file; the app writes the file."""

from __future__ import annotations

import pytest

from genzoo.errors import GenzooError
from genzoo.settings import Settings, environment_overrides, save_config_file


@pytest.fixture
def config(tmp_path, monkeypatch):
    for var in (
        "GENZOO_STORE",
        "GENZOO_CACHE",
        "GENZOO_DEVICE",
        "GENZOO_HUB_ENDPOINT",
        "GENZOO_OFFLINE",
        "HF_HUB_OFFLINE",
    ):
        monkeypatch.delenv(var, raising=False)
    path = tmp_path / "genzoo" / "config.toml"
    monkeypatch.setenv("GENZOO_CONFIG", str(path))
    return path


def test_saved_settings_are_read_back_and_env_and_arguments_win(config, monkeypatch, tmp_path):
    save_config_file({"device": "cuda", "offline": True, "store_dir": str(tmp_path / "s")})
    save_config_file({"hub_endpoint": 'http://127.0.0.1:9/"q"', "device": None})  # merge, drop
    s = Settings.load()
    assert s.offline and s.store_dir == tmp_path / "s" and s.device == "cpu"
    assert s.hub_endpoint == 'http://127.0.0.1:9/"q"'
    assert environment_overrides() == {}
    monkeypatch.setenv("GENZOO_DEVICE", "mps")
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    assert environment_overrides() == {"device": "GENZOO_DEVICE"}
    assert Settings.load().device == "mps"
    assert Settings.load(device="cpu").device == "cpu"
    assert not list(config.parent.glob("*.tmp"))  # written by rename


def test_unknown_settings_are_refused_and_nothing_is_written(config):
    with pytest.raises(GenzooError, match="unknown settings"):
        save_config_file({"colour": "blue"})
    assert not config.exists()
