"""Evaluation of autoencoders and VAEs: reconstruction error, ELBO, importance-sampled log p(x),
anomaly scores and threshold calibration."""

from __future__ import annotations

import math

import torch

from genzoo.model import GenerativeModel


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
def anomaly_scores(model: GenerativeModel, x: torch.Tensor, batch: int = 500) -> torch.Tensor:
    """Per-sample reconstruction error (mean squared error over pixels) — high for anomalies."""
    return torch.cat(
        [
            ((model.reconstruct(x[i : i + batch]) - x[i : i + batch]) ** 2).flatten(1).mean(1)
            for i in range(0, len(x), batch)
        ]
    )


def calibrate_threshold(normal_scores: torch.Tensor, quantile: float = 0.99) -> float:
    """The ``quantile`` of anomaly scores of held-out normal data."""
    return float(torch.quantile(normal_scores.double(), quantile))


def roc_auc(normal: torch.Tensor, anomalous: torch.Tensor) -> float:
    """Probability that an anomaly scores higher than a normal sample (ties count half)."""
    a, n = anomalous.double().view(-1, 1), normal.double().view(1, -1)
    return float(((a > n).double() + 0.5 * (a == n).double()).mean())


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
