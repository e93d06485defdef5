"""Pulling an entry from the Hub off the GUI thread, with progress and cancel."""

from __future__ import annotations

import threading
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from genzoo_gui.workers import keep_alive, release


class _Signals(QObject):
    progress = Signal(int, int)  # bytes done, bytes total (0: unknown)
    done = Signal(str, bool)  # entry name, downloaded (False: it was up to date)
    failed = Signal(str, str)  # entry name, message
    cancelled = Signal(str)


class _PullJob(QRunnable):
    def __init__(self, zoo: Any, name: str, signals: _Signals, stop: threading.Event) -> None:
        super().__init__()
        self.zoo, self.name, self.signals, self.stop = zoo, name, signals, stop

    def _progress(self, done: int, total: int | None) -> None:
        from genzoo.errors import CancelledError

        if self.stop.is_set():
            raise CancelledError(f"pull of {self.name} cancelled")
        self.signals.progress.emit(done, total or 0)

    def run(self) -> None:  # worker thread: no widgets here
        from genzoo import hub
        from genzoo.errors import CancelledError

        try:
            # the licence was shown and accepted on the GUI thread before the job started
            res = hub.pull(
                self.zoo, self.name, accept_license=True, progress=False, on_progress=self._progress
            )
        except CancelledError:
            self.signals.cancelled.emit(self.name)
        except Exception as exc:  # a failed pull is a message, never a crash
            self.signals.failed.emit(self.name, f"{type(exc).__name__}: {exc}")
        else:
            self.signals.done.emit(res.name, res.downloaded)
        finally:
            release(self)


class PullController(QObject):
    """One pull at a time; ``cancel()`` stops it at the next chunk (nothing is installed)."""

    progress = Signal(int, int)
    done = Signal(str, bool)
    failed = Signal(str, str)
    cancelled = Signal(str)

    def __init__(self, zoo: Any, pool: QThreadPool | None = None) -> None:
        super().__init__()
        self.zoo = zoo
        self.pool = pool or QThreadPool.globalInstance()
        self.active: str | None = None
        self._stop = threading.Event()
        self._signals = _Signals()
        self._signals.progress.connect(self.progress)
        self._signals.done.connect(lambda n, d: self._end(self.done, n, d))
        self._signals.failed.connect(lambda n, m: self._end(self.failed, n, m))
        self._signals.cancelled.connect(lambda n: self._end(self.cancelled, n))

    def start(self, name: str) -> bool:
        """Start pulling ``name``; False when another pull is running."""
        if self.active is not None:
            return False
        self.active = name
        self._stop = threading.Event()
        self.pool.start(keep_alive(_PullJob(self.zoo, name, self._signals, self._stop)))
        return True

    def cancel(self) -> None:
        self._stop.set()

    def _end(self, signal: Any, *args: Any) -> None:
        self.active = None
        signal.emit(*args)
