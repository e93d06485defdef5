"""Utility of RadialGAN augmentation, measured as the paper does.

For a target domain j: split its real rows into train/test (stratified, seeded); train a
predictor of the label on (a) the real training rows alone and (b) those rows plus every other
domain's training rows translated into j by G_j(E_i(x_i)); report held-out AUROC and accuracy of
both and the gain. Also per-column statistics and pairwise correlations of synthetic versus
real rows. The model is trained only on the training rows of every domain.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def _xy(table: dict[str, np.ndarray], label: str, positive: str) -> tuple[np.ndarray, np.ndarray]:
    feats = [k for k in sorted(table) if k != label]
    x = np.stack([np.asarray(table[k], dtype=np.float64) for k in feats], 1)
    return x, (np.asarray(table[label]).astype(str) == positive).astype(int)


def predictor_scores(
    train: dict[str, np.ndarray], test: dict[str, np.ndarray], label: str, positive: str, seed: int
) -> tuple[float, float]:
    """Held-out AUROC and accuracy of a standardised logistic regression."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import accuracy_score, roc_auc_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    xtr, ytr = _xy(train, label, positive)
    xte, yte = _xy(test, label, positive)
    clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000, random_state=seed))
    clf.fit(xtr, ytr)
    p = clf.predict_proba(xte)[:, 1]
    return float(roc_auc_score(yte, p)), float(accuracy_score(yte, p > 0.5))


def split_table(
    table: dict[str, np.ndarray], label: str, holdout: float, seed: int
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Stratified, shuffled split of named columns."""
    from sklearn.model_selection import train_test_split

    n = len(table[label])
    tr, te = train_test_split(
        np.arange(n), test_size=holdout, random_state=seed, stratify=np.asarray(table[label])
    )
    return {k: np.asarray(v)[tr] for k, v in table.items()}, {
        k: np.asarray(v)[te] for k, v in table.items()
    }


def column_report(real: dict[str, np.ndarray], fake: dict[str, np.ndarray]) -> dict[str, Any]:
    """Per-column mean/std of real vs synthetic, their summary across columns, and the mean
    absolute difference of pairwise correlations of the continuous columns.

    ``summary``: ``mean_abs_std_mean_diff`` (mean over columns of |fake mean − real mean| /
    real std), ``mean_std_ratio`` (mean over columns of fake std / real std; 1 is a match),
    and the column with the largest standardised mean difference."""
    cont = [k for k in real if np.asarray(real[k]).dtype.kind in "fi"]
    cols = {
        k: {
            "real_mean": float(np.mean(real[k])),
            "fake_mean": float(np.mean(fake[k])),
            "real_std": float(np.std(real[k])),
            "fake_std": float(np.std(fake[k])),
        }
        for k in cont
    }
    if len(cont) > 1:
        cr = np.corrcoef(np.stack([np.asarray(real[k], float) for k in cont]))
        cf = np.corrcoef(np.stack([np.asarray(fake[k], float) for k in cont]))
        corr = float(np.nanmean(np.abs(cr - cf)[np.triu_indices(len(cont), 1)]))
    else:
        corr = 0.0
    return {"columns": cols, "summary": _summary(cols), "mean_abs_corr_diff": corr}


def _summary(cols: dict[str, dict[str, float]]) -> dict[str, Any]:
    if not cols:
        return {}
    smd, ratio = {}, {}
    for k, c in cols.items():
        scale = c["real_std"] if c["real_std"] > 0 else 1.0  # a constant real column
        smd[k] = abs(c["fake_mean"] - c["real_mean"]) / scale
        ratio[k] = c["fake_std"] / scale
    worst = max(smd, key=lambda k: smd[k])
    return {
        "columns": len(cols),
        "mean_abs_std_mean_diff": float(np.mean(list(smd.values()))),
        "mean_std_ratio": float(np.mean(list(ratio.values()))),
        "worst_column": worst,
        "worst_abs_std_mean_diff": float(smd[worst]),
    }
