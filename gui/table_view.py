"""Rows from tabular models (RadialGAN): pick a domain, a seed and a row count; see a table."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from genzoo_gui.render import ModelCache, TableRequest, TableResult
from genzoo_gui.widgets import View


def _cell(v: Any) -> str:
    if isinstance(v, (float, np.floating)):
        return f"{float(v):.4g}"
    return str(v)


class TableView(View):
    """Synthetic rows of one domain as a table, saved as CSV or Parquet."""

    def __init__(
        self, cache: ModelCache, status: Callable[[str], None], parent: QWidget | None = None
    ) -> None:
        super().__init__(cache, status, parent)
        self.columns: dict[str, np.ndarray] | None = None
        self.debounce = QTimer(self, singleShot=True, interval=30)
        self.debounce.timeout.connect(self.request)
        h = QHBoxLayout(self)
        self.table = QTableWidget()
        h.addWidget(self.table, 1)
        form = QFormLayout()
        self.message = QLabel(wordWrap=True)
        self.domain = QComboBox()
        self.domain.setToolTip("The domain (e.g. hospital) whose columns the rows have")
        self.rows = QSpinBox(minimum=1, maximum=10000, value=20)
        self.seed = QSpinBox(maximum=2**31 - 1)
        self.save = QPushButton("Save rows… (CSV / Parquet)")
        self.save.clicked.connect(lambda: self.save_rows())
        for w in (self.domain,):
            w.currentIndexChanged.connect(self.debounce.start)
        for w in (self.rows, self.seed):
            w.valueChanged.connect(self.debounce.start)
        form.addRow(self.message)
        form.addRow("domain", self.domain)
        form.addRow("rows", self.rows)
        form.addRow("seed", self.seed)
        form.addRow(self.save)
        h.addLayout(form)
        self.controls = [self.domain, self.rows, self.seed, self.save]

    def set_entry(self, entry: Any | None) -> None:
        self.entry, self.columns = entry, None
        self.table.clear()
        self.table.setRowCount(0)
        self.table.setColumnCount(0)
        tabular = entry is not None and entry.spec is not None and entry.spec.data.kind == "tabular"
        ok = tabular and entry.is_local
        for w in self.controls:
            w.setEnabled(ok)
        self.domain.blockSignals(True)
        self.domain.clear()
        if ok:
            c = entry.spec.conditions
            self.domain.addItems(list(c.names) if c is not None else [])
            self.message.setText(f"{entry.name}: synthetic rows of one domain.")
        elif tabular:
            self.message.setText(f"{entry.name} is not installed: pull it first.")
        else:
            name = entry.name if entry is not None else "this entry"
            self.message.setText(f"{name} makes images, not tables: see the Sample tab.")
        self.domain.blockSignals(False)

    def activate(self) -> None:
        if self.entry is not None and self.columns is None and self.domain.isEnabled():
            self.request()

    def request(self) -> None:
        if self.entry is None or not self.domain.isEnabled() or not self.domain.currentText():
            return
        req = TableRequest(
            self.entry.name, self.domain.currentText(), self.rows.value(), self.seed.value()
        )
        self.renderer.submit(req)

    def _show_result(self, result: TableResult) -> None:
        self.columns = result.columns
        names = list(result.columns)
        n = len(next(iter(result.columns.values()))) if names else 0
        self.table.setColumnCount(len(names))
        self.table.setRowCount(n)
        self.table.setHorizontalHeaderLabels(names)
        for j, name in enumerate(names):
            for i, v in enumerate(result.columns[name]):
                self.table.setItem(i, j, QTableWidgetItem(_cell(v)))
        self.table.resizeColumnsToContents()
        self.status(
            f"{self.entry.name}  {n} rows of {self.domain.currentText()}  seed "
            f"{self.seed.value()}  {result.ms:.0f} ms"
        )

    def save_rows(self, path: str | None = None) -> None:
        if self.columns is None:
            return
        if not path:
            path, _ = QFileDialog.getSaveFileName(
                self, "Save rows", "rows.csv", "CSV (*.csv);;Parquet (*.parquet)"
            )
        if path:
            from genzoo.data.tabular import write_table

            try:
                write_table(self.columns, path)
            except Exception as exc:
                self.status(f"error: {exc}")
            else:
                self.status(f"saved {path}")
