"""pytest fixtures that point the real ``huggingface_hub`` client at a :class:`FakeHub`.

Use them with ``pytest_plugins = ["genzoo.testing.hub_fixtures"]`` (top-level ``conftest.py``),
by importing the fixtures into a test module, or from the genzoo pytest plugin.

Why both environment variables *and* monkeypatched constants
-------------------------------------------------------------
``huggingface_hub`` reads most of its configuration once, at import time, into
``huggingface_hub.constants`` (``ENDPOINT``, ``HUGGINGFACE_CO_URL_TEMPLATE``, ``HF_HUB_CACHE``,
``HF_HUB_OFFLINE``, ``HF_HUB_DISABLE_XET``, ``HF_HUB_DISABLE_TELEMETRY``, ``HF_TOKEN_PATH``, ...),
and a few derived values are frozen elsewhere: ``huggingface_hub.utils._http._HUB_ORIGINS``
(≥ 2.2: origins that may receive the auth header on redirects) and the module-level
``huggingface_hub.hf_api.api`` object behind the top-level functions (``huggingface_hub.
create_repo``, ``model_info``, ``upload_file``, ...) whose ``endpoint`` was fixed when it was
built. Setting ``HF_ENDPOINT`` after the import therefore changes nothing in this process.

The ``fake_hub`` fixture, in this order:

1. imports ``huggingface_hub`` (if installed) *before* touching the environment, so that the
   constants it captures are the user's real ones and can be restored at teardown;
2. sets the environment (``HF_ENDPOINT``, ``HF_HOME``, ``HF_HUB_CACHE``, ``HF_TOKEN``,
   ``HF_HUB_DISABLE_TELEMETRY``, ``HF_HUB_DISABLE_XET``, ``HF_HUB_DISABLE_PROGRESS_BARS``,
   ``HF_HUB_DISABLE_SHARED_BLOBS``; unsets ``HF_HUB_OFFLINE``/``TRANSFORMERS_OFFLINE``,
   ``HUGGINGFACE_CO_STAGING``, ``HF_HUB_CACHE``-style legacy variables) — this is what child
   processes (``multiprocessing`` spawn, ``subprocess``) see when they import the client afresh;
3. monkeypatches the already-imported constants and the frozen values listed above (with
   ``raising=False`` so older client versions that lack some of them still work).

``monkeypatch`` undoes all of it at teardown and the server is stopped (open keep-alive
connections are shut down). Offline mode is a *client* setting: use :func:`set_hf_offline`
(environment + ``constants.HF_HUB_OFFLINE``) rather than only ``HF_HUB_OFFLINE=1``.

Xet is disabled because the fake Hub does not implement the Xet CAS protocol: with ``hf_xet``
installed (the default for huggingface_hub ≥ 1.x) the client would otherwise upload LFS-mode
files through Xet. Downloads never use Xet against the fake Hub (it sends no ``X-Xet-Hash``).
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from genzoo.testing.hub_server import FakeHub

__all__ = ["FAKE_TOKEN", "configure_hf_client", "fake_hub", "hf_no_backoff", "set_hf_offline"]

#: The dummy token the fixture installs as ``HF_TOKEN`` (the fake Hub accepts any token).
FAKE_TOKEN = "hf_fake_token_for_tests"

_UNSET = (
    "HF_HUB_OFFLINE",
    "TRANSFORMERS_OFFLINE",
    "HUGGINGFACE_CO_STAGING",
    "HUGGINGFACE_HUB_CACHE",
    "HUGGINGFACE_ASSETS_CACHE",
    "HF_ASSETS_CACHE",
    "HF_XET_CACHE",
    "HF_TOKEN_PATH",
    "HUGGING_FACE_HUB_TOKEN",
    "HF_HUB_DISABLE_IMPLICIT_TOKEN",
)


def _hf_modules() -> tuple[Any, ...] | None:
    try:
        import huggingface_hub.constants as constants
    except ImportError:
        return None
    import huggingface_hub.hf_api as hf_api
    import huggingface_hub.utils._http as http_utils

    return constants, hf_api, http_utils


def configure_hf_client(
    monkeypatch: pytest.MonkeyPatch,
    endpoint: str,
    home: Path,
    *,
    token: str | None = FAKE_TOKEN,
    disable_xet: bool = True,
) -> None:
    """Point ``huggingface_hub`` (env and already-imported constants) at ``endpoint``.

    ``home`` becomes ``HF_HOME``; the cache is ``home / "hub"``. Everything is undone by
    ``monkeypatch`` at teardown.
    """
    modules = _hf_modules()  # import first: capture the real constants for restoration
    endpoint = endpoint.rstrip("/")
    cache = home / "hub"
    cache.mkdir(parents=True, exist_ok=True)
    env = {
        "HF_ENDPOINT": endpoint,
        "HF_HOME": str(home),
        "HF_HUB_CACHE": str(cache),
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "HF_HUB_DISABLE_PROGRESS_BARS": "1",
        "HF_HUB_DISABLE_SHARED_BLOBS": "1",
        "HF_HUB_DISABLE_XET": "1" if disable_xet else "0",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    for key in _UNSET:
        monkeypatch.delenv(key, raising=False)
    if token is None:
        monkeypatch.delenv("HF_TOKEN", raising=False)
    else:
        monkeypatch.setenv("HF_TOKEN", token)
    if modules is None:
        return
    constants, hf_api, http_utils = modules
    from urllib.parse import urlsplit

    patches: dict[str, Any] = {
        "ENDPOINT": endpoint,
        "HUGGINGFACE_CO_URL_TEMPLATE": endpoint + "/{repo_id}/resolve/{revision}/{filename}",
        "HF_HOME": str(home),
        "HF_HUB_CACHE": str(cache),
        "HUGGINGFACE_HUB_CACHE": str(cache),
        "HF_ASSETS_CACHE": str(home / "assets"),
        "HUGGINGFACE_ASSETS_CACHE": str(home / "assets"),
        "HF_XET_CACHE": str(home / "xet"),
        "HF_TOKEN_PATH": str(home / "token"),
        "HF_STORED_TOKENS_PATH": str(home / "stored_tokens"),
        "CHECK_FOR_UPDATE_DONE_PATH": str(home / ".check_for_update_done"),
        "CHECK_FOR_SKILL_UPDATE_DONE_PATH": str(home / ".check_for_skill_update_done"),
        "AGENT_HARNESSES_PATH": str(home / ".agent_harnesses.json"),
        "HF_HUB_OFFLINE": False,
        "HF_HUB_DISABLE_TELEMETRY": True,
        "HF_HUB_DISABLE_XET": disable_xet,
        "HF_HUB_DISABLE_SHARED_BLOBS": True,
        "HF_HUB_DISABLE_IMPLICIT_TOKEN": False,
        "_staging_mode": False,
    }
    for name, value in patches.items():
        if hasattr(constants, name):
            monkeypatch.setattr(constants, name, value)
    host = urlsplit(endpoint).hostname
    if hasattr(constants, "HF_URL_HOSTS") and host:
        monkeypatch.setattr(constants, "HF_URL_HOSTS", frozenset(constants.HF_URL_HOSTS | {host}))
    if hasattr(http_utils, "_HUB_ORIGINS") and hasattr(http_utils, "_url_origin"):
        origins = frozenset(http_utils._HUB_ORIGINS | {http_utils._url_origin(endpoint)})
        monkeypatch.setattr(http_utils, "_HUB_ORIGINS", origins)
    default_api = getattr(hf_api, "api", None)
    if default_api is not None and hasattr(default_api, "endpoint"):
        monkeypatch.setattr(default_api, "endpoint", endpoint)


def set_hf_offline(monkeypatch: pytest.MonkeyPatch, offline: bool = True) -> None:
    """Switch the client's offline mode (env for child processes + the import-time constant)."""
    if offline:
        monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    else:
        monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    modules = _hf_modules()
    if modules is not None:
        monkeypatch.setattr(modules[0], "HF_HUB_OFFLINE", offline)


