"""Model cards: ``README.md`` with YAML front matter, as the Hugging Face Hub expects."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from typing import Any

import yaml

from genzoo.errors import GenzooError
from genzoo.spec.model import ImageData, ModelSpec

PIPELINE_TAGS = {
    ("image", "unconditional"): "unconditional-image-generation",
    ("image", "conditional"): "image-to-image",
    ("tabular", "multi-domain"): "tabular-classification",
}

#: ``license:`` values written as they are: a short list of common licence identifiers of the
#: Hub (https://huggingface.co/docs/hub/repositories-licenses). Any other licence becomes
#: ``license: other`` with ``license_name:`` (its id, see :func:`license_id`) and
#: ``license_link:`` when :data:`LICENSE_LINKS` knows where its text is. A Hub identifier that
#: is missing here still gives valid metadata that way, only less precise: add it here.
HUB_LICENSES = frozenset(
    {
        "apache-2.0",
        "mit",
        "bsd-2-clause",
        "bsd-3-clause",
        "isc",
        "mpl-2.0",
        "unlicense",
        "cc0-1.0",
        "cc-by-4.0",
        "cc-by-sa-4.0",
        "cc-by-nc-4.0",
        "cc-by-nc-sa-4.0",
        "cc-by-nc-nd-4.0",
        "gpl-2.0",
        "gpl-3.0",
        "lgpl-2.1",
        "lgpl-3.0",
        "agpl-3.0",
        "openrail",
        "creativeml-openrail-m",
        "unknown",
        "other",
    }
)

#: Where the text of a licence that is not a Hub identifier lives, by ``license_name``.
LICENSE_LINKS = {
    "nvidia-source-code-license-nc": (
        "https://github.com/NVlabs/stylegan2-ada-pytorch/blob/main/LICENSE.txt"
    ),
}

# the front matter: a first line `---`, the YAML, a line `---` (group "yaml" ends with its \n)
_FRONT = re.compile(r"\A---[ \t]*\r?\n(?P<yaml>.*?)^---[ \t]*(?:\r?\n|\Z)", re.S | re.M)
_FENCE = re.compile(r"^[ \t]*```[^\n]*\n(?P<code>.*?)^[ \t]*```", re.S | re.M)


def license_id(license: str) -> str:
    """A licence name as an id: lowercase, each run of other characters one dash.

    ``"NVIDIA Source Code License-NC"`` → ``"nvidia-source-code-license-nc"``.
    """
    return re.sub(r"[^a-z0-9.+]+", "-", license.strip().lower()).strip("-.")


def license_metadata(license: str) -> dict[str, str]:
    """The front-matter licence keys of a spec's ``license`` (see :data:`HUB_LICENSES`)."""
    lid = license_id(license)
    if not lid:
        return {"license": "unknown"}
    if lid in HUB_LICENSES:
        return {"license": lid}
    out = {"license": "other", "license_name": lid}
    if lid in LICENSE_LINKS:
        out["license_link"] = LICENSE_LINKS[lid]
    return out


def front_matter(
    spec: ModelSpec,
    metrics: Mapping[str, Any] | None = None,
    *,
    eval_command: str | None = None,
) -> dict[str, Any]:
    """The card's YAML header: library, licence, tags, pipeline tag, datasets, metrics.

    The licence is ``license: <id>`` for the Hub identifiers of :data:`HUB_LICENSES`, else
    ``license: other`` with ``license_name`` and, when known, ``license_link``.

    ``metrics`` (name → value, as ``genzoo eval --card`` writes them) go under
    ``genzoo_metrics``; the command that produced them, when known (``eval_command``; a card's
    own is found by :func:`eval_command`), goes beside them as ``genzoo_eval_command``, e.g.
    ``genzoo_eval_command: genzoo eval dcgan-mnist -n 10000 --card``. A plain key rather than
    the Hub's ``model-index``: that format has no field for a command line, wants a task type
    and a Hub dataset id per result, and the Hub refuses a card whose ``model-index`` is
    malformed.
    """
    fm: dict[str, Any] = {"library_name": "genzoo", **license_metadata(spec.license)}
    fm["tags"] = sorted({"genzoo", spec.family, *spec.tags})
    pipeline = PIPELINE_TAGS.get((spec.data.kind, spec.task))
    if spec.task == "conditional" and spec.data.kind == "image":
        pipeline = "unconditional-image-generation"  # class-conditional generation has no own tag
    if pipeline:
        fm["pipeline_tag"] = pipeline
    if spec.training and spec.training.data:
        fm["datasets"] = [spec.training.data]
    if metrics:
        fm["genzoo_metrics"] = dict(metrics)
        if eval_command:
            fm["genzoo_eval_command"] = eval_command
    return fm


