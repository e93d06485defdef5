"""Qt-free application state, remembered between runs as JSON."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path


@dataclass
class AppState:
    """What the person was looking at."""

    entry: str | None = None
    seed: int = 0
    grid: int = 4  # images per side of the sample grid
    truncation: float = 1.0
    label: int | None = None
    endpoints: list[int] = field(default_factory=lambda: [1, 2])
    steps: int = 12
    slerp: bool = True
    tab: str = "Sample"  # the view shown
    geometry: str = ""  # window geometry and splitter layout (Qt's saved state, base64)
    splitter: str = ""

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> AppState:
        try:
            data = json.loads(text)
            known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
            return cls(**known)
        except (ValueError, TypeError):
            return cls()

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(self.to_json())
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> AppState:
        return cls.from_json(path.read_text()) if path.is_file() else cls()
