"""The Encode view: one image through an autoencoder or VAE.

A person opens or drops an image file (or takes one of the entry's held-out digits) and sees it
as the model sees it, its reconstruction, a noisy copy and that copy's reconstruction, and the
anomaly score against the entry's calibrated threshold. Model work runs in a worker
(:class:`genzoo_gui.workers.Renderer`); this module only builds requests and shows results.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QMimeData, Qt, QTimer
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from genzoo_gui.render import AutoencodeRequest, AutoencodeResult, ModelCache
from genzoo_gui.widgets import ImagePanel, View

DEBOUNCE_MS = 40
PANEL = 198  # a 28 px digit at 7× (nearest neighbour) plus the panel's border
HELD_OUT = 500  # the held-out images a random digit is drawn from (render.py's pool)
IMAGE_FILES = "Images (*.png *.jpg *.jpeg *.bmp *.gif *.webp *.tif *.tiff);;All files (*)"
GREEN, RED, GREY = "#2e7d32", "#c62828", "#616161"
PICK = "pick an autoencoder or VAE"


def capabilities(zoo: Any, entry: Any) -> frozenset[str]:
    """What the entry's family can do (empty when the family is unknown)."""
    try:
        return frozenset(zoo.registries.families.get(entry.spec.family).model_class().capabilities)
    except Exception:  # an unknown or broken family plugin: the view says it cannot encode
        return frozenset()


def cannot_encode(zoo: Any, entry: Any | None, needs: tuple[str, ...]) -> str | None:
    """Why an encoding view cannot use ``entry`` (None: it can), in words for the person."""
    if entry is None:
        return f"No entry selected: {PICK} in the zoo."
    if entry.spec is None:
        return f"{entry.name} has an invalid spec: {PICK}."
    if entry.spec.data.kind != "image":
        return f"{entry.name} is a {entry.spec.data.kind} model, it cannot encode images: {PICK}."
    if not set(needs) <= capabilities(zoo, entry):
        return f"{entry.name} cannot encode images: {PICK}."
    if not entry.is_local:
        return f"{entry.name}'s weights are not here yet: genzoo pull {entry.name}"
    return None


def dropped_file(mime: QMimeData) -> str | None:
    """The first local file of a drag, if any."""
    for url in mime.urls() if mime.hasUrls() else []:
        if url.isLocalFile():
            return url.toLocalFile()
    return None


def _threshold_text(score: float, threshold: dict[str, Any]) -> str:
    """The score against the threshold, and how the threshold was calibrated (anomaly.json)."""
    t = float(threshold["threshold"])
    normal = threshold.get("normal", {})
    how = f"Calibrated as the {threshold.get('quantile', 0.99):.0%} quantile of the scores of "
    how += f"{normal.get('n', '?')} held-out normal images"
    if normal.get("options"):
        how += f" ({', '.join([normal.get('source', 'data'), *normal['options']])})"
    how += "."
    bad = threshold.get("anomalous", {})
    if "flagged" in bad:
        how += f" It flags {bad['flagged']:.0%} of {bad.get('n', 'the')} held-out anomalies"
        how += f", ROC AUC {threshold['roc_auc']:.3f}." if "roc_auc" in threshold else "."
    sign = ">" if score > t else "≤"
    return f"score {score:.4f} {sign} threshold {t:.4f}\n{how}"


