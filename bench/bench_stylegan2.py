"""StyleGAN2 sampling on CPU: genzoo's generator versus the grouped-convolution strategy that
NVIDIA's implementation uses for inference, side by side in one run, plus the time from
``genzoo sample`` start to the first image of a pulled-size (config-F) entry.

    python bench/bench_stylegan2.py [--quick]

Networks have random weights and ``noise_mode='const'``: 256² is z 512, w 512, 8 mapping
layers, channel_base 16384; 1024² is config F (channel_base 32768, channel_max 512). Both
variants share every tensor; only the modulated convolution differs:

* genzoo: scale the input by the styles, one convolution with the shared weight for the whole
  batch, scale the output by the demodulation coefficients (computed from Σₖw²);
* grouped (NVIDIA's ``fused_modconv=True`` path, re-implemented here from its description):
  build N per-sample modulated, demodulated weights and run one grouped convolution
  (groups = N; a grouped transposed convolution for the upsampling layers).

FLOPs are counted by torch.utils.flop_counter (convolutions and matmuls only) and compared
with this machine's best fp32 matrix-multiply rate.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from bench_progressive import matmul_rate  # bench/ is on sys.path when run as a script
from torch.utils.flop_counter import FlopCounterMode

import genzoo_plugins.stylegan2.networks as nets
from genzoo.nn.fir import upfirdn2d
from genzoo_plugins.stylegan2.networks import Generator

GENZOO_MODCONV = nets.modulated_conv2d


def grouped_modulated_conv2d(x, weight, styles, noise=None, up=1, padding=0,
                             resample_filter=None, demodulate=True):  # fmt: skip
    """Per-sample weights and one grouped convolution (the fused strategy)."""
    n, i, h, w_ = x.shape
    o, _, kh, kw = weight.shape
    w = weight.unsqueeze(0) * styles.reshape(n, 1, -1, 1, 1)
    if demodulate:
        w = w * (w.square().sum(dim=[2, 3, 4]) + 1e-8).rsqrt().reshape(n, -1, 1, 1, 1)
    x = x.reshape(1, n * i, h, w_)
    if up == 1:
        x = F.conv2d(x, w.reshape(n * o, i, kh, kw), padding=padding, groups=n)
    else:
        wt = w.transpose(1, 2).reshape(n * i, o, kh, kw)
        x = F.conv_transpose2d(x, wt, stride=up, groups=n)
        fw = resample_filter.shape[-1]
        p0 = padding + (fw + up - 1) // 2 - (kw - 1)
        p1 = padding + (fw - up) // 2 - (kw - up)
        x = upfirdn2d(x, resample_filter, padding=(p0, p1, p0, p1), gain=up * up)
    x = x.reshape(n, o, *x.shape[2:])
    return x + noise if noise is not None else x


def config(size: int) -> dict:
    base = 16384 if size <= 256 else 32768
    return {
        "z_dim": 512, "c_dim": 0, "w_dim": 512, "img_resolution": size, "img_channels": 3,
        "mapping_kwargs": {"num_layers": 8}, "channel_base": base, "channel_max": 512,
    }  # fmt: skip


def timed(G: Generator, batch: int, seconds: float) -> float:
    z = torch.randn(batch, 512)
    with torch.no_grad():
        G(z, None)
        n, t0 = 0, time.perf_counter()
        while time.perf_counter() - t0 < seconds or n < 2 * batch:
            G(z, None)
            n += batch
    return n / (time.perf_counter() - t0)


def cold_start(size: int) -> float:
    """Seconds from ``genzoo sample`` start to a written PNG, config-F-size entry on disk."""
    from genzoo.weights import save_tensors

    with tempfile.TemporaryDirectory() as tmp:
        entry = Path(tmp) / "zoo" / "sg2-cold"
        entry.mkdir(parents=True)
        c = config(size)
        entry.joinpath("genzoo.yaml").write_text(
            "name: sg2-cold\nfamily: stylegan2\n"
            f"data: {{channels: 3, size: {size}}}\nlatent: {{dim: 512}}\n"
            f"arch: {{w_dim: 512, mapping_layers: 8, channel_base: {c['channel_base']}}}\n"
            "weights: [{file: model.safetensors}]\n"
        )
        torch.manual_seed(0)
        G = Generator(**c)
        save_tensors({f"G.{k}": v for k, v in G.state_dict().items()}, entry / "model.safetensors")
        env = {**os.environ, "GENZOO_ZOO_PATH": str(entry.parent)}
        args = [sys.executable, "-m", "genzoo", "sample", "sg2-cold", "-n", "1", "--seed", "1",
                "-o", str(Path(tmp) / "face.png")]  # fmt: skip
        t0 = time.perf_counter()
        subprocess.run(args, check=True, capture_output=True, env=env)
        return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="shorter timings (noisier)")
    seconds = 3.0 if ap.parse_args().quick else 8.0
    peak = matmul_rate()
    print(json.dumps({"fp32_matmul_gflops": round(peak, 1), "threads": torch.get_num_threads()}))
    for size in (256, 1024):
        torch.manual_seed(0)
        G = Generator(**config(size)).eval().requires_grad_(False)
        with torch.no_grad(), FlopCounterMode(display=False) as fc:
            G(torch.randn(1, 512), None)
        flops = fc.get_total_flops()
        for batch in (1, 4):
            row = {"size": size, "batch": batch, "gflop_per_image": round(flops / 1e9, 1)}
            for name, fn in (("genzoo", GENZOO_MODCONV), ("grouped", grouped_modulated_conv2d)):
                nets.modulated_conv2d = fn
                ips = timed(G, batch, seconds)
                row[f"{name}_images_per_s"] = round(ips, 3)
                row[f"{name}_fraction_of_matmul"] = round(ips * flops / 1e9 / peak, 2)
            nets.modulated_conv2d = GENZOO_MODCONV
            row["ratio_genzoo_over_grouped"] = round(
                row["genzoo_images_per_s"] / row["grouped_images_per_s"], 2
            )
            print(json.dumps(row), flush=True)
    for size in (256, 1024):
        print(json.dumps({"cold_start_size": size, "seconds_to_first_image": round(
            cold_start(size), 2)}), flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
