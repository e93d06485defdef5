"""VAE: training time per epoch with genzoo's trainer versus a plain PyTorch loop of the same
model and loss in the same run, plus encoding and reconstruction throughput.

    python bench/bench_vae_train.py

Uses vae-mnist's spec (MLP 784-512-256-16, Bernoulli, batch 128) on mnist5k's 4000 training
digits; the plain loop trains a deep copy of the very networks genzoo built.
"""

from __future__ import annotations

import copy
import json
import time

import torch

import genzoo
from genzoo.train import load_data
from genzoo.train.trainer import Trainer
from genzoo_plugins.autoencoder import losses


def plain_epoch(model, x: torch.Tensor, batch: int = 128) -> float:
    opt = torch.optim.Adam(list(model.E.parameters()) + list(model.Dec.parameters()), lr=1e-3)
    g = torch.Generator().manual_seed(0)
    perm = torch.randperm(len(x), generator=g)
    t0 = time.perf_counter()
    for i in range(0, len(x) - batch + 1, batch):
        xb = x[perm[i : i + batch]]
        mu, logvar = model.encode_dist(xb)
        z = mu + (0.5 * logvar).exp() * torch.randn(mu.shape, generator=g)
        rec = losses.bce(model.Dec.logits(z), xb)
        loss = (rec + losses.kl_normal(mu, logvar)).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        float(loss.detach())
    return time.perf_counter() - t0


def main() -> None:
    zoo = genzoo.default_zoo()
    spec = zoo.load_spec("zoo_specs/vae-mnist")
    data = load_data(zoo, spec)
    steps = len(data) // spec.training.batch_size
    epochs = 5  # per-epoch time over 5 epochs: the one checkpoint at the end is amortised as in use
    times = {"genzoo": [], "plain": []}
    for _ in range(3):
        torch.manual_seed(0)
        model = zoo.build(spec)
        twin = copy.deepcopy(model).train()
        t = Trainer(model, data, zoo.registries, "/tmp/genzoo-bench-vae", progress=False)
        res = t.run(stop_after=steps * epochs)
        times["genzoo"].append(res.seconds / epochs)
        times["plain"].append(sum(plain_epoch(twin, data.x) for _ in range(epochs)) / epochs)
    best = {k: min(v) for k, v in times.items()}
    model = zoo.load("vae-mnist")
    x = data.x[:1000]
    with torch.no_grad():
        t0 = time.perf_counter()
        model.encode(x)
        enc = 1000 / (time.perf_counter() - t0)
        t0 = time.perf_counter()
        model.reconstruct(x)
        rec = 1000 / (time.perf_counter() - t0)
    print(
        json.dumps(
            {
                "epoch_s_genzoo": round(best["genzoo"], 3),
                "epoch_s_plain": round(best["plain"], 3),
                "ratio_speed": round(best["plain"] / best["genzoo"], 3),
                "encode_images_per_s": round(enc),
                "reconstruct_images_per_s": round(rec),
                "threads": torch.get_num_threads(),
            }
        )
    )


if __name__ == "__main__":
    main()
