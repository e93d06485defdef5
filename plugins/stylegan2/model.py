"""The ``stylegan2`` family: NVIDIA-compatible generator, residual discriminator, and the
paper's training losses (non-saturating, lazy R1, lazy path-length regularisation, style
mixing). Sampling exposes ``w`` space, per-layer styles, truncation (ψ, cut-off) and mixing to
genzoo's latent tools, the CLI and the app."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from genzoo import latent
from genzoo.model import GenerativeModel, LatentSpace
from genzoo.train.phases import Batch, Phase, TrainContext
from genzoo_plugins.stylegan2.networks import Discriminator, Generator


def kwargs_from_spec(spec: Any) -> dict[str, Any]:
    """NVIDIA's ``Generator(**kwargs)`` arguments for a genzoo spec."""
    a = spec.arch
    return {
        "z_dim": spec.latent.dim,
        "c_dim": spec.conditions.count if spec.conditions is not None else 0,
        "w_dim": a.w_dim,
        "img_resolution": spec.data.size,
        "img_channels": spec.data.channels,
        "mapping_kwargs": {
            "num_layers": a.mapping_layers,
            "lr_multiplier": a.mapping_lr_multiplier,
            "layer_features": a.layer_features,
            "embed_features": a.embed_features,
            "w_avg_beta": a.w_avg_beta,
        },
        "channel_base": a.channel_base,
        "channel_max": a.channel_max,
        "num_fp16_res": a.num_fp16_res,
        "conv_clamp": a.conv_clamp,
        "architecture": a.architecture,
        "resample_filter": list(a.resample_filter),
        "use_noise": a.use_noise,
    }


