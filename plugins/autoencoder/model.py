"""Autoencoders and VAEs.

A plain autoencoder is no generator: its codes of the training set form clusters with gaps, so
decoding a draw from N(0, I) rarely gives a digit (seed 003); it advertises ``encode`` and
``reconstruct``, not ``sample``. A VAE's KL term pulls codes toward N(0, I), so sampling from
the prior works (seed 001).
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from genzoo.model import GenerativeModel
from genzoo.train.phases import Batch, Phase, TrainContext
from genzoo_plugins.autoencoder import losses

ACT = {
    "relu": nn.ReLU,
    "leaky_relu": lambda: nn.LeakyReLU(0.2),
    "sigmoid": nn.Sigmoid,
    "tanh": nn.Tanh,
    "linear": nn.Identity,
}


def corrupt(x: torch.Tensor, opts: Any, ctx: TrainContext) -> torch.Tensor:
    """Masking noise (inputs dropped to black, −1) or additive Gaussian noise, from ctx's RNG."""
    if opts is None:
        return x
    if opts.kind == "mask":
        keep = ctx.rand(*x.shape) >= opts.p
        return torch.where(keep, x, torch.full_like(x, -1.0))
    return (x + opts.sigma * ctx.randn(*x.shape)).clamp(-1, 1)


def _output(x: torch.Tensor, kind: str) -> torch.Tensor:
    if kind == "tanh":
        return torch.tanh(x)
    if kind == "sigmoid":
        return torch.sigmoid(x) * 2 - 1
    return x


class _AEBase(GenerativeModel):
    """Reconstruction training shared by the autoencoders, with sparse and denoising options."""

    sampling_networks = ("E", "Dec")
    capabilities = frozenset({"encode", "reconstruct", "denoise"})
    E: nn.Module
    Dec: nn.Module

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.E(x)

    def _penalty(self, h: torch.Tensor) -> torch.Tensor:
        sp = self.spec.arch.sparse
        if sp is None:
            return torch.zeros((), device=h.device)
        if sp.penalty == "l1":
            return sp.weight * losses.l1_activity(h).mean()
        return sp.weight * losses.kl_sparsity(h, sp.rho)

    def training_phases(self, ctx: TrainContext) -> list[Phase]:
        rec = ctx.loss("reconstruction", default="mse")
        assert rec is not None

        def loss(batch: Batch, ctx: TrainContext):  # type: ignore[no-untyped-def]
            h = self.E(corrupt(batch.x, self.spec.arch.denoising, ctx))
            out = self.Dec(h)
            r = rec(out if rec.name != "bce" else self.Dec.logits(h), batch.x).mean()
            p = self._penalty(h)
            return r + p, {"recon": float(r.detach()), "sparsity": float(p.detach())}

        return [Phase("AE", ("E", "Dec"), loss, active=self._finetuning)]

    def _finetuning(self, step: int) -> bool:
        return True


class MLPEncoder(nn.Module):
    def __init__(self, sizes: list[int], act: str) -> None:
        super().__init__()
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in itertools.pairwise(sizes))
        self.act = ACT[act]()

    def forward(self, x: torch.Tensor, upto: int | None = None) -> torch.Tensor:
        h = x.flatten(1)
        n = len(self.layers) if upto is None else upto
        for i in range(n):
            h = self.layers[i](h)
            if i < len(self.layers) - 1:
                h = self.act(h)
        return h


class MLPDecoder(nn.Module):
    """Mirror of the encoder: layers[i] maps sizes[i+1] → sizes[i]."""

    def __init__(self, sizes: list[int], act: str, output: str, shape: tuple[int, int, int]):
        super().__init__()
        self.layers = nn.ModuleList(nn.Linear(b, a) for a, b in itertools.pairwise(sizes))
        self.act = ACT[act]()
        self.output, self.shape = output, shape

    def logits(self, h: torch.Tensor) -> torch.Tensor:
        for i in reversed(range(len(self.layers))):
            h = self.layers[i](h)
            if i > 0:
                h = self.act(h)
        return h.view(len(h), *self.shape)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return _output(self.logits(h), self.output)


