"""Latent tools: pure tensor functions (no I/O, no globals, no devices baked in)."""

from __future__ import annotations

from collections.abc import Sequence

import torch


def lerp(a: torch.Tensor, b: torch.Tensor, t: torch.Tensor | float) -> torch.Tensor:
    """Linear interpolation ``a + t (b − a)``; ``t`` broadcasts over the leading dimension."""
    t = torch.as_tensor(t, dtype=a.dtype, device=a.device)
    if t.ndim == 1:
        t = t.view(-1, *([1] * (a.ndim - 1)))
    return a + t * (b - a)


def slerp(
    a: torch.Tensor, b: torch.Tensor, t: torch.Tensor | float, eps: float = 1e-7
) -> torch.Tensor:
    """Spherical interpolation along the great circle, with the norm interpolated linearly.

    For unit vectors with angle Ω: ``sin((1−t)Ω)/sin Ω · a + sin(tΩ)/sin Ω · b``. Latents of a
    Gaussian prior concentrate near a sphere, so slerp keeps intermediate points typical; the
    norm is blended linearly between ‖a‖ and ‖b‖ (equal norms stay equal). Falls back to lerp
    when a and b are (anti)parallel.
    """
    t = torch.as_tensor(t, dtype=a.dtype, device=a.device)
    flat_a, flat_b = a.flatten(1), b.flatten(1)  # (N, D)
    na, nb = flat_a.norm(dim=1, keepdim=True), flat_b.norm(dim=1, keepdim=True)
    ua, ub = flat_a / na.clamp_min(eps), flat_b / nb.clamp_min(eps)
    dot = (ua * ub).sum(1, keepdim=True).clamp(-1 + eps, 1 - eps)
    omega = torch.acos(dot)  # (N, 1)
    tt = t.view(-1, 1) if t.ndim == 1 else t
    so = torch.sin(omega)
    direction = (torch.sin((1 - tt) * omega) * ua + torch.sin(tt * omega) * ub) / so
    norm = na + tt * (nb - na)
    out = direction * norm
    parallel = (so.abs() < 1e-4).expand_as(out)
    out = torch.where(parallel, flat_a + tt * (flat_b - flat_a), out)
    return out.view(-1, *a.shape[1:])


def path(
    points: Sequence[torch.Tensor] | torch.Tensor, steps: int, *, spherical: bool = False
) -> torch.Tensor:
    """``steps`` latents per segment through ``points`` (K×D), ending exactly at the last point."""
    pts = torch.stack(list(points)) if not isinstance(points, torch.Tensor) else points
    if len(pts) < 2:
        raise ValueError("an interpolation path needs at least two points")
    if steps < 2:
        raise ValueError("steps must be at least 2")
    fn = slerp if spherical else lerp
    out = []
    for i in range(len(pts) - 1):
        t = torch.linspace(0, 1, steps, dtype=pts.dtype)
        if i < len(pts) - 2:
            t = t[:-1]  # the next segment starts here
        seg = fn(
            pts[i : i + 1].expand(len(t), *pts.shape[1:]),
            pts[i + 1 : i + 2].expand(len(t), *pts.shape[1:]),
            t,
        )
        out.append(seg)
    return torch.cat(out)


def truncate(z: torch.Tensor, psi: float, center: torch.Tensor | None = None) -> torch.Tensor:
    """The truncation trick: ``center + ψ (z − center)`` (center 0 for a z prior)."""
    if center is None:
        return z * psi
    return center + psi * (z - center)


