"""JSON Schema of genzoo specs, including the arch blocks of every installed family."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from genzoo.spec.model import ModelSpec

if TYPE_CHECKING:
    from genzoo.registry import Registries


def full_schema(registries: Registries) -> dict[str, Any]:
    """The envelope's schema; ``arch`` is tied to each family with ``if``/``then`` clauses."""
    schema = ModelSpec.model_json_schema()
    defs = schema.setdefault("$defs", {})
    clauses = []
    families = list(registries.families)
    for fam in families:
        sub = fam.arch.model_json_schema(ref_template="#/$defs/{model}")
        for k, v in sub.pop("$defs", {}).items():
            defs.setdefault(k, v)
        key = f"arch_{fam.name}"
        defs[key] = sub
        then: dict[str, Any] = {"properties": {"arch": {"$ref": f"#/$defs/{key}"}}}
        if fam.training_options is not None:
            opt = fam.training_options.model_json_schema(ref_template="#/$defs/{model}")
            for k, v in opt.pop("$defs", {}).items():
                defs.setdefault(k, v)
            defs[f"training_options_{fam.name}"] = opt
        clauses.append({"if": {"properties": {"family": {"const": fam.name}}}, "then": then})
    schema["properties"]["family"]["enum"] = [f.name for f in families]
    if clauses:
        schema["allOf"] = clauses
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "genzoo model spec"
    return schema
