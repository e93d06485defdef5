"""Foreign checkpoint → zoo entry folder, through a converter plugin."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from genzoo.errors import SpecError, WeightsError

if TYPE_CHECKING:
    from genzoo.zoo import Zoo


def convert_to_entry(
    zoo: Zoo,
    converter: str,
    source: str | Path,
    out: str | Path,
    *,
    name: str | None = None,
    **options: Any,
) -> Path:
    """Convert ``source`` with the named converter and write a complete entry folder ``out``.

    The converted tensors are loaded into a freshly built model with strict name and shape
    checks before anything is written; the folder gets ``genzoo.yaml``, ``model.safetensors``
    (sha256 pinned in the spec) and a ``README.md`` card saying where the weights came from.
    """
    import torch

    from genzoo.card import render_card
    from genzoo.spec.loading import dump_spec
    from genzoo.spec.model import WeightSource
    from genzoo.weights import atomic_write, check_tensors, save_tensors, sha256_file

    source = Path(source)
    if not source.is_file():
        raise WeightsError(f"{source}: no such checkpoint file")
    conv = zoo.registries.converters.get(converter)
    spec_dict, tensors = conv.function()(source, **options)
    out = Path(out)
    spec_dict = dict(spec_dict)
    # the zoo finds an entry by its folder, so the folder name is the entry name
    if name and name != out.name:
        raise SpecError(
            f"entry name {name!r} differs from its folder {out.name!r}; "
            f"write it to {out.parent / name} (-o) instead"
        )
    spec_dict["name"] = out.name
    spec_dict.setdefault("provenance", f"converted by genzoo ({converter}) from {source.name}")
    spec = zoo.resolve(spec_dict)
    # shapes only: a model on the meta device holds no memory (a full build would add the
    # generator again, plus the discriminator and EMA copies of trainable families); a family
    # whose constructor needs real values (.item(), numpy) is built on the CPU instead
    try:
        with torch.device("meta"):
            model = zoo.build(spec)
    except (NotImplementedError, RuntimeError):
        model = zoo.build(spec)
    check_tensors(model.sampling_state_dict(), tensors, str(source))
    del model
    out.mkdir(parents=True, exist_ok=True)
    weights = out / "model.safetensors"
    meta = {"format": "genzoo", "family": spec.family, "spec_hash": spec.spec_hash()}
    save_tensors(tensors, weights, {**meta, "converter": converter})
    spec = spec.model_copy(
        update={"weights": [WeightSource(file="model.safetensors", sha256=sha256_file(weights))]}
    )
    with atomic_write(out / "genzoo.yaml", "w") as f:
        f.write(dump_spec(spec))
    body = f"Converted with `genzoo convert --from {converter} {source.name}`."
    with atomic_write(out / "README.md", "w") as f:
        f.write(render_card(spec, sections={"Provenance": body}))
    return out


def check_converter_options(
    converter: str,
    unknown: dict[str, Any],
    network: str | None,
    networks: tuple[str, ...],
    options: tuple[str, ...],
) -> None:
    """Refuse options a converter does not take, and a network it cannot convert."""
    if unknown:
        raise SpecError(
            f"{converter} converter: unknown option(s) {', '.join(sorted(unknown))}; "
            f"it takes {', '.join(options)}"
        )
    if network is not None and network not in networks:
        raise SpecError(
            f"{converter} converter: network must be one of {', '.join(networks)}, got {network!r}"
        )
