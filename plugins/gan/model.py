"""The GAN families: MLP GAN (``gan``) and DCGAN (``dcgan``).

Both take the same discriminator options (:class:`genzoo_plugins.gan.spec.DiscriminatorOptions`)
and any registered adversarial loss and penalty:

* conditioning (task ``conditional``): labels enter G as a one-hot vector (or a learned
  embedding, ``label_dim``) concatenated to z, and D either as one-hot input channels
  (``concat``) or through a projection term ``<embed(y), φ(x)>`` added to the logit
  (``projection``, Miyato & Koyama 2018);
* ``critic: true``: a WGAN critic with layer norm instead of batch norm in D (a gradient penalty
  is per sample, so D must not mix the samples of a batch);
* ``minibatch_stddev`` and ``minibatch_discrimination`` before D's last layer
  (:mod:`genzoo.nn.minibatch`).

D returns logits (N×1, no sigmoid); losses come from the registry by role.

Training step (:meth:`_GANBase.training_phases`): phase ``D`` repeated ``training.n_critic``
times on fresh batches (adversarial D loss + weight × penalty), then phase ``G``. Logged:
``d_loss`` (total D loss), ``d_real``, ``d_fake`` (mean logits), the penalty (``gp``, ``r1``,
``drift``) and ``g_loss``. Two training options (``training.options``):

* ``clip_weights: c`` — WGAN weight clipping, an ``after_step`` hook of the D phase that clamps
  every D parameter to [−c, c]. It is a schedule step, not a term of the loss, so it is a
  training option rather than a registered loss: nothing is added to any objective.
* ``penalty_every: k`` — lazy regularisation: the penalty moves to its own phase ``D_reg``
  that runs every k steps with weight × k (StyleGAN2's lazy R1).

Recipes (``training`` blocks):

* DCGAN (Radford et al.): ``losses: {adversarial: non_saturating}``, Adam lr 2e-4,
  betas (0.5, 0.999) for G and D (the optimizer default).
* WGAN (Arjovsky et al.): ``arch: {critic: true}``, ``losses: {adversarial: wasserstein}``,
  ``n_critic: 5``, ``options: {clip_weights: 0.01}``,
  ``optimizers: {G: {name: rmsprop, lr: 5.0e-5}, D: {name: rmsprop, lr: 5.0e-5}}``.
* WGAN-GP (Gulrajani et al.): ``arch: {critic: true}``, ``adversarial: wasserstein``,
  ``penalty: {name: gradient_penalty, weight: 10}``, ``n_critic: 5``, Adam lr 1e-4,
  betas (0, 0.9).
* R1 (Mescheder et al.): ``adversarial: non_saturating``, ``penalty: {name: r1, weight: γ}``,
  optionally ``options: {penalty_every: 16}``.
* Hinge (Miyato et al.) with a projection D: ``adversarial: hinge``,
  ``arch: {conditioning: projection}``.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from genzoo.errors import SpecError
from genzoo.model import GenerativeModel
from genzoo.nn.minibatch import MinibatchDiscrimination, MinibatchStdDev
from genzoo.train.phases import Batch, Phase, ResolvedLoss, TrainContext

PENALTY_LOGS = {"gradient_penalty": "gp", "r1": "r1", "drift": "drift"}


class LabelInput(nn.Module):
    """Class labels (N,) → one-hot (N×K, ``dim`` 0) or a learned embedding (N×dim)."""

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
    """N(0, 0.02) for conv and linear weights, N(1, 0.02) and 0 for batch norm (Radford et al.)."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            nn.init.normal_(m.weight, 0.0, 0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, (nn.BatchNorm2d, nn.BatchNorm1d)):
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)


