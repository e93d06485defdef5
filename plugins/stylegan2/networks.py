"""StyleGAN2 networks (Karras et al. 2020) with NVIDIA's state-dict layout.

Module tree, tensor names and shapes equal those of NVIDIA's stylegan2-ada-pytorch
``training/networks.py``, so the official ``G_ema`` tensors load one-to-one; the arithmetic is
the same (equalized learning rate as runtime gains, lrelu gain √2, conv clamp, modulation and
demodulation, noise after the convolution, [1, 3, 3, 1] FIR resampling, truncation toward
``w_avg``). It is written for fast CPU inference in fp32 without compiled ops:

* on small maps the modulated convolution scales the input by the styles, runs *one*
  convolution with the shared weight for the whole batch and scales the output by the
  demodulation coefficients (equal to per-sample weights, but one large GEMM instead of a
  grouped conv); on large maps (≥ ``PER_SAMPLE_PIXELS``) each sample gets its own scaled weight
  and goes alone through all remaining blocks, so no batch-sized copy of the largest
  activations is ever made;
* the demodulation coefficients come from ``styles² @ (Σₖ w²)ᵀ`` instead of materialising the
  N×O×I×k×k modulated weights;
* upsampling convolutions are a transposed convolution followed by a depthwise 4×4 filter that
  pads by itself; the skip image is upsampled by one depthwise transposed convolution; biases
  ride on the last convolution and, at inference, noise, activation and clamp work in place;
* on CPU the synthesis network runs in channels-last layout from its first block: oneDNN's
  convolutions are faster in it at the large maps, the depthwise FIR filters most
  (``bench/bench_fir.py``; the whole generator: ``bench/bench_stylegan2.py``); the image comes
  back contiguous.

Networks NVIDIA runs partly in fp16 (``num_fp16_res``) are computed in fp32 here; their
``conv_clamp`` is applied as NVIDIA applies it in fp32.
"""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from genzoo.nn.fir import conv2d_resample, setup_filter, upsample2d
from genzoo.nn.layers import fast_layout

SQRT2 = math.sqrt(2.0)


def normalize_2nd_moment(x: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """x / RMS(x) over dim 1."""
    return x * (x.square().mean(dim=1, keepdim=True) + eps).rsqrt()


def bias_act(
    x: torch.Tensor,
    b: torch.Tensor | None,
    act: str = "linear",
    gain: float | None = None,
    clamp: float | None = None,
) -> torch.Tensor:
    """x + b (along dim 1) → activation → × gain (default √2 for lrelu) → clamp to ±clamp."""
    if b is not None:
        x = x + b.reshape([1, -1] + [1] * (x.ndim - 2))
    if act == "lrelu":
        x = F.leaky_relu(x, 0.2)
        gain = SQRT2 if gain is None else gain
    elif act != "linear":
        raise ValueError(f"unknown activation {act!r}")
    if gain is not None and gain != 1:
        x = x * gain
    if clamp is not None and clamp >= 0:
        x = x.clamp(-clamp, clamp)
    return x


class FullyConnectedLayer(nn.Module):
    """Dense layer with equalized learning rate (weight ×lr_mul/√fan_in, bias ×lr_mul)."""

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        activation: str = "linear",
        lr_multiplier: float = 1.0,
        bias_init: float = 0.0,
    ) -> None:
        super().__init__()
        self.activation = activation
        self.weight = nn.Parameter(torch.randn(out_features, in_features) / lr_multiplier)
        self.bias = nn.Parameter(torch.full([out_features], float(bias_init))) if bias else None
        self.weight_gain = lr_multiplier / math.sqrt(in_features)
        self.bias_gain = lr_multiplier

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        w = self.weight * self.weight_gain
        b = self.bias
        if b is not None and self.bias_gain != 1:
            b = b * self.bias_gain
        if self.activation == "linear" and b is not None:
            return torch.addmm(b.unsqueeze(0), x, w.t())
        return bias_act(x.matmul(w.t()), b, act=self.activation)


