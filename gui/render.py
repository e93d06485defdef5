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
class MixRequest:
    """Style mixing: rows take their styles from ``row_seeds``, except ``layers`` (a range of
    style indices) which come from ``col_seeds``. The grid has the columns' own images on top
    and the rows' down the left."""

    entry: str
    row_seeds: tuple[int, ...]
    col_seeds: tuple[int, ...]
    # first, last style index taken from the columns (inclusive), or a preset of
    # genzoo.latent.layer_range (coarse / middle / fine)
    layers: tuple[int, int] | str
    truncation: float | None = None


@dataclass(frozen=True)
class TableRequest:
    """``n`` rows of one domain of a tabular model."""

    entry: str
    domain: str
    n: int
    seed: int


@dataclass(frozen=True)
class TableResult:
    columns: dict[str, np.ndarray]
    ms: float
    thread: str


@dataclass(frozen=True)
class AutoencodeRequest:
    """Run an autoencoder on one image file, or on one of its held-out images (the Encode view)."""

    entry: str
    path: str | None  # the image file (None: use ``held_out``)
    noise: float  # fraction of pixels masked in the noisy copy
    seed: int = 0  # of the mask
    held_out: int | None = None  # index into the entry's first 500 held-out images (no file)


@dataclass(frozen=True)
class LatentMapRequest:
    """Encode ``n`` held-out images of the entry's training data and project the codes to 2-D."""

    entry: str
    n: int = 500
    seed: int = 0


@dataclass(frozen=True)
class DecodeRequest:
    """Decode one code (a point of the latent map lifted back to code space) to an image."""

    entry: str
    code: tuple[float, ...]


@dataclass(frozen=True)
class Result:
    """Frames (H×W×C uint8 each; one for a grid), how long it took, on which thread."""

    frames: list[np.ndarray]
    ms: float
    thread: str
    names: tuple[str, ...] = ()  # of the directions an edit used


@dataclass(frozen=True)
class MixResult(Result):
    """A style-mixing grid and what it mixed."""

    num_ws: int = 0
    layers: tuple[int, int] = (0, 0)


@dataclass(frozen=True)
class AutoencodeResult:
    """Images (H×W×C uint8) and the anomaly score of one file."""

    input: np.ndarray  # as the model sees it (converted like the CLI converts)
    reconstruction: np.ndarray
    noisy: np.ndarray  # the input with masking noise
    denoised: np.ndarray  # reconstruction of the noisy copy
    score: float  # mean squared reconstruction error on the [-1, 1] scale (genzoo anomaly)
    noisy_mse: float  # of the noisy copy against the clean input (same scale)
    denoised_mse: float  # of the denoised reconstruction against the clean input
    threshold: dict[str, Any] | None  # the entry's anomaly.json, if calibrated
    denoising: str | None  # the corruption the entry was trained to undo (None: not a DAE)
    note: str  # where the input came from and how it was converted
    ms: float
    thread: str


@dataclass(frozen=True)
class LatentMapResult:
    """2-D positions of held-out codes and of prior draws projected the same way."""

    codes: np.ndarray  # N×2
    labels: np.ndarray | None  # N class indices
    class_names: list[str] | None
    prior: np.ndarray  # M×2: draws from N(0, I) in code space, projected like the codes
    samples: bool  # the model samples from that prior (a VAE); a plain autoencoder does not
    code_dim: int
    projection: str
    data: str  # where the images came from
    code_norm: float  # median ‖z‖ of the codes
    prior_norm: float  # median ‖z‖ of the prior draws
    mean: np.ndarray  # d: the point of code space at the map's origin
    basis: np.ndarray  # 2×d: the code-space directions of the map's two axes
    ms: float
    thread: str

    def code_at(self, x: float, y: float) -> tuple[float, ...]:
        """The code at map position (x, y): ``mean + (x, y) @ basis`` (exact for a 2-D code)."""
        return tuple(float(v) for v in self.mean + np.array([x, y]) @ self.basis)