def split_card(text: str) -> tuple[dict[str, Any], str]:
    """(front matter, body) of a card."""
    m = _FRONT.match(text)
    if m:
        fm = yaml.safe_load(m["yaml"])
        return (fm if isinstance(fm, dict) else {}), text[m.end() :].lstrip("\n")
    return {}, text


def eval_command(text: str) -> str | None:
    """The ``genzoo`` command in a code block of a card's ``## Evaluation`` section, if any.

    ``genzoo eval --card`` writes the section with the command it ran in a ``bash`` block.
    """
    lines = text.split("\n")
    heads = [i for i, line in enumerate(lines) if line.rstrip() == "## Evaluation"]
    if not heads:
        return None
    start = heads[0] + 1
    end = next(
        (k for k in range(start, len(lines)) if lines[k].startswith(("## ", "# "))), len(lines)
    )
    section = "\n".join(lines[start:end]) + "\n"
    for block in _FENCE.finditer(section):
        command = ""
        for line in block["code"].split("\n"):
            command += line.strip().removeprefix("$ ")
            if command.endswith("\\"):  # continued on the next line
                command = command[:-1].rstrip() + " "
                continue
            if command.startswith("genzoo "):
                return command.strip()
            command = ""
    return None


def _yaml_error(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    where = f"line {mark.line + 2}: " if mark is not None else ""  # +1 for the `---` line
    problem = getattr(exc, "problem", None) or str(exc).split("\n")[0]
    return f"{where}{problem}"


def complete_card(text: str, spec: ModelSpec, *, where: str = "README.md") -> str:
    """``text`` with the keys of :func:`front_matter` that its front matter lacks added.

    Nothing of the author's is lost: the body is kept byte for byte and every key of the front
    matter keeps its value (a key whose value is empty counts as missing). The missing keys are
    appended to the author's YAML as text, so its comments and layout survive; the header is
    written anew only when appending would not read back as the same mapping (a flow-style
    header, or an empty key being filled). The licence keys go together: ``license_name`` and
    ``license_link`` are added only under the author's ``license: other``. Metrics already in
    the header (``genzoo_metrics``) get the card's ``genzoo eval`` command (see
    :func:`eval_command`) as ``genzoo_eval_command``. A card without front matter gets all of
    :func:`front_matter`. ``where`` names the card in errors.

    Raises:
        GenzooError: the front matter is not a YAML mapping (nothing is guessed).
    """
    m = _FRONT.match(text)
    fm: dict[str, Any] = {}
    if m:
        try:
            loaded = yaml.safe_load(m["yaml"])
        except yaml.YAMLError as exc:
            raise GenzooError(
                f"{where}: the front matter is not valid YAML ({_yaml_error(exc)}); fix it"
            ) from None
        if loaded is not None and not isinstance(loaded, dict):
            raise GenzooError(
                f"{where}: the front matter is a {type(loaded).__name__}, not a mapping of keys"
            )
        fm = loaded or {}
    body = text[m.end() :] if m else text
    metrics = fm.get("genzoo_metrics")
    want = front_matter(
        spec,
        metrics if isinstance(metrics, Mapping) else None,
        eval_command=eval_command(body),
    )
    present = {k for k, v in fm.items() if v not in (None, "", [], {})}
    missing = {k: v for k, v in want.items() if k not in present}
    if "license" in present and (fm["license"] != "other" or want["license"] != "other"):
        missing.pop("license_name", None)
        missing.pop("license_link", None)
    if not missing:
        return text
    add = yaml.safe_dump(missing, sort_keys=False, allow_unicode=True)
    if not m:
        return "---\n" + add + "---\n\n" + text
    merged = {**fm, **missing}
    head = m["yaml"]
    new = (head if head.endswith("\n") or not head else head + "\n") + add
    try:
        same = not (missing.keys() & fm.keys()) and yaml.safe_load(new) == merged
    except yaml.YAMLError:
        same = False
    if not same:
        new = yaml.safe_dump(merged, sort_keys=False, allow_unicode=True)
    return text[: m.start("yaml")] + new + text[m.end("yaml") :]


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
