"""Probabilistic PCA trained by maximum likelihood with the genzoo trainer."""

from __future__ import annotations

import math

import torch
from torch import nn

from genzoo.model import GenerativeModel
from genzoo.train.phases import Batch, Phase, TrainContext


class PPCANet(nn.Module):
    """Parameters W (D×K), μ (D) and log σ."""

    def __init__(self, dim: int, latent: int) -> None:
        super().__init__()
        self.W = nn.Parameter(torch.randn(dim, latent) * 0.01)
        self.mu = nn.Parameter(torch.zeros(dim))
        self.log_sigma = nn.Parameter(torch.zeros(()))


class PPCA(GenerativeModel):
    """x = W z + μ + σ ε; sampling returns the noise-free mean W z + μ, clamped to [-1, 1]."""

    sampling_networks = ("G",)

    def __init__(self, spec) -> None:  # type: ignore[no-untyped-def]
        super().__init__(spec)
        c, h, w = self.image_shape
        self.G = PPCANet(c * h * w, spec.latent.dim)

    def decode(self, z, *, labels=None, truncation=None):  # type: ignore[no-untyped-def]
        if truncation is not None:
            z = z * truncation
        x = z @ self.G.W.T + self.G.mu  # (N, D)
        return x.clamp(-1, 1).view(len(z), *self.image_shape)

    def nll(self, x: torch.Tensor) -> torch.Tensor:
        """Mean negative log-likelihood in nats: x ~ N(μ, W Wᵀ + σ² I)."""
        sigma2 = torch.exp(2 * self.G.log_sigma) + self.spec.arch.min_sigma**2
        dist = torch.distributions.LowRankMultivariateNormal(
            self.G.mu, self.G.W, sigma2.expand(self.G.mu.shape[0])
        )
        return -dist.log_prob(x.flatten(1)).mean()

    def training_phases(self, ctx: TrainContext) -> list[Phase]:
        def loss(batch: Batch, ctx: TrainContext):  # type: ignore[no-untyped-def]
            out = self.nll(batch.x)
            d = batch.x[0].numel()
            return out, {
                "nll": float(out.detach()),
                "bits_per_dim": float(out.detach()) / d / math.log(2),
            }

        return [Phase("G", ("G",), loss)]
