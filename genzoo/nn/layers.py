"""Layers shared by the progressive and style-based families (Karras et al. 2018, 2019).

* Equalized learning rate: weights are stored N(0, 1) / lr_mul and scaled at run time by
  gain / √fan_in · lr_mul, so every layer learns at the same speed under Adam.
* Pixel norm: each pixel's feature vector divided by its RMS over channels.
* AdaIN: instance-normalise each feature map, then scale and shift it by the style.
* Noise injection: per-pixel N(0, 1) noise times a learned per-channel strength.
* Mapping network: an MLP of equalized linear layers (lr multiplier 0.01 in StyleGAN).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn


class EqualLinear(nn.Module):
    """Linear layer with equalized learning rate.

    Args:
        in_features: input width.
        out_features: output width.
        gain: multiplier of the He constant (√2 before leaky ReLU, 1 for a linear output).
        lr_mul: learning-rate multiplier (0.01 in StyleGAN's mapping network).
        bias_init: initial bias value.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        *,
        gain: float = math.sqrt(2),
        lr_mul: float = 1.0,
        bias_init: float = 0.0,
    ) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_features, in_features) / lr_mul)
        self.bias = nn.Parameter(torch.full((out_features,), float(bias_init) / lr_mul))
        self.scale = gain / math.sqrt(in_features) * lr_mul
        self.lr_mul = lr_mul

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x, self.weight * self.scale, self.bias * self.lr_mul)


class EqualConv2d(nn.Module):
    """Conv2d with equalized learning rate ('same' padding)."""

    def __init__(
        self, in_channels: int, out_channels: int, kernel_size: int, *, gain: float = math.sqrt(2)
    ) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_channels, in_channels, kernel_size, kernel_size))
        self.bias = nn.Parameter(torch.zeros(out_channels))
        self.scale = gain / math.sqrt(in_channels * kernel_size * kernel_size)
        self.padding = kernel_size // 2

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(x, self.weight * self.scale, self.bias, padding=self.padding)


class PixelNorm(nn.Module):
    """x / √(mean_c x² + ε): normalise each pixel's feature vector (ProGAN)."""

    def __init__(self, eps: float = 1e-8) -> None:
        super().__init__()
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.rsqrt(x.pow(2).mean(dim=1, keepdim=True) + self.eps)


def fast_layout(x: torch.Tensor, min_size: int = 0) -> torch.Tensor:
    """``x`` in the memory layout convolutions run fastest in on its device: channels-last on
    CPU (oneDNN's convolutions, above all on large maps; ``bench/README.md``), for maps of at
    least ``min_size`` pixels a side; otherwise ``x`` itself. Layout changes nothing but speed:
    element-wise ops and convolutions keep the layout they are given."""
    if x.device.type == "cpu" and x.ndim == 4 and x.shape[-1] >= min_size:
        return x.contiguous(memory_format=torch.channels_last)
    return x


def upsample2x(x: torch.Tensor) -> torch.Tensor:
    """Nearest-neighbour ×2 upsampling."""
    return F.interpolate(x, scale_factor=2, mode="nearest")


def downsample2x(x: torch.Tensor) -> torch.Tensor:
    """2×2 average pooling."""
    return F.avg_pool2d(x, 2)


def resize_to(x: torch.Tensor, size: int) -> torch.Tensor:
    """Average-pool down (or nearest up) to ``size``×``size`` by powers of two."""
    while x.shape[-1] > size:
        x = downsample2x(x)
    while x.shape[-1] < size:
        x = upsample2x(x)
    return x


class AdaIN(nn.Module):
    """Adaptive instance normalisation: y = (1 + γ(w)) · (x − μ(x)) / σ(x) + β(w).

    The style w is mapped by an equalized linear layer to a per-channel scale and bias; the
    scale is centred on 1 so that a zero style leaves the normalised map unchanged.
    """

    def __init__(self, channels: int, w_dim: int, eps: float = 1e-8) -> None:
        super().__init__()
        self.style = EqualLinear(w_dim, 2 * channels, gain=1.0)
        self.eps = eps

    def forward(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        # x: N×C×H×W, w: N×W. Normalisation and style in one pass, β + x̂·(1 + γ)/σ: four
        # passes over x instead of six (torch.var_mean's one pass is slower on CPU than these)
        x = x - x.mean(dim=(2, 3), keepdim=True)
        inv_std = torch.rsqrt(x.square().mean(dim=(2, 3), keepdim=True) + self.eps)
        gamma, beta = self.style(w).unsqueeze(-1).unsqueeze(-1).chunk(2, dim=1)  # N×C×1×1
        return torch.addcmul(beta, x, (1 + gamma) * inv_std)


class NoiseInjection(nn.Module):
    """x + strength_c · noise, noise ~ N(0, 1) per pixel (shared over channels)."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.strength = nn.Parameter(torch.zeros(1, channels, 1, 1))

    def forward(self, x: torch.Tensor, noise: torch.Tensor | None = None) -> torch.Tensor:
        if noise is None:
            noise = torch.randn(x.shape[0], 1, *x.shape[2:], device=x.device, dtype=x.dtype)
        return torch.addcmul(x, self.strength, noise)  # x + strength · noise, one pass


class MappingNetwork(nn.Module):
    """z → w: pixel-normalised z through ``depth`` equalized linear layers with leaky ReLU."""

    def __init__(self, z_dim: int, w_dim: int, depth: int = 8, lr_mul: float = 0.01) -> None:
        super().__init__()
        layers: list[nn.Module] = [PixelNorm()]
        for i in range(depth):
            layers += [
                EqualLinear(z_dim if i == 0 else w_dim, w_dim, lr_mul=lr_mul),
                nn.LeakyReLU(0.2),
            ]
        self.net = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z)
