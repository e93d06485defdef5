"""Registries of what plugins contribute: families, losses, converters, data sources, commands.

Registering imports no torch: heavy objects are named by ``"module:attribute"`` references that
are imported on first use (like entry points). A registry belongs to a :class:`~genzoo.zoo.Zoo`;
there is no module-level state.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from pydantic import BaseModel

from genzoo.errors import DuplicateNameError, PluginError, SpecError, UnknownNameError
from genzoo.spec.model import NAME_PATTERN, ModelSpec

if TYPE_CHECKING:
    import click

Ref = str | Callable[..., Any] | type


def resolve_ref(ref: Ref) -> Any:
    """Import a ``"package.module:attr"`` reference (or return an object as it is)."""
    if not isinstance(ref, str):
        return ref
    module, _, attr = ref.partition(":")
    obj: Any = importlib.import_module(module)
    for part in attr.split(".") if attr else []:
        obj = getattr(obj, part)
    return obj


def _check_ref(ref: Any, what: str) -> None:
    if isinstance(ref, str):
        if ":" not in ref or not all(ref.partition(":")[::2]):
            raise PluginError(f"{what} must be 'package.module:attribute', got {ref!r}")
    elif not callable(ref):
        raise PluginError(f"{what} must be callable or a 'module:attribute' string, got {ref!r}")


@dataclass(frozen=True)
class Family:
    """A model family.

    Attributes:
        name: registry key used in specs (``family: dcgan``).
        arch: Pydantic class validating the spec's ``arch`` block (no torch in its module).
        model: the :class:`genzoo.model.GenerativeModel` subclass, or a ``"module:Class"``
            reference imported on first build.
        description: one line for ``genzoo plugins`` and the schema.
        tasks: tasks the family supports (unconditional, conditional, multi-domain).
        data_kinds: data kinds it generates (image, tabular).
        loss_roles: loss roles ``training.losses`` may name; empty allows any.
        training_options: Pydantic class validating ``training.options``; None takes none.
        needs_latent: whether the spec must have a ``latent`` block.
        check: optional cross-field check ``check(spec) -> list[str]`` of problems with paths,
            each ``"arch.path: message"``, run after both stages.
    """

    name: str
    arch: type[BaseModel]
    model: Ref
    description: str = ""
    tasks: tuple[str, ...] = ("unconditional",)
    data_kinds: tuple[str, ...] = ("image",)
    loss_roles: tuple[str, ...] = ()
    training_options: type[BaseModel] | None = None
    needs_latent: bool = True
    check: Callable[[ModelSpec], list[str]] | None = None

    def validate_contribution(self) -> None:
        if not (isinstance(self.arch, type) and issubclass(self.arch, BaseModel)):
            raise PluginError(f"family {self.name!r}: arch must be a pydantic model class")
        if self.arch.model_config.get("extra") != "forbid":
            raise PluginError(f"family {self.name!r}: arch class must forbid unknown keys")
        _check_ref(self.model, f"family {self.name!r}: model")

    def model_class(self) -> Any:
        """The model class (imports the family's torch code)."""
        return resolve_ref(self.model)

    def check_spec(self, spec: ModelSpec, source: str) -> None:
        if self.check is None:
            return
        problems = self.check(spec)
        if problems:
            raise SpecError([f"{source}: spec.{p}" for p in problems])


@dataclass(frozen=True)
class Loss:
    """A loss function (pure tensor function; see ``genzoo_plugins.losses`` for the signatures).

    ``kind`` groups losses: ``adversarial`` (``fn(real_logits, fake_logits, *,
    for_generator=False)`` returns D's loss, or G's with ``for_generator=True``), ``penalty``
    (a discriminator regulariser), ``reconstruction``, ``regularizer``.
    """

    name: str
    fn: Ref
    kind: str
    description: str = ""

    def validate_contribution(self) -> None:
        if self.kind not in ("adversarial", "penalty", "reconstruction", "regularizer"):
            raise PluginError(f"loss {self.name!r}: unknown kind {self.kind!r}")
        _check_ref(self.fn, f"loss {self.name!r}: fn")

    def function(self) -> Callable[..., Any]:
        return resolve_ref(self.fn)


@dataclass(frozen=True)
class Converter:
    """A converter from a foreign checkpoint format to a genzoo spec and tensors.

    ``fn(path, **options) -> (spec_dict, tensors)``: ``spec_dict`` is a partial spec (at least
    family, data, latent, arch) and ``tensors`` the state dict the family's model loads.

    ``remote_ok`` says the converter may read files downloaded from the Hub by ``genzoo pull``:
    only converters that never execute anything from the file (a restricted unpickler with an
    allow-list, a plain tensor format) may set it. Converters built on ``torch.load`` (even with
    ``weights_only=True``) leave it False and run only on files the user points at
    (``genzoo convert``).
    """

    name: str
    fn: Ref
    description: str = ""
    suffixes: tuple[str, ...] = ()
    remote_ok: bool = False

    def validate_contribution(self) -> None:
        _check_ref(self.fn, f"converter {self.name!r}: fn")

    def function(self) -> Callable[..., Any]:
        return resolve_ref(self.fn)


@dataclass(frozen=True)
class DataSource:
    """A data source: ``fn(spec_data, **options) -> Dataset`` (see ``genzoo.data``)."""

    name: str
    fn: Ref
    kind: str = "image"
    description: str = ""

    def validate_contribution(self) -> None:
        if self.kind not in ("image", "tabular"):
            raise PluginError(f"data source {self.name!r}: unknown kind {self.kind!r}")
        _check_ref(self.fn, f"data source {self.name!r}: fn")

    def function(self) -> Callable[..., Any]:
        return resolve_ref(self.fn)


@dataclass(frozen=True)
class Extractor:
    """A feature extractor for metrics: ``fn() -> object`` with ``features(x) -> N×D``.

    The object also has ``name`` and ``sha256`` (of its weights, recorded in every result) and
    may have ``classify(x) -> labels`` (used for class consistency of conditional models).
    """

    name: str
    fn: Ref
    description: str = ""

    def validate_contribution(self) -> None:
        _check_ref(self.fn, f"extractor {self.name!r}: fn")

    def function(self) -> Callable[..., Any]:
        return resolve_ref(self.fn)


@dataclass(frozen=True)
class Command:
    """An extra CLI command contributed by a plugin (a click command object)."""

    name: str
    command: click.Command

    def validate_contribution(self) -> None:
        import click

        if not isinstance(self.command, click.Command):
            raise PluginError(f"command {self.name!r}: not a click command")


T = TypeVar("T")


@dataclass
class Registry(Generic[T]):
    """Name -> contribution, remembering which plugin registered each name."""

    kind: str
    items: dict[str, T] = field(default_factory=dict)
    owners: dict[str, str] = field(default_factory=dict)

    def add(self, item: T, plugin: str) -> None:
        name = item.name  # type: ignore[attr-defined]
        import re

        if not isinstance(name, str) or not re.match(NAME_PATTERN, name.replace("_", "-")):
            raise PluginError(f"{self.kind} name {name!r} is not a valid lowercase name")
        item.validate_contribution()  # type: ignore[attr-defined]
        if name in self.items:
            raise DuplicateNameError(
                f"{self.kind} {name!r} is registered by both plugin {self.owners[name]!r} "
                f"and plugin {plugin!r}"
            )
        self.items[name] = item
        self.owners[name] = plugin

    def get(self, name: str) -> T:
        try:
            return self.items[name]
        except KeyError:
            raise UnknownNameError(self.kind, name, self.items) from None

    def names(self) -> list[str]:
        return sorted(self.items)

    def __contains__(self, name: object) -> bool:
        return name in self.items

    def __iter__(self) -> Iterator[T]:
        return iter(self.items[n] for n in self.names())

    def __len__(self) -> int:
        return len(self.items)


@dataclass
class Registries:
    """All registries of one zoo."""

    families: Registry[Family] = field(default_factory=lambda: Registry("family"))
    losses: Registry[Loss] = field(default_factory=lambda: Registry("loss"))
    converters: Registry[Converter] = field(default_factory=lambda: Registry("converter"))
    data_sources: Registry[DataSource] = field(default_factory=lambda: Registry("data source"))
    extractors: Registry[Extractor] = field(default_factory=lambda: Registry("extractor"))
    commands: Registry[Command] = field(default_factory=lambda: Registry("command"))
