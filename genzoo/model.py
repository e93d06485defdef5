"""The one runtime interface every built model offers.

The CLI, the app, the Hub code, the metrics and the latent tools talk to models only through
:class:`GenerativeModel`, so none of them branches on the family. Conventions:

* images are NCHW float tensors in [-1, 1]; tabular samples are dicts of named columns;
* state-dict keys are prefixed by the network name (``G.``, ``D.``, ``E.``);
* ``sample(n, seed=s)`` draws the latents on the CPU from ``torch.Generator().manual_seed(s)``,
  so one seed gives one image on every device.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import torch
from torch import nn

from genzoo.errors import CapabilityError, GenzooError
from genzoo.spec.model import ImageData, ModelSpec

if TYPE_CHECKING:
    from genzoo.train.phases import Phase, TrainContext


@dataclass(frozen=True)
class LatentSpace:
    """A latent space: ``z`` (the prior) or ``w`` (after a mapping network), etc."""

    name: str
    shape: tuple[int, ...]
    prior: str  # "normal", "uniform" or "learned"


Labels = int | Sequence[int] | torch.Tensor | None


class GenerativeModel(nn.Module):
    """Base class of every family's model.

    Subclasses create their networks as child modules (``self.G``, ``self.D``, ...) in
    ``__init__(spec)`` and implement :meth:`decode`; families with an inference network also
    implement :meth:`encode`. Training is described by :meth:`training_phases`.

    Class attributes:
        sampling_networks: networks saved in an entry's ``model.safetensors`` (what sampling
            and encoding need); the trainer's checkpoints hold all networks.
        capabilities: what the model can do: ``sample``, ``encode``, ``reconstruct``,
            ``truncate``, ``style_mix``, ``translate``, ``grow``...
    """

    sampling_networks: ClassVar[tuple[str, ...]] = ("G",)
    capabilities: ClassVar[frozenset[str]] = frozenset({"sample"})

    def __init__(self, spec: ModelSpec) -> None:
        super().__init__()
        self.spec = spec

    # -- description ---------------------------------------------------------------------------
    @property
    def arch(self) -> Any:
        """The family's validated arch block."""
        return self.spec.arch

    @property
    def networks(self) -> dict[str, nn.Module]:
        """Named networks (the model's direct child modules)."""
        return dict(self.named_children())

    @property
    def latent_spaces(self) -> dict[str, LatentSpace]:
        """Latent spaces by name; ``z`` is the space :meth:`decode` takes."""
        assert self.spec.latent is not None
        return {"z": LatentSpace("z", (self.spec.latent.dim,), self.spec.latent.prior)}

    @property
    def num_classes(self) -> int:
        """Number of classes (0 for unconditional models)."""
        c = self.spec.conditions
        return c.count if c is not None and c.kind == "class" else 0

    @property
    def device(self) -> torch.device:
        """Device of the model's parameters (CPU when it has none)."""
        for p in self.parameters():
            return p.device
        return torch.device("cpu")

    # -- sampling ------------------------------------------------------------------------------
    def sample_latent(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """Draw ``n`` latents from the prior on the CPU."""
        shape = (n, *self.latent_spaces["z"].shape)
        if self.latent_spaces["z"].prior == "uniform":
            return torch.rand(shape, generator=generator) * 2 - 1
        return torch.randn(shape, generator=generator)

    def make_labels(self, n: int, labels: Labels) -> torch.Tensor | None:
        """Labels as a LongTensor of length ``n`` (cycling 0..C-1 when None), or None."""
        if self.num_classes == 0:
            if labels is not None:
                raise CapabilityError(f"{self.spec.name} is unconditional: it takes no labels")
            return None
        if labels is None:
            t = torch.arange(n) % self.num_classes
        elif isinstance(labels, int):
            t = torch.full((n,), labels, dtype=torch.long)
        else:
            t = torch.as_tensor(labels, dtype=torch.long).reshape(-1)
            if t.numel() == 1:
                t = t.expand(n).clone()
            elif t.numel() != n:
                raise CapabilityError(f"got {t.numel()} labels for {n} samples")
        if bool(((t < 0) | (t >= self.num_classes)).any()):
            bad = int(t[(t < 0) | (t >= self.num_classes)][0])
            raise CapabilityError(
                f"label {bad} is out of range: {self.spec.name} has classes "
                f"0..{self.num_classes - 1}"
            )
        return t

    @torch.no_grad()
    def sample(
        self,
        n: int,
        *,
        seed: int | None = None,
        labels: Labels = None,
        truncation: float | None = None,
        batch_size: int = 256,
    ) -> torch.Tensor:
        """``n`` samples; the same ``seed`` gives the same samples on any device.

        Args:
            n: number of samples.
            seed: seed of the latents (None: random).
            labels: class label(s) for conditional models (None: cycle through the classes).
            truncation: ψ in [0, 1]; pulls latents toward the average (None or 1: off).
            batch_size: samples per forward pass (bounds memory).
        """
        gen = torch.Generator()
        gen.manual_seed(seed if seed is not None else int(torch.seed() % 2**63))
        z = self.sample_latent(n, gen)
        y = self.make_labels(n, labels)
        outs = []
        for i in range(0, n, batch_size):
            zi = z[i : i + batch_size].to(self.device)
            yi = y[i : i + batch_size].to(self.device) if y is not None else None
            outs.append(self.decode(zi, labels=yi, truncation=truncation))
        return torch.cat(outs).cpu()

    def decode(
        self,
        z: torch.Tensor,
        *,
        labels: torch.Tensor | None = None,
        truncation: float | None = None,
    ) -> torch.Tensor:
        """Latents (and labels) to samples."""
        raise NotImplementedError

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Samples to latents (families with an inference network)."""
        raise CapabilityError(f"{self.spec.family} models cannot encode")

    def reconstruct(self, x: torch.Tensor) -> torch.Tensor:
        """``decode(encode(x))``."""
        return self.decode(self.encode(x))

    # -- training ------------------------------------------------------------------------------
    def training_phases(self, ctx: TrainContext) -> list[Phase]:
        """The phases of one training step (see :mod:`genzoo.train.phases`)."""
        raise CapabilityError(f"{self.spec.family} models are not trainable")

    def fit_data(self, data: Any) -> None:
        """Fit data-dependent buffers (e.g. column statistics) before training; default none."""

    def step_settings(self, step: int) -> dict[str, Any] | None:
        """Per-step changes to the recipe, for staged schedules (e.g. progressive growing).

        Return None (the default) or a dict with ``batch_size`` (global batch of this step)
        and/or ``lr`` (network name → learning rate). Called by the trainer before each step.
        """
        return None

    def sampling_state_dict(self) -> dict[str, torch.Tensor]:
        """Tensors of the sampling networks, keys prefixed by the network name."""
        keep = tuple(f"{n}." for n in self.sampling_networks)
        return {k: v for k, v in self.state_dict().items() if k.startswith(keep)}

    # -- helpers for families -----------------------------------------------------------------
    @property
    def image_shape(self) -> tuple[int, int, int]:
        """(C, H, W) of the generated images."""
        d = self.spec.data
        assert isinstance(d, ImageData), "not an image model"
        return (d.channels, d.size, d.size)


def check_device(device: str) -> str:
    """``device`` if this torch can use it, else a one-line :class:`GenzooError`."""
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise GenzooError(f"unknown device {device!r}: {exc}") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise GenzooError(
            f"device {device!r} is not available: this torch build has no usable CUDA "
            "(use --device cpu, or GENZOO_DEVICE=cpu)"
        )
    if dev.type == "cuda" and dev.index is not None and dev.index >= torch.cuda.device_count():
        raise GenzooError(f"device {device!r}: only {torch.cuda.device_count()} CUDA device(s)")
    if dev.type == "mps" and not torch.backends.mps.is_available():
        raise GenzooError(f"device {device!r} is not available on this machine")
    return device