class MappingNetwork(nn.Module):
    """z (and class c) → w, broadcast to ``num_ws`` layers, with truncation toward ``w_avg``."""

    def __init__(
        self,
        z_dim: int,
        c_dim: int,
        w_dim: int,
        num_ws: int | None,
        num_layers: int = 8,
        embed_features: int | None = None,
        layer_features: int | None = None,
        activation: str = "lrelu",
        lr_multiplier: float = 0.01,
        w_avg_beta: float | None = 0.995,
    ) -> None:
        super().__init__()
        self.z_dim, self.c_dim, self.w_dim, self.num_ws = z_dim, c_dim, w_dim, num_ws
        self.num_layers = num_layers
        self.w_avg_beta = w_avg_beta
        if embed_features is None:
            embed_features = w_dim
        if c_dim == 0:
            embed_features = 0
        if layer_features is None:
            layer_features = w_dim
        features = [z_dim + embed_features] + [layer_features] * (num_layers - 1) + [w_dim]
        if c_dim > 0:
            self.embed = FullyConnectedLayer(c_dim, embed_features)
        for idx in range(num_layers):
            layer = FullyConnectedLayer(
                features[idx],
                features[idx + 1],
                activation=activation,
                lr_multiplier=lr_multiplier,
            )
            setattr(self, f"fc{idx}", layer)
        if num_ws is not None and w_avg_beta is not None:
            self.register_buffer("w_avg", torch.zeros([w_dim]))

    def forward(
        self,
        z: torch.Tensor | None,
        c: torch.Tensor | None,
        truncation_psi: float = 1.0,
        truncation_cutoff: int | None = None,
        update_w_avg: bool = False,
    ) -> torch.Tensor:
        x = None
        if self.z_dim > 0:
            assert z is not None
            x = normalize_2nd_moment(z.to(torch.float32))
        if self.c_dim > 0:
            assert c is not None, "a conditional mapping network needs c"
            y = normalize_2nd_moment(self.embed(c.to(torch.float32)))
            x = torch.cat([x, y], dim=1) if x is not None else y
        assert x is not None
        for idx in range(self.num_layers):
            x = getattr(self, f"fc{idx}")(x)
        if update_w_avg and self.w_avg_beta is not None:
            with torch.no_grad():
                self.w_avg.copy_(x.detach().mean(dim=0).lerp(self.w_avg, self.w_avg_beta))
        if self.num_ws is None:
            return x
        x = x.unsqueeze(1).repeat([1, self.num_ws, 1])
        if truncation_psi != 1:
            cut = self.num_ws if truncation_cutoff is None else truncation_cutoff
            x = torch.cat([self.w_avg.lerp(x[:, :cut], truncation_psi), x[:, cut:]], dim=1)
        return x


# Above this many output pixels per sample, each sample gets its own modulated weight: scaling
# the (small) weight beats two passes over the (large) activations, and a per-sample
# convolution at this size is already a large GEMM. Below it, the batch shares one convolution.
PER_SAMPLE_PIXELS = 64 * 64


def modulated_conv2d(
    x: torch.Tensor,
    weight: torch.Tensor,
    styles: torch.Tensor,
    noise: torch.Tensor | None = None,
    up: int = 1,
    padding: int = 0,
    resample_filter: torch.Tensor | None = None,
    demodulate: bool = True,
    scale: float = 1.0,
    bias: torch.Tensor | None = None,
) -> torch.Tensor:
    """Per-sample modulated (and demodulated) convolution, times ``scale``, + ``bias``.

    Equals convolving sample n with ``weight · styles[n]`` (input channels scaled) and, with
    ``demodulate``, dividing each output channel by ‖weight · styles[n]‖ (+1e-8); ``noise`` is
    added after the convolution. ``scale`` (> 0) multiplies the result, noise included, so
    callers can fold a following activation gain into it; ``bias`` is added unscaled.
    """
    n = len(x)
    if demodulate:
        wsq = weight.square().sum(dim=[2, 3])  # O×I
        coefs = (styles.square() @ wsq.t() + 1e-8).rsqrt() * scale  # N×O
    else:
        coefs = None
    out_pixels = x.shape[2] * x.shape[3] * up * up
    if out_pixels >= PER_SAMPLE_PIXELS:
        outs = []
        for i in range(n):
            w = weight * styles[i].reshape(1, -1, 1, 1)
            w = w * (coefs[i].reshape(-1, 1, 1, 1) if coefs is not None else scale)
            outs.append(
                conv2d_resample(x[i : i + 1], w, resample_filter, up, padding=padding, bias=bias)
            )
        x = torch.cat(outs) if n > 1 else outs[0]
    else:
        x = x * styles.reshape(n, -1, 1, 1)
        x = conv2d_resample(x, weight, resample_filter, up=up, padding=padding)
        if coefs is not None:
            x = x * coefs.reshape(n, -1, 1, 1)
        elif scale != 1:
            x = x * scale
        if bias is not None:
            x = x + bias.reshape(1, -1, 1, 1)
    if noise is not None:
        noise = noise * scale if scale != 1 else noise
        # the convolution's output is not needed by its backward pass: adding in place is safe
        x = x.add_(noise) if not x.requires_grad else x + noise
    return x


