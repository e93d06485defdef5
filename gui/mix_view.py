"""Style mixing for style-based models: rows keep their styles except a layer range, which they
take from the columns (the figure of Karras et al. 2019, live)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QWidget,
)

from genzoo_gui.render import MixRequest, MixResult, ModelCache
from genzoo_gui.widgets import GridCanvas, View

PRESETS = ("coarse", "middle", "fine", "custom")


def _seeds(text: str) -> tuple[int, ...]:
    out = tuple(int(t) for t in text.replace(",", " ").split())
    if not out or len(out) > 8 or min(out) < 0:
        raise ValueError("give 1 to 8 seeds ≥ 0, e.g. '1 2 3'")
    return out


class MixView(View):
    """Pick row and column seeds and a layer range; see the mixed grid."""

    def __init__(
        self, cache: ModelCache, status: Callable[[str], None], parent: QWidget | None = None
    ) -> None:
        super().__init__(cache, status, parent)
        self.num_ws = 0
        self.frame: Any = None
        self.debounce = QTimer(self, singleShot=True, interval=30)
        self.debounce.timeout.connect(self.request)
        h = QHBoxLayout(self)
        self.canvas = GridCanvas(512)
        self.canvas.setToolTip(
            "top row: the column seeds; left column: the row seeds; inside: each row's styles "
            "with the chosen layers taken from the column"
        )
        h.addWidget(self.canvas, 1)
        form = QFormLayout()
        self.message = QLabel(wordWrap=True)
        self.rows = QLineEdit("1 2 3")
        self.cols = QLineEdit("4 5 6 7")
        self.preset = QComboBox()
        self.preset.addItems(PRESETS)
        self.first = QSpinBox()
        self.last = QSpinBox()
        for w in (self.rows, self.cols):
            w.editingFinished.connect(self.debounce.start)
        self.preset.currentTextChanged.connect(self._preset)
        self.first.valueChanged.connect(self._custom)
        self.last.valueChanged.connect(self._custom)
        self.rows.setToolTip("Seeds of the rows (the images whose styles are kept)")
        self.cols.setToolTip("Seeds of the columns (where the chosen layers come from)")
        self.preset.setToolTip(
            "coarse: pose and shape (the lowest resolutions); middle: features; "
            "fine: colour and texture (the highest resolutions)"
        )
        form.addRow(self.message)
        form.addRow("row seeds", self.rows)
        form.addRow("column seeds", self.cols)
        form.addRow("layers from columns", self.preset)
        form.addRow("first style", self.first)
        form.addRow("last style", self.last)
        h.addLayout(form)
        self.controls = [self.rows, self.cols, self.preset, self.first, self.last]

    # -- contract with the main window ---------------------------------------------------------
    def set_entry(self, entry: Any | None) -> None:
        self.entry, self.frame, self.num_ws = entry, None, 0
        self.canvas.clear()
        ok, why = self._can_mix(entry)
        for w in self.controls:
            w.setEnabled(ok)
        self.message.setText(why)

    def activate(self) -> None:
        if self.entry is not None and self.frame is None and self.rows.isEnabled():
            self.request()

    # -- internals -----------------------------------------------------------------------------
    def _can_mix(self, entry: Any | None) -> tuple[bool, str]:
        if entry is None or entry.spec is None:
            return False, "Pick a style-based entry (stylegan, stylegan2)."
        family = self.cache.zoo.registries.families.get(entry.spec.family)
        if "style_mix" not in family.model_class().capabilities:
            return False, f"{entry.name} ({entry.spec.family}) has no styles to mix."
        if not entry.is_local:
            return False, f"{entry.name} is not installed: pull it first."
        return True, f"{entry.name}: rows keep their styles except the chosen layers."

    def _preset(self, preset: str) -> None:
        self.debounce.start()

    def _custom(self) -> None:
        if self.last.value() < self.first.value():
            self.last.setValue(self.first.value())
        self.preset.blockSignals(True)
        self.preset.setCurrentText("custom")
        self.preset.blockSignals(False)
        self.debounce.start()

    def mix_request(self) -> MixRequest | None:
        if self.entry is None or not self.rows.isEnabled():
            return None
        try:
            rows, cols = _seeds(self.rows.text()), _seeds(self.cols.text())
        except ValueError as exc:
            self.status(f"error: seeds: {exc}")
            return None
        preset = self.preset.currentText()
        # the model knows how many styles it has: presets are resolved in the worker
        layers = (self.first.value(), self.last.value()) if preset == "custom" else preset
        return MixRequest(self.entry.name, rows, cols, layers)

    def request(self) -> None:
        req = self.mix_request()
        if req is not None:
            self.renderer.submit(req)

    def _show_result(self, result: MixResult) -> None:
        self.frame = result.frames[0]
        self.num_ws = result.num_ws
        a, b = result.layers
        for sb, v in ((self.first, a), (self.last, b)):
            sb.blockSignals(True)
            sb.setMaximum(result.num_ws - 1)
            sb.setValue(v)
            sb.blockSignals(False)
        req = self.mix_request()
        self.canvas.show_grid(self.frame, 1 + (len(req.col_seeds) if req else 0))
        self.message.setText(
            f"{self.entry.name}: {result.num_ws} styles; styles {a}–{b} come from the columns."
        )
        self.status(f"{self.entry.name}  styles {a}–{b} from the columns  {result.ms:.0f} ms")