class ModelCache:
    """The last few loaded models (LRU) and their directions, shared by the workers."""

    def __init__(self, zoo: Any, size: int = 2) -> None:
        self.zoo, self.size = zoo, size
        self._models: OrderedDict[str, Any] = OrderedDict()
        self._directions: dict[tuple[str, str], tuple[Any, list[str]]] = {}
        self._data: dict[tuple[Any, ...], Any] = {}
        self._lock = threading.Lock()

    def forget(self, name: str | None = None) -> None:
        """Drop one entry's model and directions (after a pull or removal), or everything."""
        with self._lock:
            for key in [k for k in self._models if name in (None, k)]:
                del self._models[key]
            for key in [k for k in self._directions if name in (None, k[0])]:
                del self._directions[key]

    def dataset(self, key: tuple[Any, ...], load: Any) -> Any:
        """``load()``'s data set, kept in memory under ``key``."""
        with self._lock:
            if key in self._data:
                return self._data[key]
        data = load()
        with self._lock:
            self._data[key] = data
        return data

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


def render(request: Any, cache: ModelCache) -> Any:
    """Run the model for a request (called off the GUI thread)."""
    import torch

    from genzoo import latent
    from genzoo.imaging import grid_array

    t0 = time.perf_counter()
    model = cache.get(request.entry)
    if isinstance(request, AutoencodeRequest):
        return _autoencode(request, cache, model, t0)
    if isinstance(request, LatentMapRequest):
        return _latent_map(request, cache, model, t0)
    if isinstance(request, DecodeRequest):
        shape = model.latent_spaces["z"].shape
        z = torch.tensor(request.code, dtype=torch.float32)
        if z.numel() != int(np.prod(shape)):
            raise ValueError(f"{request.entry} takes {shape} codes, got {z.numel()} numbers")
        labels = model.make_labels(1, None)
        with torch.no_grad():
            x = model.decode(
                z.view(1, *shape).to(model.device),
                labels=None if labels is None else labels.to(model.device),
            )
        ms = (time.perf_counter() - t0) * 1000
        return Result([grid_array(x.cpu(), nrow=1, pad=0)], ms, threading.current_thread().name)
    if isinstance(request, EditRequest):
        return _render_edit(request, cache, model, t0)
    if isinstance(request, MixRequest):
        return _render_mix(request, model, t0)
    if isinstance(request, TableRequest):
        table = model.sample_table(request.n, domain=request.domain, seed=request.seed)
        ms = (time.perf_counter() - t0) * 1000
        return TableResult(table, ms, threading.current_thread().name)
    if isinstance(request, SampleRequest):
        # one seed per cell (seed, seed + 1, ...): a cell is `genzoo sample NAME -n 1 --seed S`
        n = request.grid * request.grid
        psi = None if request.truncation in (None, 1.0) else request.truncation
        z = _latents(model, range(request.seed, request.seed + n))
        labels = model.make_labels(n, request.label)
        with torch.no_grad():
            x = model.decode(
                z.to(model.device),
                labels=None if labels is None else labels.to(model.device),
                truncation=psi,
            )
        frames = [grid_array(x.cpu(), nrow=request.grid)]
    else:
        z = latent.path(_latents(model, request.seeds), request.steps, spherical=request.slerp)
        labels = model.make_labels(len(z), request.label)
        with torch.no_grad():
            x = model.decode(
                z.to(model.device), labels=None if labels is None else labels.to(model.device)
            )
        frames = [grid_array(x[i : i + 1].cpu(), nrow=1, pad=0) for i in range(len(x))]
    ms = (time.perf_counter() - t0) * 1000
    return Result(frames, ms, threading.current_thread().name)


def _latents(model: Any, seeds: Any) -> Any:
    """One latent per seed, each drawn as ``model.sample(1, seed=s)`` draws it."""
    import torch

    return torch.cat([model.sample_latent(1, torch.Generator().manual_seed(s)) for s in seeds])


