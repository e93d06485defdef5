"""Projection (GAN inversion): find the latent whose image best matches a target.

Optimises z (starting from the mean of several random starts' best) with Adam on a pixel MSE
plus an optional feature loss (e.g. the digit classifier's features), with a step limit and a
time budget. Models with an encoder use it instead (one forward pass).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import torch

from genzoo.model import GenerativeModel


@dataclass
class Projection:
    """Result of a projection."""

    z: torch.Tensor
    image: torch.Tensor
    loss: float
    steps: int
    seconds: float
    history: list[float]


def project(
    model: GenerativeModel,
    target: torch.Tensor,
    *,
    labels: torch.Tensor | None = None,
    steps: int = 300,
    lr: float = 0.05,
    starts: int = 16,
    seed: int = 0,
    time_budget: float | None = None,
    features: Callable[[torch.Tensor], torch.Tensor] | None = None,
    feature_weight: float = 0.1,
    on_step: Callable[[int, float], None] | None = None,
) -> Projection:
    """Project one image (1×C×H×W in [-1, 1]) into the model's z space."""
    t0 = time.perf_counter()
    target = target.to(model.device)
    if "encode" in model.capabilities:
        with torch.no_grad():
            z = model.encode(target)
            img = model.decode(z)
        loss = float(((img - target) ** 2).mean())
        return Projection(z.cpu(), img.cpu(), loss, 0, time.perf_counter() - t0, [loss])
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():  # pick the best of several random starts
        cands = model.sample_latent(starts, g).to(model.device)
        lab = None if labels is None else labels.expand(starts).to(model.device)
        errs = ((model.decode(cands, labels=lab) - target) ** 2).flatten(1).mean(1)
    z = cands[errs.argmin()].unsqueeze(0).clone().requires_grad_(True)
    opt = torch.optim.Adam([z], lr=lr)
    t_feat = features(target).detach() if features is not None else None
    history: list[float] = []
    was_training = model.training
    model.eval()
    model.requires_grad_(False)
    try:
        for step in range(steps):
            img = model.decode(z, labels=None if labels is None else labels.to(model.device))
            loss = ((img - target) ** 2).mean()
            if features is not None:
                loss = loss + feature_weight * ((features(img) - t_feat) ** 2).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            history.append(float(loss.detach()))
            if on_step is not None:
                on_step(step, history[-1])
            if time_budget is not None and time.perf_counter() - t0 > time_budget:
                break
    finally:
        model.requires_grad_(True)
        model.train(was_training)
    with torch.no_grad():
        img = model.decode(z.detach(), labels=None if labels is None else labels.to(model.device))
        final = float(((img - target) ** 2).mean())
    return Projection(
        z.detach().cpu(), img.cpu(), final, len(history), time.perf_counter() - t0, history
    )
