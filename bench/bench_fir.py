"""FIR resampling (``genzoo.nn.fir``) on CPU: the literal definition against genzoo's fast paths,
in NCHW and channels-last layout, at the shapes of config F's 1024² block; and the block's
convolutions in both layouts.

    python bench/bench_fir.py [--rounds 5]

* ``upsample image``: ``upsample2d`` of the 3-channel 512² skip image (zero insertion, pad
  (2, 1), 4×4 filter, gain 4) — literal vs one depthwise transposed convolution;
* ``filter after conv``: the 4×4 filter, padding 1, after conv0's transposed convolution
  (32 × 1025²) — ``F.pad`` + convolution vs the convolution's own padding;
* ``downsample``: ``downsample2d`` of 32 × 1024² (the discriminator's) — full-rate filter then
  every other pixel vs a strided convolution.

Every pair is checked equal (max abs difference ≤ 1e-5) before timing; best of ``--rounds``.
The convolutions (conv0's 64→32 transposed 3×3 from 512², conv1's 32→32 3×3 and toRGB's 32→3
1×1 at 1024²) are timed in NCHW and in channels-last layout.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from genzoo.nn.fir import setup_filter, upfirdn2d

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # for tests/
from tests.stylegan2.reference import upfirdn2d as literal


def best_ms(fn, rounds: int) -> float:
    fn()
    best = float("inf")
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best * 1000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=5)
    a = ap.parse_args()
    torch.manual_seed(0)
    f = setup_filter([1, 3, 3, 1])
    cases = {
        "upsample image (3 × 512² → 1024²)": (
            torch.randn(1, 3, 512, 512), {"up": 2, "pad": (2, 1, 2, 1), "gain": 4.0}
        ),
        "filter after conv (32 × 1025², pad 1)": (
            torch.randn(1, 32, 1025, 1025), {"pad": (1, 1, 1, 1)}
        ),
        "downsample (32 × 1024² → 512²)": (
            torch.randn(1, 32, 1024, 1024), {"down": 2, "pad": (1, 1, 1, 1)}
        ),
    }  # fmt: skip
    print("| case | layout | literal ms | genzoo ms | literal / genzoo |")
    print("|---|---|---|---|---|")
    with torch.no_grad():
        for name, (x, kw) in cases.items():
            fast_kw = {"up": kw.get("up", 1), "down": kw.get("down", 1),
                       "padding": kw["pad"], "gain": kw.get("gain", 1.0)}  # fmt: skip
            for layout in ("NCHW", "channels-last"):
                xl = x if layout == "NCHW" else x.contiguous(memory_format=torch.channels_last)
                d = (literal(xl, f, **kw) - upfirdn2d(xl, f, **fast_kw)).abs().max().item()
                assert d <= 1e-5, f"{name}, {layout}: fast path differs by {d:.2e}"
                t_lit = best_ms(lambda xl=xl, kw=kw: literal(xl, f, **kw), a.rounds)
                t_new = best_ms(lambda xl=xl, fk=fast_kw: upfirdn2d(xl, f, **fk), a.rounds)
                print(f"| {name} | {layout} | {t_lit:.1f} | {t_new:.1f} | {t_lit / t_new:.1f}× |")
        convs = {
            "conv0: transposed 3×3, 64 → 32, 512² → 1025²": (
                torch.randn(1, 64, 512, 512), torch.randn(64, 32, 3, 3), True
            ),
            "conv1: 3×3, 32 → 32, 1024²": (
                torch.randn(1, 32, 1024, 1024), torch.randn(32, 32, 3, 3), False
            ),
            "toRGB: 1×1, 32 → 3, 1024²": (
                torch.randn(1, 32, 1024, 1024), torch.randn(3, 32, 1, 1), False
            ),
        }  # fmt: skip
        print("\n| convolution | NCHW ms | channels-last ms | NCHW / channels-last |")
        print("|---|---|---|---|")
        for name, (x, w, transposed) in convs.items():

            def conv(x, w=w, transposed=transposed):
                if transposed:
                    return F.conv_transpose2d(x, w, stride=2)
                return F.conv2d(x, w, padding=w.shape[-1] // 2)

            xc = x.contiguous(memory_format=torch.channels_last)
            d = (conv(x) - conv(xc)).abs().max().item()
            assert d <= 1e-3, f"{name}: layouts differ by {d:.2e}"
            t_n = best_ms(lambda x=x, c=conv: c(x), a.rounds)
            t_c = best_ms(lambda x=xc, c=conv: c(x), a.rounds)
            print(f"| {name} | {t_n:.1f} | {t_c:.1f} | {t_n / t_c:.1f}× |")


if __name__ == "__main__":
    main()
