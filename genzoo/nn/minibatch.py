"""Discriminator layers that look at the whole minibatch, against mode collapse.

Both layers make a sample's features depend on the other samples of its batch, so a
discriminator can tell a batch of near-identical fakes from a varied batch of reals.
"""

from __future__ import annotations

import torch
from torch import nn


class MinibatchDiscrimination(nn.Module):
    """Salimans et al. 2016, §3.2 (input N×A, output N×(A+B)).

    Features f (N×A) are projected by a learned tensor T (A×B×C) to M_i (B×C); for each kernel
    b, o(x_i)_b = Σ_{j≠i} exp(−‖M_i,b − M_j,b‖₁). The layer returns [f, o].

    Args:
        in_features: A, the width of the incoming features.
        num_kernels: B, the number of similarity features appended.
        kernel_dim: C, the dimension of each kernel's projection.
    """

    def __init__(self, in_features: int, num_kernels: int, kernel_dim: int) -> None:
        super().__init__()
        self.T = nn.Parameter(torch.randn(in_features, num_kernels * kernel_dim) * 0.1)
        self.num_kernels, self.kernel_dim = num_kernels, kernel_dim

    @property
    def out_features(self) -> int:
        """A + B."""
        return self.T.shape[0] + self.num_kernels

    def forward(self, f: torch.Tensor) -> torch.Tensor:
        m = (f @ self.T).view(-1, self.num_kernels, self.kernel_dim)  # N×B×C
        dist = (m.unsqueeze(0) - m.unsqueeze(1)).abs().sum(-1)  # N×N×B, L1 over C
        o = torch.exp(-dist).sum(1) - 1  # N×B; minus exp(0) = 1 of the sample itself
        return torch.cat([f, o], dim=1)  # N×(A+B)


def _group_size(n: int, group_size: int) -> int:
    """The largest divisor of the batch size ``n`` that is at most ``group_size``."""
    g = min(group_size, n)
    while n % g:
        g -= 1
    return g


class MinibatchStdDev(nn.Module):
    """Karras et al. 2018 (ProGAN), §3: minibatch standard deviation.

    The batch is split in groups of ``group_size`` samples (sample i in group i mod N/G, as in
    the paper's code); in each group the standard deviation of every feature over the group is
    averaged over features and positions into ``num_features`` statistics (the channels split
    in ``num_features`` parts), which are appended to every sample of the group as constant
    channels. Input N×C×H×W → N×(C+F)×H×W, or N×C → N×(C+F) for MLP features.

    When the batch size is not divisible by ``group_size``, the largest divisor below it is
    used (a group of one would give all-zero statistics).

    Args:
        group_size: samples per group G (4 in ProGAN); capped at the batch size.
        num_features: F, statistics appended; must divide the channel count C.
    """

    def __init__(self, group_size: int = 4, num_features: int = 1) -> None:
        super().__init__()
        if group_size < 1 or num_features < 1:
            raise ValueError("group_size and num_features must be at least 1")
        self.group_size, self.num_features = group_size, num_features

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        flat = x.ndim == 2
        if flat:
            x = x[:, :, None, None]  # N×C → N×C×1×1
        n, c, h, w = x.shape
        f = self.num_features
        if c % f:
            raise ValueError(f"MinibatchStdDev: {c} channels do not split in {f} features")
        g = _group_size(n, self.group_size)
        y = x.view(g, n // g, f, c // f, h, w)  # G×M×F×(C/F)×H×W
        y = (y.var(dim=0, unbiased=False) + 1e-8).sqrt()  # M×F×(C/F)×H×W
        y = y.mean(dim=(2, 3, 4)).view(n // g, f, 1, 1)  # M×F×1×1
        y = y.repeat(g, 1, h, w)  # N×F×H×W (sample i gets group i mod M)
        out = torch.cat([x, y], dim=1)  # N×(C+F)×H×W
        return out.flatten(1) if flat else out