def arithmetic(a: torch.Tensor, b: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
    """Latent arithmetic ``a − b + c`` (e.g. smiling woman − woman + man)."""
    return a - b + c


def mix_styles(rows: torch.Tensor, cols: torch.Tensor, layers: Sequence[int]) -> torch.Tensor:
    """Style mixing: every row's per-layer styles (R×L×W) with ``layers`` taken from every
    column's (C×L×W); returns R·C×L×W, row-major (Karras et al. 2019, figure 3)."""
    ws = rows.unsqueeze(1).repeat(1, len(cols), 1, 1)  # R×C×L×W
    idx = list(layers)
    ws[:, :, idx] = cols.unsqueeze(0)[:, :, idx].expand(len(rows), -1, -1, -1)
    return ws.flatten(0, 1)


def layer_range(preset: str, num_ws: int) -> tuple[int, int]:
    """First and last style index of ``coarse`` / ``middle`` / ``fine`` or ``A-B``.

    At 1024² StyleGAN has 18 styles: coarse 0–3 (4²–8²: pose, shape), middle 4–7 (16²–32²),
    fine 8–17 (64²–1024²: colour, texture), as in the paper; other models split in the same
    proportions.
    """
    a = max(1, round(num_ws * 4 / 18))
    b = min(max(a + 1, round(num_ws * 8 / 18)), num_ws - 1)
    ranges = {"coarse": (0, a - 1), "middle": (a, b - 1), "fine": (b, num_ws - 1)}
    if preset in ranges:
        return ranges[preset]
    first, sep, last = preset.partition("-")
    if not (sep and first.isdigit() and last.isdigit()):
        raise ValueError(f"layers {preset!r}: one of coarse, middle, fine, or a range like 2-5")
    lo, hi = int(first), int(last)
    if not 0 <= lo <= hi < num_ws:
        raise ValueError(f"layers {preset!r} outside 0-{num_ws - 1}")
    return lo, hi


# -- directions -------------------------------------------------------------------------------
def pca_directions(
    z: torch.Tensor, features: torch.Tensor, k: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """GANSpace-style directions in z from the principal components of ``features``.

    PCA of the N×F features (activations of an early generator layer, or the outputs) gives
    components; each sample's coordinates c (N×k) on them are regressed onto z by least squares
    (z ≈ c B), and each row of B, normalised, is the latent direction that moves along one
    component (Härkönen et al. 2020). Returns (k×D unit directions, explained variance of each
    component).
    """
    h = features.flatten(1).double()
    h = h - h.mean(0)
    _, s, vt = torch.linalg.svd(h, full_matrices=False)
    k = min(k, vt.shape[0])
    coords = h @ vt[:k].T  # N×k
    zc = z.flatten(1).double() - z.flatten(1).double().mean(0)
    basis = torch.linalg.lstsq(coords, zc).solution  # k×D
    dirs = basis / basis.norm(dim=1, keepdim=True).clamp_min(1e-12)
    var = s[:k] ** 2 / (len(h) - 1)
    return dirs.to(z.dtype), var.to(z.dtype)


def sefa_directions(weight: torch.Tensor, k: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Closed-form factorisation (SeFa, Shen & Zhou 2021) of the first latent projection.

    For a first layer y = A z (A: out×D), the directions n maximising ‖A n‖² with ‖n‖ = 1 are
    the top eigenvectors of AᵀA. Returns (k×D unit eigenvectors, their eigenvalues), largest first.
    """
    a = weight.double()
    vals, vecs = torch.linalg.eigh(a.T @ a)  # ascending
    order = torch.argsort(vals, descending=True)[:k]
    return vecs[:, order].T.to(weight.dtype), vals[order].to(weight.dtype)


def linear_boundary(
    z: torch.Tensor, labels: torch.Tensor, steps: int = 200, l2: float = 1e-3
) -> torch.Tensor:
    """InterFaceGAN-style direction: the unit normal of a logistic-regression boundary.

    ``labels`` are 0/1 (e.g. "is a 7" from a classifier, or a user's labels). Moving a latent
    along the returned vector moves it toward class 1.
    """
    x = z.flatten(1).double()
    y = labels.double().reshape(-1)
    if y.min() == y.max():
        raise ValueError("a boundary needs latents of both classes")
    mu, sd = x.mean(0), x.std(0).clamp_min(1e-8)
    xs = (x - mu) / sd
    w = torch.zeros(x.shape[1], dtype=torch.float64, requires_grad=True)
    b = torch.zeros((), dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([w, b], max_iter=steps, line_search_fn="strong_wolfe")

    def closure() -> torch.Tensor:
        opt.zero_grad()
        logits = xs @ w + b
        loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, y) + l2 * (w**2).sum()
        loss.backward()
        return loss

    opt.step(closure)
    n = w.detach() / sd  # back to unstandardised coordinates
    return (n / n.norm()).to(z.dtype)


def edit(z: torch.Tensor, direction: torch.Tensor, strengths: Sequence[float]) -> torch.Tensor:
    """One latent moved along ``direction`` by each strength: (len(strengths), *z.shape[1:])."""
    s = torch.as_tensor(list(strengths), dtype=z.dtype).view(-1, *([1] * (z.ndim - 1)))
    return z[:1] + s * direction.view(1, *z.shape[1:]).to(z.dtype)
