"""Every extension point of genzoo.

A plugin is a module (or object) with functions named like the hooks below, marked with
``genzoo.plugins.hookimpl``, and listed in the ``genzoo`` entry-point group of its
distribution. genzoo's own families are plugins of exactly this kind.

Registration hooks take a ``register`` callback: call it once per contribution. The host
validates each contribution, names the plugin in every error, and keeps going when one plugin
is broken. Hooks must be cheap and must not import torch: name heavy objects with
``"package.module:attribute"`` strings, which genzoo imports on first use.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from pathlib import Path

    from genzoo.registry import Command, Converter, DataSource, Extractor, Family, Loss

hookspec = pluggy.HookspecMarker("genzoo")


@hookspec
def genzoo_register_families(register: Callable[[Family], None]) -> None:
    """Register model families.

    Call ``register(Family(name=..., arch=ArchSpec, model="pkg.module:ModelClass", ...))`` for
    each family. ``arch`` is a Pydantic class (``extra="forbid"``) that validates the spec's
    ``arch`` block; ``model`` is a :class:`genzoo.model.GenerativeModel` subclass.
    """


@hookspec
def genzoo_register_losses(register: Callable[[Loss], None]) -> None:
    """Register loss functions: ``register(Loss(name=..., fn="pkg.module:fn", kind=...))``.

    ``kind`` is ``adversarial``, ``penalty``, ``reconstruction`` or ``regularizer``; specs name
    losses in ``training.losses``.
    """


@hookspec
def genzoo_register_converters(register: Callable[[Converter], None]) -> None:
    """Register converters of foreign checkpoints into genzoo specs and tensors.

    ``register(Converter(name=..., fn="pkg.module:convert"))`` where
    ``convert(path, **options) -> (spec_dict, tensors)``. Converters must never unpickle a file
    with the standard unpickler.
    """


@hookspec
def genzoo_register_data_sources(register: Callable[[DataSource], None]) -> None:
    """Register data sources: ``register(DataSource(name=..., fn="pkg.module:load"))``.

    ``load(**options)`` returns a :class:`genzoo.data.ArrayDataset` (or any torch Dataset of
    ``(x, label)`` pairs with x in [-1, 1]).
    """


@hookspec
def genzoo_register_extractors(register: Callable[[Extractor], None]) -> None:
    """Register feature extractors: ``register(Extractor(name=..., fn="pkg.module:load"))``.

    ``load()`` returns an object with ``name``, ``sha256`` (of its weights) and
    ``features(images) -> N×D``; optionally ``classify(images) -> labels``. genzoo never
    downloads an extractor: point one at weights you have locally.
    """


@hookspec
def genzoo_zoo_paths() -> list[Path]:
    """Return folders that hold zoo entries (one sub-folder per entry with a ``genzoo.yaml``)."""


@hookspec
def genzoo_register_commands(register: Callable[[Command], None]) -> None:
    """Register extra ``genzoo`` CLI commands.

    Call ``register(Command(name=..., command=click_command))`` for each command.
    """


def hook_names() -> list[str]:
    """Names of all hooks, in declaration order."""
    return [n for n, v in globals().items() if n.startswith("genzoo_") and callable(v)]