class StyleGAN2(GenerativeModel):
    """StyleGAN2 (Karras et al. 2020): modulated convolutions, skip/resnet outputs."""

    capabilities = frozenset({"sample", "truncate", "style_mix", "w_space"})

    def __init__(self, spec: Any) -> None:
        super().__init__(spec)
        a = spec.arch
        kw = kwargs_from_spec(spec)
        self.G = Generator(**kw)
        self.D = Discriminator(
            kw["c_dim"],
            spec.data.size,
            spec.data.channels,
            architecture=a.d_architecture,
            channel_base=a.d_channel_base or a.channel_base,
            channel_max=a.d_channel_max or a.channel_max,
            conv_clamp=a.conv_clamp,
            mbstd_group_size=a.mbstd_group_size,
            mbstd_num_channels=a.mbstd_num_channels,
            resample_filter=list(a.resample_filter),
        )
        # the path-length target is training state: it lives with D, which sampling never loads
        self.D.register_buffer("pl_mean", torch.zeros([]))

    # -- latent spaces -------------------------------------------------------------------------
    @property
    def latent_spaces(self) -> dict[str, LatentSpace]:
        assert self.spec.latent is not None
        return {
            "z": LatentSpace("z", (self.spec.latent.dim,), self.spec.latent.prior),
            "w": LatentSpace("w", (self.spec.arch.w_dim,), "learned"),
        }

    @property
    def num_ws(self) -> int:
        """Number of per-layer styles (2 per resolution from 8², plus the 4² conv and toRGB)."""
        return self.G.num_ws

    def _onehot(self, labels: torch.Tensor | None, n: int) -> torch.Tensor | None:
        if self.G.c_dim == 0:
            return None
        if labels is None:
            labels = torch.arange(n, device=self.device) % self.G.c_dim
        return F.one_hot(labels.long(), self.G.c_dim).float()

    def mapping(
        self,
        z: torch.Tensor,
        truncation: float | None = None,
        labels: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """z (N×Z) → per-layer styles ws (N×L×W), truncated toward w_avg if ψ is given."""
        psi = 1.0 if truncation is None else truncation
        c = self._onehot(labels, len(z))
        return self.G.mapping(z, c, psi, self.spec.arch.truncation_cutoff)

    def synthesis(self, ws: torch.Tensor, noise_mode: str = "const") -> torch.Tensor:
        """Styles → images in [-1, 1] (``noise_mode`` const: the same seed, the same image)."""
        return self.G.synthesis(ws, noise_mode).clamp(-1, 1)

    def decode(self, z, *, labels=None, truncation=None):  # type: ignore[no-untyped-def]
        return self.synthesis(self.mapping(z, truncation, labels))

    def mix(
        self,
        z_rows: torch.Tensor,
        z_cols: torch.Tensor,
        layers: range | list[int],
        truncation: float | None = None,
    ) -> torch.Tensor:
        """Style mixing: styles of ``z_rows`` with ``layers`` taken from ``z_cols``.

        Returns len(z_rows) × len(z_cols) images, row-major.
        """
        a = self.mapping(z_rows, truncation)
        b = self.mapping(z_cols, truncation)
        return self.synthesis(latent.mix_styles(a, b, layers))

    def direction_features(self, z: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
        """w of each z: PCA directions are found in w space (GANSpace), no image rendered."""
        return self.mapping(z, None, labels)[:, 0]

    def latent_projection(self) -> torch.Tensor:
        """The first mapping layer's effective weight (SeFa directions in z)."""
        fc = self.G.mapping.fc0
        return (fc.weight * fc.weight_gain)[:, : self.G.z_dim]

    # -- training ------------------------------------------------------------------------------
    def training_phases(self, ctx: TrainContext) -> list[Phase]:
        o = ctx.options
        nz, nc = self.G.z_dim, self.G.c_dim

        def labels(n: int) -> torch.Tensor | None:
            return self._onehot((ctx.rand(n) * nc).long().clamp(max=nc - 1), n) if nc else None

        def real_c(batch: Batch) -> torch.Tensor | None:
            return self._onehot(batch.y, len(batch.x)) if nc else None

        def styles(n: int, c: torch.Tensor | None) -> torch.Tensor:
            ws = self.G.mapping(ctx.randn(n, nz), c, update_w_avg=True)
            if o["style_mixing_prob"] > 0:
                L = self.num_ws
                mix = ctx.rand(n) < o["style_mixing_prob"]
                cut = (ctx.rand(n) * L).long().clamp(1, L - 1)
                w2 = self.G.mapping(ctx.randn(n, nz), c)
                layer = torch.arange(L, device=ws.device).view(1, -1)
                take = (mix.view(-1, 1) & (layer >= cut.view(-1, 1))).unsqueeze(-1)
                ws = torch.where(take, w2, ws)
            return ws

        def d_loss(batch: Batch, ctx: TrainContext):  # type: ignore[no-untyped-def]
            n = len(batch.x)
            c = labels(n)
            with torch.no_grad():
                fake = self.G.synthesis(styles(n, c), "random")
            # non-saturating: softplus(D(fake)) + softplus(−D(real))
            d_fake = self.D(fake, c)
            d_real = self.D(batch.x, real_c(batch))
            loss = F.softplus(d_fake).mean() + F.softplus(-d_real).mean()
            return loss, {"d_loss": float(loss.detach())}

        def r1_loss(batch: Batch, ctx: TrainContext):  # type: ignore[no-untyped-def]
            # lazy R1: γ/2 · E‖∇ₓD(x)‖² on real data, × the interval (Karras et al. 2020, B)
            real = batch.x.detach().requires_grad_(True)
            d_real = self.D(real, real_c(batch))
            (grad,) = torch.autograd.grad(d_real.sum(), real, create_graph=True)
            r1 = grad.square().flatten(1).sum(1).mean()
            loss = r1 * (o["r1_gamma"] / 2) * o["r1_interval"]
            return loss, {"r1": float(r1.detach())}

        def g_loss(batch: Batch, ctx: TrainContext):  # type: ignore[no-untyped-def]
            n = len(batch.x)
            c = labels(n)
            fake = self.G.synthesis(styles(n, c), "random")
            loss = F.softplus(-self.D(fake, c)).mean()
            return loss, {"g_loss": float(loss.detach())}

        def pl_loss(batch: Batch, ctx: TrainContext):  # type: ignore[no-untyped-def]
            # path length: (‖Jᵀy‖ − a)², y ~ N(0, I)/√(HW), a the running mean of ‖Jᵀy‖
            n = max(1, len(batch.x) // o["pl_batch_shrink"])
            ws = styles(n, labels(n))
            img = self.G.synthesis(ws, "random")
            noise = ctx.randn(*img.shape) / (img.shape[2] * img.shape[3]) ** 0.5
            (grad,) = torch.autograd.grad((img * noise).sum(), ws, create_graph=True)
            lengths = grad.square().sum(2).mean(1).sqrt()
            with torch.no_grad():
                self.D.pl_mean.copy_(self.D.pl_mean.lerp(lengths.mean(), o["pl_decay"]))
            penalty = (lengths - self.D.pl_mean).square().mean()
            return penalty * o["pl_weight"] * o["pl_interval"], {"pl": float(penalty.detach())}

        phases = [
            Phase("D", ("D",), d_loss, repeat=ctx.recipe.n_critic),
            Phase("G", ("G",), g_loss, needs_batch=False),
        ]
        if o["r1_gamma"] > 0:
            phases.insert(1, Phase("Dreg", ("D",), r1_loss, every=o["r1_interval"]))
        if o["pl_weight"] > 0:
            phases.append(Phase("Greg", ("G",), pl_loss, every=o["pl_interval"], needs_batch=False))
        return phases