def _render_mix(request: MixRequest, model: Any, t0: float) -> Result:
    """The style-mixing figure of the StyleGAN paper: column images on top, row images on the
    left, each inner cell the row's styles with ``layers`` taken from the column."""
    import torch

    from genzoo.errors import CapabilityError
    from genzoo.imaging import grid_array

    if "style_mix" not in model.capabilities:
        raise CapabilityError(f"{model.spec.name} ({model.spec.family}) has no styles to mix")
    from genzoo.latent import layer_range

    layers = request.layers
    first, last = layer_range(layers, model.num_ws) if isinstance(layers, str) else layers
    if not 0 <= first <= last < model.num_ws:
        raise CapabilityError(f"layers {first}..{last} outside 0..{model.num_ws - 1}")
    psi = None if request.truncation in (None, 1.0) else request.truncation
    zr = _latents(model, request.row_seeds).to(model.device)
    zc = _latents(model, request.col_seeds).to(model.device)
    with torch.no_grad():
        rows = model.decode(zr, truncation=psi)
        cols = model.decode(zc, truncation=psi)
        mixed = model.mix(zr, zc, range(first, last + 1), truncation=psi)
    blank = torch.full_like(rows[:1], -1.0)
    cells = [blank, cols]
    for i in range(len(rows)):
        cells += [rows[i : i + 1], mixed[i * len(cols) : (i + 1) * len(cols)]]
    x = torch.cat(cells).cpu()
    ms = (time.perf_counter() - t0) * 1000
    thread = threading.current_thread().name
    frames = [grid_array(x, nrow=len(cols) + 1)]
    return MixResult(frames, ms, thread, num_ws=model.num_ws, layers=(first, last))


def _render_edit(request: EditRequest, cache: ModelCache, model: Any, t0: float) -> Result:
    """The seed's image (left) and the edited one (right)."""
    import torch

    from genzoo.imaging import grid_array

    dirs, names = cache.directions(request.entry, request.method)
    z0 = _latents(model, [request.seed])
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


def _need(model: Any, *capabilities: str) -> None:
    from genzoo.errors import CapabilityError

    for c in capabilities:
        if c not in model.capabilities:
            raise CapabilityError(f"{model.spec.name} ({model.spec.family}) cannot {c}")


def _autoencode(request: AutoencodeRequest, cache: ModelCache, model: Any, t0: float) -> Any:
    """What ``genzoo reconstruct`` / ``denoise`` / ``anomaly`` compute, for one image."""
    import torch
    from PIL import Image, ImageOps

    from genzoo.errors import DataError
    from genzoo.images import mask_pixels, read_images
    from genzoo.imaging import grid_array
    from genzoo.metrics import anomaly

    _need(model, "encode", "reconstruct")
    c, h, w = model.image_shape
    kind = {1: "grey", 3: "RGB", 4: "RGB"}.get(c, f"{c}-channel")
    if request.path is None:
        if request.held_out is None:
            raise DataError("no image: give a file or a held-out index")
        data = _held_out(cache, model, 500)
        i = request.held_out % len(data)
        x = data.x[i : i + 1]
        label = "" if data.y is None else f", a {(data.class_names or [])[int(data.y[i])]}"
        split = str(data.info.get("split", "held-out")).split(" (")[0]
        note = (
            f"held-out image {i}{label} ({data.info.get('name', 'data')} {split} split), "
            f"{w}×{h} {kind}"
        )
    else:
        x = read_images([request.path], model.image_shape)  # DataError names a bad file
        with Image.open(request.path) as im:
            size, mode = ImageOps.exif_transpose(im).size, im.mode  # as read_images saw it
        words = {"L": "grey", "LA": "grey + alpha", "P": "palette", "1": "1-bit"}
        seen = f"{size[0]}×{size[1]} {words.get(mode, mode)}"
        same = size == (w, h) and mode == {1: "L", 3: "RGB"}.get(c)
        note = f"{seen} image, used as is" if same else f"{seen} converted to {w}×{h} {kind}"
    noisy = mask_pixels(x, request.noise, request.seed)
    dev = model.device
    with torch.no_grad():
        rec = model.reconstruct(x.to(dev)).cpu()
        den = model.reconstruct(noisy.to(dev)).cpu()
    score = float(anomaly.anomaly_scores(model, x.to(dev))[0])
    threshold = anomaly.load_threshold(cache.zoo.entry(request.entry).folder)
    corruption = getattr(model.spec.arch, "denoising", None)
    if corruption is None:
        trained = None
    elif corruption.kind == "mask":
        trained = f"{corruption.p:.0%} of pixels masked"
    else:
        trained = f"Gaussian noise σ={corruption.sigma:g}"

    def pic(t: Any) -> np.ndarray:
        return grid_array(t, nrow=1, pad=0)

    def mse(a: Any) -> float:
        return float(((a - x) ** 2).mean())

    ms = (time.perf_counter() - t0) * 1000
    return AutoencodeResult(
        input=pic(x),
        reconstruction=pic(rec),
        noisy=pic(noisy),
        denoised=pic(den),
        score=score,
        noisy_mse=mse(noisy),
        denoised_mse=mse(den),
        threshold=threshold,
        denoising=trained,
        note=note,
        ms=ms,
        thread=threading.current_thread().name,
    )


