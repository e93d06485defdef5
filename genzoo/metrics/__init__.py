"""Evaluation metrics as pure tensor functions on feature matrices (N×D).

* :func:`frechet_distance` — ‖μ₁ − μ₂‖² + Tr(Σ₁ + Σ₂ − 2 (Σ₁^½ Σ₂ Σ₁^½)^½), the FID formula
  (Heusel et al. 2017) in any feature space.
* :func:`kernel_inception_distance` — unbiased MMD² with the cubic polynomial kernel
  k(x, y) = (xᵀy / d + 1)³ over random subsets, mean and standard deviation (Bińkowski et al.
  2018).
* :func:`precision_recall` — improved precision and recall (Kynkäänniemi et al. 2019): the
  fraction of fakes inside the real manifold (k-NN balls) and vice versa.

All computations run in float64 on the CPU for stable results. Features come from an extractor
(:mod:`genzoo.metrics.extractors`).
"""

from __future__ import annotations

import torch


def _f64(x: torch.Tensor) -> torch.Tensor:
    return torch.as_tensor(x).detach().to("cpu", torch.float64)


def mean_cov(features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean (D) and unbiased covariance (D×D) of N×D features."""
    f = _f64(features)
    if f.ndim != 2 or len(f) < 2:
        raise ValueError(f"need an N×D feature matrix with N ≥ 2, got {tuple(f.shape)}")
    mu = f.mean(0)
    c = f - mu
    return mu, c.T @ c / (len(f) - 1)


def _sqrt_psd(m: torch.Tensor) -> torch.Tensor:
    vals, vecs = torch.linalg.eigh((m + m.T) / 2)
    return (vecs * vals.clamp_min(0).sqrt()) @ vecs.T


def frechet_distance_stats(
    mu1: torch.Tensor, sigma1: torch.Tensor, mu2: torch.Tensor, sigma2: torch.Tensor
) -> float:
    """Fréchet distance between N(μ₁, Σ₁) and N(μ₂, Σ₂).

    Tr((Σ₁Σ₂)^½) is computed as Σ √λᵢ of the symmetric PSD matrix Σ₁^½ Σ₂ Σ₁^½, which has the
    same eigenvalues as Σ₁Σ₂ and avoids complex square roots.
    """
    mu1, mu2, s1, s2 = map(_f64, (mu1, mu2, sigma1, sigma2))
    r1 = _sqrt_psd(s1)
    m = r1 @ s2 @ r1
    tr_sqrt = torch.linalg.eigvalsh((m + m.T) / 2).clamp_min(0).sqrt().sum()
    d = ((mu1 - mu2) ** 2).sum() + torch.trace(s1) + torch.trace(s2) - 2 * tr_sqrt
    return float(d.clamp_min(0))


def frechet_distance(real: torch.Tensor, fake: torch.Tensor) -> float:
    """Fréchet distance between Gaussians fitted to two feature sets."""
    return frechet_distance_stats(*mean_cov(real), *mean_cov(fake))


def kernel_inception_distance(
    real: torch.Tensor,
    fake: torch.Tensor,
    *,
    subsets: int = 100,
    subset_size: int = 1000,
    seed: int = 0,
) -> tuple[float, float]:
    """Unbiased KID: mean and standard deviation of MMD² over random subsets.

    MMD²_u = 1/(m(m−1)) Σ_{i≠j} k(xᵢ,xⱼ) + 1/(m(m−1)) Σ_{i≠j} k(yᵢ,yⱼ) − 2/m² Σ_{i,j} k(xᵢ,yⱼ)
    with k(x, y) = (xᵀy / d + 1)³.
    """
    x, y = _f64(real), _f64(fake)
    d = x.shape[1]
    m = min(subset_size, len(x), len(y))
    if m < 2:
        raise ValueError("KID needs at least 2 samples in each set")
    g = torch.Generator().manual_seed(seed)
    vals = []
    for _ in range(subsets):
        a = x[torch.randperm(len(x), generator=g)[:m]]
        b = y[torch.randperm(len(y), generator=g)[:m]]
        kxx = (a @ a.T / d + 1) ** 3
        kyy = (b @ b.T / d + 1) ** 3
        kxy = (a @ b.T / d + 1) ** 3
        sxx = (kxx.sum() - kxx.diagonal().sum()) / (m * (m - 1))
        syy = (kyy.sum() - kyy.diagonal().sum()) / (m * (m - 1))
        vals.append(float(sxx + syy - 2 * kxy.mean()))
    t = torch.tensor(vals, dtype=torch.float64)
    return float(t.mean()), float(t.std()) if len(vals) > 1 else 0.0


def _kth_radius(f: torch.Tensor, k: int, batch: int = 2048) -> torch.Tensor:
    """Distance from each row to its k-th nearest other row."""
    out = []
    for i in range(0, len(f), batch):
        d = torch.cdist(f[i : i + batch], f)
        out.append(d.kthvalue(k + 1, dim=1).values)  # +1: the point itself at distance 0
    return torch.cat(out)


def _coverage(
    query: torch.Tensor, ref: torch.Tensor, radii: torch.Tensor, batch: int = 2048
) -> float:
    inside = []
    for i in range(0, len(query), batch):
        d = torch.cdist(query[i : i + batch], ref)
        inside.append((d <= radii[None]).any(1))
    return float(torch.cat(inside).double().mean())


def precision_recall(real: torch.Tensor, fake: torch.Tensor, *, k: int = 3) -> tuple[float, float]:
    """Improved precision (fakes inside real k-NN balls) and recall (reals inside fake balls)."""
    x, y = _f64(real), _f64(fake)
    if min(len(x), len(y)) <= k:
        raise ValueError(f"precision/recall with k={k} needs more than {k} samples per set")
    precision = _coverage(y, x, _kth_radius(x, k))
    recall = _coverage(x, y, _kth_radius(y, k))
    return precision, recall
