"""Before/after of sampling speed: the generators of two genzoo checkouts, side by side in one run.

    git worktree add /tmp/before <commit>
    python bench/bench_ab.py /tmp/before . [--models stylegan2:1024:1 progan:256:4 ...]
                                           [--rounds 2]

A model is ``FAMILY:SIZE:BATCH``: ``stylegan2`` builds ``bench_stylegan2.config(SIZE)``'s
generator (config F at 1024², random weights, ``noise_mode='const'``), ``progan`` and
``stylegan`` build ``bench_progressive.spec(FAMILY, SIZE)`` and time ``decode``. Each
measurement runs in its own process with that checkout's ``genzoo`` and ``genzoo_plugins``
(its ``plugins/`` folder) imported — the figures compare code, not installs — and reports the
best of 4 calls after a warm-up; checkouts alternate within each round, best over the rounds.
The network specs come from *this* checkout's bench files, so both sides build the same model.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
DEFAULT = ["stylegan2:256:1", "stylegan2:256:4", "stylegan2:1024:1", "stylegan2:1024:4",
           "progan:32:4", "progan:256:4", "progan:1024:1",
           "stylegan:32:4", "stylegan:256:4", "stylegan:1024:1"]  # fmt: skip

CHILD = r"""
import json, sys, time, types
root, bench, family, size, batch = sys.argv[1], sys.argv[2], sys.argv[3], *map(int, sys.argv[4:6])
sys.path.insert(0, root)
pkg = types.ModuleType("genzoo_plugins")  # the checkout's plugins/, whatever is installed
pkg.__path__ = [f"{root}/plugins"]
sys.modules["genzoo_plugins"] = pkg
import torch
import genzoo
assert genzoo.__file__.startswith(root), f"genzoo imported from {genzoo.__file__}, not {root}"
sys.path.insert(1, bench)
torch.manual_seed(0)
if family == "stylegan2":
    from bench_stylegan2 import config
    from genzoo_plugins.stylegan2.networks import Generator
    G = Generator(**config(size)).eval().requires_grad_(False)
    z = torch.randn(batch, G.z_dim)
    run = lambda: G(z, None, noise_mode="const")
else:
    import genzoo_plugins.gan, genzoo_plugins.progan
    from bench_progressive import spec
    from genzoo.zoo import Zoo
    zoo = Zoo(plugins=[("progan", genzoo_plugins.progan), ("gan", genzoo_plugins.gan)],
              discover=False)
    model = zoo.build(spec(family, size)).eval().requires_grad_(False)
    z = torch.randn(batch, 512)
    run = lambda: model.decode(z)
with torch.no_grad():
    run()
    best = float("inf")
    for _ in range(4):
        t0 = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - t0)
print(json.dumps(batch / best))
"""


def rate(root: Path, family: str, size: int, batch: int) -> float:
    args = [sys.executable, "-c", CHILD, str(root), str(BENCH), family, str(size), str(batch)]
    out = subprocess.run(args, check=True, capture_output=True, text=True)
    return float(json.loads(out.stdout.strip().splitlines()[-1]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("before", type=Path)
    ap.add_argument("after", type=Path)
    ap.add_argument("--models", nargs="+", default=DEFAULT, help="FAMILY:SIZE:BATCH")
    ap.add_argument("--rounds", type=int, default=2)
    a = ap.parse_args()
    roots = {"before": a.before.resolve(), "after": a.after.resolve()}
    print("| family | size | batch | before img/s | after img/s | after / before |")
    print("|---|---|---|---|---|---|")
    for m in a.models:
        family, size, batch = m.split(":")
        best = dict.fromkeys(roots, 0.0)
        for _ in range(a.rounds):
            for name, root in roots.items():
                best[name] = max(best[name], rate(root, family, int(size), int(batch)))
        ratio = best["after"] / best["before"]
        print(f"| {family} | {size}² | {batch} | {best['before']:.3g} | {best['after']:.3g} | "
              f"{ratio:.2f}× |", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