def _held_out(cache: ModelCache, model: Any, n: int) -> Any:
    """``n`` held-out images of the entry's training source (its test split when it has one)."""
    from genzoo.errors import DataError
    from genzoo.train import load_data

    spec = model.spec
    source = spec.training.data if spec.training else None
    if source is None:
        raise DataError(f"{spec.name} names no training data source to map")

    def load() -> Any:
        # the source alone (not the recipe's options: an anomaly detector trained on one
        # class is mapped on all of them), held-out split first
        try:
            return load_data(cache.zoo, spec, source, {"split": "test", "limit": n})
        except DataError as exc:
            if "bad options" not in str(exc):
                raise
            return load_data(cache.zoo, spec, source, {"limit": n})

    return cache.dataset((source, spec.data.channels, spec.data.size, n), load)


def _latent_map(request: LatentMapRequest, cache: ModelCache, model: Any, t0: float) -> Any:
    """Codes of held-out images in 2-D (PCA, or the code itself when it is 2-D), with prior
    draws projected the same way."""
    import torch

    _need(model, "encode")
    data = _held_out(cache, model, request.n)
    with torch.no_grad():
        z = model.encode(data.x.to(model.device)).flatten(1).cpu().double()
    d = z.shape[1]
    prior = model.sample_latent(len(z), torch.Generator().manual_seed(request.seed))
    prior = prior.flatten(1).double()
    if d <= 2:
        mean, basis = torch.zeros(d, dtype=z.dtype), torch.eye(2, d, dtype=z.dtype)
        projection = f"the {d}-D code itself"
    else:
        mean = z.mean(0)
        _, s, vh = torch.linalg.svd(z - mean, full_matrices=False)
        basis = vh[:2]
        share = float((s[:2] ** 2).sum() / (s**2).sum())
        projection = f"PCA of the {d}-d codes ({share:.0%} of their variance)"
    codes, drawn = (z - mean) @ basis.T, (prior - mean) @ basis.T
    info = data.info
    split = str(info.get("split", "")).split(" (")[0]
    trained_on = (model.spec.training.data_options or {}).get("split")
    where = f"{info.get('name', 'data')}" + (f", {split} split" if split else "")
    held = " held-out" if split and trained_on and split != trained_on else ""
    ms = (time.perf_counter() - t0) * 1000
    return LatentMapResult(
        codes=codes.float().numpy(),
        labels=None if data.y is None else data.y.numpy(),
        class_names=data.class_names,
        prior=drawn.float().numpy(),
        samples="sample" in model.capabilities,
        code_dim=d,
        projection=projection,
        data=f"{len(z)}{held} images ({where})",
        code_norm=float(z.norm(dim=1).median()),
        prior_norm=float(prior.norm(dim=1).median()),
        mean=mean.numpy(),
        basis=basis.numpy(),
        ms=ms,
        thread=threading.current_thread().name,
    )
