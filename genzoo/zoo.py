"""The zoo: a plugin manager, its registries, and the index of zoo entries.

Entries come from folders contributed by plugins (genzoo's built-in ``zoo_specs/`` among them),
from the user's folders (``GENZOO_ZOO_PATH``) and from the local store of pulled models. An entry
is a folder laid out like a Hugging Face model repo: ``genzoo.yaml`` (the spec), ``README.md``
(the model card), ``model.safetensors`` when weights are local.

Listing, showing and validating import no torch; :meth:`Zoo.build` and :meth:`Zoo.load` do.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from genzoo.errors import GenzooError, SpecError, UnknownNameError, WeightsError
from genzoo.plugins.manager import PluginManager, PluginReport
from genzoo.registry import Registries
from genzoo.settings import Settings
from genzoo.spec import loading
from genzoo.spec.model import ModelSpec

if TYPE_CHECKING:
    from genzoo.model import GenerativeModel

log = logging.getLogger(__name__)

SPEC_FILE = "genzoo.yaml"
CARD_FILE = "README.md"
WEIGHTS_FILE = "model.safetensors"


@dataclass
class Entry:
    """One zoo entry as found on disk (spec checked by stage 1 only, for speed)."""

    name: str
    path: Path
    origin: str
    spec: ModelSpec | None = None
    error: str | None = None
    installed: Path | None = None  # the store folder once pulled

    @property
    def folder(self) -> Path:
        """The folder to load from: the installed copy if there is one."""
        return self.installed or self.path

    def weights_file(self) -> Path | None:
        """The local safetensors file, or None when the weights are not here yet."""
        if self.installed is not None and (self.installed / WEIGHTS_FILE).is_file():
            return self.installed / WEIGHTS_FILE
        if self.spec is not None:
            for src in self.spec.weights:
                if not src.is_remote and (self.path / src.file).is_file():
                    return self.path / src.file
        return None

    @property
    def is_local(self) -> bool:
        """True when weights are available without the network."""
        return self.weights_file() is not None

    @property
    def is_remote(self) -> bool:
        """True when the entry's weights come from the Hub."""
        return self.spec is not None and any(w.is_remote for w in self.spec.weights)

    def card(self) -> str:
        """The model card text ('' when there is none)."""
        p = self.folder / CARD_FILE
        return p.read_text(encoding="utf-8") if p.is_file() else ""

    def summary(self) -> dict[str, Any]:
        """A JSON-able row for ``genzoo list``."""
        s = self.spec
        return {
            "name": self.name,
            "family": s.family if s else None,
            "task": s.task if s else None,
            "data": s.resolution if s else None,
            "license": s.license if s else None,
            "state": "invalid" if s is None else ("local" if self.is_local else "remote"),
            "origin": self.origin,
            "path": str(self.folder),
            "description": s.description if s else self.error,
        }


