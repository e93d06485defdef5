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
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from genzoo.errors import GenzooError

_TRUE = {"1", "true", "yes", "on"}
_ENV = (
    ("store_dir", "GENZOO_STORE"),
    ("cache_dir", "GENZOO_CACHE"),
    ("device", "GENZOO_DEVICE"),
    ("hub_endpoint", "GENZOO_HUB_ENDPOINT"),
)


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
        for name, var in _ENV:
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
        """A copy with some settings changed (strings for folders are fine, as in the file)."""
        return self._coerce({f.name: getattr(self, f.name) for f in fields(self)} | changes)


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


def environment_overrides() -> dict[str, str]:
    """Settings that environment variables fix (they win over the config file): name → variable."""
    env = os.environ
    out = {name: var for name, var in _ENV if env.get(var)}
    if env.get("GENZOO_OFFLINE"):
        out["offline"] = "GENZOO_OFFLINE"
    if env.get("HF_HUB_OFFLINE", "").lower() in _TRUE:
        out["offline"] = "HF_HUB_OFFLINE"
    return out


def save_config_file(changes: dict[str, Any]) -> Path:
    """Merge ``changes`` into the user config file (None removes a setting); returns its path.

    The app's settings dialog writes here so that the app and the ``genzoo`` command share one
    set of settings. The file is rewritten as a ``[genzoo]`` table; comments are not kept.
    """
    known = {f.name for f in fields(Settings)}
    unknown = set(changes) - known
    if unknown:
        raise GenzooError(f"unknown settings {sorted(unknown)}")
    values = _read_config_file()
    for key, value in changes.items():
        if value is None:
            values.pop(key, None)
        else:
            values[key] = value
    lines = ["# genzoo settings (see `genzoo.settings`); also written by `genzoo gui`", "[genzoo]"]
    lines += [f"{key} = {_toml_value(value)}" for key, value in values.items()]
    path = _config_file()
    if str(path) == os.devnull or (path.exists() and not path.is_file()):
        raise GenzooError(f"{path} is not a settings file (GENZOO_CONFIG): settings not saved")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return path


def _toml_value(value: Any) -> str:
    import json

    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return json.dumps(str(value))  # a TOML basic string
