"""Sampling throughput of ProGAN and StyleGAN at 32, 256 and 1024 px (random weights), with
achieved GFLOP/s as a fraction of this machine's fp32 matrix-multiply rate.

    python bench/bench_progressive.py

FLOPs are counted by torch.utils.flop_counter on one forward pass (convolutions and matrix
multiplies as direct algorithms; element-wise work is not counted). oneDNN may run 3×3
convolutions with fewer real operations (Winograd), so a fraction above 1 is possible.
"""

from __future__ import annotations

import json
import time

import torch
from torch.utils.flop_counter import FlopCounterMode

import genzoo_plugins.gan as gan
import genzoo_plugins.progan as progan
from genzoo.zoo import Zoo


def matmul_rate(n: int = 2048, reps: int = 10, rounds: int = 5) -> float:
    """Best of ``rounds`` timings of ``reps`` n×n fp32 matrix multiplies, in GFLOP/s."""
    a, b = torch.randn(n, n), torch.randn(n, n)
    a @ b
    best = 0.0
    for _ in range(rounds):
        t0 = time.perf_counter()
        for _ in range(reps):
            a @ b
        best = max(best, 2 * n**3 * reps / (time.perf_counter() - t0) / 1e9)
    return best


def spec(family: str, size: int) -> dict:
    arch = {"start_resolution": 4, "fmap_base": 8192, "fmap_max": 512}
    if family == "stylegan":
        arch |= {"w_dim": 512, "mapping_layers": 8}
    return {
        "name": "b",
        "family": family,
        "data": {"channels": 3, "size": size},
        "latent": {"dim": 512},
        "arch": arch,
    }


def bench(model, batch: int, seconds: float = 4.0) -> tuple[float, float]:
    z = torch.randn(batch, 512)
    with torch.no_grad(), FlopCounterMode(display=False) as fc:
        model.decode(z)
    flops = fc.get_total_flops() / batch
    with torch.no_grad():
        model.decode(z)
        n, t0 = 0, time.perf_counter()
        while time.perf_counter() - t0 < seconds or n == 0:
            model.decode(z)
            n += batch
    return n / (time.perf_counter() - t0), flops


def main() -> None:
    zoo = Zoo(plugins=[("progan", progan), ("gan", gan)], discover=False)
    peak = matmul_rate()
    print(json.dumps({"fp32_matmul_gflops": round(peak, 1), "threads": torch.get_num_threads()}))
    for family in ("progan", "stylegan"):
        for size in (32, 256, 1024):
            torch.manual_seed(0)
            # frozen: FlopCounterMode's module hooks trip over parameters fed as module inputs
            # (StyleGAN's learned constant) when they require grad under no_grad
            model = zoo.build(spec(family, size)).eval().requires_grad_(False)
            for batch in (1, 4) if size < 1024 else (1,):
                ips, flops = bench(model, batch, 3.0 if size < 1024 else 6.0)
                gfs = ips * flops / 1e9
                print(
                    json.dumps(
                        {
                            "family": family,
                            "size": size,
                            "batch": batch,
                            "images_per_s": round(ips, 2),
                            "gflop_per_image": round(flops / 1e9, 2),
                            "gflop_per_s": round(gfs, 1),
                            "fraction_of_matmul": round(gfs / peak, 2),
                        }
                    ),
                    flush=True,
                )


if __name__ == "__main__":
    main()