class EncodeView(View):
    """Input, reconstruction, noisy copy, denoised copy and anomaly verdict of one image."""

    def __init__(
        self, cache: ModelCache, status: Callable[[str], None], parent: QWidget | None = None
    ) -> None:
        super().__init__(cache, status, parent)
        self.problem: str | None = None
        self.source: tuple[str, Any] | None = None  # ("file", path) or ("held-out", index)
        self.result: AutoencodeResult | None = None
        self._dirty = False  # the shown result is not of the current entry / settings
        self._noise_sent = 0.0  # of the newest request (the one whose result is shown)
        self.debounce = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self.debounce.timeout.connect(self.submit)
        self.setAcceptDrops(True)
        self._build()
        self.set_entry(None)

    # -- layout --------------------------------------------------------------------------------
    def _build(self) -> None:
        self.message = QLabel(wordWrap=True)
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        hint = "open an image,\ndrop one here,\nor use a held-out digit"
        self.input = ImagePanel("input, as the model sees it", PANEL, hint)
        self.reconstruction = ImagePanel("reconstruction", PANEL)
        self.noisy = ImagePanel("noisy copy", PANEL)
        self.denoised = ImagePanel("denoised: reconstruction of the noisy copy", PANEL)
        self.panels = (self.input, self.reconstruction, self.noisy, self.denoised)
        grid = QGridLayout()
        grid.setHorizontalSpacing(14)
        grid.setVerticalSpacing(8)
        for i, panel in enumerate(self.panels):
            grid.addWidget(panel, i // 2, i % 2)

        self.open_button = QPushButton("Open image…")
        self.open_button.setToolTip("Any size or colour: converted as `genzoo reconstruct` does")
        self.open_button.clicked.connect(self.open_file)
        self.held_out_button = QPushButton("Use a held-out digit")
        self.held_out_button.setToolTip("A random one of the entry's first 500 held-out images")
        self.held_out_button.clicked.connect(lambda: self.use_held_out())
        self.noise = QSlider(Qt.Orientation.Horizontal, minimum=0, maximum=90, value=30)
        self.noise.setSingleStep(5)
        self.noise.setPageStep(10)
        self.noise.setToolTip("Masking noise: the fraction of pixels dropped to black")
        self.noise.valueChanged.connect(self._noise_changed)
        self.noise_label = QLabel()
        self.trained = QLabel(wordWrap=True)
        self.note = QLabel(wordWrap=True)
        self.verdict = QLabel(alignment=Qt.AlignmentFlag.AlignCenter)
        self.verdict.setMinimumHeight(34)
        self.details = QLabel(wordWrap=True)
        self.details.setTextFormat(Qt.TextFormat.PlainText)
        self.controls = (self.open_button, self.held_out_button, self.noise)

        side = QVBoxLayout()
        side.setSpacing(6)
        buttons = QHBoxLayout()
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.held_out_button)
        side.addLayout(buttons)
        side.addWidget(self.note)
        side.addSpacing(8)
        side.addWidget(_heading("Noise"))
        side.addWidget(self.noise)
        side.addWidget(self.noise_label)
        side.addWidget(self.trained)
        side.addSpacing(8)
        side.addWidget(_heading("Anomaly score"))
        side.addWidget(self.verdict)
        side.addWidget(self.details)
        side.addStretch(1)
        side_widget = QWidget()
        side_widget.setLayout(side)
        side_widget.setMinimumWidth(280)
        side_widget.setMaximumWidth(420)

        body = QHBoxLayout()
        body.addLayout(grid)
        body.addSpacing(10)
        body.addWidget(side_widget, 1)
        top = QVBoxLayout(self)
        top.addWidget(self.message)
        top.addLayout(body)
        top.addStretch(1)
        self._noise_label()

    # -- the contract with the main window -----------------------------------------------------
    def set_entry(self, entry: Any | None) -> None:
        """Show ``entry`` (a zoo entry, or None); re-runs the current image when visible."""
        self.entry = entry
        self.renderer.drop_pending()  # a result of the previous entry is not shown
        self.problem = cannot_encode(self.cache.zoo, entry, ("encode", "reconstruct"))
        for w in self.controls:
            w.setEnabled(self.problem is None)
        if self.problem is not None:
            self._message(self.problem)
            self._clear("")
            self.trained.setText("")
            return
        self._message(
            f"{entry.name}: open an image or drop one here (any size or colour), or use a "
            "held-out digit."
        )
        self.trained.setText("")
        self._dirty = True
        if self.source is None:
            self._clear()  # the hint: open, drop or take a held-out digit
        elif self.isVisible():
            self.submit()

    def activate(self) -> None:
        """The view became visible: run the current image through the current entry if needed."""
        if self._dirty and self.source is not None and self.problem is None:
            self.submit()

    # -- a person's actions --------------------------------------------------------------------
    def open_file(self) -> None:
        """Ask for an image file and run it."""
        path, _ = QFileDialog.getOpenFileName(self, "Open an image", "", IMAGE_FILES)
        if path:
            self.open_path(path)

    def open_path(self, path: str) -> None:
        """Run the image file at ``path`` (a bad file ends as a message, not a crash)."""
        if self.problem is None:
            self.source = ("file", path)
            self.submit()

    def use_held_out(self, index: int | None = None) -> None:
        """Run one of the entry's held-out images (a random one when ``index`` is None)."""
        if self.problem is None:
            self.source = ("held-out", random.randrange(HELD_OUT) if index is None else index)
            self.submit()

    def request(self) -> AutoencodeRequest | None:
        """The request for the current entry, image and noise (None: nothing to run)."""
        if self.problem is not None or self.source is None or self.entry is None:
            return None
        kind, value = self.source
        noise = self.noise.value() / 100
        if kind == "file":
            return AutoencodeRequest(self.entry.name, value, noise)
        return AutoencodeRequest(self.entry.name, None, noise, held_out=value)

    def submit(self) -> None:
        """Send the current request to the worker (newest wins)."""
        req = self.request()
        if req is None:
            return
        self._dirty = False
        self._noise_sent = req.noise
        self.renderer.submit(req)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self.problem is None and dropped_file(event.mimeData()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        path = dropped_file(event.mimeData())
        if self.problem is None and path:
            event.acceptProposedAction()
            self.open_path(path)

    # -- results -------------------------------------------------------------------------------
    def _noise_changed(self) -> None:
        self._noise_label()
        self.debounce.start()

    def _noise_label(self) -> None:
        self.noise_label.setText(f"{self.noise.value()}% of pixels masked in the noisy copy")

    def _show_result(self, result: Any) -> None:
        if not isinstance(result, AutoencodeResult) or self.entry is None:
            return
        self.result = result
        name = self.entry.name
        for panel, arr in zip(
            self.panels,
            (result.input, result.reconstruction, result.noisy, result.denoised),
            strict=True,
        ):
            panel.show_array(arr)
        self.input.caption.setText("input, as the model sees it")
        self.reconstruction.caption.setText(f"reconstruction\nMSE {result.score:.4f}")
        self.noisy.caption.setText(
            f"noisy copy ({self._noise_sent:.0%} masked)\nMSE {result.noisy_mse:.4f}"
        )
        self.denoised.caption.setText(f"denoised\nMSE {result.denoised_mse:.4f} to the input")
        self.note.setText(result.note)
        self.trained.setText(
            f"{name} was not trained to denoise."
            if result.denoising is None
            else f"{name} was trained to undo {result.denoising}."
        )
        self._message(
            f"{name}: errors are mean squared errors over pixels scaled to [−1, 1], the score "
            "genzoo anomaly uses."
        )
        if result.threshold is None:
            self._verdict("no threshold", GREY)
            self.details.setText(
                f"score {result.score:.4f}\n{name} has no calibrated threshold, so the score "
                "cannot say normal or anomalous. To calibrate one:\n"
                f"genzoo anomaly {name} --calibrate"
            )
        else:
            anomalous = result.score > float(result.threshold["threshold"])
            self._verdict("anomalous" if anomalous else "normal", RED if anomalous else GREEN)
            self.details.setText(_threshold_text(result.score, result.threshold))
        verdict = self.verdict.text()
        self.status(
            f"{name}: {result.note}; reconstruction MSE {result.score:.4f} ({verdict}); "
            f"{result.ms:.0f} ms"
        )

    def _show_error(self, message: str) -> None:
        self.status(f"error: {message}")
        self.source = None  # the noise slider must not resend a file that fails
        self.result = None
        self._clear("no image")
        self._message(f"Could not encode that image: {message}", error=True)

    def _verdict(self, text: str, colour: str) -> None:
        self.verdict.setText(text)
        self.verdict.setStyleSheet(
            f"background: {colour}; color: white; font-weight: bold; border-radius: 4px;"
            " padding: 4px 10px;"
        )

    def _clear(self, text: str | None = None) -> None:
        hint = "open an image,\ndrop one here,\nor use a held-out digit"
        self.input.clear(hint if text is None else text)
        for panel in self.panels[1:]:
            panel.clear()
        self.reconstruction.caption.setText("reconstruction")
        self.noisy.caption.setText("noisy copy")
        self.denoised.caption.setText("denoised: reconstruction of the noisy copy")
        self.note.setText("")
        self.verdict.setText("")
        self.verdict.setStyleSheet("")
        self.details.setText("")

    def _message(self, text: str, error: bool = False) -> None:
        self.message.setText(text)
        self.message.setStyleSheet(f"color: {RED};" if error else "")


def _heading(text: str) -> QLabel:
    label = QLabel(text)
    font = label.font()
    font.setBold(True)
    label.setFont(font)
    return label