class _DiscriminatorHead(nn.Module):
    """Base of both discriminators: minibatch layers and the projection term before the logit.

    Order: [minibatch stddev] → [minibatch discrimination] → output layer; the projection term
    ``<embed(y), Σ_positions φ(x)>`` uses the features before the minibatch layers. The layers
    are direct children (``D.mbstd``, ``D.mbd``, ``D.project``) so checkpoint keys stay flat.
    """

    mbstd: MinibatchStdDev | None
    mbd: MinibatchDiscrimination | None
    project: nn.Embedding | None

    def _build_head(self, channels: int, spatial: int, opts: Any, num_classes: int) -> int:
        """Create the head's layers for features N×channels×(spatial positions); returns the
        width the output layer gets (channels for a conv output, flat width after mbd)."""
        c = channels
        self.mbstd = None
        if opts.minibatch_stddev is not None:
            s = opts.minibatch_stddev
            self.mbstd = MinibatchStdDev(s.group_size, s.num_features)
            c += s.num_features
        self.mbd = None
        if opts.minibatch_discrimination is not None:
            m = opts.minibatch_discrimination
            self.mbd = MinibatchDiscrimination(c * spatial, m.num_kernels, m.kernel_dim)
            c = self.mbd.out_features
        self.project = None
        if num_classes and opts.conditioning == "projection":
            self.project = nn.Embedding(num_classes, channels)
            # N(0, 1) (torch's default) makes |<embed(y), Σ φ(x)>| ≈ 90 at init for DCGAN-32
            # features: a saturated D. N(0, 0.02) as for every other DCGAN weight keeps it ≈ 1.
            nn.init.normal_(self.project.weight, 0.0, 0.02)
        return c

    def _features(self, h: torch.Tensor) -> torch.Tensor:
        """Features after the minibatch layers: N×C'×H×W, or N×F' once flattened by mbd."""
        if self.mbstd is not None:
            h = self.mbstd(h)
        if self.mbd is not None:
            h = self.mbd(h.flatten(1))
        return h

    def _projection(self, h: torch.Tensor, y: torch.Tensor | None) -> torch.Tensor | float:
        """<embed(y), Σ_positions φ(x)> (N×1), or 0 without projection conditioning."""
        if self.project is None:
            return 0.0
        assert y is not None, "a projection discriminator needs labels"
        pooled = h.flatten(2).sum(2) if h.ndim == 4 else h  # N×C
        return (self.project(y) * pooled).sum(1, keepdim=True)


