"""Training checkpoints as safetensors: networks, optimizers, EMA, step, RNG states, data position.

genzoo writes only safetensors, so optimizer state is flattened into tensors
(``optim.<net>.<param index>.<key>``) and the rest (param groups, counters) into JSON metadata.
Writes are atomic: after a crash the previous complete checkpoint is still there.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch

from genzoo.errors import WeightsError
from genzoo.weights import read_metadata, read_tensors, save_tensors


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