class Autoencoder(_AEBase):
    """MLP autoencoder: undercomplete, linear (≈ PCA), sparse, denoising, stacked."""

    def __init__(self, spec: Any) -> None:
        super().__init__(spec)
        a = spec.arch
        sizes = [math.prod(self.image_shape), *a.hidden, spec.latent.dim]
        self.E = MLPEncoder(sizes, a.activation)
        self.Dec = MLPDecoder(sizes, a.activation, a.output, self.image_shape)

    def decode(self, z, *, labels=None, truncation=None):  # type: ignore[no-untyped-def]
        # a linear output layer can leave [-1, 1]: clamp to the documented image range
        return self.Dec(z * truncation if truncation is not None else z).clamp(-1, 1)

    def training_phases(self, ctx: TrainContext) -> list[Phase]:
        phases = super().training_phases(ctx)
        per = int(ctx.options.get("pretrain_steps_per_layer", 0))
        n = len(self.E.layers)
        if not per:
            return phases
        self._pretrain_end = per * n
        act = self.E.act

        def layer_loss(k: int):  # type: ignore[no-untyped-def]
            def loss(batch: Batch, ctx: TrainContext):  # type: ignore[no-untyped-def]
                with torch.no_grad():  # codes of the frozen layers below
                    h_in = self.E(batch.x, upto=k)
                    if k > 0:
                        h_in = act(h_in)
                h = self.E.layers[k](
                    corrupt(h_in, self.spec.arch.denoising, ctx) if k == 0 else h_in
                )
                h = act(h) if k < n - 1 else h
                out = self.Dec.layers[k](h)
                target = h_in.flatten(1)
                if k == 0:
                    out = _output(out, self.spec.arch.output)
                r = F.mse_loss(out, target)
                return r, {f"pretrain{k}": float(r.detach())}

            return loss

        stages = [
            Phase(
                f"layer{k}",
                ("E", "Dec"),
                layer_loss(k),
                active=lambda s, k=k: per * k <= s < per * (k + 1),
            )
            for k in range(n)
        ]
        return [*stages, *phases]

    def _finetuning(self, step: int) -> bool:
        return step >= getattr(self, "_pretrain_end", 0)


