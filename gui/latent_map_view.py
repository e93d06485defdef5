"""The Latent map view: held-out codes in 2-D, coloured by class, beside draws from the prior.

The picture of why a plain autoencoder cannot sample and a VAE can: a VAE's codes fill the
region its prior N(0, I) covers, a plain autoencoder's codes sit elsewhere and leave holes.
Clicking the map decodes that point (lifted back to code space) to an image. The map is
computed in a worker, only when the view is shown, and kept per entry.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from genzoo_gui.encode_view import PANEL, cannot_encode
from genzoo_gui.render import DecodeRequest, LatentMapRequest, LatentMapResult, ModelCache, Result
from genzoo_gui.widgets import ImagePanel, View

# matplotlib's tab10, so the digits look as in the papers' figures
PALETTE = [
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
]
PRIOR = "#000000"  # small crosses over the codes, translucent: where the prior's draws fall
PRIOR_LABEL = "N(0, I) draw"


def _nice_step(span: float, ticks: int = 5) -> float:
    raw = span / max(ticks, 1)
    if raw <= 0 or not math.isfinite(raw):
        return 1.0
    mag = 10 ** math.floor(math.log10(raw))
    return next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw)


def _cross(p: QPainter, at: QPointF, r: float) -> None:
    p.drawLine(QPointF(at.x() - r, at.y() - r), QPointF(at.x() + r, at.y() + r))
    p.drawLine(QPointF(at.x() - r, at.y() + r), QPointF(at.x() + r, at.y() - r))


class ScatterPlot(QWidget):
    """Points in 2-D with equal axis scales, a legend and a click → data-position signal."""

    picked = Signal(float, float)

    MARGIN = (46, 12, 120, 38)  # left, top, right (legend), bottom

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumSize(QSize(460, 400))
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.codes = np.zeros((0, 2))
        self.labels: np.ndarray | None = None
        self.class_names: list[str] = []
        self.prior = np.zeros((0, 2))
        self.axes = ("x", "y")
        self.text = ""
        self.marker: tuple[float, float] | None = None
        self._view = (0.0, 0.0, 1.0)  # data x, y at the plot's centre; pixels per unit

    def set_points(
        self,
        codes: np.ndarray,
        labels: np.ndarray | None,
        class_names: list[str] | None,
        prior: np.ndarray,
        axes: tuple[str, str],
    ) -> None:
        """Show ``codes`` (coloured by ``labels``) over ``prior`` (crosses)."""
        self.codes, self.labels, self.prior, self.axes = codes, labels, prior, axes
        n = 0 if labels is None or not len(labels) else int(labels.max()) + 1
        self.class_names = list(class_names or [str(i) for i in range(n)])
        self.text, self.marker = "", None
        self._fit()  # now, not at the next paint: a click may come first
        self.update()

    def clear(self, text: str = "") -> None:
        """No points; ``text`` in the middle."""
        self.codes, self.labels, self.prior = np.zeros((0, 2)), None, np.zeros((0, 2))
        self.text, self.marker = text, None
        self.update()

    @property
    def has_points(self) -> bool:
        return len(self.codes) > 0

    def plot_rect(self) -> QRectF:
        left, top, right, bottom = self.MARGIN
        return QRectF(left, top, self.width() - left - right, self.height() - top - bottom)

    def _fit(self) -> None:
        pts = np.concatenate([self.codes, self.prior]) if len(self.prior) else self.codes
        lo, hi = pts.min(0), pts.max(0)
        span = np.maximum(hi - lo, 1e-6) * 1.08
        r = self.plot_rect()
        scale = min(r.width() / span[0], r.height() / span[1])
        cx, cy = (lo + hi) / 2
        self._view = (float(cx), float(cy), float(scale))

    def to_pixel(self, x: float, y: float) -> QPointF:
        """The widget position of data point (x, y)."""
        cx, cy, s = self._view
        c = self.plot_rect().center()
        return QPointF(c.x() + (x - cx) * s, c.y() - (y - cy) * s)

    def to_data(self, px: float, py: float) -> tuple[float, float]:
        """The data point at widget position (px, py)."""
        cx, cy, s = self._view
        c = self.plot_rect().center()
        return cx + (px - c.x()) / s, cy - (py - c.y()) / s

    def resizeEvent(self, event: Any) -> None:
        if self.has_points:
            self._fit()
        super().resizeEvent(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        pos = event.position()
        if (
            self.has_points
            and event.button() == Qt.MouseButton.LeftButton
            and self.plot_rect().contains(pos)
        ):
            x, y = self.to_data(pos.x(), pos.y())
            self.marker = (x, y)
            self.update()
            self.picked.emit(x, y)

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), QColor("white"))
        r = self.plot_rect()
        if not self.has_points:
            p.setPen(QColor("#757575"))
            p.drawRect(r)
            p.drawText(r, Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self.text)
            return
        self._grid(p, r)
        p.setClipRect(r)
        p.setPen(Qt.PenStyle.NoPen)
        colours = [QColor(c) for c in PALETTE]
        for c in colours:
            c.setAlpha(200)
        labels = self.labels if self.labels is not None else np.zeros(len(self.codes), int)
        for (x, y), k in zip(self.codes, labels, strict=True):
            p.setBrush(colours[int(k) % len(colours)])
            p.drawEllipse(self.to_pixel(x, y), 3.0, 3.0)
        ink = QColor(PRIOR)
        ink.setAlpha(130)
        p.setPen(QPen(ink, 1.2))
        for x, y in self.prior:
            _cross(p, self.to_pixel(x, y), 2.5)
        if self.marker is not None:
            m = self.to_pixel(*self.marker)
            p.setBrush(Qt.BrushStyle.NoBrush)
            for colour, width in (("white", 4.5), ("black", 2.0)):  # a halo, then the ring
                p.setPen(QPen(QColor(colour), width))
                p.drawEllipse(m, 7, 7)
                p.drawLine(QPointF(m.x() - 12, m.y()), QPointF(m.x() - 4, m.y()))
                p.drawLine(QPointF(m.x() + 4, m.y()), QPointF(m.x() + 12, m.y()))
                p.drawLine(QPointF(m.x(), m.y() - 12), QPointF(m.x(), m.y() - 4))
                p.drawLine(QPointF(m.x(), m.y() + 4), QPointF(m.x(), m.y() + 12))
        p.setClipping(False)
        self._legend(p, r)

    def _grid(self, p: QPainter, r: QRectF) -> None:
        x0, y1 = self.to_data(r.left(), r.top())
        x1, y0 = self.to_data(r.right(), r.bottom())
        step = _nice_step(max(x1 - x0, y1 - y0), 6)
        fm = p.fontMetrics()
        for lo, hi, horizontal in ((x0, x1, True), (y0, y1, False)):
            v = math.ceil(lo / step) * step
            while v <= hi:
                text = f"{v:g}" if abs(v) > step / 2 else "0"
                p.setPen(QPen(QColor("#ececec"), 1))
                if horizontal:
                    px = self.to_pixel(v, 0).x()
                    p.drawLine(QPointF(px, r.top()), QPointF(px, r.bottom()))
                    p.setPen(QColor("#616161"))
                    w = fm.horizontalAdvance(text)
                    p.drawText(QPointF(px - w / 2, r.bottom() + fm.ascent() + 3), text)
                else:
                    py = self.to_pixel(0, v).y()
                    p.drawLine(QPointF(r.left(), py), QPointF(r.right(), py))
                    p.setPen(QColor("#616161"))
                    w = fm.horizontalAdvance(text)
                    p.drawText(QPointF(r.left() - w - 5, py + fm.ascent() / 2 - 1), text)
                v += step
        p.setPen(QColor("#9e9e9e"))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawRect(r)
        p.setPen(QColor("#424242"))
        xl = self.axes[0]
        p.drawText(QPointF(r.center().x() - fm.horizontalAdvance(xl) / 2, self.height() - 4), xl)
        p.save()
        p.translate(12, r.center().y() + fm.horizontalAdvance(self.axes[1]) / 2)
        p.rotate(-90)
        p.drawText(QPointF(0, 0), self.axes[1])
        p.restore()

    def _legend(self, p: QPainter, r: QRectF) -> None:
        fm = p.fontMetrics()
        x, y = r.right() + 14, r.top() + 4
        bold = QFont(p.font())
        bold.setBold(True)
        p.setFont(bold)
        p.setPen(QColor("#212121"))
        p.drawText(QPointF(x, y + fm.ascent()), "class")
        p.setFont(QFont(self.font()))
        y += fm.height() + 6
        rows = [(PALETTE[i % len(PALETTE)], n) for i, n in enumerate(self.class_names)]
        rows.append((PRIOR, PRIOR_LABEL))
        for colour, name in rows:
            mid = QPointF(x + 5, y + fm.height() / 2)
            if name == PRIOR_LABEL:
                p.setPen(QPen(QColor(colour), 1.5))
                _cross(p, mid, 4.0)
            else:
                p.setPen(Qt.PenStyle.NoPen)
                p.setBrush(QColor(colour))
                p.drawEllipse(mid, 4.5, 4.5)
            p.setPen(QColor("#212121"))
            p.drawText(QPointF(x + 16, y + fm.ascent()), name)
            y += fm.height() + 3


class LatentMapView(View):
    """The latent map of an encoding entry, with a decoded image of the clicked point."""

    def __init__(
        self, cache: ModelCache, status: Callable[[str], None], parent: QWidget | None = None
    ) -> None:
        super().__init__(cache, status, parent)
        self.problem: str | None = None
        self.maps: dict[str, LatentMapResult] = {}  # per entry, computed once
        self.pending: str | None = None  # the entry whose map is being computed
        self.decoded_code: tuple[float, ...] | None = None  # the code of the clicked point
        self.decoded_frame: np.ndarray | None = None  # its image (H×W×C uint8)
        self._build()
        self.set_entry(None)

    def _build(self) -> None:
        self.title = QLabel(wordWrap=True)
        font = self.title.font()
        font.setBold(True)
        self.title.setFont(font)
        self.plot = ScatterPlot()
        self.plot.picked.connect(self.decode_at)
        self.decoded = ImagePanel("decoded point", PANEL, "click the map\nto decode a point")
        self.point = QLabel(wordWrap=True)
        self.point.setFixedWidth(PANEL + 40)
        self.caption = QLabel(wordWrap=True)
        self.caption.setTextFormat(Qt.TextFormat.PlainText)
        side = QVBoxLayout()
        side.addWidget(self.decoded)
        side.addWidget(self.point)
        side.addStretch(1)
        body = QHBoxLayout()
        body.addWidget(self.plot, 1)
        body.addLayout(side)
        top = QVBoxLayout(self)
        top.addWidget(self.title)
        top.addLayout(body, 1)
        top.addWidget(self.caption)

    # -- the contract with the main window -----------------------------------------------------
    def set_entry(self, entry: Any | None) -> None:
        """Show ``entry``'s map when known; compute it now only when the view is visible."""
        self.entry = entry
        self.renderer.drop_pending()
        self.pending = None
        self.problem = cannot_encode(self.cache.zoo, entry, ("encode",))
        self.decoded.clear("click the map\nto decode a point")
        self.point.setText("")
        self.decoded_code, self.decoded_frame = None, None
        self.plot.setEnabled(self.problem is None)
        if self.problem is not None:
            self.title.setText(self.problem)
            self.caption.setText("")
            self.plot.clear(self.problem)
            return
        if entry.name in self.maps:
            self._show_map(self.maps[entry.name])
            return
        self.title.setText(f"{entry.name}: latent map")
        self.caption.setText("")
        self.plot.clear(f"the map of {entry.name} is computed when this view is shown")
        if self.isVisible():
            self.activate()

    def activate(self) -> None:
        """The view became visible: compute the entry's map unless known or under way."""
        if self.problem is not None or self.entry is None:
            return
        name = self.entry.name
        if name in self.maps or self.pending == name:
            return
        self.pending = name
        self.plot.clear(f"encoding held-out images with {name}…")
        self.status(f"{name}: encoding held-out images for the latent map…")
        self.renderer.submit(LatentMapRequest(name))

    # -- a person's actions --------------------------------------------------------------------
    def decode_at(self, x: float, y: float) -> None:
        """Decode the map point (x, y): the code ``mean + (x, y) @ basis``."""
        if self.entry is None or self.entry.name not in self.maps or self.pending:
            return
        m = self.maps[self.entry.name]
        code = m.code_at(x, y)
        self.decoded_code = code
        words = f"map point ({x:.2f}, {y:.2f})\n‖z‖ = {float(np.linalg.norm(code)):.2f}"
        if len(m.codes):
            i = int(np.argmin(((m.codes - np.array([x, y])) ** 2).sum(1)))
            if m.labels is not None and m.class_names:
                words += f"\nnearest code on the map: a {m.class_names[int(m.labels[i])]}"
        self.point.setText(words)
        self.renderer.submit(DecodeRequest(self.entry.name, code))

    # -- results -------------------------------------------------------------------------------
    def _show_result(self, result: Any) -> None:
        if isinstance(result, LatentMapResult):
            if self.pending is None:
                return
            self.maps[self.pending] = result
            self.pending = None
            self._show_map(result)
            self.status(
                f"{self.entry.name}: latent map of {result.data} in {result.ms:.0f} ms"
                if self.entry
                else ""
            )
        elif isinstance(result, Result) and result.frames:
            self.decoded_frame = result.frames[0]
            self.decoded.show_array(self.decoded_frame)
            self.status(f"decoded the clicked point in {result.ms:.0f} ms")

    def _show_error(self, message: str) -> None:
        self.status(f"error: {message}")
        if self.pending is not None:
            self.plot.clear(f"no map: {message}")
            self.pending = None

    def _show_map(self, m: LatentMapResult) -> None:
        name = self.entry.name if self.entry else "?"
        self.title.setText(f"{name}: {m.data}, codes by {m.projection}")
        axes = ("z₁", "z₂") if m.code_dim <= 2 else ("PC 1", "PC 2")
        self.plot.set_points(m.codes, m.labels, m.class_names, m.prior, axes)
        self.caption.setText(self.explain(name, m))

    @staticmethod
    def explain(name: str, m: LatentMapResult) -> str:
        """What the picture shows, with its numbers."""
        d = m.code_dim
        click = (
            "Click the map to decode a code."
            if d <= 2
            else "Click the map to decode a point of its plane (the codes' mean plus the two "
            "PCA directions)."
        )
        if m.samples:
            return (
                f"{name} is a VAE: training pulls every code toward the prior N(0, I), so the "
                f"codes (coloured by class) fill the region its draws (×) cover: median ‖z‖ "
                f"{m.code_norm:.2f} for the codes, {m.prior_norm:.2f} for the draws, in {d}-d. "
                "Sampling decodes such draws, and they land among the codes of real digits: "
                f"that is why a VAE can sample. {click}"
            )
        return (
            f"{name} is a plain autoencoder: nothing ties its codes to N(0, I). In {d}-d its "
            f"codes lie far out (median ‖z‖ {m.code_norm:.2f}) while draws from N(0, I) stay "
            f"near the origin (median ‖z‖ {m.prior_norm:.2f}): the draws (×) crowd into one "
            "small patch and most of the code region is never drawn. The latent space has "
            "holes, and a draw decodes to a smudge, not a digit. (Points that overlap on this "
            f"flat map can be far apart in {d}-d.) {click}"
        )
