"""genzoo: a declarative zoo of generative models.

The top-level API is small and lazy: importing genzoo imports no torch and loads no plugins.

>>> import genzoo
>>> model = genzoo.load("dcgan-mnist")           # doctest: +SKIP
>>> images = model.sample(16, seed=0)            # NCHW in [-1, 1]  # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from pathlib import Path

    from genzoo.model import GenerativeModel
    from genzoo.spec.model import ModelSpec
    from genzoo.zoo import Zoo

__all__ = ["Zoo", "__version__", "build", "default_zoo", "load", "load_spec"]


def default_zoo() -> Zoo:
    """The process-wide :class:`~genzoo.zoo.Zoo` (created on first call)."""
    from genzoo.zoo import default_zoo as _default

    return _default()


def load(name_or_path: str | Path, *, device: str | None = None) -> GenerativeModel:
    """A model with weights, from a zoo entry name or an entry folder."""
    return default_zoo().load(name_or_path, device=device)


def build(spec: ModelSpec | dict[str, Any] | str | Path) -> GenerativeModel:
    """An untrained model from a spec, a mapping, or a spec file."""
    return default_zoo().build(spec)


def load_spec(path: str | Path) -> ModelSpec:
    """A fully validated spec from a YAML file or entry folder."""
    return default_zoo().load_spec(path)


def __getattr__(name: str) -> Any:
    if name == "Zoo":
        from genzoo.zoo import Zoo

        return Zoo
    raise AttributeError(f"module 'genzoo' has no attribute {name!r}")