class _RecordingClock:
    """Stand-in for the ``time`` module inside huggingface_hub: ``sleep`` only records."""

    def __init__(self, slept: list[float]) -> None:
        self._slept = slept

    def sleep(self, seconds: float) -> None:
        self._slept.append(float(seconds))

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)


@pytest.fixture
def hf_no_backoff(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Make the client's retry sleeps instant; returns the list of sleeps it asked for.

    huggingface_hub 2.4 backs off 1, 2, 4, 8, 8 s on 5xx/429 (``utils._http.http_backoff``) and
    sleeps 1 s before resuming a cut download (``file_download.http_get``). Only those two
    modules' ``time`` is replaced; the rest of the process keeps the real clock.
    """
    slept: list[float] = []
    clock = _RecordingClock(slept)
    for name in ("huggingface_hub.utils._http", "huggingface_hub.file_download"):
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        if getattr(module, "time", None) is time:
            monkeypatch.setattr(module, "time", clock)
    return slept


@pytest.fixture
def fake_hub(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[FakeHub]:
    """A started :class:`FakeHub`; ``huggingface_hub`` talks to it and caches in a tmp HF_HOME.

    ``fake_hub.endpoint`` is the base URL; ``os.environ["HF_HUB_CACHE"]`` the cache folder.
    """
    home = tmp_path_factory.mktemp("hf_home")
    with FakeHub() as hub:
        configure_hf_client(monkeypatch, hub.endpoint, home)
        yield hub
