"""Model cards: ``README.md`` with YAML front matter, as the Hugging Face Hub expects."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

import yaml

from genzoo.spec.model import ImageData, ModelSpec

PIPELINE_TAGS = {
    ("image", "unconditional"): "unconditional-image-generation",
    ("image", "conditional"): "image-to-image",
    ("tabular", "multi-domain"): "tabular-classification",
}


def front_matter(spec: ModelSpec, metrics: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The card's YAML header: library, licence, tags, pipeline tag, datasets, metrics."""
    fm: dict[str, Any] = {
        "library_name": "genzoo",
        "license": spec.license.lower() if " " not in spec.license else "other",
        "tags": sorted({"genzoo", spec.family, *spec.tags}),
    }
    if " " in spec.license:
        fm["license_name"] = spec.license
    pipeline = PIPELINE_TAGS.get((spec.data.kind, spec.task))
    if spec.task == "conditional" and spec.data.kind == "image":
        pipeline = "unconditional-image-generation"  # class-conditional generation has no own tag
    if pipeline:
        fm["pipeline_tag"] = pipeline
    if spec.training and spec.training.data:
        fm["datasets"] = [spec.training.data]
    if metrics:
        fm["genzoo_metrics"] = dict(metrics)
    return fm


def split_card(text: str) -> tuple[dict[str, Any], str]:
    """(front matter, body) of a card."""
    if text.startswith("---\n"):
        end = text.find("\n---", 4)
        if end != -1:
            return yaml.safe_load(text[4:end]) or {}, text[end + 4 :].lstrip("\n")
    return {}, text


def render_card(
    spec: ModelSpec,
    *,
    sections: Mapping[str, str] = (),  # type: ignore[assignment]
    metrics: Mapping[str, Any] | None = None,
    capabilities: Collection[str] | None = None,
) -> str:
    """A complete card: front matter, title, description, data shape, then ``sections``.

    ``capabilities`` (the model's, when known) picks the first command shown: a plain
    autoencoder does not sample, so its card shows ``genzoo reconstruct``.
    """
    fm = yaml.safe_dump(front_matter(spec, metrics), sort_keys=False).strip()
    shape = (
        f"{spec.data.size}×{spec.data.size}, {spec.data.channels} channel(s)"
        if isinstance(spec.data, ImageData)
        else f"{len(spec.data.columns)} columns"
    )
    lines = [
        "---",
        fm,
        "---",
        "",
        f"# {spec.name}",
        "",
        spec.description or f"A genzoo `{spec.family}` model.",
        "",
        f"- family: `{spec.family}`, task: {spec.task}, data: {shape}",
        f"- latent: {spec.latent.dim}-d {spec.latent.prior}" if spec.latent else "- latent: none",
        f"- licence: {spec.license}",
    ]
    if spec.paper:
        lines.append(f"- paper: {spec.paper}")
    if capabilities is not None and "sample" not in capabilities and "reconstruct" in capabilities:
        cmd = f"genzoo reconstruct {spec.name} digit.png -o reconstruction.png"
    elif spec.data.kind == "tabular" and spec.conditions is not None and spec.conditions.names:
        cmd = f"genzoo sample {spec.name} --domain {spec.conditions.names[0]} -n 100 -o rows.csv"
    else:
        cmd = f"genzoo sample {spec.name} -n 64 --seed 0 -o samples.png"
    lines += ["", "```bash", cmd, "```", ""]
    for title, body in dict(sections).items():
        lines += [f"## {title}", "", body.strip(), ""]
    return "\n".join(lines)


def set_section(text: str, title: str, body: str) -> str:
    """Replace (or append) the ``## title`` section of a card's Markdown."""
    lines = text.rstrip("\n").split("\n")
    head = f"## {title}"
    if head in lines:
        i = lines.index(head)
        j = next((k for k in range(i + 1, len(lines)) if lines[k].startswith("## ")), len(lines))
        lines[i:j] = [head, "", body.strip(), ""]
    else:
        lines += ["", head, "", body.strip(), ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def set_front_matter(text: str, updates: Mapping[str, Any]) -> str:
    """Merge ``updates`` into a card's YAML front matter."""
    fm, body = split_card(text)
    fm.update(updates)
    return "---\n" + yaml.safe_dump(fm, sort_keys=False).strip() + "\n---\n\n" + body
