"""Discriminator layers that look at the whole minibatch, against mode collapse."""

from __future__ import annotations

import torch
from torch import nn


class MinibatchDiscrimination(nn.Module):
    """Salimans et al. 2016, §3.2.

    Features f (N×A) are projected by a tensor T (A×B×C) to M_i (B×C); for each kernel b,
    o(x_i)_b = Σ_j exp(−‖M_i,b − M_j,b‖₁) over the other samples j. Returns [f, o] (N×(A+B)).

    Args:
        in_features: A.
        num_kernels: B.
        kernel_dim: C.
    """

    def __init__(self, in_features: int, num_kernels: int, kernel_dim: int) -> None:
        super().__init__()
        self.T = nn.Parameter(torch.randn(in_features, num_kernels * kernel_dim) * 0.1)
        self.num_kernels, self.kernel_dim = num_kernels, kernel_dim

    def forward(self, f: torch.Tensor) -> torch.Tensor:
        m = (f @ self.T).view(-1, self.num_kernels, self.kernel_dim)  # N×B×C
        dist = (m.unsqueeze(0) - m.unsqueeze(1)).abs().sum(-1)  # N×N×B
        o = torch.exp(-dist).sum(1) - 1  # N×B, without the sample itself (exp(0) = 1)
        return torch.cat([f, o], dim=1)


class MinibatchStdDev(nn.Module):
    """Karras et al. 2018: per group of ``group_size`` samples, the standard deviation of every
    feature, averaged into ``num_features`` values that are appended as constant channels."""

    def __init__(self, group_size: int = 4, num_features: int = 1) -> None:
        super().__init__()
        self.group_size, self.num_features = group_size, num_features

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c, h, w = x.shape
        g = min(self.group_size, n)
        if n % g:
            g = 1
        f = self.num_features
        y = x.view(g, -1, f, c // f, h, w)  # G×M×F×c×H×W
        y = (y.var(dim=0, unbiased=False) + 1e-8).sqrt()  # M×F×c×H×W
        y = y.mean(dim=(2, 3, 4)).view(-1, f, 1, 1)  # M×F×1×1
        y = y.repeat(g, 1, h, w)  # N×F×H×W
        return torch.cat([x, y], dim=1)
