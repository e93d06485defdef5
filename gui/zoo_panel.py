"""The zoo browser: search, family and task filters, thumbnails, the model card, pull (with the
licence prompt, progress and cancel) and remove."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from genzoo_gui.pull import PullController

ALL = "all"
THUMB = 44


def strip_front_matter(text: str) -> str:
    """A model card without its YAML front matter (the Hub's metadata block)."""
    if text.startswith("---\n"):
        end = text.find("\n---", 4)
        if end != -1:
            return text[end + 4 :]
    return text


def _thumbnail(entry: Any) -> QIcon | None:
    """The top-left 2×2 cells of the entry's sample grid (samples.png), if it has one."""
    path = entry.folder / "samples.png"
    if not path.is_file():
        return None
    pix = QPixmap(str(path))
    if pix.isNull():
        return None
    side = min(pix.width(), pix.height()) // 4
    crop = pix.copy(0, 0, side, side)
    return QIcon(crop.scaled(THUMB, THUMB, Qt.AspectRatioMode.KeepAspectRatio))


def state_of(entry: Any) -> str:
    if entry.is_local:
        return "local"
    return "remote" if entry.is_remote else "no weights"


class ZooPanel(QWidget):
    """Emits ``selected(name)`` when the person picks an entry and ``changed(name)`` after a
    pull or removal changed what is installed."""

    selected = Signal(str)
    changed = Signal(str)

    def __init__(self, zoo: Any, status: Callable[[str], None], parent: Any = None) -> None:
        super().__init__(parent)
        self.zoo, self.status = zoo, status
        self.current: str | None = None
        self._icons: dict[str, QIcon | None] = {}
        self.pulls = PullController(zoo)
        self.pulls.progress.connect(self._pull_progress)
        self.pulls.done.connect(self._pull_done)
        self.pulls.failed.connect(self._pull_failed)
        self.pulls.cancelled.connect(self._pull_cancelled)
        lay = QVBoxLayout(self)
        self.search = QLineEdit(placeholderText="Search the zoo (Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        self.family = QComboBox(toolTip="Show one family")
        self.task = QComboBox(toolTip="Show one task")
        filters = QHBoxLayout()
        filters.addWidget(self.family, 1)
        filters.addWidget(self.task, 1)
        self.entries = QListWidget(iconSize=QSize(THUMB, THUMB))
        self.entries.setUniformItemSizes(True)
        self.abilities = QLabel(wordWrap=True)
        self.card = QTextBrowser(openExternalLinks=True)
        self.pull = QPushButton("Pull")
        self.remove = QPushButton("Remove local copy")
        self.cancel = QPushButton("Cancel")
        self.progress = QProgressBar(textVisible=True)
        buttons = QHBoxLayout()
        for w in (self.pull, self.remove, self.cancel):
            buttons.addWidget(w)
        lay.addWidget(self.search)
        lay.addLayout(filters)
        lay.addWidget(self.entries, 2)
        lay.addWidget(self.abilities)
        lay.addLayout(buttons)
        lay.addWidget(self.progress)
        lay.addWidget(self.card, 3)
        self.progress.hide()
        self.cancel.hide()
        self.search.textChanged.connect(self.fill)
        self.family.currentIndexChanged.connect(self.fill)
        self.task.currentIndexChanged.connect(self.fill)
        self.entries.currentItemChanged.connect(self._item_changed)
        self.pull.clicked.connect(lambda: self.start_pull())
        self.remove.clicked.connect(lambda: self.remove_local())
        self.cancel.clicked.connect(self.pulls.cancel)
        self._fill_filters()
        self.fill()

    # -- listing -------------------------------------------------------------------------------
    def _fill_filters(self) -> None:
        specs = [e.spec for e in self.zoo.entries() if e.spec is not None]
        for box, values, what in (
            (self.family, sorted({s.family for s in specs}), "families"),
            (self.task, sorted({s.task for s in specs}), "tasks"),
        ):
            box.blockSignals(True)
            box.clear()
            box.addItem(f"all {what}", ALL)
            for v in values:
                box.addItem(v, v)
            box.blockSignals(False)

    def fill(self) -> None:
        text = self.search.text().lower().strip()
        family, task = self.family.currentData(), self.task.currentData()
        self.entries.blockSignals(True)
        self.entries.clear()
        for e in self.zoo.entries():
            if e.spec is None:
                continue
            if family not in (None, ALL) and e.spec.family != family:
                continue
            if task not in (None, ALL) and e.spec.task != task:
                continue
            if text and text not in e.name and text not in (e.spec.family or ""):
                continue
            badge = {"local": "●", "remote": "○ remote", "no weights": "– no weights"}[state_of(e)]
            lic = " · restricted licence" if e.spec.license_restricted else ""
            item = QListWidgetItem(f"{e.name}\n{e.spec.family} · {e.spec.resolution}  {badge}{lic}")
            item.setData(Qt.ItemDataRole.UserRole, e.name)
            item.setToolTip(f"{e.spec.description}\nlicence: {e.spec.license}")
            if e.name not in self._icons:
                self._icons[e.name] = _thumbnail(e) if e.is_local else None
            if self._icons[e.name] is not None:
                item.setIcon(self._icons[e.name])
            self.entries.addItem(item)
            if e.name == self.current:
                self.entries.setCurrentItem(item)
        self.entries.blockSignals(False)

    def select(self, name: str) -> bool:
        for i in range(self.entries.count()):
            item = self.entries.item(i)
            if item.data(Qt.ItemDataRole.UserRole) == name:
                self.entries.setCurrentItem(item)
                return True
        return False

    def _item_changed(self, item: QListWidgetItem | None, _: Any = None) -> None:
        if item is None:
            return
        self.current = item.data(Qt.ItemDataRole.UserRole)
        self.show_entry()
        self.selected.emit(self.current)

    def show_entry(self) -> None:
        """Card, capabilities and the pull/remove buttons of the current entry."""
        if self.current is None:
            return
        e = self.zoo.entry(self.current)
        self.card.setMarkdown(strip_front_matter(e.card()) or e.spec.description)
        caps = sorted(self.zoo.registries.families.get(e.spec.family).model_class().capabilities)
        lic = e.spec.license + (" (restricted)" if e.spec.license_restricted else "")
        self.abilities.setText(
            f"<b>{e.name}</b> — {state_of(e)}; can {', '.join(caps)}; licence {lic}"
        )
        busy = self.pulls.active is not None
        self.pull.setEnabled(e.is_remote and not busy)
        self.pull.setText("Pull again" if e.is_local and e.is_remote else "Pull")
        self.remove.setEnabled(e.installed is not None and not busy)

    # -- pull and remove -----------------------------------------------------------------------
    def confirm(self, title: str, text: str) -> bool:
        """Ask the person (a dialog; tests replace this)."""
        answer = QMessageBox.question(self, title, text)
        return answer == QMessageBox.StandardButton.Yes

    def start_pull(self, name: str | None = None) -> bool:
        name = name or self.current
        if name is None:
            return False
        spec = self.zoo.entry(name).spec
        if spec.license_restricted and not self.confirm(
            "Licence",
            f"{name} is distributed under '{spec.license}', a restricted licence (e.g. "
            "non-commercial use only); its model card says more. Accept it and download?",
        ):
            self.status(f"{name}: licence not accepted; nothing downloaded")
            return False
        if not self.pulls.start(name):
            self.status(f"another pull is running ({self.pulls.active})")
            return False
        self.progress.setRange(0, 0)  # busy until the size is known
        self.progress.show()
        self.cancel.show()
        self.pull.setEnabled(False)
        self.remove.setEnabled(False)
        self.status(f"pulling {name}…")
        return True

    def _pull_progress(self, done: int, total: int) -> None:
        if total:
            self.progress.setRange(0, 1000)
            self.progress.setValue(int(1000 * done / total))
            self.progress.setFormat(f"{done / 2**20:.1f} / {total / 2**20:.1f} MB")

    def _pull_finished(self, name: str, message: str) -> None:
        self.progress.hide()
        self.cancel.hide()
        self.zoo.entries(refresh=True)
        self._icons.pop(name, None)
        self.fill()
        self.show_entry()
        self.changed.emit(name)  # the views reload first; the outcome is the last word
        self.status(message)

    def _pull_done(self, name: str, downloaded: bool) -> None:
        self._pull_finished(name, f"installed {name}" if downloaded else f"{name} is up to date")

    def _pull_failed(self, name: str, message: str) -> None:
        self._pull_finished(name, f"error: pull {name}: {message}")

    def _pull_cancelled(self, name: str) -> None:
        self._pull_finished(name, f"pull of {name} cancelled; nothing installed")

    def remove_local(self, name: str | None = None) -> bool:
        from genzoo import hub

        name = name or self.current
        if name is None or not self.confirm("Remove", f"Delete the installed copy of {name}?"):
            return False
        try:
            folder = hub.remove(self.zoo, name)
        except Exception as exc:
            self.status(f"error: {exc}")
            return False
        self._pull_finished(name, f"removed {name} ({folder})")
        return True
