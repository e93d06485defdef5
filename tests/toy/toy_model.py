"""Torch side of the toy family."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from genzoo.model import GenerativeModel
from genzoo.train.phases import Phase


def toy_bce(real: torch.Tensor, fake: torch.Tensor, for_generator: bool = False) -> torch.Tensor:
    if for_generator:
        return F.softplus(-fake).mean()
    return F.softplus(-real).mean() + F.softplus(fake).mean()


class ToyGAN(GenerativeModel):
    sampling_networks = ("G",)

    def __init__(self, spec):  # type: ignore[no-untyped-def]
        super().__init__(spec)
        c, h, w = self.image_shape
        nz = spec.latent.dim + self.num_classes
        self.G = nn.Sequential(
            nn.Linear(nz, spec.arch.hidden), nn.ReLU(), nn.Linear(spec.arch.hidden, c * h * w)
        )
        self.D = nn.Sequential(
            nn.Linear(c * h * w + self.num_classes, spec.arch.hidden),
            nn.LeakyReLU(0.2),
            nn.Linear(spec.arch.hidden, 1),
        )

    def _cond(self, t: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
        if self.num_classes:
            assert labels is not None
            t = torch.cat([t, F.one_hot(labels, self.num_classes).to(t.dtype)], 1)
        return t

    def decode(self, z, *, labels=None, truncation=None):  # type: ignore[no-untyped-def]
        if truncation is not None:
            z = z * truncation
        return torch.tanh(self.G(self._cond(z, labels))).view(len(z), *self.image_shape)

    def training_phases(self, ctx):  # type: ignore[no-untyped-def]
        loss = ctx.loss("adversarial", default="toy_bce")

        def fake(batch):  # type: ignore[no-untyped-def]
            z = ctx.randn(len(batch.x), self.spec.latent.dim)
            return self.decode(z, labels=batch.y)

        def d_logits(x, y):  # type: ignore[no-untyped-def]
            return self.D(self._cond(x.flatten(1), y))

        def d_loss(batch, ctx):  # type: ignore[no-untyped-def]
            with torch.no_grad():
                f = fake(batch)
            out = loss(d_logits(batch.x, batch.y), d_logits(f, batch.y))
            return out, {"d_loss": float(out.detach())}

        def g_loss(batch, ctx):  # type: ignore[no-untyped-def]
            out = loss(None, d_logits(fake(batch), batch.y), for_generator=True)
            return out, {"g_loss": float(out.detach())}

        return [
            Phase("D", ("D",), d_loss, repeat=ctx.recipe.n_critic),
            Phase("G", ("G",), g_loss, needs_batch=False),
        ]
