"""Autoencoder losses: pure tensor functions, per sample unless noted.

Images are in [-1, 1]; ``bce`` maps predictions and targets to [0, 1] first.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def mse(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean over pixels of (x̂ − x)², per sample (N)."""
    return ((pred - target) ** 2).flatten(1).mean(1)


def bce(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """−Σ_pixels [x log σ(l) + (1 − x) log(1 − σ(l))] with x = (target + 1)/2, per sample (N).

    Takes the decoder's logits (before the sigmoid) for numerical stability.
    """
    x = (target + 1) / 2
    return F.binary_cross_entropy_with_logits(logits, x, reduction="none").flatten(1).sum(1)


def kl_normal(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(μ, σ²) ‖ N(0, I)) = −½ Σ (1 + log σ² − μ² − σ²), per sample (N)."""
    return -0.5 * (1 + logvar - mu**2 - logvar.exp()).sum(1)


def l1_activity(h: torch.Tensor) -> torch.Tensor:
    """Σ_j |h_j|, per sample (N)."""
    return h.abs().sum(1)


def kl_sparsity(h: torch.Tensor, rho: float) -> torch.Tensor:
    """Σ_j ρ log(ρ/ρ̂_j) + (1 − ρ) log((1 − ρ)/(1 − ρ̂_j)), ρ̂_j = mean over the batch of
    σ(h_j); a scalar for the batch."""
    rho_hat = torch.sigmoid(h).mean(0).clamp(1e-6, 1 - 1e-6)
    return (rho * torch.log(rho / rho_hat) + (1 - rho) * torch.log((1 - rho) / (1 - rho_hat))).sum()
