"""Training checkpoints as safetensors: networks, optimizers, EMA, step, RNG states, data position.

genzoo writes only safetensors, so optimizer state is flattened into tensors
(``optim.<net>.<param index>.<key>``) and the rest (param groups, counters) into JSON metadata.
RNG states are tensors ``rng.<name>``: torch's CPU generator (``rng.torch``), the trainer's own
(``rng.trainer``) and, when CUDA is available, one per visible GPU (``rng.cuda.<index>``).
Writes are atomic: after a crash the previous complete checkpoint is still there.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import torch

from genzoo.errors import WeightsError
from genzoo.weights import read_metadata, read_tensors, save_tensors

log = logging.getLogger(__name__)


def global_rng_states() -> dict[str, torch.Tensor]:
    """torch's global RNG states: the CPU one and, when CUDA is available, every GPU's
    (``cuda.<index>``); nothing for CUDA on a machine without it."""
    states = {"torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        for i, st in enumerate(torch.cuda.get_rng_state_all()):
            states[f"cuda.{i}"] = st.cpu()
    return states


def restore_global_rng_states(rng: dict[str, torch.Tensor]) -> None:
    """Set what :func:`global_rng_states` saved. GPU states are restored when CUDA is available
    (as many as there are both states and GPUs); a checkpoint without them (written on a CPU)
    leaves the GPUs' generators as they are, and GPU states on a machine without CUDA are
    ignored, each with a log line, never an error."""
    if "torch" in rng:
        torch.set_rng_state(rng["torch"])
    cuda = [rng[k] for k in sorted((k for k in rng if k.startswith("cuda.")), key=_index)]
    if not torch.cuda.is_available():
        if cuda:
            log.info("checkpoint holds %d CUDA RNG state(s); no CUDA here: not restored", len(cuda))
        return
    if not cuda:
        log.info("checkpoint holds no CUDA RNG state (written without CUDA); GPUs keep theirs")
        return
    n = torch.cuda.device_count()
    if len(cuda) != n:
        log.warning(
            "checkpoint holds %d CUDA RNG state(s), %d GPU(s) here: restoring the first %d",
            len(cuda),
            n,
            min(n, len(cuda)),
        )
    torch.cuda.set_rng_state_all(cuda[:n])


def _index(key: str) -> int:
    return int(key.rsplit(".", 1)[1])


def save_checkpoint(
    path: Path,
    *,
    model: torch.nn.Module,
    ema: dict[str, torch.nn.Module],
    optimizers: dict[str, torch.optim.Optimizer],
    state: dict[str, Any],
    rng: dict[str, torch.Tensor],
) -> None:
    """Write a checkpoint atomically."""
    tensors: dict[str, torch.Tensor] = {}
    for k, v in model.state_dict().items():
        tensors[f"model.{k}"] = v
    for net, module in ema.items():
        for k, v in module.state_dict().items():
            tensors[f"ema.{net}.{k}"] = v
    groups: dict[str, Any] = {}
    scalars: dict[str, Any] = {}
    for net, opt in optimizers.items():
        sd = opt.state_dict()
        groups[net] = sd["param_groups"]
        for idx, st in sd["state"].items():
            for key, val in st.items():
                if isinstance(val, torch.Tensor):
                    tensors[f"optim.{net}.{idx}.{key}"] = val.reshape(val.shape)
                else:
                    scalars[f"{net}.{idx}.{key}"] = val
    for k, v in rng.items():
        tensors[f"rng.{k}"] = v
    meta = {
        "format": "genzoo-checkpoint",
        "state": state,
        "param_groups": groups,
        "optim_scalars": scalars,
    }
    save_tensors(tensors, path, {k: json.dumps(v) for k, v in meta.items()})


def load_checkpoint(
    path: Path,
    *,
    model: torch.nn.Module,
    ema: dict[str, torch.nn.Module],
    optimizers: dict[str, torch.optim.Optimizer],
) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
    """Restore a checkpoint in place; returns the trainer state and the RNG states."""
    meta = {k: json.loads(v) for k, v in read_metadata(path).items()}
    if meta.get("format") != "genzoo-checkpoint":
        raise WeightsError(f"{path}: not a genzoo training checkpoint")
    tensors = read_tensors(path)

    def take(prefix: str) -> dict[str, torch.Tensor]:
        return {k[len(prefix) :]: v for k, v in tensors.items() if k.startswith(prefix)}

    _load_strict(model, take("model."), f"{path} (model)")
    for net, module in ema.items():
        _load_strict(module, take(f"ema.{net}."), f"{path} (ema {net})")
    for net, opt in optimizers.items():
        if net not in meta["param_groups"]:
            raise WeightsError(f"{path}: no optimizer state for network {net!r}")
        state: dict[int, dict[str, Any]] = {}
        for k, v in take(f"optim.{net}.").items():
            idx, key = k.split(".", 1)
            state.setdefault(int(idx), {})[key] = v
        for k, v in meta["optim_scalars"].items():
            n, idx, key = k.split(".", 2)
            if n == net:
                state.setdefault(int(idx), {})[key] = v
        opt.load_state_dict({"state": state, "param_groups": meta["param_groups"][net]})
    return meta["state"], take("rng.")


def _load_strict(module: torch.nn.Module, tensors: dict[str, torch.Tensor], source: str) -> None:
    from genzoo.weights import check_tensors

    check_tensors(module.state_dict(), tensors, source)
    module.load_state_dict(tensors, strict=True)
