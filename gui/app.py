"""The genzoo desktop app: zoo browser, sample grid, interpolation, latent editing.

Widgets only build immutable requests (:mod:`genzoo_gui.render`) and show results; model work
runs in worker threads (:mod:`genzoo_gui.workers`), the newest request wins, sliders are
debounced, and errors appear in the status bar instead of ending the app.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QSize, Qt, QTimer
from PySide6.QtGui import QImage, QKeySequence, QPixmap, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QPushButton,
    QSlider,
    QSpinBox,
    QSplitter,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from genzoo_gui.render import EditRequest, InterpolateRequest, ModelCache, Result, SampleRequest
from genzoo_gui.state import AppState
from genzoo_gui.workers import Renderer

DEBOUNCE_MS = 30
EDIT_SLIDERS = 5  # directions shown as sliders
EDIT_RANGE = 30  # slider units; strength = units / 10, so −3 … 3


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


def _strip_front_matter(text: str) -> str:
    if text.startswith("---\n"):
        end = text.find("\n---", 4)
        if end != -1:
            return text[end + 4 :]
    return text


class MainWindow(QMainWindow):
    """Zoo on the left, views in the centre, controls beside each view."""

    def __init__(self, zoo: Any = None, state_file: Path | None = None) -> None:
        super().__init__()
        if zoo is None:
            from genzoo import default_zoo

            zoo = default_zoo()
        self.zoo = zoo
        self.state_file = state_file
        self.state = AppState.load(state_file) if state_file else AppState()
        self.renderer = Renderer(ModelCache(zoo))
        self.renderer.result.connect(self._show_result)
        self.renderer.error.connect(self._show_error)
        self.frames: list[np.ndarray] = []
        self.setWindowTitle("genzoo")
        self.resize(1100, 700)
        self._build()
        self._fill_zoo()
        QShortcut(QKeySequence("Ctrl+F"), self, activated=self.search.setFocus)
        QShortcut(QKeySequence(Qt.Key.Key_Right), self, activated=lambda: self.step_seed(1))
        QShortcut(QKeySequence(Qt.Key.Key_Left), self, activated=lambda: self.step_seed(-1))
        QShortcut(QKeySequence("Ctrl+S"), self, activated=self.save_image)
        QShortcut(QKeySequence(Qt.Key.Key_Space), self, activated=self.toggle_play)
        if self.state.entry:
            self.select(self.state.entry)

    # -- layout --------------------------------------------------------------------------------
    def _build(self) -> None:
        self.edit_debounce = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self.edit_debounce.timeout.connect(self.request_edit)
        left = QWidget()
        lv = QVBoxLayout(left)
        self.search = QLineEdit(placeholderText="Search the zoo (Ctrl+F)")
        self.search.textChanged.connect(self._fill_zoo)
        self.entries = QListWidget()
        self.entries.currentItemChanged.connect(self._entry_changed)
        self.card = QTextBrowser()
        lv.addWidget(self.search)
        lv.addWidget(self.entries, 2)
        lv.addWidget(self.card, 3)

        self.tabs = QTabWidget()
        self.tabs.addTab(self._sample_tab(), "Sample")
        self.tabs.addTab(self._interp_tab(), "Interpolate")
        self.tabs.addTab(self._edit_tab(), "Edit")
        self.tabs.currentChanged.connect(self._tab_changed)
        split = QSplitter()
        split.addWidget(left)
        split.addWidget(self.tabs)
        split.setSizes([330, 770])
        self.setCentralWidget(split)
        self.status = self.statusBar()
        self.debounce = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self.debounce.timeout.connect(self.request_samples)

    def _sample_tab(self) -> QWidget:
        w = QWidget()
        h = QHBoxLayout(w)
        self.canvas = QLabel(alignment=Qt.AlignmentFlag.AlignCenter, minimumSize=QSize(512, 512))
        h.addWidget(self.canvas, 1)
        form = QFormLayout()
        self.seed = QSpinBox(maximum=2**31 - 1, value=self.state.seed)
        self.seed.valueChanged.connect(self._schedule)
        row = QHBoxLayout()
        for text, fn in (
            ("◀", lambda: self.step_seed(-1)),
            ("▶", lambda: self.step_seed(1)),
            ("random", self.random_seed),
        ):
            b = QPushButton(text)
            b.clicked.connect(fn)
            row.addWidget(b)
        self.grid = QSpinBox(minimum=1, maximum=8, value=self.state.grid)
        self.grid.valueChanged.connect(self._schedule)
        self.psi = QSlider(Qt.Orientation.Horizontal, minimum=0, maximum=100)
        self.psi.setValue(round(self.state.truncation * 100))
        self.psi.setToolTip("Truncation ψ: pull latents toward the average (1: off)")
        self.psi.valueChanged.connect(self._schedule)
        self.label = QComboBox()
        self.label.currentIndexChanged.connect(self._schedule)
        save = QPushButton("Save grid… (Ctrl+S)")
        save.clicked.connect(self.save_image)
        form.addRow("seed", self.seed)
        form.addRow(row)
        form.addRow("grid", self.grid)
        form.addRow("ψ", self.psi)
        form.addRow("class", self.label)
        form.addRow(save)
        h.addLayout(form)
        return w

    def _interp_tab(self) -> QWidget:
        w = QWidget()
        h = QHBoxLayout(w)
        self.icanvas = QLabel(alignment=Qt.AlignmentFlag.AlignCenter, minimumSize=QSize(384, 384))
        h.addWidget(self.icanvas, 1)
        form = QFormLayout()
        self.seed_a = QSpinBox(maximum=2**31 - 1, value=self.state.endpoints[0])
        self.seed_b = QSpinBox(maximum=2**31 - 1, value=self.state.endpoints[1])
        self.steps = QSpinBox(minimum=2, maximum=120, value=self.state.steps)
        self.slerp = QCheckBox("slerp", checked=self.state.slerp)
        go = QPushButton("Interpolate")
        go.clicked.connect(self.request_interpolation)
        self.scrub = QSlider(Qt.Orientation.Horizontal, minimum=0, maximum=0)
        self.scrub.valueChanged.connect(self._show_frame)
        self.play = QPushButton("Play (space)")
        self.play.clicked.connect(self.toggle_play)
        export = QPushButton("Export GIF / strip…")
        export.clicked.connect(self.export_interpolation)
        self.timer = QTimer(self, interval=80)
        self.timer.timeout.connect(self._advance)
        for name, widget in (
            ("seed A", self.seed_a),
            ("seed B", self.seed_b),
            ("steps", self.steps),
        ):
            form.addRow(name, widget)
        form.addRow(self.slerp)
        form.addRow(go)
        form.addRow("frame", self.scrub)
        form.addRow(self.play)
        form.addRow(export)
        h.addLayout(form)
        return w

    def _edit_tab(self) -> QWidget:
        w = QWidget()
        h = QHBoxLayout(w)
        self.ecanvas = QLabel(alignment=Qt.AlignmentFlag.AlignCenter, minimumSize=QSize(512, 256))
        self.ecanvas.setToolTip("left: the seed's sample; right: after the edit")
        h.addWidget(self.ecanvas, 1)
        form = QFormLayout()
        self.eseed = QSpinBox(maximum=2**31 - 1, value=self.state.seed)
        self.eseed.valueChanged.connect(self.edit_debounce.start)
        self.method = QComboBox()
        self.method.addItems(["pca", "sefa", "boundary"])
        self.method.setToolTip(
            "pca: main axes of variation (GANSpace); sefa: closed-form factorisation of the "
            "first layer; boundary: toward a digit class (the digit classifier's boundaries). "
            "Computed here when the entry has none stored."
        )
        self.method.currentIndexChanged.connect(self.reset_edit)
        form.addRow("seed", self.eseed)
        form.addRow("directions", self.method)
        self.sliders: list[QSlider] = []
        self.slider_names: list[QLabel] = []
        for _ in range(EDIT_SLIDERS):
            name = QLabel("–")
            sl = QSlider(Qt.Orientation.Horizontal, minimum=-EDIT_RANGE, maximum=EDIT_RANGE)
            sl.valueChanged.connect(self.edit_debounce.start)
            self.sliders.append(sl)
            self.slider_names.append(name)
            form.addRow(name, sl)
        reset = QPushButton("Reset")
        reset.clicked.connect(self.reset_edit)
        undo = QPushButton("Undo (Ctrl+Z)")
        undo.clicked.connect(self.undo_edit)
        QShortcut(QKeySequence("Ctrl+Z"), w, activated=self.undo_edit)
        self.edit_history: list[tuple[int, ...]] = []
        form.addRow(reset)
        form.addRow(undo)
        h.addLayout(form)
        return w

    # -- zoo -----------------------------------------------------------------------------------
    def _fill_zoo(self) -> None:
        text = self.search.text().lower() if hasattr(self, "search") else ""
        current = self.state.entry
        self.entries.blockSignals(True)
        self.entries.clear()
        for e in self.zoo.entries():
            if e.spec is None or e.spec.data.kind != "image":
                continue
            if text and text not in e.name and text not in (e.spec.family or ""):
                continue
            badge = "●" if e.is_local else ("○ remote" if e.is_remote else "– no weights")
            item = QListWidgetItem(f"{e.name}  [{e.spec.family}]  {badge}")
            item.setData(Qt.ItemDataRole.UserRole, e.name)
            item.setToolTip(f"{e.spec.description}\nlicence: {e.spec.license}")
            self.entries.addItem(item)
            if e.name == current:
                self.entries.setCurrentItem(item)
        self.entries.blockSignals(False)

    def select(self, name: str) -> None:
        for i in range(self.entries.count()):
            item = self.entries.item(i)
            if item.data(Qt.ItemDataRole.UserRole) == name:
                self.entries.setCurrentItem(item)
                return

    def _entry_changed(self, item: QListWidgetItem | None, _: Any = None) -> None:
        if item is None:
            return
        name = item.data(Qt.ItemDataRole.UserRole)
        entry = self.zoo.entry(name)
        self.state.entry = name
        self.card.setMarkdown(_strip_front_matter(entry.card()) or entry.spec.description)
        self.label.blockSignals(True)
        self.label.clear()
        c = entry.spec.conditions
        if c is not None and c.kind == "class":
            self.label.addItems([f"{i}: {n}" for i, n in enumerate(c.names)])
        self.label.setEnabled(self.label.count() > 0)
        self.label.blockSignals(False)
        family = self.zoo.registries.families.get(entry.spec.family)
        truncates = "truncate" in family.model_class().capabilities
        self.psi.setEnabled(truncates)
        self.psi.setToolTip(
            "Truncation ψ: pull latents toward the average (1: off)"
            if truncates
            else f"{entry.spec.family} models have no truncation"
        )
        if not entry.is_local:
            self.status.showMessage(f"{name} is remote: genzoo pull {name}")
            return
        if self.tabs.tabText(self.tabs.currentIndex()) == "Edit":
            self.reset_edit()
        else:
            self.request_samples()

    # -- sample view ---------------------------------------------------------------------------
    def _schedule(self) -> None:
        self.debounce.start()

    def step_seed(self, delta: int) -> None:
        self.seed.setValue(max(0, self.seed.value() + delta))

    def random_seed(self) -> None:
        self.seed.setValue(random.randrange(2**31 - 1))

    def sample_request(self) -> SampleRequest | None:
        if not self.state.entry:
            return None
        label = self.label.currentIndex() if self.label.isEnabled() and self.label.count() else None
        psi = self.psi.value() / 100 if self.psi.isEnabled() else 1.0
        return SampleRequest(self.state.entry, self.seed.value(), self.grid.value(), psi, label)

    def request_samples(self) -> None:
        req = self.sample_request()
        if req is not None:
            self.mode = "sample"
            self.renderer.submit(req)

    # -- interpolation -------------------------------------------------------------------------
    def request_interpolation(self) -> None:
        if not self.state.entry:
            return
        label = self.label.currentIndex() if self.label.isEnabled() and self.label.count() else None
        self.mode = "interpolate"
        self.renderer.submit(
            InterpolateRequest(
                self.state.entry,
                (self.seed_a.value(), self.seed_b.value()),
                self.steps.value(),
                self.slerp.isChecked(),
                label,
            )
        )

    def toggle_play(self) -> None:
        if self.timer.isActive():
            self.timer.stop()
            self.play.setText("Play (space)")
        elif self.frames:
            self.timer.start()
            self.play.setText("Pause (space)")

    def _advance(self) -> None:
        if self.frames:
            self.scrub.setValue((self.scrub.value() + 1) % len(self.frames))

    def _show_frame(self, i: int) -> None:
        if 0 <= i < len(self.frames):
            self.icanvas.setPixmap(to_pixmap(self.frames[i], 384))

    def export_interpolation(self, path: str | None = None) -> None:
        if not self.frames:
            return
        if not path:
            path, _ = QFileDialog.getSaveFileName(
                self, "Export", "interpolation.gif", "GIF (*.gif);;PNG strip (*.png)"
            )
        if path:
            from PIL import Image

            pics = [Image.fromarray(f[..., 0] if f.shape[-1] == 1 else f) for f in self.frames]
            if path.endswith(".gif"):
                pics[0].save(path, save_all=True, append_images=pics[1:], duration=80, loop=0)
            else:
                Image.fromarray(np.concatenate(self.frames, axis=1).squeeze()).save(path)
            self.status.showMessage(f"exported {path}")

    # -- latent editing ------------------------------------------------------------------------
    def _tab_changed(self, index: int) -> None:
        if self.tabs.tabText(index) == "Edit":
            self.request_edit()

    def edit_request(self) -> EditRequest | None:
        if not self.state.entry:
            return None
        label = self.label.currentIndex() if self.label.isEnabled() and self.label.count() else None
        strengths = tuple(sl.value() / 10 for sl in self.sliders)
        return EditRequest(
            self.state.entry, self.eseed.value(), label, self.method.currentText(), strengths
        )

    def request_edit(self) -> None:
        req = self.edit_request()
        if req is None:
            return
        values = tuple(sl.value() for sl in self.sliders)
        if not self.edit_history or self.edit_history[-1] != values:
            self.edit_history.append(values)
        self.mode = "edit"
        if (req.entry, req.method) not in self.renderer.cache.known_directions():
            self.status.showMessage(f"computing {req.method} directions of {req.entry}…")
        self.renderer.submit(req)

    def _set_sliders(self, values: tuple[int, ...]) -> None:
        for sl, v in zip(self.sliders, values, strict=True):
            sl.blockSignals(True)
            sl.setValue(v)
            sl.blockSignals(False)

    def reset_edit(self) -> None:
        self._set_sliders((0,) * EDIT_SLIDERS)
        self.edit_history.clear()
        self.request_edit()

    def undo_edit(self) -> None:
        if len(self.edit_history) < 2:
            return
        self.edit_history.pop()
        self._set_sliders(self.edit_history.pop())
        self.request_edit()

    # -- results -------------------------------------------------------------------------------
    def _show_result(self, result: Result) -> None:
        if getattr(self, "mode", "sample") == "edit":
            self.edit_frame = result.frames[0]
            self.ecanvas.setPixmap(to_pixmap(self.edit_frame, 512))
            for i, name in enumerate(self.slider_names):
                name.setText(result.names[i].split(" ")[0] if i < len(result.names) else "–")
                self.sliders[i].setEnabled(i < len(result.names))
        elif getattr(self, "mode", "sample") == "interpolate":
            self.frames = result.frames
            self.scrub.setMaximum(len(self.frames) - 1)
            self.scrub.setValue(0)
            self._show_frame(0)
        else:
            self.canvas.setPixmap(to_pixmap(result.frames[0], 512))
        psi = self.psi.value() / 100 if self.psi.isEnabled() else 1.0
        self.status.showMessage(
            f"{self.state.entry}  seed {self.seed.value()}  ψ {psi:.2f}  {result.ms:.0f} ms  cpu"
        )

    def _show_error(self, message: str) -> None:
        self.status.showMessage(f"error: {message}")

    def save_image(self, path: str | None = None) -> None:
        pix = self.canvas.pixmap()
        if pix is None or pix.isNull():
            return
        if not path:
            path, _ = QFileDialog.getSaveFileName(self, "Save grid", "samples.png", "PNG (*.png)")
        if path:
            pix.save(path)
            self.status.showMessage(f"saved {path}")

    def closeEvent(self, event: Any) -> None:
        self.state.seed, self.state.grid = self.seed.value(), self.grid.value()
        self.state.truncation = self.psi.value() / 100
        self.state.endpoints = [self.seed_a.value(), self.seed_b.value()]
        if self.state_file:
            self.state.save(self.state_file)
        super().closeEvent(event)


def main(argv: list[str] | None = None, entry: str | None = None) -> int:
    """Start the app (``genzoo gui``)."""
    import platformdirs

    app = QApplication.instance() or QApplication(argv or sys.argv)
    win = MainWindow(state_file=platformdirs.user_config_path("genzoo") / "gui-state.json")
    if entry:
        win.select(entry)
    win.show()
    return app.exec()
