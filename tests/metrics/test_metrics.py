"""Metrics on cases with known answers."""

from __future__ import annotations

import math

import pytest
import torch

from genzoo.metrics import (
    frechet_distance,
    frechet_distance_stats,
    kernel_inception_distance,
    precision_recall,
)


def gaussian(n, d, shift=0.0, scale=1.0, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, d, generator=g, dtype=torch.float64) * scale + shift


def test_identical_sets_give_zero():
    x = gaussian(500, 8)
    assert frechet_distance(x, x) == pytest.approx(0.0, abs=1e-8)
    same, _ = kernel_inception_distance(x, x, subsets=20, subset_size=200)
    shifted, _ = kernel_inception_distance(
        x, gaussian(500, 8, shift=1.0, seed=5), subsets=20, subset_size=200
    )
    assert abs(same) < 0.02 * shifted


def test_closed_form_for_diagonal_gaussians():
    # N(0, I) vs N(m, s² I) in d dims: ‖m‖² + d (1 + s² − 2 s)
    d, m, s = 4, 0.5, 2.0
    mu1, mu2 = torch.zeros(d), torch.full((d,), m)
    fd = frechet_distance_stats(mu1, torch.eye(d), mu2, torch.eye(d) * s**2)
    assert fd == pytest.approx(d * m**2 + d * (1 + s**2 - 2 * s), rel=1e-9)


def test_closed_form_general_covariances():
    # 1-D: (μ1−μ2)² + σ1² + σ2² − 2 σ1 σ2
    fd = frechet_distance_stats(
        torch.tensor([1.0]), torch.tensor([[4.0]]), torch.tensor([3.0]), torch.tensor([[9.0]])
    )
    assert fd == pytest.approx(4 + 4 + 9 - 12)


def test_sample_fd_of_shifted_gaussians_approaches_closed_form():
    x, y = gaussian(20000, 3, seed=1), gaussian(20000, 3, shift=1.0, seed=2)
    assert frechet_distance(x, y) == pytest.approx(3.0, rel=0.05)


def test_kid_grows_with_shift_and_has_a_spread():
    x = gaussian(600, 8, seed=1)
    near, near_sd = kernel_inception_distance(
        x, gaussian(600, 8, shift=0.1, seed=2), subsets=10, subset_size=300
    )
    far, _ = kernel_inception_distance(
        x, gaussian(600, 8, shift=1.0, seed=3), subsets=10, subset_size=300
    )
    assert far > near > -0.05 and near_sd > 0


def test_precision_recall_separated_clouds():
    real = gaussian(400, 2, seed=1)
    assert precision_recall(real, gaussian(400, 2, seed=2)) > (0.8, 0.8)
    p, r = precision_recall(real, gaussian(400, 2, shift=50.0, seed=3))
    assert p == 0.0 and r == 0.0
    # fakes collapsed into one small part of the real cloud: precise but no recall
    right = real[real[:, 0] > 1.0][:40]
    collapsed = right + 0.01 * gaussian(len(right), 2, seed=4)
    p, r = precision_recall(real, collapsed)
    assert p > 0.95 and r < 0.3
    assert not math.isnan(p)
