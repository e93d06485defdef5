"""ProGAN: generator and discriminator that grow by resolution stage, with fade-in.

Stage k works at resolution r_k. While a stage fades in (α from 0 to 1) the generator's output
is (1 − α)·up(toRGB_{r/2}(h_{r/2})) + α·toRGB_r(block_r(h_{r/2})) and the discriminator mirrors
it with fromRGB layers; real images are faded the same way (Karras et al. 2018, §A.1). The
schedule (stages counted in images, per-stage batch size and learning rate) comes from
``training.options``; the current stage and α live in buffers of G (``G.stage_res``,
``G.alpha``), so an exported entry records the stage it holds and samples at it.
"""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from genzoo.errors import CapabilityError
from genzoo.model import GenerativeModel
from genzoo.nn.layers import (
    EqualConv2d,
    EqualLinear,
    PixelNorm,
    downsample2x,
    fast_layout,
    resize_to,
    upsample2x,
)
from genzoo.nn.minibatch import MinibatchStdDev
from genzoo.train.phases import Batch, Phase, TrainContext


def _resolutions(start: int, final: int) -> list[int]:
    return [2**i for i in range(int(math.log2(start)), int(math.log2(final)) + 1)]


class GBlock(nn.Module):
    """Upsample ×2, two 3×3 equalized convs, each followed by leaky ReLU and pixel norm."""

    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        self.conv1 = EqualConv2d(cin, cout, 3)
        self.conv2 = EqualConv2d(cout, cout, 3)
        self.norm = PixelNorm()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = upsample2x(x)
        x = self.norm(F.leaky_relu(self.conv1(x), 0.2))
        return self.norm(F.leaky_relu(self.conv2(x), 0.2))


class Generator(nn.Module):
    """z → image at the current stage's resolution.

    Args:
        z_dim: latent size.
        channels: image channels.
        resolutions: stage resolutions, e.g. [4, 8, 16, 32].
        width: feature maps per resolution.
    """

    def __init__(self, z_dim: int, channels: int, resolutions: list[int], width: dict[int, int]):
        super().__init__()
        r0 = resolutions[0]
        c0 = width[r0]
        self.r0, self.c0 = r0, c0
        self.norm = PixelNorm()
        # first block: z → r0×r0 by a dense layer, then one 3×3 conv
        self.dense = EqualLinear(z_dim, c0 * r0 * r0, gain=math.sqrt(2) / 4)
        self.conv0 = EqualConv2d(c0, c0, 3)
        self.blocks = nn.ModuleDict(
            {str(r): GBlock(width[r // 2], width[r]) for r in resolutions[1:]}
        )
        self.to_rgb = nn.ModuleDict(
            {str(r): EqualConv2d(width[r], channels, 1, gain=1.0) for r in resolutions}
        )
        self.register_buffer("stage_res", torch.tensor(resolutions[-1]))
        self.register_buffer("alpha", torch.tensor(1.0))

    def forward(self, z: torch.Tensor, res: int | None = None, alpha: float | None = None):  # type: ignore[no-untyped-def]
        res = int(self.stage_res) if res is None else res
        alpha = float(self.alpha) if alpha is None else alpha
        x = self.dense(self.norm(z)).view(len(z), self.c0, self.r0, self.r0)  # N×C×r0×r0
        x = fast_layout(x)  # kept by every later layer
        x = self.norm(F.leaky_relu(x, 0.2))
        x = self.norm(F.leaky_relu(self.conv0(x), 0.2))
        prev = x
        r = self.r0
        while r < res:
            r *= 2
            prev, x = x, self.blocks[str(r)](x)
        out = self.to_rgb[str(r)](x)
        if alpha < 1.0 and r > self.r0:
            skip = upsample2x(self.to_rgb[str(r // 2)](prev))
            out = torch.lerp(skip, out, alpha)
        return out.contiguous()


class DBlock(nn.Module):
    """Two 3×3 equalized convs with leaky ReLU, then 2×2 average pooling."""

    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        self.conv1 = EqualConv2d(cin, cin, 3)
        self.conv2 = EqualConv2d(cin, cout, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.leaky_relu(self.conv1(x), 0.2)
        return downsample2x(F.leaky_relu(self.conv2(x), 0.2))


class Discriminator(nn.Module):
    """Image at the stage resolution → one critic score."""

    def __init__(self, channels: int, resolutions: list[int], width: dict[int, int], mbstd: int):
        super().__init__()
        r0 = resolutions[0]
        self.r0 = r0
        self.from_rgb = nn.ModuleDict(
            {str(r): EqualConv2d(channels, width[r], 1) for r in resolutions}
        )
        self.blocks = nn.ModuleDict(
            {str(r): DBlock(width[r], width[r // 2]) for r in resolutions[1:]}
        )
        c0 = width[r0]
        self.mbstd = MinibatchStdDev(group_size=mbstd) if mbstd else None
        self.conv = EqualConv2d(c0 + (1 if mbstd else 0), c0, 3)
        self.dense = EqualLinear(c0 * r0 * r0, c0)
        self.out = EqualLinear(c0, 1, gain=1.0)

    def forward(self, img: torch.Tensor, res: int, alpha: float) -> torch.Tensor:
        x = F.leaky_relu(self.from_rgb[str(res)](img), 0.2)
        r = res
        if r > self.r0:
            x = self.blocks[str(r)](x)
            if alpha < 1.0:
                skip = F.leaky_relu(self.from_rgb[str(r // 2)](downsample2x(img)), 0.2)
                x = torch.lerp(skip, x, alpha)
            r //= 2
        while r > self.r0:
            x = self.blocks[str(r)](x)
            r //= 2
        if self.mbstd is not None:
            x = self.mbstd(x)
        x = F.leaky_relu(self.conv(x), 0.2)
        x = F.leaky_relu(self.dense(x.flatten(1)), 0.2)
        return self.out(x)  # N×1


class ProGAN(GenerativeModel):
    """Progressive GAN with a growth schedule; WGAN-GP plus drift as in the paper."""

    sampling_networks = ("G",)
    # no "truncate": G pixel-normalises z first, so scaling z toward 0 changes nothing
    capabilities = frozenset({"sample", "grow"})

    def __init__(self, spec: Any) -> None:
        super().__init__(spec)
        a = spec.arch
        self.resolutions = _resolutions(a.start_resolution, spec.data.size)
        width = {r: a.channels(r) for r in self.resolutions}
        self.G = Generator(spec.latent.dim, spec.data.channels, self.resolutions, width)
        self.D = Discriminator(spec.data.channels, self.resolutions, width, a.mbstd_group)
        self._bounds = self._stage_bounds()

    # -- schedule ------------------------------------------------------------------------------
    def _stage_bounds(self) -> list[tuple[int, int, int, dict[str, Any]]]:
        """(first step, fade steps, last step, stage) per stage."""
        t = self.spec.training
        if t is None or not t.options:
            return []
        out, step = [], 0
        for st in t.options["stages"]:
            fade = math.ceil(st["fade_images"] / st["batch_size"])
            stable = math.ceil(st["stable_images"] / st["batch_size"])
            out.append((step, fade, step + fade + stable, st))
            step += fade + stable
        return out

    def stage_at(self, step: int) -> tuple[int, float, dict[str, Any] | None]:
        """(resolution, α, stage) at a training step; after the schedule, the last stage."""
        if not self._bounds:
            return self.spec.data.size, 1.0, None
        for start, fade, end, st in self._bounds:
            if step < end:
                alpha = 1.0 if fade == 0 else min(1.0, (step - start + 1) / fade)
                return st["resolution"], alpha, st
        return self._bounds[-1][3]["resolution"], 1.0, self._bounds[-1][3]

    def schedule_steps(self) -> int:
        """Steps the whole growth schedule takes."""
        return self._bounds[-1][2] if self._bounds else 0

    def step_settings(self, step: int) -> dict[str, Any] | None:
        res, alpha, st = self.stage_at(step)
        self.G.stage_res.fill_(res)
        self.G.alpha.fill_(alpha)
        if st is None:
            return None
        out: dict[str, Any] = {"batch_size": st["batch_size"]}
        if st.get("lr") is not None:
            out["lr"] = {"G": st["lr"], "D": st["lr"]}
        return out

    # -- sampling ------------------------------------------------------------------------------
    def decode(self, z, *, labels=None, truncation=None):  # type: ignore[no-untyped-def]
        if truncation is not None and truncation != 1.0:
            raise CapabilityError(
                "progan normalises each latent to unit length (pixel norm) before its first "
                "layer, so truncation has no effect; sample without it"
            )
        x = self.G(z)
        return resize_to(x, self.spec.data.size).clamp(-1, 1)

    # -- training ------------------------------------------------------------------------------
    def training_phases(self, ctx: TrainContext) -> list[Phase]:
        # WGAN-GP with λ = 10 unless the spec names another penalty (from the loss registry)
        gp = ctx.losses.get("penalty") or ctx.loss("penalty", default="gradient_penalty")
        assert gp is not None
        gp_weight = gp.weight if "penalty" in ctx.losses else 10.0
        drift = self.spec.arch.wgan_epsilon_drift
        nz = self.spec.latent.dim

        def real_at(batch: Batch, res: int, alpha: float) -> torch.Tensor:
            x = resize_to(batch.x, res)
            if alpha < 1.0 and res > self.resolutions[0]:
                x = torch.lerp(upsample2x(downsample2x(x)), x, alpha)  # fade reals too
            return x

        def d_loss(batch: Batch, ctx: TrainContext):  # type: ignore[no-untyped-def]
            res, alpha = int(self.G.stage_res), float(self.G.alpha)
            real = real_at(batch, res, alpha)
            with torch.no_grad():
                fake = self.G(ctx.randn(len(real), nz), res, alpha)
            d_real = self.D(real, res, alpha)
            d_fake = self.D(fake, res, alpha)
            eps = ctx.rand(len(real), 1, 1, 1)
            penalty = gp(lambda x: self.D(x, res, alpha), real, fake, eps)
            loss = d_fake.mean() - d_real.mean() + gp_weight * penalty + drift * (d_real**2).mean()
            return loss, {
                "d_loss": float(loss.detach()),
                "gp": float(penalty.detach()),
                "res": float(res),
                "alpha": alpha,
            }

        def g_loss(batch: Batch, ctx: TrainContext):  # type: ignore[no-untyped-def]
            res, alpha = int(self.G.stage_res), float(self.G.alpha)
            fake = self.G(ctx.randn(len(batch.x), nz), res, alpha)
            loss = -self.D(fake, res, alpha).mean()
            return loss, {"g_loss": float(loss.detach())}

        n_critic = ctx.recipe.n_critic
        return [
            Phase("D", ("D",), d_loss, repeat=n_critic),
            Phase("G", ("G",), g_loss, needs_batch=False),
        ]
