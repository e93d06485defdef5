"""What a family tells the trainer: the phases of one training step.

A training step runs each :class:`Phase` in order. A phase computes one scalar loss on a batch,
back-propagates it, and steps the optimizers of the networks it names. Families describe GAN
alternation (D phase repeated ``n_critic`` times, then a G phase), lazy regularisation
(``every``), weight clipping (``after_step``) and layer-wise pretraining (``active``) as data;
the one generic trainer (:mod:`genzoo.train.trainer`) runs them. The hot loop never goes
through pluggy: losses are resolved once into :class:`ResolvedLoss` objects.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch

from genzoo.errors import SpecError
from genzoo.spec.model import TrainingSpec


@dataclass
class Batch:
    """A batch of real data: ``x`` (NCHW in [-1, 1], or N×F for tables) and optional labels."""

    x: torch.Tensor
    y: torch.Tensor | None = None
    domain: torch.Tensor | None = None


@dataclass
class ResolvedLoss:
    """A loss from the registry with its weight and parameters bound."""

    name: str
    fn: Callable[..., Any]
    weight: float = 1.0
    params: dict[str, Any] = field(default_factory=dict)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.fn(*args, **self.params, **kwargs)


@dataclass
class TrainContext:
    """What phases may use while computing a loss.

    Attributes:
        recipe: the spec's training recipe.
        losses: ``training.losses`` resolved, by role.
        device: where the batch and networks live.
        generator: the trainer's seeded RNG for latents and noise; it is saved in checkpoints,
            so use it (``torch.randn(..., generator=ctx.generator)``) for bit-exact resume.
        step: the current step (0-based), set by the trainer before each step.
        options: the family's validated ``training.options``.
        world_size: number of DDP processes (1 without torchrun).
        rank: this process's rank.
        loss_registry: the zoo's loss registry, for defaults of roles the spec leaves out.
    """

    recipe: TrainingSpec
    losses: dict[str, ResolvedLoss]
    device: torch.device
    generator: torch.Generator
    step: int = 0
    options: dict[str, Any] = field(default_factory=dict)
    world_size: int = 1
    rank: int = 0
    loss_registry: Any = None

    def loss(self, role: str, default: str | None = None) -> ResolvedLoss | None:
        """The loss of ``role``; ``default`` names the registry loss used when the spec has none."""
        if role in self.losses:
            return self.losses[role]
        if default is None:
            return None
        if self.loss_registry is None:
            raise SpecError(f"training.losses.{role}: required loss is missing")
        return ResolvedLoss(default, self.loss_registry.get(default).function())

    def randn(self, *shape: int) -> torch.Tensor:
        """Standard normal noise from the trainer's RNG, on the training device.

        The first dimension counts samples of this process's batch: under DDP the noise of the
        whole global batch is drawn and this process's rows are returned, so a run on N
        processes sees exactly the noise of a run on one.
        """
        return self._draw(torch.randn, shape)

    def rand(self, *shape: int) -> torch.Tensor:
        """Uniform [0, 1) noise from the trainer's RNG (first dimension as in :meth:`randn`)."""
        return self._draw(torch.rand, shape)

    def _draw(self, fn: Callable[..., torch.Tensor], shape: tuple[int, ...]) -> torch.Tensor:
        if self.world_size == 1 or not shape:
            return fn(*shape, generator=self.generator).to(self.device)
        n = shape[0]
        full = fn(n * self.world_size, *shape[1:], generator=self.generator)
        return full[self.rank * n : (self.rank + 1) * n].to(self.device)


LossFn = Callable[[Batch, TrainContext], tuple[torch.Tensor, dict[str, float]]]


@dataclass
class Phase:
    """One optimisation phase of a training step.

    Attributes:
        name: shown in logs (``D``, ``G``, ``AE``, ``layer1``...).
        networks: networks whose optimizers this phase steps (their grads are zeroed first).
        loss: ``loss(batch, ctx) -> (scalar, logs)``; logs are floats for the metrics line.
        repeat: times per step, each on a fresh batch (``n_critic`` for WGAN critics).
        every: run only on steps divisible by this (lazy regularisation).
        active: optional ``active(step) -> bool`` (layer-wise pretraining stages).
        after_step: optional hook after each optimizer step (e.g. weight clipping).
        needs_batch: False for phases that use no real data (then ``batch`` is the last one).
    """

    name: str
    networks: tuple[str, ...]
    loss: LossFn
    repeat: int = 1
    every: int = 1
    active: Callable[[int], bool] | None = None
    after_step: Callable[[], None] | None = None
    needs_batch: bool = True
