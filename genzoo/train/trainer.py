"""The one generic trainer: runs a family's phases on a schedule that is data.

Per step: every active :class:`~genzoo.train.phases.Phase` runs ``repeat`` times (each on a fresh
batch), zeroing, back-propagating and stepping the optimizers of its networks; then the EMA
network is updated. Every ``log_every`` steps a JSON line goes to ``metrics.jsonl``; every
``sample_every`` steps a grid from fixed latents goes to ``samples/``; every
``checkpoint_every`` steps an atomic checkpoint is written. ``resume=True`` continues from the
checkpoint bit for bit (same RNG states, CUDA's included, same data position).

With ``training.amp`` the phases' losses run under autocast: bf16 on CPU (no scaling needed)
and fp16 on CUDA, where each phase has a :class:`torch.amp.GradScaler` (saved in checkpoints)
that scales its loss before back-propagating and skips steps whose gradients overflow.

Under ``torchrun`` (``WORLD_SIZE`` > 1) each process takes its slice of every global batch and
gradients are averaged across processes before each optimizer step (gloo on CPU, NCCL on GPU),
which gives the same update as one process with the whole batch for models without batch
statistics.
"""

from __future__ import annotations

import copy
import json
import logging
import os
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from genzoo.data import ArrayDataset
from genzoo.errors import DataError, SpecError
from genzoo.model import GenerativeModel
from genzoo.registry import Registries
from genzoo.spec.model import OptimizerSpec, TrainingSpec
from genzoo.train.checkpoint import (
    global_rng_states,
    load_checkpoint,
    restore_global_rng_states,
    save_checkpoint,
)
from genzoo.train.phases import Batch, Phase, ResolvedLoss, TrainContext

log = logging.getLogger(__name__)

CHECKPOINT = "checkpoint.safetensors"


@dataclass
class DataStream:
    """Seeded, resumable batches: a fresh permutation per epoch; position (epoch, index)."""

    data: ArrayDataset
    batch_size: int
    seed: int
    epoch: int = 0
    index: int = 0
    _perm: torch.Tensor | None = field(default=None, repr=False)

    def _permutation(self) -> torch.Tensor:
        if self._perm is None:
            g = torch.Generator().manual_seed(self.seed * 1_000_003 + self.epoch)
            self._perm = torch.randperm(len(self.data), generator=g)
        return self._perm

    def next_indices(self, batch_size: int | None = None) -> torch.Tensor:
        """Indices of the next global batch (drops the ragged end of each epoch)."""
        bs = batch_size or self.batch_size
        if bs > len(self.data):
            raise DataError(f"batch size {bs} is larger than the data ({len(self.data)} samples)")
        if self.index + bs > len(self.data):
            self.epoch, self.index, self._perm = self.epoch + 1, 0, None
        idx = self._permutation()[self.index : self.index + bs]
        self.index += bs
        return idx

    def state(self) -> dict[str, int]:
        return {"epoch": self.epoch, "index": self.index}

    def restore(self, state: dict[str, int]) -> None:
        self.epoch, self.index, self._perm = int(state["epoch"]), int(state["index"]), None


def make_optimizer(spec: OptimizerSpec, params: Any) -> torch.optim.Optimizer:
    """An optimizer from its spec."""
    if spec.name == "adam":
        return torch.optim.Adam(
            params, lr=spec.lr, betas=spec.betas, weight_decay=spec.weight_decay
        )
    if spec.name == "rmsprop":
        return torch.optim.RMSprop(params, lr=spec.lr, weight_decay=spec.weight_decay)
    return torch.optim.SGD(params, lr=spec.lr, weight_decay=spec.weight_decay)


def progress_postfix(images_per_second: float, logs: dict[str, float]) -> dict[str, str]:
    """What the progress bar shows after the step count: images/s, then every value the step
    logged (all of them: WGAN-GP's g_loss comes after four critic values), 3 digits each."""
    ips = images_per_second
    out = {"img/s": f"{ips:.0f}" if ips >= 10 else f"{ips:.1f}"}
    out.update({k: f"{v:.3g}" for k, v in logs.items()})
    return out


def make_grad_scaler(device: torch.device, amp: bool) -> torch.amp.GradScaler | None:
    """A gradient scaler where mixed precision needs one: fp16 autocast on CUDA. bf16 (the CPU's
    autocast type) has float32's range, so it needs none."""
    if not amp or device.type != "cuda":
        return None
    return torch.amp.GradScaler("cuda")


