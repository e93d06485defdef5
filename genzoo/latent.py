"""Latent tools: pure tensor functions (no I/O, no globals, no devices baked in)."""

from __future__ import annotations

from collections.abc import Sequence

import torch


def lerp(a: torch.Tensor, b: torch.Tensor, t: torch.Tensor | float) -> torch.Tensor:
    """Linear interpolation ``a + t (b − a)``; ``t`` broadcasts over the leading dimension."""
    t = torch.as_tensor(t, dtype=a.dtype, device=a.device)
    if t.ndim == 1:
        t = t.view(-1, *([1] * (a.ndim - 1 if a.shape[0] == 1 else a.ndim)))
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
