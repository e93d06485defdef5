"""The settings dialog: device, folders, offline mode and Hub endpoint, shared with the CLI.

Values are written to the user config file (:func:`genzoo.settings.save_config_file`), the file
the ``genzoo`` command reads too. A setting fixed by an environment variable wins over that
file, so its field is shown read-only with the variable's name.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
)

from genzoo.settings import Settings, environment_overrides

TIPS = {
    "device": "Where models run: cpu, cuda, cuda:1 or mps (GENZOO_DEVICE)",
    "store_dir": "Where pulled entries are installed (GENZOO_STORE)",
    "cache_dir": "Download cache of the Hub client and genzoo (GENZOO_CACHE)",
    "hub_endpoint": "Hugging Face Hub URL; empty for the public Hub (GENZOO_HUB_ENDPOINT)",
    "offline": "Never use the network: only installed and cached entries (GENZOO_OFFLINE)",
}


def _devices() -> list[str]:
    out = ["cpu"]
    try:
        import torch

        out += [f"cuda:{i}" for i in range(torch.cuda.device_count())]
        if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            out.append("mps")
    except Exception:  # pragma: no cover - torch missing or broken: cpu only
        pass
    return out


class SettingsDialog(QDialog):
    """Edit the user settings; ``changes()`` returns what to save (None removes a setting)."""

    def __init__(self, settings: Settings, parent: Any = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("genzoo settings")
        self.settings = settings
        fixed = environment_overrides()
        form = QFormLayout()
        self.device = QComboBox(editable=True)
        self.device.addItems(_devices())
        self.device.setCurrentText(settings.device)
        self.store = QLineEdit(str(settings.store_dir))
        self.cache = QLineEdit(str(settings.cache_dir))
        self.endpoint = QLineEdit(settings.hub_endpoint or "", placeholderText="public Hub")
        self.offline = QCheckBox("work offline", checked=settings.offline)
        self.fields = {
            "device": self.device,
            "store_dir": self.store,
            "cache_dir": self.cache,
            "hub_endpoint": self.endpoint,
            "offline": self.offline,
        }
        for name, widget in self.fields.items():
            tip = TIPS[name]
            if name in fixed:
                widget.setEnabled(False)
                tip += f"; fixed by ${fixed[name]} in this session"
            widget.setToolTip(tip)
            label = name.replace("_dir", " folder").replace("_", " ")
            form.addRow(label if name != "offline" else "", widget)
        note = QLabel(
            "Saved to the user config file that the genzoo command reads too. "
            "Environment variables win over it"
            + (f" (set now: {', '.join(sorted(set(fixed.values())))})." if fixed else ".")
        )
        note.setWordWrap(True)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(note)
        lay.addWidget(buttons)

    def changes(self) -> dict[str, Any]:
        """The edited settings that differ from the current ones (env-fixed ones left out)."""
        now = {
            "device": self.device.currentText().strip() or "cpu",
            "store_dir": self.store.text().strip(),
            "cache_dir": self.cache.text().strip(),
            "hub_endpoint": self.endpoint.text().strip() or None,
            "offline": self.offline.isChecked(),
        }
        old = {
            "device": self.settings.device,
            "store_dir": str(self.settings.store_dir),
            "cache_dir": str(self.settings.cache_dir),
            "hub_endpoint": self.settings.hub_endpoint,
            "offline": self.settings.offline,
        }
        return {
            k: v
            for k, v in now.items()
            if v != old[k] and self.fields[k].isEnabled() and (v is not None or old[k] is not None)
        }
