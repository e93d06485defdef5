"""Small widgets and helpers the views share."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from genzoo_gui.render import ModelCache
from genzoo_gui.workers import Renderer


def to_pixmap(arr: np.ndarray, size: int) -> QPixmap:
    """H×W×C uint8 → a pixmap scaled to ``size`` (nearest for small images, smooth for large)."""
    arr = np.ascontiguousarray(arr)
    h, w, c = arr.shape
    fmt = QImage.Format.Format_Grayscale8 if c == 1 else QImage.Format.Format_RGB888
    img = QImage(arr.data, w, h, w * c, fmt).copy()
    mode = (
        Qt.TransformationMode.FastTransformation
        if max(h, w) < 256
        else Qt.TransformationMode.SmoothTransformation
    )
    return QPixmap.fromImage(img).scaled(size, size, Qt.AspectRatioMode.KeepAspectRatio, mode)


class ImagePanel(QWidget):
    """A square image with a caption under it (placeholder text while empty)."""

    def __init__(self, caption: str, size: int = 140, placeholder: str = "") -> None:
        super().__init__()
        self.side = size
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(3)
        self.image = QLabel(placeholder, alignment=Qt.AlignmentFlag.AlignCenter)
        self.image.setFixedSize(QSize(size, size))
        self.image.setWordWrap(True)
        self.image.setStyleSheet("background: #1e1e1e; color: #9a9a9a; border: 1px solid #555;")
        self.caption = QLabel(caption, alignment=Qt.AlignmentFlag.AlignHCenter)
        self.caption.setWordWrap(True)
        self.caption.setFixedWidth(size)
        self.caption.setMinimumHeight(2 * self.caption.fontMetrics().height() + 2)
        self.caption.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        lay.addWidget(self.image)
        lay.addWidget(self.caption)

    def show_array(self, arr: np.ndarray) -> None:
        self.image.setPixmap(to_pixmap(arr, self.side - 2))

    def clear(self, text: str = "") -> None:
        self.image.clear()
        self.image.setText(text)

    def pixmap(self) -> QPixmap:
        return self.image.pixmap()


class GridCanvas(QLabel):
    """A label showing a grid of ``cells × cells`` images; a click emits the cell's index."""

    cellClicked = Signal(int)

    def __init__(self, side: int) -> None:
        super().__init__(alignment=Qt.AlignmentFlag.AlignCenter)
        self.side, self.cells = side, 1
        self.setMinimumSize(QSize(side, side))
        self.setCursor(Qt.CursorShape.PointingHandCursor)

    def show_grid(self, arr: np.ndarray, cells: int) -> None:
        self.cells = cells
        self.setPixmap(to_pixmap(arr, self.side))

    def cell_at(self, x: float, y: float) -> int | None:
        """The index of the cell under widget coordinates (x, y), or None outside the grid."""
        pix = self.pixmap()
        if pix is None or pix.isNull():
            return None
        left = (self.width() - pix.width()) / 2
        top = (self.height() - pix.height()) / 2
        u, v = (x - left) / pix.width(), (y - top) / pix.height()
        if not (0 <= u < 1 and 0 <= v < 1):
            return None
        return int(v * self.cells) * self.cells + int(u * self.cells)

    def mousePressEvent(self, event: Any) -> None:
        pos = event.position()
        cell = self.cell_at(pos.x(), pos.y())
        if cell is not None:
            self.cellClicked.emit(cell)
        super().mousePressEvent(event)


class View(QWidget):
    """A tab of the main window. The contract with the window: ``View(cache, status)``,
    ``set_entry(entry)`` on every selection change (even while hidden), ``activate()`` when the
    tab is shown. Each view owns a :class:`Renderer` (newest request wins per view) whose
    results arrive in ``_show_result`` and errors in ``_show_error``, on the GUI thread."""

    def __init__(
        self, cache: ModelCache, status: Callable[[str], None], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.cache, self.status = cache, status
        self.entry: Any | None = None
        self.renderer = Renderer(cache)
        self.renderer.result.connect(self._show_result)
        self.renderer.error.connect(self._show_error)

    def set_entry(self, entry: Any | None) -> None:
        raise NotImplementedError

    def activate(self) -> None:
        """The tab became visible: render what is missing (default: nothing)."""

    def _show_result(self, result: Any) -> None:
        raise NotImplementedError

    def _show_error(self, message: str) -> None:
        self.status(f"error: {message}")
