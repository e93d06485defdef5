"""Training throughput: genzoo's trainer on a DCGAN spec versus a plain hand-written PyTorch loop
of the same networks and losses, in one run (issue: ratio ≥ 0.95).

    python bench/bench_dcgan_train.py [--steps 20] [--size 64]

Both loops do the same work per step: a D step on a real batch and a batch of fakes drawn under
no_grad, then a G step on fresh fakes (non-saturating loss, Adam 2e-4, betas 0.5/0.999); the
plain loop uses a deep copy of the very networks genzoo built, so only the loop differs.
"""

from __future__ import annotations

import argparse
import copy
import json
import time

import torch
import torch.nn.functional as F

import genzoo_plugins.gan as gan
from genzoo.data import ArrayDataset
from genzoo.train.trainer import Trainer
from genzoo.zoo import Zoo


def spec(size: int, steps: int) -> dict:
    return {
        "name": "bench",
        "family": "dcgan",
        "data": {"channels": 3, "size": size},
        "latent": {"dim": 100},
        "arch": {"ngf": 64, "ndf": 64},
        "training": {
            "batch_size": 64,
            "steps": steps,
            "log_every": 10**6,
            "sample_every": 10**6,
            "checkpoint_every": 10**6,
            "losses": {"adversarial": "non_saturating"},
        },
    }


def plain_loop(G, D, data: torch.Tensor, steps: int) -> float:
    opt_g = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    g = torch.Generator().manual_seed(0)
    t0 = time.perf_counter()
    for _ in range(steps):
        idx = torch.randint(0, len(data), (64,), generator=g)
        real = data[idx]
        with torch.no_grad():
            fake = G(torch.randn(64, 100, generator=g))
        loss_d = F.softplus(-D(real)).mean() + F.softplus(D(fake)).mean()
        opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        opt_d.step()
        fake = G(torch.randn(64, 100, generator=g))
        loss_g = F.softplus(-D(fake)).mean()
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        opt_g.step()
        float(loss_d.detach()), float(loss_g.detach())  # the trainer logs both every step
    return steps * 64 / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()
    zoo = Zoo(plugins=[("gan", gan)], discover=False)
    data = torch.rand(640, 3, args.size, args.size) * 2 - 1
    results = {"genzoo": [], "plain": []}
    for _ in range(args.rounds):  # interleave to even out machine noise
        torch.manual_seed(0)
        model = zoo.build(spec(args.size, args.steps))
        G, D = copy.deepcopy(model.G), copy.deepcopy(model.D)
        t = Trainer(model, ArrayDataset(data), zoo.registries, "/tmp/genzoo-bench", progress=False)
        t.run(stop_after=2)  # warm-up
        res = t.run(stop_after=args.steps)
        results["genzoo"].append(res.images_per_second)
        G.train(), D.train()
        plain_loop(G, D, data, 2)
        results["plain"].append(plain_loop(G, D, data, args.steps))
    best = {k: max(v) for k, v in results.items()}
    print(
        json.dumps(
            {
                "size": args.size,
                "steps": args.steps,
                "threads": torch.get_num_threads(),
                "genzoo_images_per_s": round(best["genzoo"], 1),
                "plain_images_per_s": round(best["plain"], 1),
                "ratio": round(best["genzoo"] / best["plain"], 3),
            }
        )
    )


if __name__ == "__main__":
    main()
