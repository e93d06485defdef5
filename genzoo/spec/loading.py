"""YAML in, validated spec out, with errors that name the file, the line and the field path.

Validation runs in two stages. Stage 1 checks the envelope (:class:`~genzoo.spec.model.ModelSpec`).
Stage 2 asks the registry for the family and validates ``arch`` (and ``training.options``) with
the spec classes its plugin registered, and checks that every loss named exists. Errors of both
stages are rewritten to ``file:line: spec.<path>: message``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from pydantic import BaseModel, ValidationError

from genzoo.errors import SpecError, UnknownNameError
from genzoo.spec.model import ModelSpec

if TYPE_CHECKING:
    from genzoo.registry import Registries

Loc = tuple[Any, ...]


class _LineLoader(yaml.SafeLoader):
    """SafeLoader that also records the line of every mapping key and sequence item."""


def _yaml_with_lines(text: str) -> tuple[Any, dict[Loc, int]]:
    """Parse YAML safely; return the data and a map from key paths to 1-based line numbers."""
    node = yaml.compose(text, Loader=_LineLoader)
    lines: dict[Loc, int] = {}

    def walk(n: yaml.Node | None, loc: Loc) -> None:
        if n is None:
            return
        lines.setdefault(loc, n.start_mark.line + 1)
        if isinstance(n, yaml.MappingNode):
            for k, v in n.value:
                key = k.value
                lines[(*loc, key)] = k.start_mark.line + 1
                walk(v, (*loc, key))
        elif isinstance(n, yaml.SequenceNode):
            for i, v in enumerate(n.value):
                walk(v, (*loc, i))

    walk(node, ())
    data = yaml.load(text, Loader=yaml.SafeLoader)
    return data, lines


def _line_for(loc: Loc, lines: Mapping[Loc, int]) -> int | None:
    """The line of the deepest part of ``loc`` that exists in the file."""
    for cut in range(len(loc), -1, -1):
        if loc[:cut] in lines:
            return lines[loc[:cut]]
    return None


def _clean_loc(loc: Iterable[Any]) -> Loc:
    # Pydantic puts the union member tag into the path (e.g. data.image.size): drop it.
    return tuple(
        p for p in loc if p not in ("image", "tabular", "function-after", "function-before")
    )


def format_problem(source: str, loc: Loc, msg: str, lines: Mapping[Loc, int] | None) -> str:
    """One problem line: ``file:line: spec.a.b: message``."""
    line = _line_for(loc, lines or {})
    where = f"{source}:{line}" if line else source
    path = ".".join(["spec", *(str(p) for p in loc)])
    return f"{where}: {path}: {msg}"


def _describe(err: Mapping[str, Any]) -> str:
    msg = str(err["msg"])
    msg = msg.removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        return "unknown key (not part of the spec)"
    if err["type"] == "missing":
        return "required field is missing"
    if (
        "input" in err
        and err["type"] not in ("model_type", "dict_type")
        and not isinstance(err["input"], (dict, list))
    ):
        return f"{msg} (got {err['input']!r})"
    return msg


def problems_from(
    exc: ValidationError, source: str, lines: Mapping[Loc, int] | None, prefix: Loc = ()
) -> list[str]:
    """Turn a pydantic ValidationError into problem lines."""
    return [
        format_problem(source, (*prefix, *_clean_loc(e["loc"])), _describe(e), lines)
        for e in exc.errors()
    ]


def read_spec_file(path: str | Path) -> tuple[dict[str, Any], dict[Loc, int], str]:
    """Read a spec YAML file (or an entry folder holding ``genzoo.yaml``).

    Returns the raw mapping, the line map and the display name of the file.
    """
    p = Path(path)
    if p.is_dir():
        p = p / "genzoo.yaml"
    source = str(path if Path(path).is_file() else p)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpecError(f"{source}: no such spec file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError(f"{source}: cannot read spec file: {exc}") from None
    try:
        data, lines = _yaml_with_lines(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise SpecError(f"{source}{line}: spec: invalid YAML: {problem}") from None
    if not isinstance(data, dict):
        raise SpecError(
            f"{source}:1: spec: expected a mapping of spec fields, got {type(data).__name__}"
        )
    return data, lines, source


def validate_envelope(data: Mapping[str, Any], source: str, lines: Mapping[Loc, int]) -> ModelSpec:
    """Stage 1: the envelope."""
    try:
        return ModelSpec.model_validate(data)
    except ValidationError as exc:
        raise SpecError(problems_from(exc, source, lines)) from None


def resolve_spec(
    spec: ModelSpec,
    registries: Registries,
    source: str = "<spec>",
    lines: Mapping[Loc, int] | None = None,
) -> ModelSpec:
    """Stage 2: validate the family-owned blocks through the registry.

    Returns a copy of ``spec`` whose ``arch`` is an instance of the family's arch class and whose
    ``training.options`` is validated by the family's training-options class (kept as a dict).
    """
    problems: list[str] = []
    try:
        family = registries.families.get(spec.family)
    except UnknownNameError as exc:
        raise SpecError(format_problem(source, ("family",), str(exc), lines)) from None

    if spec.task not in family.tasks:
        problems.append(
            format_problem(
                source, ("task",), f"family {family.name!r} supports {list(family.tasks)}", lines
            )
        )
    if spec.data.kind not in family.data_kinds:
        problems.append(
            format_problem(
                source,
                ("data", "kind"),
                f"family {family.name!r} takes {list(family.data_kinds)}",
                lines,
            )
        )
    if family.needs_latent and spec.latent is None:
        problems.append(
            format_problem(source, ("latent",), "this family needs a `latent` block", lines)
        )

    arch: BaseModel | dict[str, Any] = spec.arch
    if isinstance(spec.arch, BaseModel):
        arch = spec.arch
    else:
        try:
            arch = family.arch.model_validate(spec.arch or {})
        except ValidationError as exc:
            problems.extend(problems_from(exc, source, lines, prefix=("arch",)))

    training = spec.training
    if training is not None:
        for role, ref in training.losses.items():
            if family.loss_roles and role not in family.loss_roles:
                problems.append(
                    format_problem(
                        source,
                        ("training", "losses", role),
                        f"family {family.name!r} has loss roles {list(family.loss_roles)}",
                        lines,
                    )
                )
            if ref.name not in registries.losses:
                err = UnknownNameError("loss", ref.name, registries.losses.names())
                problems.append(
                    format_problem(source, ("training", "losses", role, "name"), str(err), lines)
                )
        if training.data is not None and training.data not in registries.data_sources:
            err = UnknownNameError("data source", training.data, registries.data_sources.names())
            problems.append(format_problem(source, ("training", "data"), str(err), lines))
        opts_cls = family.training_options
        if opts_cls is not None:
            try:
                opts = opts_cls.model_validate(training.options)
                training = training.model_copy(update={"options": opts.model_dump()})
            except ValidationError as exc:
                problems.extend(problems_from(exc, source, lines, prefix=("training", "options")))
        elif training.options:
            problems.append(
                format_problem(
                    source,
                    ("training", "options"),
                    f"family {family.name!r} takes no training options",
                    lines,
                )
            )
    for i, w in enumerate(spec.weights):
        if w.converter is not None and w.converter not in registries.converters:
            err = UnknownNameError("converter", w.converter, registries.converters.names())
            problems.append(format_problem(source, ("weights", i, "converter"), str(err), lines))
    if problems:
        raise SpecError(problems)
    if isinstance(arch, BaseModel):
        family.check_spec(spec.model_copy(update={"arch": arch, "training": training}), source)
    return spec.model_copy(update={"arch": arch, "training": training})


def load_spec(path: str | Path, registries: Registries) -> ModelSpec:
    """Read, validate and resolve a spec file (both stages)."""
    data, lines, source = read_spec_file(path)
    try:
        spec = validate_envelope(data, source, lines)
    except SpecError as exc:
        # Report the arch block's problems too, so one run shows every mistake.
        raise SpecError(exc.problems + _arch_problems(data, registries, source, lines)) from None
    return resolve_spec(spec, registries, source, lines)


def _arch_problems(
    data: Mapping[str, Any], registries: Registries, source: str, lines: Mapping[Loc, int]
) -> list[str]:
    family = data.get("family")
    if not isinstance(family, str) or family not in registries.families:
        return []
    try:
        registries.families.get(family).arch.model_validate(data.get("arch") or {})
    except ValidationError as exc:
        return problems_from(exc, source, lines, prefix=("arch",))
    return []


def dump_spec(spec: ModelSpec) -> str:
    """The spec as YAML text (stable key order as declared)."""
    data = spec.model_dump(mode="json", exclude_defaults=True)
    data = {"name": spec.name, "family": spec.family, **data}
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
