"""Contributes genzoo's built-in zoo (the ``zoo_specs/`` folder, package ``genzoo_zoo``)."""

from __future__ import annotations

from pathlib import Path

from genzoo.plugins import hookimpl


@hookimpl
def genzoo_zoo_paths() -> list[Path]:
    import genzoo_zoo

    return [Path(genzoo_zoo.__file__).parent]
