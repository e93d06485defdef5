"""genzoo's desktop app (PySide6)."""
