"""Pure rendering: an immutable request in, pixels out. No Qt here; runs in worker threads."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class SampleRequest:
    entry: str
    seed: int
    grid: int
    truncation: float | None
    label: int | None


@dataclass(frozen=True)
class InterpolateRequest:
    entry: str
    seeds: tuple[int, ...]
    steps: int
    slerp: bool
    label: int | None


@dataclass(frozen=True)
class EditRequest:
    """Move one seed's latent along the entry's discovered directions (one strength each)."""

    entry: str
    seed: int
    label: int | None
    method: str  # pca | sefa | boundary
    strengths: tuple[float, ...]


@dataclass(frozen=True)
class Result:
    """Frames (H×W×C uint8 each; one for a grid), how long it took, on which thread."""

    frames: list[np.ndarray]
    ms: float
    thread: str
    names: tuple[str, ...] = ()  # of the directions an edit used


class ModelCache:
    """The last few loaded models (LRU) and their directions, shared by the workers."""

    def __init__(self, zoo: Any, size: int = 2) -> None:
        self.zoo, self.size = zoo, size
        self._models: OrderedDict[str, Any] = OrderedDict()
        self._directions: dict[tuple[str, str], tuple[Any, list[str]]] = {}
        self._lock = threading.Lock()

    def known_directions(self) -> set[tuple[str, str]]:
        """(entry, method) pairs whose directions are already in memory."""
        with self._lock:
            return set(self._directions)

    def directions(self, name: str, method: str) -> tuple[Any, list[str]]:
        """The entry's stored directions of ``method``, else computed here (kept in memory)."""
        from genzoo import directions

        key = (name, method)
        with self._lock:
            if key in self._directions:
                return self._directions[key]
        stored = directions.load(self.zoo.entry(name).folder)
        if method in stored:
            found = stored[method]
        else:
            classifier = None
            if method == "boundary":
                classifier = self.zoo.registries.extractors.get("digits").function()()
            dirs, names, _ = directions.discover(self.get(name), method, classifier=classifier)
            found = (dirs, names)
        with self._lock:
            self._directions[key] = found
        return found

    def get(self, name: str) -> Any:
        with self._lock:
            if name in self._models:
                self._models.move_to_end(name)
                return self._models[name]
        model = self.zoo.load(name)
        with self._lock:
            self._models[name] = model
            while len(self._models) > self.size:
                self._models.popitem(last=False)
        return model


def render(request: SampleRequest | InterpolateRequest | EditRequest, cache: ModelCache) -> Result:
    """Run the model for a request (called off the GUI thread)."""
    import torch

    from genzoo import latent
    from genzoo.imaging import grid_array

    t0 = time.perf_counter()
    model = cache.get(request.entry)
    if isinstance(request, EditRequest):
        return _render_edit(request, cache, model, t0)
    if isinstance(request, SampleRequest):
        n = request.grid * request.grid
        psi = None if request.truncation in (None, 1.0) else request.truncation
        x = model.sample(n, seed=request.seed, labels=request.label, truncation=psi)
        frames = [grid_array(x, nrow=request.grid)]
    else:
        zs = torch.cat(
            [model.sample_latent(1, torch.Generator().manual_seed(s)) for s in request.seeds]
        )
        z = latent.path(zs, request.steps, spherical=request.slerp)
        labels = model.make_labels(len(z), request.label)
        with torch.no_grad():
            x = model.decode(
                z.to(model.device), labels=None if labels is None else labels.to(model.device)
            )
        frames = [grid_array(x[i : i + 1].cpu(), nrow=1, pad=0) for i in range(len(x))]
    ms = (time.perf_counter() - t0) * 1000
    return Result(frames, ms, threading.current_thread().name)


def _render_edit(request: EditRequest, cache: ModelCache, model: Any, t0: float) -> Result:
    """The seed's image (left) and the edited one (right)."""
    import torch

    from genzoo.imaging import grid_array

    dirs, names = cache.directions(request.entry, request.method)
    z0 = model.sample_latent(1, torch.Generator().manual_seed(request.seed))
    k = min(len(request.strengths), len(dirs))
    shift = torch.tensor(request.strengths[:k], dtype=dirs.dtype) @ dirs[:k].flatten(1)
    z = torch.cat([z0, z0 + shift.view_as(z0)])
    labels = model.make_labels(2, request.label)
    with torch.no_grad():
        x = model.decode(
            z.to(model.device), labels=None if labels is None else labels.to(model.device)
        )
    ms = (time.perf_counter() - t0) * 1000
    return Result([grid_array(x.cpu(), nrow=2)], ms, threading.current_thread().name, tuple(names))