# -- DCGAN networks ----------------------------------------------------------------------------
class DCGenerator(nn.Module):
    """z (N×nz) → image (N×nc×S×S): 1×1 → 4×4 → … → S×S by stride-2 transposed convs.

    Channels go ngf·S/8 → … → ngf → nc; for S = 64 the layers are those of PyTorch examples'
    ``netG`` (``main.0`` … ``main.13``), so their weights load one-to-one.

    Args:
        nz: input width (latent dim plus label input).
        ngf: width of the last hidden layer.
        nc: image channels.
        size: output size S, a power of two ≥ 16.
    """

    def __init__(self, nz: int, ngf: int, nc: int, size: int) -> None:
        super().__init__()
        mult = size // 8
        layers: list[nn.Module] = [
            nn.ConvTranspose2d(nz, ngf * mult, 4, 1, 0, bias=False),  # 1×1 → 4×4
            nn.BatchNorm2d(ngf * mult),
            nn.ReLU(True),
        ]
        while mult > 1:  # 4 → 8 → … → S/2
            layers += [
                nn.ConvTranspose2d(ngf * mult, ngf * mult // 2, 4, 2, 1, bias=False),
                nn.BatchNorm2d(ngf * mult // 2),
                nn.ReLU(True),
            ]
            mult //= 2
        layers += [nn.ConvTranspose2d(ngf, nc, 4, 2, 1, bias=False), nn.Tanh()]  # S/2 → S
        self.main = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.main(z.view(len(z), -1, 1, 1))  # N×nc×S×S


def _norm2d(channels: int, critic: bool) -> nn.Module:
    # a WGAN critic must not normalise over the batch: layer norm over (C, H, W) instead
    return nn.GroupNorm(1, channels) if critic else nn.BatchNorm2d(channels)


class DCDiscriminator(_DiscriminatorHead):
    """Image (N×nc×S×S) → features (N×C×4×4) by stride-2 convs → one logit (N×1).

    The layers follow PyTorch examples' ``netD`` without its sigmoid (losses take logits).

    Args:
        nc: image channels.
        ndf: width of the first layer (doubling at each halving of the resolution).
        size: input size S.
        opts: the arch block (critic, conditioning, minibatch options).
        num_classes: classes of a conditional model (0: unconditional).
    """

    def __init__(self, nc: int, ndf: int, size: int, opts: Any, num_classes: int) -> None:
        super().__init__()
        self.num_classes = num_classes
        self.concat = bool(num_classes) and opts.conditioning == "concat"
        cin = nc + (num_classes if self.concat else 0)
        layers: list[nn.Module] = [
            nn.Conv2d(cin, ndf, 4, 2, 1, bias=False),  # S → S/2, no norm on the first layer
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
        width = self._build_head(ndf * mult, 16, opts, num_classes)
        self.out: nn.Module = (
            nn.Linear(width, 1)
            if self.mbd is not None
            else nn.Conv2d(width, 1, 4, 1, 0, bias=False)
        )  # N×F → N×1, or N×C×4×4 → N×1×1×1

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        if self.concat:
            assert y is not None, "a conditional discriminator needs labels"
            onehot = F.one_hot(y, self.num_classes).to(x.dtype)  # N×K
            x = torch.cat([x, onehot[:, :, None, None].expand(-1, -1, *x.shape[2:])], 1)
        h = self.main(x)  # N×C×4×4
        logit = self.out(self._features(h)).view(len(x), 1)  # N×1
        return logit + self._projection(h, y)


# -- MLP networks ------------------------------------------------------------------------------
def _activation(name: str) -> nn.Module:
    return nn.LeakyReLU(0.2, True) if name == "leaky_relu" else nn.ReLU(True)


class MLPGenerator(nn.Module):
    """z (N×nin) → flat image (N×nout) in [-1, 1].

    Args:
        nin: input width (latent dim plus label input).
        hidden: hidden widths.
        nout: C·H·W.
        norm: ``batch`` for batch norm after each hidden linear layer, ``none``.
        activation: ``leaky_relu`` (slope 0.2) or ``relu``.
    """

    def __init__(
        self, nin: int, hidden: list[int], nout: int, norm: str, activation: str = "leaky_relu"
    ) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        for h in hidden:
            layers += [nn.Linear(nin, h)]
            if norm == "batch":
                layers += [nn.BatchNorm1d(h)]
            layers += [_activation(activation)]
            nin = h
        layers += [nn.Linear(nin, nout), nn.Tanh()]
        self.main = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.main(z)  # N×nout


class MLPDiscriminator(_DiscriminatorHead):
    """Flat image (N×nin) → hidden features → one logit (N×1).

    Args:
        nin: C·H·W.
        hidden: hidden widths.
        dropout: dropout probability after each hidden layer (0: none).
        opts: the arch block (critic: layer norm after each hidden linear layer).
        num_classes: classes of a conditional model (0: unconditional).
        activation: ``leaky_relu`` (slope 0.2) or ``relu``.
    """

    def __init__(
        self,
        nin: int,
        hidden: list[int],
        dropout: float,
        opts: Any,
        num_classes: int,
        activation: str = "leaky_relu",
    ) -> None:
        super().__init__()
        self.num_classes = num_classes
        self.concat = bool(num_classes) and opts.conditioning == "concat"
        n = nin + (num_classes if self.concat else 0)
        layers: list[nn.Module] = []
        for h in hidden:
            layers += [nn.Linear(n, h)]
            if opts.critic:
                layers += [nn.LayerNorm(h)]
            layers += [_activation(activation)]
            if dropout:
                layers += [nn.Dropout(dropout)]
            n = h
        self.main = nn.Sequential(*layers)
        self.out = nn.Linear(self._build_head(n, 1, opts, num_classes), 1)

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        x = x.flatten(1)  # N×C·H·W
        if self.concat:
            assert y is not None, "a conditional discriminator needs labels"
            x = torch.cat([x, F.one_hot(y, self.num_classes).to(x.dtype)], 1)
        h = self.main(x)  # N×hidden[-1]
        return self.out(self._features(h)) + self._projection(h, y)  # N×1


# -- models ------------------------------------------------------------------------------------
def _penalty_term(
    pen: ResolvedLoss,
    critic: Any,
    real: torch.Tensor,
    fake: torch.Tensor,
    d_real: torch.Tensor,
    ctx: TrainContext,
) -> torch.Tensor:
    """The unweighted penalty; ``real`` requires grad when ``pen`` is r1."""
    if pen.name == "gradient_penalty":
        eps = ctx.rand(len(real), *([1] * (real.ndim - 1)))  # N×1×1×1, from the trainer's RNG
        return pen(critic, real, fake, eps)
    if pen.name == "r1":
        return pen(d_real, real)
    if pen.name == "drift":
        return pen(d_real)
    raise SpecError(
        f"training.losses.penalty: the GAN families support gradient_penalty, r1 and drift, "
        f"not {pen.name!r}"
    )


class _GANBase(GenerativeModel):
    """Sampling and the alternating D/G training phases shared by both families.

    Networks: ``G`` (generator), ``D`` (discriminator), ``L`` (label input of G; holds the
    learned embedding when ``label_dim`` > 0, else has no parameters).
    """

    sampling_networks = ("G", "L")
    capabilities = frozenset({"sample", "truncate"})
    G: nn.Module
    D: nn.Module
    L: nn.Module

    def _g_input(self, z: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
        if self.num_classes:
            if labels is None:
                raise ValueError("a conditional model needs labels")
            z = torch.cat([z, self.L(labels)], 1)  # N×(nz + label dim)
        return z

    def generate(self, z: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
        """z (N×nz) and labels (N,) → images N×C×H×W in [-1, 1]."""
        raise NotImplementedError

    def decode(self, z, *, labels=None, truncation=None):  # type: ignore[no-untyped-def]
        if truncation is not None:
            z = z * truncation  # truncation trick in z: pull toward the prior's mean 0
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
        clip = ctx.options.get("clip_weights")
        lazy = int(ctx.options.get("penalty_every") or 1)
        inline_pen = pen if lazy == 1 else None
        after = self._clipper(clip) if clip else None
        phases = [
            Phase(
                "D",
                ("D",),
                self._d_loss(adv, inline_pen),
                repeat=ctx.recipe.n_critic,
                after_step=after,
            )
        ]
        if pen is not None and lazy > 1:
            reg = self._reg_loss(pen, lazy)
            phases.append(Phase("D_reg", ("D",), reg, every=lazy, after_step=after))
        phases.append(Phase("G", self._g_networks(), self._g_loss(adv), needs_batch=False))
        return phases

    def _fakes(self, batch: Batch, ctx: TrainContext, *, grad: bool) -> torch.Tensor:
        y = batch.y if self.num_classes else None
        with torch.set_grad_enabled(grad):
            return self.generate(ctx.randn(len(batch.x), self.spec.latent.dim), y)

    def _d_loss(self, adv: ResolvedLoss, pen: ResolvedLoss | None):  # type: ignore[no-untyped-def]
        def d_loss(batch: Batch, ctx: TrainContext):  # type: ignore[no-untyped-def]
            self.D.requires_grad_(True)
            y = batch.y if self.num_classes else None
            fake = self._fakes(batch, ctx, grad=False)
            real = batch.x
            if pen is not None and pen.name == "r1":
                real = real.detach().requires_grad_(True)
            d_real, d_fake = self.D(real, y), self.D(fake, y)  # N×1 logits
            loss = adv(d_real, d_fake)
            logs = {
                "d_real": float(d_real.detach().mean()),
                "d_fake": float(d_fake.detach().mean()),
            }
            if pen is not None:
                p = _penalty_term(pen, lambda x: self.D(x, y), real, fake, d_real, ctx)
                loss = loss + pen.weight * p
                logs[PENALTY_LOGS.get(pen.name, pen.name)] = float(p.detach())
            logs["d_loss"] = float(loss.detach())
            return loss, logs

        return d_loss

    def _reg_loss(self, pen: ResolvedLoss, every: int):  # type: ignore[no-untyped-def]
        def reg_loss(batch: Batch, ctx: TrainContext):  # type: ignore[no-untyped-def]
            self.D.requires_grad_(True)
            y = batch.y if self.num_classes else None
            real = batch.x.detach().requires_grad_(pen.name == "r1")
            fake = self._fakes(batch, ctx, grad=False) if pen.name == "gradient_penalty" else real
            d_real = self.D(real, y)
            p = _penalty_term(pen, lambda x: self.D(x, y), real, fake, d_real, ctx)
            # lazy regularisation: k times the weight every k steps keeps the same average
            return pen.weight * every * p, {PENALTY_LOGS.get(pen.name, pen.name): float(p.detach())}

        return reg_loss

    def _g_loss(self, adv: ResolvedLoss):  # type: ignore[no-untyped-def]
        def g_loss(batch: Batch, ctx: TrainContext):  # type: ignore[no-untyped-def]
            # D's weights get no gradient in the G phase (it only steps G): skip computing it
            self.D.requires_grad_(False)
            y = batch.y if self.num_classes else None
            loss = adv(None, self.D(self._fakes(batch, ctx, grad=True), y), for_generator=True)
            return loss, {"g_loss": float(loss.detach())}

        return g_loss

    def _clipper(self, clip: float):  # type: ignore[no-untyped-def]
        def clip_d() -> None:
            # WGAN (Arjovsky et al. 2017): every critic parameter clamped to [−c, c]
            with torch.no_grad():
                for p in self.D.parameters():
                    p.clamp_(-clip, clip)

        return clip_d

    def _g_networks(self) -> tuple[str, ...]:
        # a learned label embedding trains with the generator
        return ("G", "L") if any(True for _ in self.L.parameters()) else ("G",)


class DCGAN(_GANBase):
    """Deep convolutional GAN (Radford et al. 2016); see the module docstring for options."""

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
        return self.G(self._g_input(z, labels))  # N×C×S×S


class MLPGAN(_GANBase):
    """The original GAN (Goodfellow et al. 2014) with multilayer perceptrons."""

    def __init__(self, spec: Any) -> None:
        super().__init__(spec)
        a = spec.arch
        c, h, w = self.image_shape
        k = self.num_classes
        self.L = LabelInput(k, a.label_dim) if k else nn.Identity()
        nz_in = spec.latent.dim + (self.L.dim if k else 0)
        self.G = MLPGenerator(nz_in, a.g_hidden, c * h * w, a.norm, a.activation)
        self.D = MLPDiscriminator(c * h * w, a.d_hidden, a.d_dropout, a, k, a.activation)

    def generate(self, z: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
        return self.G(self._g_input(z, labels)).view(len(z), *self.image_shape)  # N×C×H×W
