"""The app's tests run headless (Qt's offscreen platform) and skip cleanly without PySide6."""

from __future__ import annotations

import gc
import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
pytest.importorskip("PySide6")
pytest.importorskip("pytestqt")


@pytest.fixture(autouse=True)
def _workers_finish_within_their_test(qapp):
    """Each test's model work ends before its widgets are torn down, so no worker of one test
    runs into the next one (the app itself lives as long as its workers)."""
    yield
    from PySide6.QtCore import QThreadPool

    QThreadPool.globalInstance().waitForDone(60000)
    qapp.processEvents()
    # Collect the closed windows' reference cycles here, on the GUI thread. Left to Python's
    # cyclic GC they may be collected wherever an allocation triggers it — inside a worker of
    # the next test — and deleting Qt widgets off the GUI thread crashes the process.
    gc.collect()


@pytest.fixture
def shots(tmp_path):
    """Where screenshots go: $GENZOO_SCREENSHOTS (docs/screenshots for the README) or tmp."""
    from pathlib import Path

    folder = Path(os.environ.get("GENZOO_SCREENSHOTS") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder
