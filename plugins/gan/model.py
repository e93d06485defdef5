"""The GAN families: MLP GAN and DCGAN, each optionally conditional, with a WGAN critic,
minibatch discrimination or minibatch standard deviation in the discriminator.

Labels enter G as a one-hot vector (or a learned embedding) concatenated to z, and D either as
one-hot input channels (``concat``) or through a projection term ``<embed(y), φ(x)>`` added to
the logit (``projection``). D returns logits (no sigmoid); losses come from the loss registry by
role (``adversarial``, ``penalty``).
"""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from genzoo.model import GenerativeModel
from genzoo.nn.minibatch import MinibatchDiscrimination, MinibatchStdDev
from genzoo.train.phases import Batch, Phase, TrainContext


class LabelInput(nn.Module):
    """Class labels → one-hot (dim 0) or a learned embedding."""

    def __init__(self, num_classes: int, dim: int) -> None:
        super().__init__()
        self.num_classes = num_classes
        self.embed = nn.Embedding(num_classes, dim) if dim else None
        self.dim = dim or num_classes

    def forward(self, y: torch.Tensor) -> torch.Tensor:
        if self.embed is not None:
            return self.embed(y)
        return F.one_hot(y, self.num_classes).float()


def dcgan_init(module: nn.Module) -> None:
    """N(0, 0.02) for convolutions, N(1, 0.02) and 0 for batch norm (Radford et al. 2016)."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            nn.init.normal_(m.weight, 0.0, 0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d | nn.BatchNorm1d):
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)


# -- DCGAN networks ----------------------------------------------------------------------------
class DCGenerator(nn.Module):
    """z (N×nz) → image (N×nc×S×S): 1×1 → 4×4 → … → S×S by stride-2 transposed convs.

    For S = 64 the layers are those of PyTorch examples' ``netG`` (``main.0`` … ``main.13``).
    """

    def __init__(self, nz: int, ngf: int, nc: int, size: int) -> None:
        super().__init__()
        mult = size // 8
        layers: list[nn.Module] = [
            nn.ConvTranspose2d(nz, ngf * mult, 4, 1, 0, bias=False),
            nn.BatchNorm2d(ngf * mult),
            nn.ReLU(True),
        ]
        while mult > 1:
            layers += [
                nn.ConvTranspose2d(ngf * mult, ngf * mult // 2, 4, 2, 1, bias=False),
                nn.BatchNorm2d(ngf * mult // 2),
                nn.ReLU(True),
            ]
            mult //= 2
        layers += [nn.ConvTranspose2d(ngf, nc, 4, 2, 1, bias=False), nn.Tanh()]
        self.main = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.main(z.view(len(z), -1, 1, 1))


def _norm2d(channels: int, critic: bool) -> nn.Module:
    # a WGAN critic must not normalise over the batch: layer norm over (C, H, W) instead
    return nn.GroupNorm(1, channels) if critic else nn.BatchNorm2d(channels)


class DCDiscriminator(nn.Module):
    """Image → features (N×C×4×4) by stride-2 convs → one logit (plus optional extras)."""

    def __init__(self, nc: int, ndf: int, size: int, opts: Any, num_classes: int) -> None:
        super().__init__()
        self.num_classes = num_classes
        cin = nc + (num_classes if num_classes and opts.conditioning == "concat" else 0)
        layers: list[nn.Module] = [
            nn.Conv2d(cin, ndf, 4, 2, 1, bias=False),
            nn.LeakyReLU(0.2, True),
        ]
        mult, res = 1, size // 2
        while res > 4:
            layers += [
                nn.Conv2d(ndf * mult, ndf * mult * 2, 4, 2, 1, bias=False),
                _norm2d(ndf * mult * 2, opts.critic),
                nn.LeakyReLU(0.2, True),
            ]
            mult, res = mult * 2, res // 2
        self.main = nn.Sequential(*layers)
        c = ndf * mult
        self.mbstd = None
        if opts.minibatch_stddev is not None:
            s = opts.minibatch_stddev
            self.mbstd = MinibatchStdDev(s.group_size, s.num_features)
            c_last = c + s.num_features
        else:
            c_last = c
        self.mbd = None
        if opts.minibatch_discrimination is not None:
            m = opts.minibatch_discrimination
            self.mbd = MinibatchDiscrimination(c * 16, m.num_kernels, m.kernel_dim)
            self.out = nn.Linear(c * 16 + m.num_kernels, 1)
        else:
            self.out = nn.Conv2d(c_last, 1, 4, 1, 0, bias=False)
        self.project = (
            nn.Embedding(num_classes, c)
            if num_classes and opts.conditioning == "projection"
            else None
        )

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        if self.num_classes and self.project is None:
            assert y is not None
            onehot = F.one_hot(y, self.num_classes).to(x.dtype)
            x = torch.cat([x, onehot[:, :, None, None].expand(-1, -1, *x.shape[2:])], 1)
        h = self.main(x)  # N×C×4×4
        if self.mbd is not None:
            logit = self.out(self.mbd(h.flatten(1)))
        else:
            hh = self.mbstd(h) if self.mbstd is not None else h
            logit = self.out(hh).view(len(x), 1)
        if self.project is not None:
            assert y is not None
            logit = logit + (self.project(y) * h.sum(dim=(2, 3))).sum(1, keepdim=True)
        return logit


# -- MLP networks ------------------------------------------------------------------------------
class MLPGenerator(nn.Module):
    def __init__(self, nin: int, hidden: list[int], nout: int, norm: str) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        for h in hidden:
            layers += [nn.Linear(nin, h)]
            if norm == "batch":
                layers += [nn.BatchNorm1d(h)]
            layers += [nn.LeakyReLU(0.2, True)]
            nin = h
        layers += [nn.Linear(nin, nout), nn.Tanh()]
        self.main = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.main(z)


class MLPDiscriminator(nn.Module):
    def __init__(self, nin: int, hidden: list[int], dropout: float, opts: Any, num_classes: int):
        super().__init__()
        self.num_classes = num_classes
        concat = num_classes and opts.conditioning == "concat"
        n = nin + (num_classes if concat else 0)
        layers: list[nn.Module] = []
        for h in hidden:
            layers += [nn.Linear(n, h)]
            if opts.critic:
                layers += [nn.LayerNorm(h)]
            layers += [nn.LeakyReLU(0.2, True)]
            if dropout:
                layers += [nn.Dropout(dropout)]
            n = h
        self.main = nn.Sequential(*layers)
        self.mbd = None
        if opts.minibatch_discrimination is not None:
            m = opts.minibatch_discrimination
            self.mbd = MinibatchDiscrimination(n, m.num_kernels, m.kernel_dim)
            n += m.num_kernels
        self.out = nn.Linear(n, 1)
        self.project = nn.Embedding(num_classes, hidden[-1]) if num_classes and not concat else None

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        x = x.flatten(1)
        if self.num_classes and self.project is None:
            assert y is not None
            x = torch.cat([x, F.one_hot(y, self.num_classes).to(x.dtype)], 1)
        h = self.main(x)
        logit = self.out(self.mbd(h) if self.mbd is not None else h)
        if self.project is not None:
            assert y is not None
            logit = logit + (self.project(y) * h).sum(1, keepdim=True)
        return logit


# -- models ------------------------------------------------------------------------------------
class _GANBase(GenerativeModel):
    """Sampling and the alternating D/G training phases shared by both families."""

    sampling_networks = ("G", "L")
    capabilities = frozenset({"sample", "truncate"})
    L: nn.Module

    def _g_input(self, z: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
        if self.num_classes:
            if labels is None:
                raise ValueError("a conditional model needs labels")
            z = torch.cat([z, self.L(labels)], 1)
        return z

    def generate(self, z: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
        raise NotImplementedError

    def decode(self, z, *, labels=None, truncation=None):  # type: ignore[no-untyped-def]
        if truncation is not None:
            z = z * truncation  # truncation trick in z: pull toward the prior's mean
        return self.generate(z, labels)

    def latent_projection(self) -> torch.Tensor:
        """The first layer's weight as out×z_dim (for SeFa), label inputs left out."""
        first = next(m for m in self.G.modules() if isinstance(m, (nn.Linear, nn.ConvTranspose2d)))
        nz = self.spec.latent.dim
        if isinstance(first, nn.Linear):
            return first.weight[:, :nz].detach()
        return first.weight[:nz].detach().flatten(1).T  # ConvT weight: in×out×k×k

    def training_phases(self, ctx: TrainContext) -> list[Phase]:
        adv = ctx.loss("adversarial", default="non_saturating")
        assert adv is not None
        pen = ctx.loss("penalty")
        nz = self.spec.latent.dim
        clip = ctx.options.get("clip_weights")

        def d_loss(batch: Batch, ctx: TrainContext):  # type: ignore[no-untyped-def]
            y = batch.y if self.num_classes else None
            with torch.no_grad():
                fake = self.generate(ctx.randn(len(batch.x), nz), y)
            real = batch.x
            needs_grad = pen is not None and pen.name == "r1"
            if needs_grad:
                real = real.detach().requires_grad_(True)
            d_real, d_fake = self.D(real, y), self.D(fake, y)
            loss = adv(d_real, d_fake)
            logs = {
                "d_loss": float(loss.detach()),
                "d_real": float(d_real.detach().mean()),
                "d_fake": float(d_fake.detach().mean()),
            }
            if pen is not None:
                if pen.name == "gradient_penalty":
                    eps = ctx.rand(len(real), *([1] * (real.ndim - 1)))
                    p = pen(lambda x: self.D(x, y), real, fake, eps)
                elif pen.name == "r1":
                    p = pen(d_real, real)
                else:
                    p = pen(d_real)
                loss = loss + pen.weight * p
                logs[pen.name] = float(p.detach())
            return loss, logs

        def g_loss(batch: Batch, ctx: TrainContext):  # type: ignore[no-untyped-def]
            y = batch.y if self.num_classes else None
            fake = self.generate(ctx.randn(len(batch.x), nz), y)
            loss = adv(None, self.D(fake, y), for_generator=True)
            return loss, {"g_loss": float(loss.detach())}

        def clip_d() -> None:
            with torch.no_grad():
                for p in self.D.parameters():
                    p.clamp_(-clip, clip)

        return [
            Phase(
                "D", ("D",), d_loss, repeat=ctx.recipe.n_critic, after_step=clip_d if clip else None
            ),
            Phase("G", self._g_networks(), g_loss, needs_batch=False),
        ]

    def _g_networks(self) -> tuple[str, ...]:
        # a learned label embedding trains with the generator
        return ("G", "L") if any(True for _ in self.L.parameters()) else ("G",)


class DCGAN(_GANBase):
    """Deep convolutional GAN; see the module docstring for the options."""

    def __init__(self, spec: Any) -> None:
        super().__init__(spec)
        a, c, s = spec.arch, spec.data.channels, spec.data.size
        k = self.num_classes
        self.L = LabelInput(k, a.label_dim) if k else nn.Identity()
        nz_in = spec.latent.dim + (self.L.dim if k else 0)
        self.G = DCGenerator(nz_in, a.ngf, c, s)
        self.D = DCDiscriminator(c, a.ndf, s, a, k)
        dcgan_init(self)

    def generate(self, z: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
        return self.G(self._g_input(z, labels))


class MLPGAN(_GANBase):
    """The original GAN with multilayer perceptrons."""

    def __init__(self, spec: Any) -> None:
        super().__init__(spec)
        a = spec.arch
        c, h, w = self.image_shape
        k = self.num_classes
        self.L = LabelInput(k, a.label_dim) if k else nn.Identity()
        nz_in = spec.latent.dim + (self.L.dim if k else 0)
        self.G = MLPGenerator(nz_in, a.g_hidden, c * h * w, a.g_norm)
        self.D = MLPDiscriminator(c * h * w, a.d_hidden, a.d_dropout, a, k)

    def generate(self, z: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
        return self.G(self._g_input(z, labels)).view(len(z), *self.image_shape)


def num_up_blocks(size: int) -> int:
    """Stride-2 blocks of a DCGAN generator of output size ``size``."""
    return int(math.log2(size)) - 2
