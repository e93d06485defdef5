"""Train the digit classifier: ``python -m genzoo_plugins.extractors.train_digits``.

mnist5k, stratified 4000 / 1000 split (seed 0), light augmentation (random shifts of up to
2 px), Adam 1e-3, 30 epochs of batch 64. Prints the held-out accuracy and writes
``digits.safetensors`` and ``digits.json`` (accuracy, command) beside this file.
"""

from __future__ import annotations

import json
import time

import torch
import torch.nn.functional as F

from genzoo.weights import save_tensors, sha256_file
from genzoo_plugins.data.sources import mnist5k
from genzoo_plugins.extractors.digits import WEIGHTS, DigitNet


def shift(x: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    dx, dy = torch.randint(-2, 3, (2,), generator=g).tolist()
    return torch.roll(x, shifts=(dy, dx), dims=(2, 3))


def main(epochs: int = 30) -> None:
    torch.manual_seed(0)
    data = mnist5k(channels=1, size=28)
    train, held = data.split(0.2, seed=0)
    net = DigitNet()
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    g = torch.Generator().manual_seed(0)
    t0 = time.time()
    for epoch in range(epochs):
        net.train()
        perm = torch.randperm(len(train), generator=g)
        for i in range(0, len(perm), 64):
            idx = perm[i : i + 64]
            x = shift(train.x[idx], g)
            loss = F.cross_entropy(net(x), train.y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        net.eval()
        with torch.no_grad():
            acc = (net(held.x).argmax(1) == held.y).float().mean().item()
        print(f"epoch {epoch + 1}: loss {loss.item():.4f} held-out accuracy {acc:.4f}")
    save_tensors(net.state_dict(), WEIGHTS, {"format": "genzoo-extractor", "accuracy": acc})
    info = {
        "held_out_accuracy": acc,
        "held_out_n": len(held),
        "train_n": len(train),
        "seconds": round(time.time() - t0),
        "sha256": sha256_file(WEIGHTS),
        "command": "python -m genzoo_plugins.extractors.train_digits",
    }
    WEIGHTS.with_suffix(".json").write_text(json.dumps(info, indent=2) + "\n")
    print(json.dumps(info))


if __name__ == "__main__":
    main()
