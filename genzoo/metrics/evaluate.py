"""``genzoo eval``: metrics of a model against a data source, with the protocol recorded."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import torch

from genzoo.errors import CapabilityError

if TYPE_CHECKING:
    from genzoo.model import GenerativeModel
    from genzoo.zoo import Zoo

IMAGE_METRICS = ("fd", "kid", "pr", "class_consistency", "recon", "likelihood", "compression")


def evaluate(
    zoo: Zoo,
    model: GenerativeModel,
    *,
    data: str | None = None,
    metrics: tuple[str, ...] = ("fd", "kid", "pr"),
    n: int = 10000,
    extractor: str = "digits",
    seed: int = 0,
    truncation: float | None = None,
    data_options: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Sample ``n`` images, extract features, compare with the data; return results + protocol."""
    from genzoo import metrics as m
    from genzoo.train import load_data

    unknown = set(metrics) - set(IMAGE_METRICS)
    if unknown:
        raise CapabilityError(f"unknown metric(s) {sorted(unknown)}; known: {list(IMAGE_METRICS)}")
    if model.spec.data.kind != "image":
        raise CapabilityError("genzoo eval's feature metrics are for image models")
    t0 = time.perf_counter()
    real = load_data(zoo, model.spec, data, data_options)
    out: dict[str, Any] = {}
    if "recon" in metrics:
        if "reconstruct" not in model.capabilities:
            raise CapabilityError(f"{model.spec.family} models cannot reconstruct")
        with torch.no_grad():
            errs = [
                ((model.reconstruct(real.x[i : i + 500]) - real.x[i : i + 500]) / 2) ** 2
                for i in range(0, len(real), 500)
            ]
        # per pixel on the [0, 1] scale, the usual MNIST convention
        out["recon_mse_per_pixel"] = float(torch.cat(errs).mean())
    if "compression" in metrics:
        from genzoo.metrics.compression import compression_report

        out.update({f"compression_{k}": v for k, v in compression_report(model, real.x).items()})
    if "likelihood" in metrics:
        if not hasattr(model, "likelihood_metrics"):
            raise CapabilityError(f"{model.spec.family} models have no likelihood")
        out.update(model.likelihood_metrics(real.x, seed=seed))
    feature_metrics = {"fd", "kid", "pr", "class_consistency"} & set(metrics)
    ext = zoo.registries.extractors.get(extractor).function()() if feature_metrics else None
    if feature_metrics:
        assert ext is not None
        fake = model.sample(n, seed=seed, truncation=truncation)
        f_real, f_fake = ext.features(real.x), ext.features(fake)
        if "fd" in metrics:
            out["fd"] = m.frechet_distance(f_real, f_fake)
        if "kid" in metrics:
            size = min(1000, len(f_real), len(f_fake))
            out["kid"], out["kid_std"] = m.kernel_inception_distance(
                f_real, f_fake, subset_size=size
            )
        if "pr" in metrics:
            k = min(len(f_real), len(f_fake), 5000)
            g = torch.Generator().manual_seed(seed)
            r = f_real[torch.randperm(len(f_real), generator=g)[:k]]
            f = f_fake[torch.randperm(len(f_fake), generator=g)[:k]]
            out["precision"], out["recall"] = m.precision_recall(r, f, k=3)
        if "class_consistency" in metrics:
            if not model.num_classes or not hasattr(ext, "classify"):
                raise CapabilityError(
                    "class_consistency needs a conditional model and a classifier"
                )
            labels = model.make_labels(n, None)
            assert labels is not None
            pred = ext.classify(fake)
            out["class_consistency"] = float((pred == labels).double().mean())
    out = {k: round(v, 6) if isinstance(v, float) else v for k, v in out.items()}
    out["protocol"] = {
        "extractor": ext.name if ext else None,
        "extractor_sha256": ext.sha256 if ext else None,
        "samples": n if feature_metrics else None,
        "reference": {
            "source": real.info.get("name"),
            "n": len(real),
            "options": data_options or {},
        },
        "seed": seed,
        "truncation": truncation,
        "seconds": round(time.perf_counter() - t0, 1),
    }
    return out
