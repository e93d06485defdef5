"""The genzoo desktop app: zoo browser with pull and remove, sample grid, interpolation, latent
editing, style mixing, autoencoder tools, latent map and tables.

Widgets only build immutable requests (:mod:`genzoo_gui.render`) and show results; model work
runs in worker threads (:mod:`genzoo_gui.workers`), the newest request wins, sliders are
debounced, and errors appear in the status bar instead of ending the app. Views other than the
first three live in their own modules and share one contract: ``View(cache, status)``,
``set_entry(entry)`` on every selection and ``activate()`` when their tab is shown.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QByteArray, QSize, Qt, QTimer
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QPushButton,
    QSlider,
    QSpinBox,
    QSplitter,
    QTabWidget,
    QWidget,
)

from genzoo_gui.encode_view import EncodeView
from genzoo_gui.latent_map_view import LatentMapView
from genzoo_gui.mix_view import MixView
from genzoo_gui.render import EditRequest, InterpolateRequest, ModelCache, Result, SampleRequest
from genzoo_gui.state import AppState
from genzoo_gui.table_view import TableView
from genzoo_gui.widgets import GridCanvas, to_pixmap
from genzoo_gui.workers import Renderer, collect_garbage_on_gui_thread
from genzoo_gui.zoo_panel import ZooPanel

DEBOUNCE_MS = 30
EDIT_SLIDERS = 5  # directions shown as sliders
EDIT_RANGE = 30  # slider units; strength = units / 10, so −3 … 3


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
        self.cache = ModelCache(zoo)
        self.renderer = Renderer(self.cache)
        self.renderer.result.connect(self._show_result)
        self.renderer.error.connect(self._show_error)
        self.frames: list[np.ndarray] = []
        self.mode = "sample"
        self.cell: int | None = None  # the grid cell picked last
        self.submitted: SampleRequest | None = None  # the newest sample request
        self.shown: SampleRequest | None = None  # the request whose grid is on the canvas
        self.setWindowTitle("genzoo")
        self.resize(1180, 760)
        self._build()
        self._menus()
        QShortcut(QKeySequence("Ctrl+F"), self, activated=self.search.setFocus)
        QShortcut(QKeySequence(Qt.Key.Key_Right), self, activated=lambda: self.step_seed(1))
        QShortcut(QKeySequence(Qt.Key.Key_Left), self, activated=lambda: self.step_seed(-1))
        QShortcut(QKeySequence("Ctrl+S"), self, activated=self.save_image)
        QShortcut(QKeySequence(Qt.Key.Key_Space), self, activated=self.toggle_play)
        self._restore_layout()
        if self.state.entry:
            self.select(self.state.entry)

    # -- layout --------------------------------------------------------------------------------
    def _build(self) -> None:
        self.status = self.statusBar()
        self.edit_debounce = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self.edit_debounce.timeout.connect(self.request_edit)
        self.debounce = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self.debounce.timeout.connect(self.request_samples)
        self.zoo_panel = ZooPanel(self.zoo, self.status.showMessage)
        self.zoo_panel.selected.connect(self._entry_changed)
        self.zoo_panel.changed.connect(self._entry_installed)
        # the person's view of the zoo panel, under the names the tests and shortcuts use
        self.search, self.entries, self.card = (
            self.zoo_panel.search,
            self.zoo_panel.entries,
            self.zoo_panel.card,
        )
        say = self.status.showMessage
        self.views: dict[str, Any] = {
            "Mix": MixView(self.cache, say),
            "Encode": EncodeView(self.cache, say),
            "Latent map": LatentMapView(self.cache, say),
            "Table": TableView(self.cache, say),
        }
        self.tabs = QTabWidget()
        self.tabs.addTab(self._sample_tab(), "Sample")
        self.tabs.addTab(self._interp_tab(), "Interpolate")
        self.tabs.addTab(self._edit_tab(), "Edit")
        for name, view in self.views.items():
            self.tabs.addTab(view, name)
        self.tabs.currentChanged.connect(self._tab_changed)
        self.split = QSplitter()
        self.split.addWidget(self.zoo_panel)
        self.split.addWidget(self.tabs)
        self.split.setSizes([340, 840])
        self.setCentralWidget(self.split)

    def _menus(self) -> None:
        menu = self.menuBar().addMenu("&genzoo")
        settings = QAction("Settings…", self, shortcut=QKeySequence("Ctrl+,"))
        settings.triggered.connect(lambda: self.open_settings())
        quit_ = QAction("Quit", self, shortcut=QKeySequence.StandardKey.Quit)
        quit_.triggered.connect(self.close)
        menu.addAction(settings)
        menu.addAction(quit_)

    def _sample_tab(self) -> QWidget:
        w = QWidget()
        h = QHBoxLayout(w)
        self.canvas = GridCanvas(512)
        self.canvas.setToolTip("click a cell to pick it: copy its seed or use it as an endpoint")
        self.canvas.cellClicked.connect(self.pick_cell)
        h.addWidget(self.canvas, 1)
        form = QFormLayout()
        self.seed = QSpinBox(maximum=2**31 - 1, value=self.state.seed)
        self.seed.setToolTip("Seed of the first cell; cell i shows seed + i")
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
        self.picked = QLabel("no cell picked", wordWrap=True)
        pick = QHBoxLayout()
        for text, fn in (
            ("copy seed", self.copy_seed),
            ("→ A", lambda: self.use_as_endpoint(0)),
            ("→ B", lambda: self.use_as_endpoint(1)),
        ):
            b = QPushButton(text)
            b.clicked.connect(fn)
            pick.addWidget(b)
        save = QPushButton("Save grid… (Ctrl+S)")
        save.clicked.connect(lambda: self.save_image())
        save_one = QPushButton("Save picked image…")
        save_one.clicked.connect(lambda: self.save_cell())
        form.addRow("seed", self.seed)
        form.addRow(row)
        form.addRow("grid", self.grid)
        form.addRow("ψ", self.psi)
        form.addRow("class", self.label)
        form.addRow(self.picked)
        form.addRow(pick)
        form.addRow(save)
        form.addRow(save_one)
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
    def select(self, name: str) -> None:
        self.zoo_panel.select(name)

    def _entry_installed(self, name: str) -> None:
        self.cache.forget(name)
        if name == self.state.entry:
            self._entry_changed(name)

    def _entry_changed(self, name: str) -> None:
        entry = self.zoo.entry(name)
        self.state.entry = name
        self.cell, self.shown = None, None
        self.picked.setText("no cell picked")
        self.label.blockSignals(True)
        self.label.clear()
        c = entry.spec.conditions
        if c is not None and c.kind == "class":
            self.label.addItems([f"{i}: {n}" for i, n in enumerate(c.names)])
        self.label.setEnabled(self.label.count() > 0)
        self.label.blockSignals(False)
        caps = self.zoo.registries.families.get(entry.spec.family).model_class().capabilities
        truncates = "truncate" in caps
        self.psi.setEnabled(truncates)
        self.psi.setToolTip(
            "Truncation ψ: pull latents toward the average (1: off)"
            if truncates
            else f"{entry.spec.family} models have no truncation"
        )
        for view in self.views.values():
            view.set_entry(entry)
        for name_label, slider in zip(self.slider_names, self.sliders, strict=True):
            name_label.setText("–")  # the new entry's directions arrive with its first edit
            slider.setEnabled(False)
        self.samples_images = entry.spec.data.kind == "image" and "sample" in caps
        if not entry.is_local:
            self.renderer.drop_pending()
            self.canvas.clear()
            how = "Pull" if entry.is_remote else "train it (genzoo train)"
            self.canvas.setText(f"{name} is not installed here.\n{how} to use it.")
            self.status.showMessage(f"{name} is remote: Pull, or genzoo pull {name}")
            return
        if not self.samples_images:
            self.renderer.drop_pending()
            self.canvas.clear()
            other = "Table" if entry.spec.data.kind == "tabular" else "Encode"
            for canvas in (self.canvas, self.ecanvas):
                canvas.clear()
                canvas.setText(f"{name} does not sample images.\nSee the {other} tab.")
        tab = self.tabs.tabText(self.tabs.currentIndex())
        if tab == "Edit":
            self.reset_edit()
        elif tab in self.views:
            self.views[tab].activate()
        elif self.samples_images:
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
        if not getattr(self, "samples_images", False):
            return
        entry = self.zoo.entry(self.state.entry) if self.state.entry else None
        req = self.sample_request() if entry is not None and entry.is_local else None
        if req is not None:
            self.mode = "sample"
            self.submitted = req  # the newest request: the only one whose frame will be shown
            self.renderer.submit(req)

    def pick_cell(self, index: int) -> None:
        """Make a grid cell the current sample (its seed is the grid's seed + index)."""
        if self.shown is None or index >= self.shown.grid**2:
            return
        self.cell = index
        seed = self.shown.seed + index
        label = f", class {self.label.currentText()}" if self.label.isEnabled() else ""
        self.picked.setText(f"picked: seed {seed}{label}")
        self.status.showMessage(
            f"picked seed {seed}: genzoo sample {self.state.entry} -n 1 --seed {seed}"
        )

    def picked_seed(self) -> int:
        shown = self.shown
        return (shown.seed if shown else self.seed.value()) + (self.cell or 0)

    def copy_seed(self) -> None:
        QGuiApplication.clipboard().setText(str(self.picked_seed()))
        self.status.showMessage(f"copied seed {self.picked_seed()}")

    def use_as_endpoint(self, which: int) -> None:
        (self.seed_a, self.seed_b)[which].setValue(self.picked_seed())
        self.status.showMessage(f"endpoint {'AB'[which]} = seed {self.picked_seed()}")

    def save_cell(self, path: str | None = None) -> None:
        """Save the picked cell alone, at the model's resolution."""
        frame = getattr(self, "grid_frame", None)
        if frame is None or self.cell is None:
            self.status.showMessage("pick a cell first (click it)")
            return
        if not path:
            path, _ = QFileDialog.getSaveFileName(
                self, "Save image", f"seed{self.picked_seed()}.png", "PNG (*.png)"
            )
        if path:
            from PIL import Image

            n, pad = self.shown.grid, 2
            side = (frame.shape[0] - pad) // n - pad
            r, c = divmod(self.cell, n)
            y, x = pad + r * (side + pad), pad + c * (side + pad)
            tile = frame[y : y + side, x : x + side]
            Image.fromarray(tile[..., 0] if tile.shape[-1] == 1 else tile).save(path)
            self.status.showMessage(f"saved {path}")

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
        tab = self.tabs.tabText(index)
        self.state.tab = tab
        entry = self.zoo.entry(self.state.entry) if self.state.entry else None
        if entry is None or not entry.is_local:
            return
        if tab == "Edit":
            self.request_edit()
        elif tab in self.views:
            self.views[tab].activate()
        elif tab == "Sample":
            self.request_samples()

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
        if req is None or not getattr(self, "samples_images", False):
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
            self.grid_frame, self.shown = result.frames[0], self.submitted
            self.canvas.show_grid(self.grid_frame, self.shown.grid)
        # what was rendered, not what the controls say now (a newer request may be pending)
        shown = self.shown if self.mode == "sample" else None
        seed = shown.seed if shown else self.seed.value()
        psi = (shown.truncation or 1.0) if shown else 1.0
        self.status.showMessage(
            f"{self.state.entry}  seed {seed}  ψ {psi:.2f}  {result.ms:.0f} ms  "
            f"{self.zoo.settings.device}"
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

    # -- settings and layout -------------------------------------------------------------------
    def open_settings(self, dialog: Any = None) -> bool:
        """Show the settings dialog; saved changes apply to this window at once."""
        from genzoo.settings import save_config_file
        from genzoo_gui.settings_dialog import SettingsDialog

        dialog = dialog or SettingsDialog(self.zoo.settings, self)
        if not dialog.exec():
            return False
        changes = dialog.changes()
        if not changes:
            return True
        try:
            path = save_config_file(changes)
            self.zoo.settings = self.zoo.settings.with_(**changes)
        except Exception as exc:
            self.status.showMessage(f"error: settings: {exc}")
            return False
        self.cache.forget()
        self.zoo.entries(refresh=True)
        self.zoo_panel.fill()
        self.status.showMessage(f"settings saved to {path}: {', '.join(sorted(changes))}")
        return True

    def _restore_layout(self) -> None:
        if self.state.geometry:
            self.restoreGeometry(QByteArray.fromBase64(self.state.geometry.encode()))
        if self.state.splitter:
            self.split.restoreState(QByteArray.fromBase64(self.state.splitter.encode()))
        for i in range(self.tabs.count()):
            if self.tabs.tabText(i) == self.state.tab:
                self.tabs.blockSignals(True)
                self.tabs.setCurrentIndex(i)
                self.tabs.blockSignals(False)

    def closeEvent(self, event: Any) -> None:
        self.state.seed, self.state.grid = self.seed.value(), self.grid.value()
        self.state.truncation = self.psi.value() / 100
        self.state.endpoints = [self.seed_a.value(), self.seed_b.value()]
        self.state.steps, self.state.slerp = self.steps.value(), self.slerp.isChecked()
        self.state.geometry = bytes(self.saveGeometry().toBase64()).decode()
        self.state.splitter = bytes(self.split.saveState().toBase64()).decode()
        if self.state_file:
            self.state.save(self.state_file)
        self.zoo_panel.pulls.cancel()
        super().closeEvent(event)


def main(argv: list[str] | None = None, entry: str | None = None) -> int:
    """Start the app (``genzoo gui``)."""
    import platformdirs

    app = QApplication.instance() or QApplication(argv or sys.argv)
    gc_timer = collect_garbage_on_gui_thread(app)  # noqa: F841 - kept alive with the app
    win = MainWindow(state_file=platformdirs.user_config_path("genzoo") / "gui-state.json")
    if entry:
        win.select(entry)
    win.show()
    return app.exec()
