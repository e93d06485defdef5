"""Evaluation and direction discovery: how long `genzoo eval` takes for 10 000 samples of
dcgan-mnist, and how long each direction method takes for every shipped generative entry.

    python bench/bench_latent.py                 # eval of dcgan-mnist + directions of every entry
    python bench/bench_latent.py --eval-n 10000 --names dcgan-mnist cgan-mnist

Nothing is written into the entries (directions are computed, timed and dropped). Methods a
family cannot run (SeFa without a first latent projection, boundaries for tabular models) are
reported as skipped with the reason.
"""

from __future__ import annotations

import argparse
import json
import time

import torch

import genzoo
from genzoo.directions import discover
from genzoo.errors import GenzooError
from genzoo.metrics.evaluate import evaluate


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--eval-n", type=int, default=10000)
    ap.add_argument("--names", nargs="*", default=None)
    args = ap.parse_args()
    zoo = genzoo.default_zoo()
    t0 = time.perf_counter()
    res = evaluate(zoo, zoo.load("dcgan-mnist"), n=args.eval_n)
    print(
        json.dumps(
            {
                "eval": "dcgan-mnist",
                "samples": args.eval_n,
                "metrics": "fd,kid,pr",
                "seconds": round(time.perf_counter() - t0, 1),
                "fd": res["fd"],
            }
        ),
        flush=True,
    )
    classifier = zoo.registries.extractors.get("digits").function()()
    names = args.names or [
        e.name for e in zoo.entries() if e.is_local and e.spec.data.kind == "image"
    ]
    for name in names:
        model = zoo.load(name)
        row: dict[str, object] = {"entry": name}
        for method in ("pca", "sefa", "boundary"):
            t = time.perf_counter()
            try:
                dirs, _, _ = discover(model, method, classifier=classifier)
                row[method] = f"{time.perf_counter() - t:.2f} s ({len(dirs)} directions)"
            except GenzooError as exc:
                row[method] = f"skipped: {exc}"
        print(json.dumps(row), flush=True)
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}")


if __name__ == "__main__":
    main()
