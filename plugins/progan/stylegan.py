"""StyleGAN 1: a mapping network z → w, a learned constant, AdaIN after every convolution,
per-pixel noise, style mixing, truncation around a tracked average w (Karras et al. 2019).

The discriminator is ProGAN's. Training uses the non-saturating loss with R1 (γ from the arch)
and style-mixing regularisation; it can grow progressively with the ProGAN schedule or train
at a fixed resolution. The model exposes ``w`` space and per-layer styles to the latent tools:
:meth:`StyleGAN.mapping`, :meth:`StyleGAN.synthesis`, :meth:`StyleGAN.mix`, ``num_ws``.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from genzoo import latent
from genzoo.model import LatentSpace
from genzoo.nn.layers import (
    AdaIN,
    EqualConv2d,
    MappingNetwork,
    NoiseInjection,
    fast_layout,
    resize_to,
    upsample2x,
)
from genzoo.train.phases import Batch, Phase, TrainContext
from genzoo_plugins.progan.progan import Discriminator, ProGAN, _resolutions


class StyleLayer(nn.Module):
    """(optional ×2 up) → 3×3 conv → noise → leaky ReLU → AdaIN(w)."""

    def __init__(self, cin: int, cout: int, w_dim: int, res: int, up: bool, conv: bool = True):
        super().__init__()
        self.up = up
        self.conv = EqualConv2d(cin, cout, 3) if conv else None
        self.noise = NoiseInjection(cout)
        self.adain = AdaIN(cout, w_dim)
        self.register_buffer("noise_const", torch.randn(1, 1, res, res))

    def forward(self, x: torch.Tensor, w: torch.Tensor, noise_mode: str) -> torch.Tensor:
        if self.up:
            # channels-last from 64² on (CPU): faster there; on small maps AdaIN's per-channel
            # passes lose more in it than the convolutions gain (bench/README.md)
            x = fast_layout(upsample2x(x), min_size=64)
        if self.conv is not None:
            x = self.conv(x)
        if noise_mode == "const":
            x = self.noise(x, self.noise_const.expand(len(x), -1, -1, -1))
        elif noise_mode == "random":
            x = self.noise(x)
        return self.adain(F.leaky_relu(x, 0.2), w)


class Synthesis(nn.Module):
    """Per-layer styles ws (N×L×W) → image at the stage resolution."""

    def __init__(self, channels: int, w_dim: int, resolutions: list[int], width: dict[int, int]):
        super().__init__()
        r0 = resolutions[0]
        self.r0 = r0
        self.const = nn.Parameter(torch.ones(1, width[r0], r0, r0))
        layers: list[StyleLayer] = [
            StyleLayer(width[r0], width[r0], w_dim, r0, up=False, conv=False),
            StyleLayer(width[r0], width[r0], w_dim, r0, up=False),
        ]
        for r in resolutions[1:]:
            layers += [
                StyleLayer(width[r // 2], width[r], w_dim, r, up=True),
                StyleLayer(width[r], width[r], w_dim, r, up=False),
            ]
        self.layers = nn.ModuleList(layers)
        self.to_rgb = nn.ModuleDict(
            {str(r): EqualConv2d(width[r], channels, 1, gain=1.0) for r in resolutions}
        )
        self.num_ws = len(layers)

    def forward(
        self, ws: torch.Tensor, res: int, alpha: float, noise_mode: str = "const"
    ) -> torch.Tensor:
        x = self.const.expand(len(ws), -1, -1, -1)
        r, prev = self.r0, None
        for i in range(0, len(self.layers), 2):
            if i > 0:
                if r >= res:
                    break
                r *= 2
            prev = x
            x = self.layers[i](x, ws[:, i], noise_mode)
            x = self.layers[i + 1](x, ws[:, i + 1], noise_mode)
        out = self.to_rgb[str(r)](x)
        if alpha < 1.0 and r > self.r0:
            out = torch.lerp(upsample2x(self.to_rgb[str(r // 2)](prev)), out, alpha)
        return out.contiguous()


class Generator(nn.Module):
    """Mapping + synthesis, with the tracked average w and the stage buffers."""

    def __init__(
        self, z_dim: int, channels: int, resolutions: list[int], width: dict[int, int], arch: Any
    ) -> None:
        super().__init__()
        self.mapping = MappingNetwork(z_dim, arch.w_dim, arch.mapping_layers, arch.mapping_lr_mul)
        self.synthesis = Synthesis(channels, arch.w_dim, resolutions, width)
        self.register_buffer("w_avg", torch.zeros(arch.w_dim))
        self.register_buffer("stage_res", torch.tensor(resolutions[-1]))
        self.register_buffer("alpha", torch.tensor(1.0))


class StyleGAN(ProGAN):
    """StyleGAN 1 with ProGAN's discriminator and (optional) growth schedule."""

    capabilities = frozenset({"sample", "truncate", "style_mix", "w_space", "grow"})

    def __init__(self, spec: Any) -> None:
        nn.Module.__init__(self)
        self.spec = spec
        a = spec.arch
        self.resolutions = _resolutions(a.start_resolution, spec.data.size)
        width = {r: a.channels(r) for r in self.resolutions}
        self.G = Generator(spec.latent.dim, spec.data.channels, self.resolutions, width, a)
        self.D = Discriminator(spec.data.channels, self.resolutions, width, a.mbstd_group)
        self._bounds = self._stage_bounds()

    # -- latent spaces -------------------------------------------------------------------------
    @property
    def latent_spaces(self) -> dict[str, LatentSpace]:
        return {
            "z": LatentSpace("z", (self.spec.latent.dim,), self.spec.latent.prior),
            "w": LatentSpace("w", (self.spec.arch.w_dim,), "learned"),
        }

    @property
    def num_ws(self) -> int:
        """Number of per-layer styles (2 per resolution)."""
        return self.G.synthesis.num_ws

    def mapping(self, z: torch.Tensor, truncation: float | None = None) -> torch.Tensor:
        """z (N×Z) → per-layer styles ws (N×L×W), truncated toward w_avg if ψ is given."""
        w = self.G.mapping(z)
        ws = w.unsqueeze(1).repeat(1, self.num_ws, 1)
        if truncation is not None and truncation != 1:
            cut = self.spec.arch.truncation_cutoff or self.num_ws
            avg = self.G.w_avg.view(1, 1, -1)
            ws[:, :cut] = torch.lerp(avg.expand_as(ws[:, :cut]), ws[:, :cut], truncation)
        return ws

    def synthesis(self, ws: torch.Tensor, noise_mode: str = "const") -> torch.Tensor:
        """Styles → images at the stage the model holds, resized to data.size, in [-1, 1]."""
        x = self.G.synthesis(ws, int(self.G.stage_res), float(self.G.alpha), noise_mode)
        return resize_to(x, self.spec.data.size).clamp(-1, 1)

    def decode(self, z, *, labels=None, truncation=None):  # type: ignore[no-untyped-def]
        return self.synthesis(self.mapping(z, truncation))

    def mix(
        self,
        z_rows: torch.Tensor,
        z_cols: torch.Tensor,
        layers: range | list[int],
        truncation: float | None = None,
    ) -> torch.Tensor:
        """Style mixing: styles of ``z_rows`` with ``layers`` taken from ``z_cols``.

        Coarse layers (the first few, 4²–8²) carry pose and shape; fine layers colour and
        texture. Returns len(z_rows) × len(z_cols) images, row-major.
        """
        a = self.mapping(z_rows, truncation)  # R×L×W
        b = self.mapping(z_cols, truncation)  # C×L×W
        return self.synthesis(latent.mix_styles(a, b, layers))

    def latent_projection(self) -> torch.Tensor:
        """The first layer of the mapping network (for SeFa directions in z)."""
        lin = self.G.mapping.net[1]
        return lin.weight * lin.scale

    # -- training ------------------------------------------------------------------------------
    def training_phases(self, ctx: TrainContext) -> list[Phase]:
        a = self.spec.arch
        nz = self.spec.latent.dim

        def styles(n: int) -> torch.Tensor:
            z = ctx.randn(n, nz)
            w = self.G.mapping(z)
            with torch.no_grad():
                self.G.w_avg.lerp_(w.detach().mean(0), 1 - a.w_avg_beta)
            ws = w.unsqueeze(1).repeat(1, self.num_ws, 1)
            if a.style_mixing_prob > 0:
                mix = ctx.rand(n) < a.style_mixing_prob
                cut = (ctx.rand(n) * self.num_ws).long().clamp(1, self.num_ws - 1)
                w2 = self.G.mapping(ctx.randn(n, nz))
                layer = torch.arange(self.num_ws, device=ws.device).view(1, -1)
                take = (mix.view(-1, 1) & (layer >= cut.view(-1, 1))).unsqueeze(-1)
                ws = torch.where(take, w2.unsqueeze(1), ws)
            return ws

        def fake(n: int, res: int, alpha: float) -> torch.Tensor:
            return self.G.synthesis(styles(n), res, alpha, "random")

        def d_loss(batch: Batch, ctx: TrainContext):  # type: ignore[no-untyped-def]
            res, alpha = int(self.G.stage_res), float(self.G.alpha)
            real = resize_to(batch.x, res)
            if alpha < 1.0 and res > self.resolutions[0]:
                real = torch.lerp(resize_to(resize_to(real, res // 2), res), real, alpha)
            with torch.no_grad():
                f = fake(len(real), res, alpha)
            real = real.detach().requires_grad_(a.r1_gamma > 0)
            d_real = self.D(real, res, alpha)
            d_fake = self.D(f, res, alpha)
            # non-saturating: softplus(D(fake)) + softplus(−D(real))
            loss = F.softplus(d_fake).mean() + F.softplus(-d_real).mean()
            r1 = torch.zeros((), device=real.device)
            if a.r1_gamma > 0:
                (grad,) = torch.autograd.grad(d_real.sum(), real, create_graph=True)
                r1 = grad.pow(2).flatten(1).sum(1).mean()
                loss = loss + a.r1_gamma / 2 * r1
            return loss, {
                "d_loss": float(loss.detach()),
                "r1": float(r1.detach()),
                "res": float(res),
            }

        def g_loss(batch: Batch, ctx: TrainContext):  # type: ignore[no-untyped-def]
            res, alpha = int(self.G.stage_res), float(self.G.alpha)
            loss = F.softplus(-self.D(fake(len(batch.x), res, alpha), res, alpha)).mean()
            return loss, {"g_loss": float(loss.detach())}

        return [
            Phase("D", ("D",), d_loss, repeat=ctx.recipe.n_critic),
            Phase("G", ("G",), g_loss, needs_batch=False),
        ]
