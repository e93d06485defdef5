"""User settings: explicit arguments, then ``GENZOO_*`` environment variables, then the user
config file (``<user config dir>/genzoo/config.toml``), then defaults.

========================  ===================  =====================================
setting                   environment          meaning
========================  ===================  =====================================
store_dir                 GENZOO_STORE         where pulled entries are installed
cache_dir                 GENZOO_CACHE         download cache (Hub files)
device                    GENZOO_DEVICE        torch device for sampling (cpu, cuda)
offline                   GENZOO_OFFLINE       1: never touch the network
hub_endpoint              GENZOO_HUB_ENDPOINT  Hub URL (default: the client's)
zoo_path                  GENZOO_ZOO_PATH      extra entry folders (os.pathsep list)
disable_plugins           GENZOO_DISABLE_PLUGINS  plugin names to skip (comma list)
========================  ===================  =====================================

``HF_HUB_OFFLINE=1`` also turns offline mode on.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from genzoo.errors import GenzooError

_TRUE = {"1", "true", "yes", "on"}


def _config_file() -> Path:
    """The user config file: ``GENZOO_CONFIG`` or ``<user config dir>/config.toml``."""
    if os.environ.get("GENZOO_CONFIG"):
        return Path(os.environ["GENZOO_CONFIG"])
    import platformdirs

    return platformdirs.user_config_path("genzoo") / "config.toml"


@dataclass(frozen=True)
class Settings:
    """Resolved user settings (see the module docstring for sources and precedence)."""

    store_dir: Path
    cache_dir: Path
    device: str = "cpu"
    offline: bool = False
    hub_endpoint: str | None = None
    zoo_path: tuple[Path, ...] = ()
    disable_plugins: tuple[str, ...] = field(default_factory=tuple)

    @classmethod
    def load(cls, **overrides: Any) -> Settings:
        """Resolve settings; ``overrides`` that are not None win over everything else."""
        import platformdirs

        values: dict[str, Any] = {
            "store_dir": platformdirs.user_data_path("genzoo") / "store",
            "cache_dir": platformdirs.user_cache_path("genzoo"),
        }
        values.update(_read_config_file())
        env = os.environ
        for name, var in (
            ("store_dir", "GENZOO_STORE"),
            ("cache_dir", "GENZOO_CACHE"),
            ("device", "GENZOO_DEVICE"),
            ("hub_endpoint", "GENZOO_HUB_ENDPOINT"),
        ):
            if env.get(var):
                values[name] = env[var]
        if env.get("GENZOO_OFFLINE"):
            values["offline"] = env["GENZOO_OFFLINE"].lower() in _TRUE
        if env.get("HF_HUB_OFFLINE", "").lower() in _TRUE:
            values["offline"] = True
        if env.get("GENZOO_ZOO_PATH"):
            values["zoo_path"] = [p for p in env["GENZOO_ZOO_PATH"].split(os.pathsep) if p]
        if env.get("GENZOO_DISABLE_PLUGINS"):
            values["disable_plugins"] = env["GENZOO_DISABLE_PLUGINS"].split(",")
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls._coerce(values)

    @classmethod
    def _coerce(cls, values: dict[str, Any]) -> Settings:
        known = {f.name for f in fields(cls)}
        unknown = set(values) - known
        if unknown:
            raise GenzooError(f"{_config_file()}: unknown settings {sorted(unknown)}")
        values["store_dir"] = Path(values["store_dir"]).expanduser()
        values["cache_dir"] = Path(values["cache_dir"]).expanduser()
        values["zoo_path"] = tuple(Path(p).expanduser() for p in values.get("zoo_path", ()))
        values["disable_plugins"] = tuple(
            s.strip() for s in values.get("disable_plugins", ()) if s.strip()
        )
        values["offline"] = bool(values.get("offline", False))
        return cls(**values)

    def with_(self, **changes: Any) -> Settings:
        """A copy with some settings changed."""
        return replace(self, **changes)


def _read_config_file() -> dict[str, Any]:
    path = _config_file()
    if not path.is_file():
        return {}
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    try:
        with path.open("rb") as f:
            data = tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise GenzooError(f"{path}: cannot read settings: {exc}") from None
    return dict(data.get("genzoo", data))