@dataclass
class Zoo:
    """The host: plugins, registries and entries. Creating one does no work until asked.

    Args:
        settings: user settings (defaults from the environment and the config file).
        plugins: explicit ``(name, module_or_object)`` plugins, registered before discovery.
        discover: load the ``genzoo`` entry-point group (turn off in tests).
        zoo_paths: extra entry folders (beside ``settings.zoo_path``).
    """

    settings: Settings = field(default_factory=Settings.load)
    plugins: Iterable[tuple[str, Any]] = ()
    discover: bool = True
    zoo_paths: Iterable[str | Path] = ()

    def __post_init__(self) -> None:
        self._loaded = False
        self._registries = Registries()
        self._manager = PluginManager(disabled=self.settings.disable_plugins)
        self._plugin_paths: list[Path] = []
        self._entries: dict[str, Entry] | None = None
        self.index_problems: list[str] = []

    # -- plugins -------------------------------------------------------------------------------
    def _ensure_plugins(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        for name, plugin in self.plugins:
            self._manager.add(name, plugin)
        if self.discover:
            self._manager.discover()
        self._plugin_paths = self._manager.fill(self._registries)

    @property
    def registries(self) -> Registries:
        """Registries filled by the plugins (loads plugins on first use)."""
        self._ensure_plugins()
        return self._registries

    def plugin_reports(self) -> list[PluginReport]:
        """What happened to each plugin."""
        self._ensure_plugins()
        return list(self._manager.reports.values())

    # -- entries -------------------------------------------------------------------------------
    def _folders(self) -> list[tuple[Path, str]]:
        self._ensure_plugins()
        out: list[tuple[Path, str]] = []
        for report in self._manager.reports.values():
            for c in report.contributions:
                if c.startswith("zoo folder "):
                    out.append((Path(c.removeprefix("zoo folder ")), report.name))
        out += [(Path(p), "user") for p in (*self.settings.zoo_path, *self.zoo_paths)]
        return out

    def _scan(self) -> dict[str, Entry]:
        entries: dict[str, Entry] = {}
        self.index_problems = []
        for folder, origin in self._folders():
            if not folder.is_dir():
                self.index_problems.append(f"{folder}: zoo folder does not exist")
                continue
            for spec_file in _entry_files(folder):
                entry = _read_entry(spec_file.parent, origin)
                if entry.name in entries:
                    other = entries[entry.name]
                    self.index_problems.append(
                        f"{spec_file}: entry {entry.name!r} is also in {other.path} "
                        f"({other.origin}); keeping the first"
                    )
                    continue
                entries[entry.name] = entry
        store = self.settings.store_dir
        if store.is_dir():
            for spec_file in _entry_files(store):
                installed = _read_entry(spec_file.parent, "store")
                if installed.name in entries:
                    entries[installed.name].installed = spec_file.parent
                else:
                    installed.installed = spec_file.parent
                    entries[installed.name] = installed
        return entries

    def entries(self, refresh: bool = False) -> list[Entry]:
        """All entries, sorted by name."""
        if self._entries is None or refresh:
            self._entries = self._scan()
        return [self._entries[n] for n in sorted(self._entries)]

    def entry(self, name: str) -> Entry:
        """The entry called ``name`` (suggests close names when unknown)."""
        self.entries()
        assert self._entries is not None
        try:
            return self._entries[name]
        except KeyError:
            raise UnknownNameError("zoo entry", name, self._entries) from None

    def find(self, name_or_path: str | Path) -> Entry:
        """An entry by name, or the entry folder (or spec file) at a path."""
        p = Path(name_or_path)
        if isinstance(name_or_path, Path) or p.exists() or "/" in str(name_or_path):
            folder = p.parent if p.is_file() else p
            if not (folder / SPEC_FILE).is_file():
                raise SpecError(f"{folder}: not a zoo entry (no {SPEC_FILE})")
            return _read_entry(folder, "path")
        return self.entry(str(name_or_path))

    # -- specs ---------------------------------------------------------------------------------
    def load_spec(self, path: str | Path) -> ModelSpec:
        """Read and fully validate a spec file or entry folder."""
        return loading.load_spec(path, self.registries)

    def resolve(self, spec: ModelSpec | dict[str, Any]) -> ModelSpec:
        """Fully validate a spec object or mapping (stage 1 and 2)."""
        if not isinstance(spec, ModelSpec):
            spec = loading.validate_envelope(spec, "<spec>", {})
        return loading.resolve_spec(spec, self.registries)

    def validate(self, path: str | Path) -> list[str]:
        """Problems of one spec file (empty when valid)."""
        try:
            self.load_spec(path)
        except SpecError as exc:
            return exc.problems
        except GenzooError as exc:
            return [f"{path}: {exc}"]
        return []

    # -- models --------------------------------------------------------------------------------
    def build(self, spec: ModelSpec | dict[str, Any] | str | Path) -> GenerativeModel:
        """An untrained model of ``spec`` (a spec, a mapping, a spec file or entry folder)."""
        if isinstance(spec, (str, Path)):
            spec = self.load_spec(spec)
        spec = self.resolve(spec)
        family = self.registries.families.get(spec.family)
        cls = family.model_class()
        model = cls(spec)
        model.eval()
        return model

    def load(self, name_or_path: str | Path, *, device: str | None = None) -> GenerativeModel:
        """A model with its weights, from an entry name or an entry folder."""
        from genzoo.model import check_device
        from genzoo.weights import load_model_weights

        entry = self.find(name_or_path)
        spec = self.load_spec(entry.folder)
        weights = entry.weights_file()
        if weights is None:
            hint = f"; run `genzoo pull {entry.name}`" if entry.is_remote else ""
            raise WeightsError(f"entry {entry.name!r} has no local weights{hint}")
        model = self.build(spec)
        load_model_weights(model, weights)
        model.eval()
        return model.to(check_device(device or self.settings.device))


def _entry_files(folder: Path) -> list[Path]:
    """The spec files of a folder's entries; hidden folders (a pull's temporary or replaced
    copy, left by a crash) are not entries."""
    return sorted(p for p in folder.glob(f"*/{SPEC_FILE}") if not p.parent.name.startswith("."))


def _read_entry(folder: Path, origin: str) -> Entry:
    """Read an entry folder with stage-1 validation only; errors are kept, not raised."""
    spec_file = folder / SPEC_FILE
    try:
        data, lines, source = loading.read_spec_file(spec_file)
        spec = loading.validate_envelope(data, source, lines)
    except SpecError as exc:
        return Entry(folder.name, folder, origin, error=exc.problems[0])
    if spec.name != folder.name:
        return Entry(
            folder.name,
            folder,
            origin,
            error=f"{spec_file}: spec.name: {spec.name!r} differs from the folder name",
        )
    return Entry(spec.name, folder, origin, spec=spec)


@functools.lru_cache(maxsize=1)
def default_zoo() -> Zoo:
    """The process-wide zoo with settings from the environment (created on first call)."""
    return Zoo()
