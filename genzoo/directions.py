"""Direction discovery for any model, stored next to it as ``directions.safetensors``.

Methods: ``pca`` (GANSpace-style: PCA of generated images' features regressed onto z),
``sefa`` (closed-form, for families exposing their first latent projection through
``model.latent_projection()``), ``boundary`` (a linear boundary per class, labelled by a
classifier extractor or the model's own conditioning). The file holds one k×D tensor per
method with names and provenance in its metadata.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from genzoo import latent
from genzoo.errors import CapabilityError

if TYPE_CHECKING:
    from genzoo.model import GenerativeModel
    from genzoo.zoo import Zoo

FILE = "directions.safetensors"


@torch.no_grad()
def discover(
    model: GenerativeModel,
    method: str,
    *,
    k: int = 10,
    n: int = 2000,
    seed: int = 0,
    classifier: Any = None,
) -> tuple[torch.Tensor, list[str], dict[str, Any]]:
    """Directions (k×D), their names and provenance."""
    gen = torch.Generator().manual_seed(seed)
    t0 = time.perf_counter()
    if method == "pca":
        z = model.sample_latent(n, gen)
        labels = model.make_labels(n, None)
        feats = (
            model.direction_features(z, labels)
            if hasattr(model, "direction_features")
            else (model.decode(z, labels=labels))
        )
        dirs, var = latent.pca_directions(z, feats, k)
        names = [f"pca:{i} ({v:.3g} var)" for i, v in enumerate(var.tolist())]
    elif method == "sefa":
        if not hasattr(model, "latent_projection"):
            raise CapabilityError(
                f"{model.spec.family} exposes no first latent projection for SeFa"
            )
        dirs, vals = latent.sefa_directions(model.latent_projection(), k)
        names = [f"sefa:{i} ({v:.3g})" for i, v in enumerate(vals.tolist())]
    elif method == "boundary":
        if classifier is None or not hasattr(classifier, "classify"):
            raise CapabilityError("boundary directions need a classifier extractor (e.g. digits)")
        z = model.sample_latent(n, gen)
        labels = model.make_labels(n, None)
        with torch.enable_grad():
            pred = classifier.classify(model.decode(z, labels=labels))
        classes = sorted(set(pred.tolist()))
        rows, names = [], []
        for c in classes:
            y = (pred == c).long()
            if 5 <= int(y.sum()) <= n - 5:
                with torch.enable_grad():
                    rows.append(latent.linear_boundary(z, y))
                names.append(f"boundary:{c}")
        if not rows:
            raise CapabilityError("the classifier found too few examples of any class")
        dirs = torch.stack(rows)
    else:
        raise CapabilityError(f"unknown direction method {method!r}; use pca, sefa or boundary")
    prov = {
        "method": method,
        "samples": n,
        "seed": seed,
        "k": len(dirs),
        "seconds": round(time.perf_counter() - t0, 2),
    }
    return dirs.float(), names, prov


def load(folder: Path) -> dict[str, tuple[torch.Tensor, list[str]]]:
    """Directions stored in an entry folder: method → (k×D tensor, names)."""
    from genzoo.weights import read_metadata, read_tensors

    path = Path(folder) / FILE
    if not path.is_file():
        return {}
    meta = read_metadata(path)
    tensors = read_tensors(path)
    return {m: (t, json.loads(meta.get(f"{m}.names", "[]"))) for m, t in tensors.items()}


def save(
    folder: Path, method: str, dirs: torch.Tensor, names: list[str], prov: dict[str, Any]
) -> Path:
    """Add or replace one method's directions in the entry folder (atomically)."""
    from genzoo.weights import read_metadata, save_tensors

    path = Path(folder) / FILE
    existing = load(folder)
    meta = read_metadata(path) if path.is_file() else {}
    existing[method] = (dirs, names)
    meta[f"{method}.names"] = json.dumps(names)
    meta[f"{method}.provenance"] = json.dumps(prov)
    save_tensors({m: t for m, (t, _) in existing.items()}, path, meta)
    return path


def resolve(zoo: Zoo, name: str, ref: str) -> torch.Tensor:
    """A direction by reference ``method:index`` from the entry's stored directions."""
    entry = zoo.find(name)
    method, _, idx = ref.partition(":")
    stored = load(entry.folder)
    if method not in stored:
        raise CapabilityError(
            f"{entry.name} has no {method!r} directions; run `genzoo directions {entry.name} "
            f"--method {method}`"
        )
    dirs, names = stored[method]
    ref = f"{method}:{idx or 0}"
    keys = [n.split(" ")[0] for n in names]  # "pca:0 (1.2 var)" → "pca:0"
    if ref in keys:  # by name: boundary:7 is class 7's even when a class had too few samples
        return dirs[keys.index(ref)]
    raise CapabilityError(f"{entry.name} has no direction {ref!r}; it has {', '.join(keys)}")
