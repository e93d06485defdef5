"""Adversarial losses and discriminator penalties: pure tensor functions of logits.

Adversarial losses (registry kind ``adversarial``) have one signature for both players::

    loss(real_logits, fake_logits, *, for_generator=False) -> scalar

* ``for_generator=False``: the discriminator's loss from D's logits on real and fake samples
  (any shape, e.g. N×1);
* ``for_generator=True``: the generator's loss from the fake logits; ``real_logits`` is ignored
  and may be None (non-relativistic losses need no real data in the G step).

Logits are pre-sigmoid scores; σ is the logistic function and log σ(t) = −softplus(−t),
log(1 − σ(t)) = −softplus(t), which are computed without overflow.

Penalties (kind ``penalty``) return the unweighted term; the family multiplies by the
``LossRef`` weight (λ, γ or ε):

* ``gradient_penalty(critic, real, fake, eps)``: critic is ``x -> logits``, eps N×1×… in [0, 1];
* ``r1(real_logits, real)``: ``real`` must require grad and ``real_logits = D(real)``;
* ``drift(real_logits)``.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F


def minimax(real: torch.Tensor | None, fake: torch.Tensor, *, for_generator: bool = False):  # type: ignore[no-untyped-def]
    """D: −log σ(D(x)) − log(1 − σ(D(G(z)))); G (saturating): log(1 − σ(D(G(z))))."""
    if for_generator:
        return -F.softplus(fake).mean()  # log(1 − σ(f)) = −softplus(f)
    assert real is not None
    return F.softplus(-real).mean() + F.softplus(fake).mean()


def non_saturating(real: torch.Tensor | None, fake: torch.Tensor, *, for_generator: bool = False):  # type: ignore[no-untyped-def]
    """D as in minimax; G: −log σ(D(G(z))) = softplus(−D(G(z)))."""
    if for_generator:
        return F.softplus(-fake).mean()
    assert real is not None
    return F.softplus(-real).mean() + F.softplus(fake).mean()


def wasserstein(real: torch.Tensor | None, fake: torch.Tensor, *, for_generator: bool = False):  # type: ignore[no-untyped-def]
    """Critic: −(E[D(x)] − E[D(G(z))]); G: −E[D(G(z))]."""
    if for_generator:
        return -fake.mean()
    assert real is not None
    return fake.mean() - real.mean()


def hinge(real: torch.Tensor | None, fake: torch.Tensor, *, for_generator: bool = False):  # type: ignore[no-untyped-def]
    """D: E[relu(1 − D(x))] + E[relu(1 + D(G(z)))]; G: −E[D(G(z))]."""
    if for_generator:
        return -fake.mean()
    assert real is not None
    return F.relu(1 - real).mean() + F.relu(1 + fake).mean()


def least_squares(real: torch.Tensor | None, fake: torch.Tensor, *, for_generator: bool = False):  # type: ignore[no-untyped-def]
    """LSGAN: D: ½E[(D(x) − 1)²] + ½E[D(G(z))²]; G: ½E[(D(G(z)) − 1)²]."""
    if for_generator:
        return 0.5 * ((fake - 1) ** 2).mean()
    assert real is not None
    return 0.5 * ((real - 1) ** 2).mean() + 0.5 * (fake**2).mean()


def gradient_penalty(
    critic: Callable[[torch.Tensor], torch.Tensor],
    real: torch.Tensor,
    fake: torch.Tensor,
    eps: torch.Tensor,
) -> torch.Tensor:
    """E[(‖∇_x̂ D(x̂)‖₂ − 1)²], x̂ = ε x + (1 − ε) G(z), ε ~ U[0, 1] (Gulrajani et al. 2017)."""
    x = torch.lerp(fake.detach(), real.detach(), eps).requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(x).sum(), x, create_graph=True)
    return ((grad.flatten(1).norm(dim=1) - 1) ** 2).mean()


def r1(real_logits: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
    """½ E[‖∇_x D(x)‖²] on real data; ``real`` must require grad (Mescheder et al. 2018)."""
    (grad,) = torch.autograd.grad(real_logits.sum(), real, create_graph=True)
    return 0.5 * grad.pow(2).flatten(1).sum(1).mean()


def drift(real_logits: torch.Tensor) -> torch.Tensor:
    """E[D(x)²], keeps a Wasserstein critic's outputs near zero (Karras et al. 2018)."""
    return (real_logits**2).mean()
