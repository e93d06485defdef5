"""Workers: model work in a QThreadPool, newest request wins, errors come back as values."""

from __future__ import annotations

import itertools
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from genzoo_gui.render import ModelCache, render


class _Signals(QObject):
    done = Signal(int, object)  # stamp, Result
    failed = Signal(int, str)  # stamp, message


class _Job(QRunnable):
    def __init__(self, stamp: int, request: Any, cache: ModelCache, signals: _Signals) -> None:
        super().__init__()
        self.stamp, self.request, self.cache, self.signals = stamp, request, cache, signals

    def run(self) -> None:  # worker thread: no widgets here
        try:
            result = render(self.request, self.cache)
        except Exception as exc:  # the app must survive a model that raises
            self.signals.failed.emit(self.stamp, f"{type(exc).__name__}: {exc}")
        else:
            self.signals.done.emit(self.stamp, result)


class Renderer(QObject):
    """Submits requests; emits only the newest request's result (stale ones are dropped)."""

    result = Signal(object)
    error = Signal(str)

    def __init__(self, cache: ModelCache, pool: QThreadPool | None = None) -> None:
        super().__init__()
        self.cache = cache
        self.pool = pool or QThreadPool.globalInstance()
        self._stamps = itertools.count(1)
        self.latest = 0
        self.signals = _Signals()
        self.signals.done.connect(self._done)
        self.signals.failed.connect(self._failed)

    def submit(self, request: Any) -> int:
        self.latest = next(self._stamps)
        self.pool.start(_Job(self.latest, request, self.cache, self.signals))
        return self.latest

    def drop_pending(self) -> None:
        """Results of the requests submitted so far will not be shown."""
        self.latest = next(self._stamps)

    def _done(self, stamp: int, result: Any) -> None:
        if stamp == self.latest:
            self.result.emit(result)

    def _failed(self, stamp: int, message: str) -> None:
        if stamp == self.latest:
            self.error.emit(message)