def resolve_losses(recipe: TrainingSpec, registries: Registries) -> dict[str, ResolvedLoss]:
    """``training.losses`` bound to their functions (done once, outside the hot loop)."""
    out = {}
    for role, ref in recipe.losses.items():
        fn = registries.losses.get(ref.name).function()
        out[role] = ResolvedLoss(ref.name, fn, ref.weight, dict(ref.params))
    return out


def _rank_device(device: torch.device) -> torch.device:
    """Under torchrun each process takes its own GPU: ``cuda`` becomes ``cuda:LOCAL_RANK``
    (NCCL refuses two ranks on one device). An explicit index, or the CPU, is kept."""
    if device.type == "cuda" and device.index is None and "LOCAL_RANK" in os.environ:
        device = torch.device("cuda", int(os.environ["LOCAL_RANK"]))
    if device.type == "cuda":
        torch.cuda.set_device(device)
    return device


class _Dist:
    """torch.distributed when launched by torchrun, else a single process."""

    def __init__(self, device: torch.device) -> None:
        self.world = int(os.environ.get("WORLD_SIZE", "1"))
        self.rank = int(os.environ.get("RANK", "0"))
        self.enabled = self.world > 1
        if self.enabled:
            import torch.distributed as dist

            if not dist.is_initialized():
                dist.init_process_group("nccl" if device.type == "cuda" else "gloo")

    def all_reduce_grads(self, params: list[torch.nn.Parameter]) -> None:
        if not self.enabled:
            return
        import torch.distributed as dist

        grads = [p.grad for p in params if p.grad is not None]
        if not grads:
            return
        flat = torch.cat([g.reshape(-1) for g in grads])
        dist.all_reduce(flat)
        flat /= self.world
        offset = 0
        for g in grads:
            n = g.numel()
            g.copy_(flat[offset : offset + n].view_as(g))
            offset += n

    def barrier(self) -> None:
        if self.enabled:
            import torch.distributed as dist

            dist.barrier()


@dataclass
class TrainResult:
    """What a run produced."""

    steps: int
    seconds: float
    images_per_second: float
    last_metrics: dict[str, float]
    out_dir: Path
    sessions: int = 1
    """How many runs (the first plus each ``--resume``) the training took; ``seconds`` and
    ``images_per_second`` cover all of them, as recorded in the checkpoint."""


