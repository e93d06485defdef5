"""pytest fixtures for genzoo (loaded automatically once genzoo is installed). Cheap to import."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture
def genzoo_settings(tmp_path: Path) -> Any:
    """Settings whose store and cache live in a temporary folder and which use no config file."""
    from genzoo.settings import Settings

    return Settings(store_dir=tmp_path / "store", cache_dir=tmp_path / "cache")


@pytest.fixture
def make_zoo(genzoo_settings: Any) -> Callable[..., Any]:
    """Factory of isolated zoos: ``make_zoo(("name", plugin_module), ..., paths=[folder])``.

    The zoo does not discover installed entry points: a test registers exactly what it uses.
    """
    from genzoo.zoo import Zoo

    def factory(
        *plugins: tuple[str, Any], paths: Iterable[str | Path] = (), **settings: Any
    ) -> Any:
        s = genzoo_settings.with_(**settings) if settings else genzoo_settings
        return Zoo(settings=s, plugins=list(plugins), discover=False, zoo_paths=list(paths))

    return factory