class ConvEncoder(nn.Module):
    def __init__(self, c: int, channels: list[int], size: int, z: int) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        for ch in channels:
            layers += [nn.Conv2d(c, ch, 3, padding=1), nn.ReLU(True), nn.MaxPool2d(2)]
            c = ch
        self.conv = nn.Sequential(*layers)
        self.fc = nn.Linear(c * (size // 2 ** len(channels)) ** 2, z)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.conv(x).flatten(1))


class ConvDecoder(nn.Module):
    def __init__(self, c: int, channels: list[int], size: int, z: int, output: str = "tanh"):
        super().__init__()
        self.s = size // 2 ** len(channels)
        self.c0 = channels[-1]
        self.fc = nn.Linear(z, self.c0 * self.s * self.s)
        layers: list[nn.Module] = []
        chans = [*channels[::-1], c]
        for i, (a, b) in enumerate(itertools.pairwise(chans)):
            layers += [nn.ConvTranspose2d(a, b, 4, 2, 1)]
            if i < len(chans) - 2:
                layers += [nn.ReLU(True)]
        self.deconv = nn.Sequential(*layers)
        self.output = output

    def logits(self, h: torch.Tensor) -> torch.Tensor:
        return self.deconv(F.relu(self.fc(h)).view(len(h), self.c0, self.s, self.s))

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return _output(self.logits(h), self.output)


class ConvAutoencoder(_AEBase):
    """Convolutional autoencoder (conv + max-pool encoder, learned-upsampling decoder)."""

    def __init__(self, spec: Any) -> None:
        super().__init__(spec)
        c, s, _ = self.image_shape
        a = spec.arch
        self.E = ConvEncoder(c, a.channels, s, spec.latent.dim)
        self.Dec = ConvDecoder(c, a.channels, s, spec.latent.dim)

    def decode(self, z, *, labels=None, truncation=None):  # type: ignore[no-untyped-def]
        # a linear output layer can leave [-1, 1]: clamp to the documented image range
        return self.Dec(z * truncation if truncation is not None else z).clamp(-1, 1)


class VAE(GenerativeModel):
    """VAE: q(z|x) = N(μ(x), σ²(x)), z = μ + σ ⊙ ε; loss = −log p(x|z) + β KL(q ‖ N(0, I))."""

    sampling_networks = ("E", "Dec")
    capabilities = frozenset({"sample", "truncate", "encode", "reconstruct", "denoise"})

    def __init__(self, spec: Any) -> None:
        super().__init__(spec)
        a, z = spec.arch, spec.latent.dim
        c, s, _ = self.image_shape
        if a.encoder == "conv":
            self.E = ConvEncoder(c, a.channels, s, 2 * z)
            self.Dec = ConvDecoder(c, a.channels, s, z, output="linear")
        else:
            sizes = [c * s * s, *a.hidden, 2 * z]
            self.E = MLPEncoder(sizes, "relu")
            dec_sizes = [c * s * s, *a.hidden, z]
            self.Dec = MLPDecoder(dec_sizes, "relu", "linear", self.image_shape)

    def encode_dist(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(μ, log σ²) of q(z|x)."""
        mu, logvar = self.E(x).chunk(2, dim=1)
        return mu, logvar.clamp(-30, 20)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.encode_dist(x)[0]

    def mean_image(self, logits: torch.Tensor) -> torch.Tensor:
        """E[x|z] in [-1, 1] from the decoder output."""
        if self.spec.arch.likelihood == "bernoulli":
            return torch.sigmoid(logits) * 2 - 1
        return logits.clamp(-1, 1)

    def decode(self, z, *, labels=None, truncation=None):  # type: ignore[no-untyped-def]
        return self.mean_image(self.Dec.logits(z * truncation if truncation is not None else z))

    def log_px_given_z(self, logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """log p(x|z) in nats per sample; pixels in [0, 1] (x = (img + 1)/2)."""
        if self.spec.arch.likelihood == "bernoulli":
            return -losses.bce(logits, x)
        s = self.spec.arch.sigma
        mean01, x01 = (logits.clamp(-1, 1) + 1) / 2, (x + 1) / 2
        d = x01[0].numel()
        return -(
            ((x01 - mean01) ** 2).flatten(1).sum(1) / (2 * s * s)
            + d * math.log(s * math.sqrt(2 * math.pi))
        )

    def likelihood_metrics(self, x: torch.Tensor, seed: int = 0, k: int = 100) -> dict[str, float]:
        """Held-out ELBO and importance-sampled log p(x) (k samples), nats per sample."""
        from genzoo_plugins.autoencoder.evaluate import elbo, importance_log_px

        g = torch.Generator().manual_seed(seed)
        return {
            "elbo_nats": elbo(self, x, generator=g),
            "log_px_nats": importance_log_px(self, x, k=k, generator=g),
            "iw_samples": k,
        }

    def training_phases(self, ctx: TrainContext) -> list[Phase]:
        beta = self.spec.arch.beta

        def loss(batch: Batch, ctx: TrainContext):  # type: ignore[no-untyped-def]
            mu, logvar = self.encode_dist(batch.x)
            z = mu + (0.5 * logvar).exp() * ctx.randn(*mu.shape)
            logits = self.Dec.logits(z)
            rec = -self.log_px_given_z(logits, batch.x)  # N
            kl = losses.kl_normal(mu, logvar)  # N
            total = (rec + beta * kl).mean()
            elbo = -(rec + kl).mean()
            return total, {
                "elbo": float(elbo.detach()),
                "recon_nats": float(rec.detach().mean()),
                "kl": float(kl.detach().mean()),
            }

        return [Phase("VAE", ("E", "Dec"), loss)]
