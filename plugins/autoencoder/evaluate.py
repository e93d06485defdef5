"""Evaluation of autoencoders and VAEs: reconstruction error, ELBO, importance-sampled log p(x),
anomaly scores and threshold calibration."""

from __future__ import annotations

import math

import torch

from genzoo.metrics.anomaly import anomaly_scores, calibrate_threshold, roc_auc
from genzoo.model import GenerativeModel

__all__ = [
    "anomaly_scores",
    "calibrate_threshold",
    "elbo",
    "importance_log_px",
    "reconstruction_mse",
    "roc_auc",
]


@torch.no_grad()
def reconstruction_mse(model: GenerativeModel, x: torch.Tensor, batch: int = 500) -> float:
    """Mean squared error per pixel on the [0, 1] scale (the common convention for MNIST)."""
    errs = []
    for i in range(0, len(x), batch):
        xb = x[i : i + batch]
        r = model.reconstruct(xb)
        errs.append((((r + 1) / 2 - (xb + 1) / 2) ** 2).flatten(1).mean(1))
    return float(torch.cat(errs).mean())


@torch.no_grad()
def elbo(
    model, x: torch.Tensor, generator: torch.Generator | None = None, batch: int = 500
) -> float:  # type: ignore[no-untyped-def]
    """Mean ELBO per sample in nats (one z sample per x)."""
    out = []
    for i in range(0, len(x), batch):
        xb = x[i : i + batch]
        mu, logvar = model.encode_dist(xb)
        z = mu + (0.5 * logvar).exp() * torch.randn(mu.shape, generator=generator)
        rec = model.log_px_given_z(model.Dec.logits(z), xb)
        kl = -0.5 * (1 + logvar - mu**2 - logvar.exp()).sum(1)
        out.append(rec - kl)
    return float(torch.cat(out).mean())


@torch.no_grad()
def importance_log_px(
    model,
    x: torch.Tensor,
    k: int = 100,
    generator: torch.Generator | None = None,  # type: ignore[no-untyped-def]
    batch: int = 100,
) -> float:
    """log p(x) ≈ log (1/k) Σ_i p(x|z_i) p(z_i) / q(z_i|x), z_i ~ q(z|x); mean nats per sample."""
    out = []
    for i in range(0, len(x), batch):
        xb = x[i : i + batch]
        mu, logvar = model.encode_dist(xb)
        std = (0.5 * logvar).exp()
        ws = []
        for _ in range(k):
            eps = torch.randn(mu.shape, generator=generator)
            z = mu + std * eps
            log_pxz = model.log_px_given_z(model.Dec.logits(z), xb)
            log_pz = (-0.5 * z**2 - 0.5 * math.log(2 * math.pi)).sum(1)
            log_qz = (-0.5 * eps**2 - 0.5 * math.log(2 * math.pi) - 0.5 * logvar).sum(1)
            ws.append(log_pxz + log_pz - log_qz)
        w = torch.stack(ws)  # k×N
        out.append(torch.logsumexp(w, 0) - math.log(k))
    return float(torch.cat(out).mean())
