"""Sampling throughput of every local zoo entry (images/s at batch 1 and 64) and cold start.

    python bench/bench_sampling.py            # all local entries
    python bench/bench_sampling.py dcgan-mnist progan-mnist

Cold start: wall time of a fresh `genzoo sample NAME -n 1` process, from start to PNG written.
Runs with torch's default threads (2 on this machine).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time

import torch

import genzoo


def throughput(model, batch: int, seconds: float = 3.0) -> float:
    kw = {"domain": 0} if model.spec.data.kind == "tabular" else {}
    model.sample(batch, seed=0, **kw)  # warm-up
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        model.sample(batch, seed=n, **kw)
        n += batch
    return n / (time.perf_counter() - t0)


def cold_start(name: str) -> float:
    with tempfile.TemporaryDirectory() as d:
        t0 = time.perf_counter()
        args = ["genzoo", "sample", name, "-n", "1", "-o", f"{d}/x.png"]
        if genzoo.default_zoo().entry(name).spec.data.kind == "tabular":
            args = [*args[:-2], "--domain", "0", "-o", f"{d}/x.csv"]
        subprocess.run(args, check=True, capture_output=True)
        return time.perf_counter() - t0


def main(names: list[str]) -> None:
    zoo = genzoo.default_zoo()
    names = names or [e.name for e in zoo.entries() if e.is_local]
    rows = []
    for name in names:
        model = zoo.load(name)
        row = {
            "entry": name,
            "batch1_per_s": round(throughput(model, 1), 1),
            "batch64_per_s": round(throughput(model, 64), 1),
            "cold_start_s": round(cold_start(name), 2),
        }
        rows.append(row)
        print(json.dumps(row), flush=True)
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}")


if __name__ == "__main__":
    main(sys.argv[1:])