class SynthesisLayer(nn.Module):
    """Modulated 3×3 conv (optionally ×2 up) → noise → bias + lrelu·√2 (× gain) → clamp."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        w_dim: int,
        resolution: int,
        kernel_size: int = 3,
        up: int = 1,
        use_noise: bool = True,
        activation: str = "lrelu",
        resample_filter: list[int] | None = None,
        conv_clamp: float | None = None,
    ) -> None:
        super().__init__()
        self.resolution, self.up, self.use_noise = resolution, up, use_noise
        self.activation, self.conv_clamp = activation, conv_clamp
        self.affine = FullyConnectedLayer(w_dim, in_channels, bias_init=1)
        self.register_buffer("resample_filter", setup_filter(resample_filter or [1, 3, 3, 1]))
        self.padding = kernel_size // 2
        self.act_gain = SQRT2 if activation == "lrelu" else 1.0
        self.weight = nn.Parameter(
            torch.randn([out_channels, in_channels, kernel_size, kernel_size])
        )
        if use_noise:
            self.register_buffer("noise_const", torch.randn([resolution, resolution]))
            self.noise_strength = nn.Parameter(torch.zeros([]))
        self.bias = nn.Parameter(torch.zeros([out_channels]))

    def forward(
        self, x: torch.Tensor, w: torch.Tensor, noise_mode: str = "const", gain: float = 1.0
    ) -> torch.Tensor:
        styles = self.affine(w)
        noise = None
        if self.use_noise and noise_mode == "random":
            r = self.resolution
            noise = torch.randn([len(x), 1, r, r], device=x.device) * self.noise_strength
        elif self.use_noise and noise_mode == "const":
            noise = self.noise_const * self.noise_strength
        # lrelu(y)·g = lrelu(y·g) for g > 0: the activation gain rides on the demodulation
        g = self.act_gain * gain
        x = modulated_conv2d(
            x, self.weight, styles, noise, self.up, self.padding, self.resample_filter, scale=g,
            bias=self.bias * g,
        )  # fmt: skip
        clamp = self.conv_clamp * gain if self.conv_clamp is not None else None
        if x.requires_grad:
            return bias_act(x, None, self.activation, 1.0, clamp)
        if self.activation == "lrelu":  # inference: in place, one pass per operation
            F.leaky_relu_(x, 0.2)
        if clamp is not None:
            x.clamp_(-clamp, clamp)
        return x


class ToRGBLayer(nn.Module):
    """Modulated 1×1 conv without demodulation, + bias (clamped)."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        w_dim: int,
        kernel_size: int = 1,
        conv_clamp: float | None = None,
    ) -> None:
        super().__init__()
        self.conv_clamp = conv_clamp
        self.affine = FullyConnectedLayer(w_dim, in_channels, bias_init=1)
        self.weight = nn.Parameter(
            torch.randn([out_channels, in_channels, kernel_size, kernel_size])
        )
        self.bias = nn.Parameter(torch.zeros([out_channels]))
        self.weight_gain = 1 / math.sqrt(in_channels * kernel_size * kernel_size)

    def forward(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        styles = self.affine(w) * self.weight_gain
        x = modulated_conv2d(x, self.weight, styles, demodulate=False, bias=self.bias)
        return bias_act(x, None, clamp=self.conv_clamp)


class Conv2dLayer(nn.Module):
    """Plain conv with equalized lr and FIR up/down-sampling (resnet skips, discriminator)."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        bias: bool = True,
        activation: str = "linear",
        up: int = 1,
        down: int = 1,
        resample_filter: list[int] | None = None,
        conv_clamp: float | None = None,
    ) -> None:
        super().__init__()
        self.activation, self.up, self.down, self.conv_clamp = activation, up, down, conv_clamp
        self.register_buffer("resample_filter", setup_filter(resample_filter or [1, 3, 3, 1]))
        self.padding = kernel_size // 2
        self.weight_gain = 1 / math.sqrt(in_channels * kernel_size**2)
        self.act_gain = SQRT2 if activation == "lrelu" else 1.0
        self.weight = nn.Parameter(
            torch.randn([out_channels, in_channels, kernel_size, kernel_size])
        )
        self.bias = nn.Parameter(torch.zeros([out_channels])) if bias else None

    def forward(self, x: torch.Tensor, gain: float = 1.0) -> torch.Tensor:
        w = self.weight * self.weight_gain
        b = self.bias
        x = conv2d_resample(x, w, self.resample_filter, self.up, self.down, self.padding, b)
        clamp = self.conv_clamp * gain if self.conv_clamp is not None else None
        return bias_act(x, None, self.activation, self.act_gain * gain, clamp)


class SynthesisBlock(nn.Module):
    """One resolution: (const | conv0 ×2 up) → conv1 → toRGB, per the output architecture."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        w_dim: int,
        resolution: int,
        img_channels: int,
        is_last: bool,
        architecture: str = "skip",
        resample_filter: list[int] | None = None,
        conv_clamp: float | None = None,
        use_noise: bool = True,
    ) -> None:
        super().__init__()
        self.in_channels, self.resolution = in_channels, resolution
        self.is_last, self.architecture = is_last, architecture
        self.register_buffer("resample_filter", setup_filter(resample_filter or [1, 3, 3, 1]))
        self.num_conv = 0
        self.num_torgb = 0
        common = {"resample_filter": resample_filter, "conv_clamp": conv_clamp}
        if in_channels == 0:
            self.const = nn.Parameter(torch.randn([out_channels, resolution, resolution]))
        else:
            self.conv0 = SynthesisLayer(
                in_channels, out_channels, w_dim, resolution, up=2, use_noise=use_noise, **common
            )
            self.num_conv += 1
        self.conv1 = SynthesisLayer(
            out_channels, out_channels, w_dim, resolution, use_noise=use_noise, **common
        )
        self.num_conv += 1
        if is_last or architecture == "skip":
            self.torgb = ToRGBLayer(out_channels, img_channels, w_dim, conv_clamp=conv_clamp)
            self.num_torgb += 1
        if in_channels != 0 and architecture == "resnet":
            self.skip = Conv2dLayer(
                in_channels, out_channels, 1, bias=False, up=2, resample_filter=resample_filter
            )

    def forward(
        self,
        x: torch.Tensor | None,
        img: torch.Tensor | None,
        ws: torch.Tensor,
        noise_mode: str = "const",
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        w = ws.unbind(dim=1)
        if self.in_channels == 0:
            # channels-last on CPU, kept by every later layer (see the module doc)
            x = fast_layout(self.const.unsqueeze(0).repeat([len(ws), 1, 1, 1]))
            x = self.conv1(x, w[0], noise_mode)
            i = 1
        elif self.architecture == "resnet":
            assert x is not None
            y = self.skip(x, gain=math.sqrt(0.5))
            x = self.conv0(x, w[0], noise_mode)
            x = self.conv1(x, w[1], noise_mode, gain=math.sqrt(0.5))
            x = y + x
            i = 2
        else:
            assert x is not None
            x = self.conv0(x, w[0], noise_mode)
            x = self.conv1(x, w[1], noise_mode)
            i = 2
        if img is not None:
            img = upsample2d(img, self.resample_filter)
        if self.is_last or self.architecture == "skip":
            y = self.torgb(x, w[i])
            if img is None:
                img = y
            else:  # the upsampled image is a fresh tensor: add in place unless autograd needs it
                img = img.add_(y) if not (img.requires_grad or y.requires_grad) else img + y
        return x, img


class SynthesisNetwork(nn.Module):
    """Per-layer styles ws (N × num_ws × w_dim) → image (N × C × R × R), roughly in [-1, 1]."""

    def __init__(
        self,
        w_dim: int,
        img_resolution: int,
        img_channels: int,
        channel_base: int = 32768,
        channel_max: int = 512,
        num_fp16_res: int = 0,
        **block_kwargs: Any,
    ) -> None:
        super().__init__()
        self.w_dim, self.img_resolution, self.img_channels = w_dim, img_resolution, img_channels
        self.num_fp16_res = num_fp16_res  # recorded; computed in fp32
        log2 = int(math.log2(img_resolution))
        self.block_resolutions = [2**i for i in range(2, log2 + 1)]
        channels = {r: min(channel_base // r, channel_max) for r in self.block_resolutions}
        self.num_ws = 0
        for res in self.block_resolutions:
            in_channels = channels[res // 2] if res > 4 else 0
            is_last = res == img_resolution
            block = SynthesisBlock(
                in_channels, channels[res], w_dim, res, img_channels, is_last, **block_kwargs
            )
            self.num_ws += block.num_conv
            if is_last:
                self.num_ws += block.num_torgb
            setattr(self, f"b{res}", block)

    def forward(self, ws: torch.Tensor, noise_mode: str = "const") -> torch.Tensor:
        if noise_mode not in ("const", "random", "none"):
            raise ValueError(f"noise_mode must be const, random or none, got {noise_mode!r}")
        x = img = None
        idx = 0
        blocks = []
        for res in self.block_resolutions:
            block = getattr(self, f"b{res}")
            blocks.append((res, block, ws.narrow(1, idx, block.num_conv + block.num_torgb)))
            idx += block.num_conv
        # Large maps go one sample at a time through all remaining blocks (as the modulated
        # convolutions there do anyway): no batch-sized copies of the largest activations.
        split = next((i for i, (r, *_) in enumerate(blocks) if r * r >= PER_SAMPLE_PIXELS), None)
        if split is None or split == 0 or len(ws) == 1:
            split = len(blocks)
        for _, block, block_ws in blocks[:split]:
            x, img = block(x, img, block_ws, noise_mode)
        if split < len(blocks):
            imgs = []
            for i in range(len(ws)):
                xi, imgi = x[i : i + 1], img[i : i + 1] if img is not None else None
                for _, block, block_ws in blocks[split:]:
                    xi, imgi = block(xi, imgi, block_ws[i : i + 1], noise_mode)
                imgs.append(imgi)
            img = torch.cat(imgs)
        assert img is not None
        return img.contiguous()


class Generator(nn.Module):
    """Mapping network + synthesis network, constructed from NVIDIA's keyword arguments."""

    def __init__(
        self,
        z_dim: int,
        c_dim: int,
        w_dim: int,
        img_resolution: int,
        img_channels: int,
        mapping_kwargs: dict[str, Any] | None = None,
        **synthesis_kwargs: Any,
    ) -> None:
        super().__init__()
        self.z_dim, self.c_dim, self.w_dim = z_dim, c_dim, w_dim
        self.img_resolution, self.img_channels = img_resolution, img_channels
        self.synthesis = SynthesisNetwork(w_dim, img_resolution, img_channels, **synthesis_kwargs)
        self.num_ws = self.synthesis.num_ws
        self.mapping = MappingNetwork(z_dim, c_dim, w_dim, self.num_ws, **(mapping_kwargs or {}))

    def forward(
        self,
        z: torch.Tensor,
        c: torch.Tensor | None = None,
        truncation_psi: float = 1.0,
        truncation_cutoff: int | None = None,
        noise_mode: str = "const",
    ) -> torch.Tensor:
        ws = self.mapping(z, c, truncation_psi, truncation_cutoff)
        return self.synthesis(ws, noise_mode)


# -- discriminator (for training genzoo's own StyleGAN2 models) -------------------------------


class MinibatchStdLayer(nn.Module):
    """Appends the std of features over groups of samples (group size from the spec)."""

    def __init__(self, group_size: int, num_channels: int = 1) -> None:
        super().__init__()
        self.group_size, self.num_channels = group_size, num_channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c, h, w = x.shape
        g = min(self.group_size, n)
        while n % g:  # the largest group size ≤ group_size that divides the batch
            g -= 1
        f = self.num_channels
        y = x.reshape(g, -1, f, c // f, h, w)
        y = (y - y.mean(dim=0)).square().mean(dim=0)
        y = (y + 1e-8).sqrt().mean(dim=[2, 3, 4]).reshape(-1, f, 1, 1)
        return torch.cat([x, y.repeat(g, 1, h, w)], dim=1)


class DiscriminatorBlock(nn.Module):
    """fromRGB (first block) → conv0 → conv1 ÷2, with a 1×1 ÷2 residual (resnet)."""

    def __init__(
        self,
        in_channels: int,
        tmp_channels: int,
        out_channels: int,
        img_channels: int,
        architecture: str = "resnet",
        resample_filter: list[int] | None = None,
        conv_clamp: float | None = None,
    ) -> None:
        super().__init__()
        self.in_channels, self.architecture = in_channels, architecture
        common = {"resample_filter": resample_filter, "conv_clamp": conv_clamp}
        if in_channels == 0 or architecture == "skip":
            self.fromrgb = Conv2dLayer(img_channels, tmp_channels, 1, activation="lrelu", **common)
        self.conv0 = Conv2dLayer(tmp_channels, tmp_channels, 3, activation="lrelu", **common)
        self.conv1 = Conv2dLayer(
            tmp_channels, out_channels, 3, activation="lrelu", down=2, **common
        )
        if architecture == "resnet":
            self.skip = Conv2dLayer(
                tmp_channels, out_channels, 1, bias=False, down=2, resample_filter=resample_filter
            )

    def forward(self, x: torch.Tensor | None, img: torch.Tensor) -> torch.Tensor:
        if self.in_channels == 0:
            x = self.fromrgb(img)
        assert x is not None
        if self.architecture == "resnet":
            y = self.skip(x, gain=math.sqrt(0.5))
            x = self.conv0(x)
            return y + self.conv1(x, gain=math.sqrt(0.5))
        return self.conv1(self.conv0(x))


class DiscriminatorEpilogue(nn.Module):
    """4×4: minibatch stddev → conv → fc → out (projection onto the class map if conditional)."""

    def __init__(
        self,
        in_channels: int,
        cmap_dim: int,
        mbstd_group_size: int,
        mbstd_num_channels: int,
        conv_clamp: float | None = None,
    ) -> None:
        super().__init__()
        self.cmap_dim = cmap_dim
        self.mbstd = MinibatchStdLayer(mbstd_group_size, mbstd_num_channels)
        self.conv = Conv2dLayer(
            in_channels + mbstd_num_channels, in_channels, 3, activation="lrelu",
            conv_clamp=conv_clamp,
        )  # fmt: skip
        self.fc = FullyConnectedLayer(in_channels * 16, in_channels, activation="lrelu")
        self.out = FullyConnectedLayer(in_channels, 1 if cmap_dim == 0 else cmap_dim)

    def forward(self, x: torch.Tensor, cmap: torch.Tensor | None) -> torch.Tensor:
        x = self.conv(self.mbstd(x))
        x = self.out(self.fc(x.flatten(1)))
        if cmap is not None:
            x = (x * cmap).sum(dim=1, keepdim=True) / math.sqrt(self.cmap_dim)
        return x


class Discriminator(nn.Module):
    """StyleGAN2's residual discriminator (logits, N×1)."""

    def __init__(
        self,
        c_dim: int,
        img_resolution: int,
        img_channels: int,
        architecture: str = "resnet",
        channel_base: int = 32768,
        channel_max: int = 512,
        conv_clamp: float | None = None,
        mbstd_group_size: int = 4,
        mbstd_num_channels: int = 1,
        resample_filter: list[int] | None = None,
    ) -> None:
        super().__init__()
        self.c_dim = c_dim
        log2 = int(math.log2(img_resolution))
        self.block_resolutions = [2**i for i in range(log2, 2, -1)]
        channels = {r: min(channel_base // r, channel_max) for r in [*self.block_resolutions, 4]}
        cmap_dim = channels[4] if c_dim > 0 else 0
        for res in self.block_resolutions:
            in_channels = channels[res] if res < img_resolution else 0
            block = DiscriminatorBlock(
                in_channels, channels[res], channels[res // 2], img_channels, architecture,
                resample_filter, conv_clamp,
            )  # fmt: skip
            setattr(self, f"b{res}", block)
        if c_dim > 0:
            self.mapping = MappingNetwork(0, c_dim, cmap_dim, None, w_avg_beta=None)
        self.b4 = DiscriminatorEpilogue(
            channels[4], cmap_dim, mbstd_group_size, mbstd_num_channels, conv_clamp
        )

    def forward(self, img: torch.Tensor, c: torch.Tensor | None = None) -> torch.Tensor:
        x = None
        for res in self.block_resolutions:
            x = getattr(self, f"b{res}")(x, img)
        if x is None:  # a 4×4 model has no blocks
            x = img
        cmap = self.mapping(None, c) if self.c_dim > 0 else None
        return self.b4(x, cmap)
