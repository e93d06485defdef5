"""Before/after for StyleGAN2 sampling speed: the generator of two genzoo checkouts, same run.

    git worktree add /tmp/before <commit>
    python bench/bench_stylegan2_ab.py /tmp/before . [--sizes 256 1024] [--batches 1 4] [--rounds 2]

Each measurement runs in its own process (the checkout's ``genzoo`` first on ``sys.path``, its
``plugins/stylegan2/networks.py`` loaded from the file), checkouts alternating within each
round; a process builds the network of ``bench_stylegan2.config`` (random weights, seed 0),
warms up and reports the best of 4 forward passes (``noise_mode='const'``). Prints images/s of
both and the after / before ratio, best over the rounds.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

CHILD = r"""
import importlib.util, json, sys, time
root, size, batch = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
sys.path.insert(0, root)
import torch
import genzoo.nn.fir as fir
assert fir.__file__.startswith(root), f"genzoo imported from {fir.__file__}, not {root}"
spec = importlib.util.spec_from_file_location("nets", f"{root}/plugins/stylegan2/networks.py")
nets = importlib.util.module_from_spec(spec)
spec.loader.exec_module(nets)
torch.manual_seed(0)
base = 16384 if size <= 256 else 32768
G = nets.Generator(512, 0, 512, size, 3, {"num_layers": 8, "lr_multiplier": 0.01},
                   channel_base=base, channel_max=512).eval().requires_grad_(False)
z = torch.randn(batch, 512)
with torch.no_grad():
    G(z, None, noise_mode="const")
    best = float("inf")
    for _ in range(4):
        t0 = time.perf_counter()
        G(z, None, noise_mode="const")
        best = min(best, time.perf_counter() - t0)
print(json.dumps(batch / best))
"""


def rate(root: Path, size: int, batch: int) -> float:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(root), str(size), str(batch)],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    return float(json.loads(out.stdout.strip().splitlines()[-1]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("before", type=Path)
    ap.add_argument("after", type=Path)
    ap.add_argument("--sizes", type=int, nargs="+", default=[256, 1024])
    ap.add_argument("--batches", type=int, nargs="+", default=[1, 4])
    ap.add_argument("--rounds", type=int, default=2)
    a = ap.parse_args()
    roots = {"before": a.before.resolve(), "after": a.after.resolve()}
    print("| size | batch | before img/s | after img/s | after / before |")
    print("|---|---|---|---|---|")
    for size in a.sizes:
        for batch in a.batches:
            best = dict.fromkeys(roots, 0.0)
            for _ in range(a.rounds):
                for name, root in roots.items():
                    best[name] = max(best[name], rate(root, size, batch))
            ratio = best["after"] / best["before"]
            print(f"| {size}² | {batch} | {best['before']:.3g} | {best['after']:.3g} | "
                  f"{ratio:.2f}× |", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
