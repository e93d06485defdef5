"""Training: the generic trainer, data loading for a spec, and export as a zoo entry."""

from __future__ import annotations

import json
import shlex
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from genzoo.errors import DataError, SpecError

if TYPE_CHECKING:
    from genzoo.data import ArrayDataset
    from genzoo.spec.model import ModelSpec
    from genzoo.train.trainer import Trainer, TrainResult
    from genzoo.zoo import Zoo


def load_data(
    zoo: Zoo, spec: ModelSpec, source: str | None = None, options: dict[str, Any] | None = None
) -> ArrayDataset:
    """Data for ``spec`` from a registered source name, an image folder or a ``.npz`` path.

    A source whose function has a ``spec`` parameter is also given the whole spec."""
    recipe = spec.training
    name = source or (recipe.data if recipe else None)
    if name is None:
        raise DataError("no data source: pass --data or set training.data in the spec")
    opts: dict[str, Any] = dict(recipe.data_options) if recipe and source is None else {}
    opts.update(options or {})
    p = Path(name)
    if name not in zoo.registries.data_sources and (
        p.exists() or "/" in name or name.endswith(".npz")
    ):
        opts["path"] = str(p)
        name = "npz" if p.suffix == ".npz" else "image-folder"
    ds = zoo.registries.data_sources.get(name)
    if spec.data.kind != ds.kind:
        raise DataError(
            f"data source {name!r} gives {ds.kind} data, the spec needs {spec.data.kind}"
        )
    if spec.data.kind == "image":
        opts.setdefault("channels", spec.data.channels)
        opts.setdefault("size", spec.data.size)
    else:
        opts.setdefault("columns", spec.data.columns)
        if spec.conditions is not None and spec.conditions.kind == "domain":
            opts.setdefault("domains", spec.conditions.names)
    fn = ds.function()
    if _takes_spec(fn):  # e.g. a tabular source that needs more of the spec than its columns
        opts.setdefault("spec", spec)
    _check_options(fn, opts, name)
    data = fn(**opts)  # a TypeError from inside the source is its bug: it keeps its traceback
    if spec.conditions is not None and spec.conditions.kind == "class":
        if data.y is None:
            raise DataError(f"{spec.name} is conditional but data source {name!r} has no labels")
        if int(data.y.max()) >= spec.conditions.count:
            raise DataError(
                f"data source {name!r} has label {int(data.y.max())}, the spec has "
                f"{spec.conditions.count} classes"
            )
    data.info.setdefault("name", name)
    return data


def _check_options(fn: Any, opts: dict[str, Any], name: str) -> None:
    """Options a source's function does not take (or required ones missing), as a DataError."""
    import inspect

    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):  # no signature to check against (a builtin): call as is
        return
    try:
        sig.bind(**opts)
    except TypeError as exc:
        takes = ", ".join(n for n in sig.parameters if n != "spec")
        raise DataError(
            f"data source {name!r}: bad options {sorted(opts)}: {exc} (it takes {takes})"
        ) from None


def _takes_spec(fn: Any) -> bool:
    import inspect

    try:
        return "spec" in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


def make_trainer(
    zoo: Zoo, spec: ModelSpec, data: ArrayDataset, out: str | Path, **kwargs: Any
) -> Trainer:
    """A trainer for a freshly built model of ``spec`` (seeded by ``training.seed``)."""
    import torch

    from genzoo.train.trainer import Trainer

    if spec.training is None:
        raise SpecError(f"spec {spec.name!r} has no `training` recipe")
    torch.manual_seed(spec.training.seed)
    model = zoo.build(spec)
    return Trainer(model, data, zoo.registries, out, **kwargs)


def export_entry(
    trainer: Trainer,
    result: TrainResult,
    folder: str | Path,
    *,
    command: str | None = None,
    metrics: dict[str, Any] | None = None,
    notes: str = "",
) -> Path:
    """Write a zoo entry folder: genzoo.yaml, README.md (card), model.safetensors, samples.png."""
    from genzoo.card import render_card
    from genzoo.imaging import save_grid
    from genzoo.spec.loading import dump_spec
    from genzoo.spec.model import WeightSource
    from genzoo.weights import atomic_write, save_model_weights, sha256_file

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    model = trainer.sampling_model()
    weights = folder / "model.safetensors"
    save_model_weights(model, weights, {"steps": result.steps})
    spec = model.spec.model_copy(
        update={"weights": [WeightSource(file="model.safetensors", sha256=sha256_file(weights))]}
    )
    if spec.data.kind == "image":
        save_grid(model.sample(64, seed=0), folder / "samples.png", nrow=8)
    # the command that repeats the run; --resume only continued it, so it is not part of it
    command = command or " ".join(
        shlex.quote(a) for a in ["genzoo", *sys.argv[1:]] if a != "--resume"
    )
    data = trainer.data
    train_text = (
        f"Trained by genzoo on {data.info.get('source', data.info.get('name'))} "
        f"({len(data)} samples) for {result.steps} steps of batch {trainer.recipe.batch_size} "
        f"in {_duration(result.seconds)} ({result.images_per_second:.0f} images/s) on "
        f"{trainer.device.type.upper()}, {time.strftime('%Y-%m-%d')}"
        + (f", in {result.sessions} sessions (--resume)" if result.sessions > 1 else "")
        + f".\n\n```bash\n{command}\n```"
    )
    last = ", ".join(f"{k} {v:.4g}" for k, v in result.last_metrics.items())
    sections = {"Training": train_text + (f"\n\nLast losses: {last}." if last else "")}
    if metrics:
        rows = "\n".join(f"| {k} | {v} |" for k, v in metrics.items())
        sections["Evaluation"] = f"| metric | value |\n|---|---|\n{rows}"
    if notes:
        sections["Notes"] = notes
    if spec.data.kind == "image":
        sections["Samples"] = "![samples](samples.png)"
    with atomic_write(folder / "genzoo.yaml", "w") as f:
        f.write(dump_spec(spec))
    with atomic_write(folder / "README.md", "w") as f:
        f.write(
            render_card(spec, sections=sections, metrics=metrics, capabilities=model.capabilities)
        )
    with atomic_write(folder / "train_result.json", "w") as f:
        json.dump(
            {
                "steps": result.steps,
                "seconds": result.seconds,
                "images_per_s": result.images_per_second,
                "sessions": result.sessions,
                "command": command,
                "metrics": metrics or {},
            },
            f,
            indent=2,
        )
    return folder


def _duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.1f} min"