class Trainer:
    """Runs a model's training phases.

    Args:
        model: a freshly built (or loaded) model whose spec has a ``training`` recipe.
        data: the training data.
        registries: the zoo's registries (to resolve losses).
        out_dir: run folder (checkpoint, metrics.jsonl, samples/).
        device: torch device (CPU by default).
        steps: override of ``training.steps``.
        progress: show a progress bar.
        on_step: callback ``on_step(step, metrics)`` after each logged step (e.g. the app).
    """

    def __init__(
        self,
        model: GenerativeModel,
        data: ArrayDataset,
        registries: Registries,
        out_dir: str | Path,
        *,
        device: str | torch.device = "cpu",
        steps: int | None = None,
        progress: bool = True,
        on_step: Callable[[int, dict[str, float]], None] | None = None,
    ) -> None:
        if model.spec.training is None:
            raise SpecError(f"spec {model.spec.name!r} has no `training` recipe")
        self.recipe: TrainingSpec = model.spec.training
        self.device = _rank_device(torch.device(device))
        self.dist = _Dist(self.device)
        model.fit_data(data)
        self.model = model.to(self.device).train()
        self.data = data
        self.out = Path(out_dir)
        self.total_steps = steps or self.recipe.steps
        self.progress = progress and self.dist.rank == 0
        self.on_step = on_step
        gen = torch.Generator().manual_seed(self.recipe.seed + 1)
        self.ctx = TrainContext(
            recipe=self.recipe,
            losses=resolve_losses(self.recipe, registries),
            device=self.device,
            generator=gen,
            options=dict(self.recipe.options),
            world_size=self.dist.world,
            rank=self.dist.rank,
            loss_registry=registries.losses,
        )
        self.phases: list[Phase] = model.training_phases(self.ctx)
        nets = model.networks
        self.optimizers: dict[str, torch.optim.Optimizer] = {}
        for phase in self.phases:
            for name in phase.networks:
                if name not in nets:
                    raise SpecError(f"phase {phase.name!r} names unknown network {name!r}")
                if name not in self.optimizers:
                    # a network without its own optimizer uses that of the phase's first network
                    ospec = (
                        self.recipe.optimizers.get(name)
                        or self.recipe.optimizers.get(phase.networks[0])
                        or OptimizerSpec()
                    )
                    self.optimizers[name] = make_optimizer(ospec, nets[name].parameters())
        self.ema: dict[str, torch.nn.Module] = {}
        if self.recipe.ema is not None and self.recipe.ema.beta > 0:
            name = self.recipe.ema.network
            if name not in nets:
                raise SpecError(f"training.ema.network: unknown network {name!r}")
            self.ema[name] = copy.deepcopy(nets[name]).eval().requires_grad_(False)
        self.stream = DataStream(data, self.recipe.batch_size, self.recipe.seed)
        # one scaler per phase: an overflow in D's loss must not shrink G's scale
        self.scalers: list[torch.amp.GradScaler | None] = [
            make_grad_scaler(self.device, self.recipe.amp) for _ in self.phases
        ]
        self.step = 0
        self._t0: float | None = None
        self._session_images = 0
        self._seconds_before = 0.0
        self._images_before = 0
        self._sessions = 1
        self._step_batch: int | None = None
        self.sample_z = model.sample_latent(
            64 if model.spec.data.kind == "image" else 16, torch.Generator().manual_seed(12345)
        )
        if self.recipe.batch_size % self.dist.world:
            raise SpecError(
                f"training.batch_size {self.recipe.batch_size} is not divisible by "
                f"{self.dist.world} processes"
            )

    # -- state ---------------------------------------------------------------------------------
    @property
    def checkpoint_path(self) -> Path:
        return self.out / CHECKPOINT

    def save(self) -> None:
        """Write an atomic checkpoint (rank 0 only)."""
        if self.dist.rank != 0:
            return
        save_checkpoint(
            self.checkpoint_path,
            model=self.model,
            ema=self.ema,
            optimizers=self.optimizers,
            state={
                "step": self.step,
                "data": self.stream.state(),
                "total_steps": self.total_steps,
                "seconds": self._seconds_before + self._session_seconds(),
                "images": self._images_before + self._session_images,
                "sessions": self._sessions,
                "grad_scalers": [None if sc is None else sc.state_dict() for sc in self.scalers],
            },
            rng={**global_rng_states(), "trainer": self.ctx.generator.get_state()},
        )

    def resume(self) -> bool:
        """Continue from ``out_dir``'s checkpoint if there is one."""
        if not self.checkpoint_path.is_file():
            return False
        state, rng = load_checkpoint(
            self.checkpoint_path, model=self.model, ema=self.ema, optimizers=self.optimizers
        )
        self.step = int(state["step"])
        self.stream.restore(state["data"])
        # wall time and images of the earlier sessions, so the card reports the whole run
        self._seconds_before = float(state.get("seconds", 0.0))
        self._images_before = int(state.get("images", 0))
        self._sessions = int(state.get("sessions", 1)) + 1
        restore_global_rng_states(rng)
        self.ctx.generator.set_state(rng["trainer"])
        scalers = state.get("grad_scalers") or []
        for scaler, saved in zip(self.scalers, scalers, strict=False):
            if scaler is not None and saved:
                scaler.load_state_dict(saved)
        log.info("resumed from %s at step %d", self.checkpoint_path, self.step)
        return True

    # -- loop ----------------------------------------------------------------------------------
    def _batch(self) -> Batch:
        idx = self.stream.next_indices(self._step_batch)
        if self.dist.enabled:
            per = len(idx) // self.dist.world
            idx = idx[self.dist.rank * per : (self.dist.rank + 1) * per]
        x = self.data.x[idx].to(self.device, non_blocking=True)
        y = None if self.data.y is None else self.data.y[idx].to(self.device)
        return Batch(x, y)

    def _autocast(self) -> Any:
        if not self.recipe.amp:
            return nullcontext()
        dtype = torch.float16 if self.device.type == "cuda" else torch.bfloat16
        return torch.autocast(self.device.type, dtype=dtype)

    def _run_phase(
        self,
        phase: Phase,
        batch: Batch | None,
        logs: dict[str, float],
        scaler: torch.amp.GradScaler | None = None,
    ) -> Batch | None:
        nets = self.model.networks
        for _ in range(phase.repeat):
            if phase.needs_batch or batch is None:
                batch = self._batch()
            for name in phase.networks:
                self.optimizers[name].zero_grad(set_to_none=True)
            with self._autocast():
                loss, items = phase.loss(batch, self.ctx)
            (loss if scaler is None else scaler.scale(loss)).backward()
            for name in phase.networks:
                # averaging scaled gradients is fine: the scaler unscales (and checks) after it
                self.dist.all_reduce_grads(list(nets[name].parameters()))
                if scaler is None:
                    self.optimizers[name].step()
                else:
                    scaler.step(self.optimizers[name])
            if scaler is not None:
                scaler.update()
            if phase.after_step is not None:
                phase.after_step()
            logs.update(items)
        return batch

    def _apply_step_settings(self) -> None:
        settings = self.model.step_settings(self.step) or {}
        self._step_batch = settings.get("batch_size")
        if self._step_batch is not None and self._step_batch % self.dist.world:
            raise SpecError(
                f"batch size {self._step_batch} at step {self.step} is not divisible by "
                f"{self.dist.world} processes"
            )
        for name, lr in (settings.get("lr") or {}).items():
            for group in self.optimizers[name].param_groups:
                group["lr"] = lr

    @torch.no_grad()
    def _update_ema(self) -> None:
        if not self.ema:
            return
        assert self.recipe.ema is not None
        beta = self.recipe.ema.beta if self.step >= self.recipe.ema.start else 0.0
        nets = self.model.networks
        for name, avg in self.ema.items():
            src = nets[name]
            for pa, p in zip(avg.parameters(), src.parameters(), strict=True):
                pa.lerp_(p.detach(), 1 - beta)
            for ba, b in zip(avg.buffers(), src.buffers(), strict=True):
                ba.copy_(b)

    def sampling_model(self) -> GenerativeModel:
        """A copy of the model in eval mode with EMA weights where they exist."""
        m = copy.deepcopy(self.model).eval()
        for name, avg in self.ema.items():
            getattr(m, name).load_state_dict(avg.state_dict())
        return m

    def run(self, *, resume: bool = False, stop_after: int | None = None) -> TrainResult:
        """Train until ``total_steps`` (or ``stop_after`` more steps, for tests and chunks)."""
        if resume:
            self.resume()
        self.out.mkdir(parents=True, exist_ok=True)
        end = (
            self.total_steps
            if stop_after is None
            else min(self.total_steps, self.step + stop_after)
        )
        bar = None
        if self.progress:
            from tqdm.auto import tqdm

            bar = tqdm(
                total=self.total_steps, initial=self.step, desc=self.model.spec.name, unit="step"
            )
        t0 = self._t0 = time.perf_counter()
        images = self._session_images = 0
        logs: dict[str, float] = {}
        metrics_file = self.out / "metrics.jsonl"
        while self.step < end:
            self.ctx.step = self.step
            self._apply_step_settings()
            batch = None
            logs = {}
            for phase, scaler in zip(self.phases, self.scalers, strict=True):
                if self.step % phase.every or (
                    phase.active is not None and not phase.active(self.step)
                ):
                    continue
                batch = self._run_phase(phase, batch, logs, scaler)
                images += (
                    (self._step_batch or self.recipe.batch_size)
                    * phase.repeat
                    * (phase.needs_batch)
                )
                self._session_images = images
            self._update_ema()
            self.step += 1
            elapsed = time.perf_counter() - t0
            rate = images / elapsed if elapsed > 0 else 0.0
            if bar is not None:
                bar.set_postfix(progress_postfix(rate, logs), refresh=False)
                bar.update(1)
            if self.dist.rank == 0 and (self.step % self.recipe.log_every == 0 or self.step == end):
                line = {"step": self.step, "images_per_s": round(rate, 2), **logs}
                with metrics_file.open("a") as f:
                    f.write(json.dumps(line) + "\n")
                if self.on_step:
                    self.on_step(self.step, line)
            if self.dist.rank == 0 and self.step % self.recipe.sample_every == 0:
                self.write_samples()
            if self.step % self.recipe.checkpoint_every == 0 or self.step == end:
                self.save()
        if bar is not None:
            bar.close()
        self.dist.barrier()
        seconds = self._seconds_before + (time.perf_counter() - t0)
        images += self._images_before
        return TrainResult(
            self.step, seconds, images / max(seconds, 1e-9), logs, self.out, self._sessions
        )

    def _session_seconds(self) -> float:
        return time.perf_counter() - self._t0 if self._t0 is not None else 0.0

    def write_samples(self) -> Path | None:
        """A grid from fixed latents of the current (EMA) model."""
        if self.model.spec.data.kind != "image":
            return None
        from genzoo.imaging import save_grid

        m = self.sampling_model()
        with torch.no_grad():
            labels = m.make_labels(len(self.sample_z), None)
            x = m.decode(
                self.sample_z.to(self.device),
                labels=None if labels is None else labels.to(self.device),
            )
        path = self.out / "samples" / f"step_{self.step:07d}.png"
        save_grid(x, path)
        return path
