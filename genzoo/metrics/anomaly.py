"""Anomaly detection with any model that can ``reconstruct``: scores, thresholds, ROC AUC.

The threshold and its protocol live in the entry's ``anomaly.json`` (written by
``genzoo anomaly NAME --calibrate``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch

from genzoo.errors import CapabilityError

FILE = "anomaly.json"


@torch.no_grad()
def anomaly_scores(model: Any, x: torch.Tensor, batch: int = 500) -> torch.Tensor:
    """Per-sample reconstruction error (mean squared error over pixels); high for anomalies."""
    if "reconstruct" not in model.capabilities:
        raise CapabilityError(f"{model.spec.family} models cannot reconstruct")
    out = []
    for i in range(0, len(x), batch):
        xb = x[i : i + batch]
        out.append(((model.reconstruct(xb) - xb) ** 2).flatten(1).mean(1))
    return torch.cat(out)


def calibrate_threshold(normal_scores: torch.Tensor, quantile: float = 0.99) -> float:
    """The ``quantile`` of the scores of held-out normal data."""
    return float(torch.quantile(normal_scores.double(), quantile))


def roc_auc(normal: torch.Tensor, anomalous: torch.Tensor) -> float:
    """P(score of an anomaly > score of a normal sample), ties counting half."""
    a, n = anomalous.double().view(-1, 1), normal.double().view(1, -1)
    return float(((a > n).double() + 0.5 * (a == n).double()).mean())


def load_threshold(folder: Path) -> dict[str, Any] | None:
    """The calibration stored in an entry folder, if any."""
    p = Path(folder) / FILE
    return json.loads(p.read_text()) if p.is_file() else None
