"""Loads plugins and fills a zoo's registries, one plugin at a time, never failing as a whole.

Plugins come from the ``genzoo`` entry-point group (genzoo's own and third parties' alike) or
are passed in explicitly (tests, embedding applications). A plugin that fails to import, whose
hook raises, or that registers something invalid or a duplicate name is recorded in
:attr:`PluginManager.reports` with its error; every other plugin keeps working.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import pluggy

from genzoo.errors import GenzooError
from genzoo.plugins import hookspecs
from genzoo.registry import Registries, Registry

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "genzoo"

# hook name -> registries attribute it fills
_REGISTRATION_HOOKS = {
    "genzoo_register_families": "families",
    "genzoo_register_losses": "losses",
    "genzoo_register_converters": "converters",
    "genzoo_register_data_sources": "data_sources",
    "genzoo_register_extractors": "extractors",
    "genzoo_register_commands": "commands",
}


@dataclass
class PluginReport:
    """What happened to one plugin."""

    name: str
    source: str  # "entry point <dist>", "explicit"
    status: str = "ok"  # ok | failed | disabled
    errors: list[str] = field(default_factory=list)
    contributions: list[str] = field(default_factory=list)  # "family dcgan", ...


class PluginManager:
    """A pluggy manager plus per-plugin error isolation and reports."""

    def __init__(self, *, disabled: Iterable[str] = ()) -> None:
        self.pm = pluggy.PluginManager(ENTRY_POINT_GROUP)
        self.pm.add_hookspecs(hookspecs)
        self.disabled = set(disabled)
        self.reports: dict[str, PluginReport] = {}

    def _report(self, name: str, source: str) -> PluginReport:
        return self.reports.setdefault(name, PluginReport(name, source))

    def discover(self) -> None:
        """Load every plugin of the ``genzoo`` entry-point group."""
        for ep in sorted(metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
            dist = getattr(ep.dist, "name", None) or "?"
            self.add_lazy(ep.name, ep.load, source=f"entry point of {dist} ({ep.value})")

    def add_lazy(self, name: str, load: Callable[[], Any], source: str = "explicit") -> None:
        """Import a plugin through ``load()``; record a failure instead of raising."""
        report = self._report(name, source)
        if name in self.disabled:
            report.status = "disabled"
            return
        try:
            plugin = load()
        except Exception as exc:  # a broken plugin must not break genzoo
            report.status = "failed"
            report.errors.append(f"import failed: {type(exc).__name__}: {exc}")
            log.warning("genzoo plugin %r failed to import: %s", name, exc)
            return
        self.add(name, plugin, source=source)

    def add(self, name: str, plugin: Any, source: str = "explicit") -> None:
        """Register an already imported plugin object or module."""
        report = self._report(name, source)
        if name in self.disabled:
            report.status = "disabled"
            return
        if self.pm.has_plugin(name):
            report.status = "failed"
            report.errors.append("a plugin of this name is already registered")
            return
        try:
            self.pm.register(plugin, name=name)
        except (pluggy.PluginValidationError, ValueError) as exc:
            report.status = "failed"
            report.errors.append(f"invalid plugin: {exc}")
            return
        unknown = sorted(
            hook
            for hook, callers in vars(self.pm.hook).items()
            if hook.startswith("genzoo_")
            and not callers.has_spec()
            and any(i.plugin_name == name for i in callers.get_hookimpls())
        )
        if unknown:  # a misspelled hook would otherwise do nothing, silently
            self.pm.unregister(name=name)
            report.status = "failed"
            known = ", ".join(sorted(h for h, c in vars(self.pm.hook).items() if c.has_spec()))
            report.errors.append(f"implements unknown hook(s) {unknown}; genzoo's hooks: {known}")

    def fill(self, registries: Registries) -> list[Path]:
        """Call every registration hook plugin by plugin; return the zoo folders plugins add."""
        for hook_name, attr in _REGISTRATION_HOOKS.items():
            registry: Registry[Any] = getattr(registries, attr)
            for impl in getattr(self.pm.hook, hook_name).get_hookimpls():
                self._call_register(impl, registry)
        paths: list[Path] = []
        for impl in self.pm.hook.genzoo_zoo_paths.get_hookimpls():
            report = self.reports[impl.plugin_name]
            try:
                got = impl.function() or []
                paths.extend(Path(p) for p in got)
                report.contributions.extend(f"zoo folder {p}" for p in got)
            except Exception as exc:
                report.status = "failed"
                report.errors.append(f"genzoo_zoo_paths raised {type(exc).__name__}: {exc}")
        return paths

    def _call_register(self, impl: Any, registry: Registry[Any]) -> None:
        plugin_name = impl.plugin_name
        report = self.reports[plugin_name]

        def register(item: Any) -> None:
            try:
                registry.add(item, plugin_name)
            except GenzooError as exc:
                report.status = "failed"
                report.errors.append(str(exc))
            except Exception as exc:  # e.g. an object without .name
                report.status = "failed"
                report.errors.append(f"registered an invalid {registry.kind}: {exc!r}")
            else:
                report.contributions.append(f"{registry.kind} {item.name}")

        try:
            impl.function(register=register)
        except Exception as exc:
            report.status = "failed"
            report.errors.append(f"{impl.function.__name__} raised {type(exc).__name__}: {exc}")
