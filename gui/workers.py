"""Workers: model work in a QThreadPool, newest request wins, errors come back as values."""

from __future__ import annotations

import itertools
import threading
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from genzoo_gui.render import ModelCache, render


class _Signals(QObject):
    done = Signal(int, object)  # stamp, Result
    failed = Signal(int, str)  # stamp, message


# Jobs still running. QThreadPool holds only the C++ side of a QRunnable: if the Python object
# (and the signals it emits on) were collected while run() executes — its window closed, its
# Renderer dropped — the worker would run on freed memory. Each job keeps itself here until
# run() returns.
_RUNNING: set[QRunnable] = set()
_RUNNING_LOCK = threading.Lock()


def keep_alive(job: QRunnable) -> QRunnable:
    """Hold ``job`` until its ``run`` calls :func:`release` (see ``_RUNNING``)."""
    job.setAutoDelete(False)
    with _RUNNING_LOCK:
        _RUNNING.add(job)
    return job


def release(job: QRunnable) -> None:
    with _RUNNING_LOCK:
        _RUNNING.discard(job)


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
        finally:
            release(self)


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
        self.pool.start(keep_alive(_Job(self.latest, request, self.cache, self.signals)))
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


def collect_garbage_on_gui_thread(app: QObject, interval_ms: int = 2000) -> Any:
    """Run Python's cyclic garbage collector only on the GUI thread, on a timer.

    Left automatic, a collection runs wherever an allocation triggers it — often inside a
    worker rendering a model — and if it frees a closed dialog's or widget's reference cycle
    there, Qt objects are deleted off the GUI thread, which crashes the process (seen in the
    app's tests). Returns the timer (keep it)."""
    import gc

    from PySide6.QtCore import QTimer

    gc.disable()
    timer = QTimer(app, interval=interval_ms)
    timer.timeout.connect(gc.collect)
    timer.start()
    return timer
