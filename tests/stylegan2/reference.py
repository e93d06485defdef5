"""A deliberately simple, slow reference of NVIDIA's StyleGAN2-ADA generator (``G_ema`` forward).

It is written independently of genzoo's fast generator (``genzoo_plugins.stylegan2.networks``)
so that tests can compare the two. It follows the definitions in NVIDIA's stylegan2-ada-pytorch:

* ``training/networks.py``: ``normalize_2nd_moment``, ``modulated_conv2d``,
  ``FullyConnectedLayer``, ``Conv2dLayer``, ``MappingNetwork``, ``SynthesisLayer``,
  ``ToRGBLayer``, ``SynthesisBlock``, ``SynthesisNetwork``, ``Generator``;
* ``torch_utils/ops/bias_act.py`` (bias, then activation, then gain, then clamp),
  ``torch_utils/ops/upfirdn2d.py`` (``setup_filter``, ``upfirdn2d``, ``upsample2d``) and
  ``torch_utils/ops/conv2d_resample.py`` (padding rules; ``flip_weight=False`` is a true
  convolution, ``True`` a correlation like ``F.conv2d``).

It is slow on purpose: float64 throughout, one modulated weight per sample in a Python loop
(no grouped convolution), upsampling written out as zero insertion, padding, the FIR filter and
then the convolution (no transposed convolution), and no fp16: NVIDIA's fp16 blocks compute the
same function up to rounding (their fp16 pre-scaling of weights and styles cancels in the
demodulation), so ``num_fp16_res`` is accepted and ignored; ``conv_clamp`` applies in every block.

``params`` is a flat mapping of NVIDIA ``G_ema`` state-dict names (``mapping.fc0.weight``,
``synthesis.b8.conv0.affine.bias``, ...) to tensors; wrap it in :class:`ParamReader` to record
which names were read and to check every shape. ``kwargs`` holds the ``Generator`` constructor
arguments: ``z_dim``, ``c_dim``, ``w_dim``, ``img_resolution``, ``img_channels``,
``mapping_kwargs`` (a dict) and the synthesis arguments ``channel_base``, ``channel_max``,
``num_fp16_res``, ``conv_clamp``, ``architecture``, ``resample_filter``, ``use_noise``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import torch
import torch.nn.functional as F

Tensor = torch.Tensor
DTYPE = torch.float64
SQRT2 = math.sqrt(2.0)


class ParamReader:
    """Read-only view of a state dict that converts to float64, checks shapes and records reads."""

    def __init__(self, state: Mapping[str, Tensor]):
        self.state = dict(state)
        self.used: set[str] = set()
        self.shapes: dict[str, tuple[int, ...]] = {}

    def get(self, name: str, shape: tuple[int, ...]) -> Tensor:
        if name not in self.state:
            raise KeyError(f"missing parameter {name!r}")
        value = self.state[name]
        if tuple(value.shape) != tuple(shape):
            raise ValueError(f"{name}: shape {tuple(value.shape)}, expected {tuple(shape)}")
        self.used.add(name)
        self.shapes[name] = tuple(shape)
        return value.detach().to(DTYPE)


def _reader(params: Mapping[str, Tensor] | ParamReader) -> ParamReader:
    return params if isinstance(params, ParamReader) else ParamReader(params)


# ----------------------------------------------------------------------------------------------
# Configuration (SynthesisNetwork.__init__, MappingNetwork.__init__).


def _synthesis_config(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    res = kwargs["img_resolution"]
    log2 = res.bit_length() - 1
    assert res >= 4 and 2**log2 == res
    base = kwargs.get("channel_base", 32768)
    cmax = kwargs.get("channel_max", 512)
    resolutions = [2**i for i in range(2, log2 + 1)]
    channels = {r: min(base // r, cmax) for r in resolutions}
    arch = kwargs.get("architecture", "skip")
    assert arch in ("orig", "skip", "resnet")
    blocks = []
    for r in resolutions:
        is_last = r == res
        num_conv = 1 if r == 4 else 2
        has_torgb = is_last or arch == "skip"
        blocks.append(
            {
                "res": r,
                "in": channels[r // 2] if r > 4 else 0,
                "out": channels[r],
                "num_conv": num_conv,
                "num_torgb": int(has_torgb),
                "is_last": is_last,
            }
        )
    # num_ws counts every conv layer plus the ToRGB of the last block only.
    num_ws = sum(b["num_conv"] for b in blocks) + blocks[-1]["num_torgb"]
    return {"blocks": blocks, "num_ws": num_ws, "architecture": arch}


def num_ws(kwargs: Mapping[str, Any]) -> int:
    return _synthesis_config(kwargs)["num_ws"]


def fir_filter(resample_filter: Any = (1, 3, 3, 1)) -> tuple[Tensor, Tensor]:
    """(buffer NVIDIA stores, effective 2-D filter) for ``upfirdn2d.setup_filter(f)``.

    setup_filter: a 1-D list becomes its outer product unless it has 8 or more taps (then it
    stays 1-D, "separable"); the result is divided by its sum. A separable 1-D filter f acts as
    the 2-D filter outer(f, f).
    """
    f = torch.as_tensor(resample_filter, dtype=torch.float32)
    if f.ndim == 0:
        f = f[None]
    if f.ndim == 1 and f.numel() < 8:
        f = torch.outer(f, f)
    stored = f / f.sum()
    f64 = stored.to(DTYPE)
    effective = torch.outer(f64, f64) if f64.ndim == 1 else f64
    return stored, effective


# ----------------------------------------------------------------------------------------------
# Elementary operations.


def normalize_2nd_moment(x: Tensor, eps: float = 1e-8) -> Tensor:
    return x / torch.sqrt((x * x).mean(dim=1, keepdim=True) + eps)


def activation(x: Tensor, act: str) -> Tensor:
    if act == "linear":
        return x
    if act == "relu":
        return torch.clamp(x, min=0)
    if act == "lrelu":
        return torch.where(x >= 0, x, 0.2 * x)
    raise ValueError(act)


def default_gain(act: str) -> float:
    # bias_act.activation_funcs[...].def_gain: sqrt(2) for relu / lrelu, 1 for linear.
    return SQRT2 if act in ("relu", "lrelu") else 1.0


def bias_act(
    x: Tensor,
    bias: Tensor | None,
    act: str,
    gain: float,
    clamp: float | None,
    record: list | None = None,
    name: str = "",
) -> Tensor:
    """bias_act._bias_act_ref: x + b (over dim 1), activation, times gain, clamp to ±clamp."""
    if bias is not None:
        x = x + bias.reshape([1, -1] + [1] * (x.ndim - 2))
    x = activation(x, act) * gain
    if clamp is not None:
        if record is not None:
            record.append((name, int((x.abs() > clamp).sum())))
        x = torch.clamp(x, -clamp, clamp)
    return x


def fully_connected(
    x: Tensor, weight: Tensor, bias: Tensor | None, lr_multiplier: float = 1.0, act: str = "linear"
) -> Tensor:
    """FullyConnectedLayer: runtime weight gain lr/sqrt(fan_in), bias gain lr."""
    fan_in = weight.shape[1]
    y = x @ (weight * (lr_multiplier / math.sqrt(fan_in))).t()
    b = bias * lr_multiplier if bias is not None else None
    return bias_act(y, b, act, default_gain(act), None)


def correlate(x: Tensor, w: Tensor, pad: int) -> Tensor:
    """Plain cross-correlation (what ``F.conv2d`` does), zero padding ``pad`` on each side."""
    return F.conv2d(x, w, padding=pad)


def true_convolution(x: Tensor, w: Tensor) -> Tensor:
    """True convolution (kernel flipped relative to ``F.conv2d``), no padding ("valid")."""
    return F.conv2d(x, torch.flip(w, dims=[2, 3]))


def zero_insert(x: Tensor, up: int) -> Tensor:
    """upfirdn2d step 1: place each pixel at (up*i, up*j), zeros in between and after."""
    n, c, h, w = x.shape
    y = torch.zeros(n, c, h * up, w * up, dtype=x.dtype, device=x.device)
    y[:, :, ::up, ::up] = x
    return y


def upfirdn2d(
    x: Tensor, f: Tensor, up: int = 1, down: int = 1, pad=(0, 0, 0, 0), gain: float = 1.0
) -> Tensor:
    """upfirdn2d as defined, for any filter, per-axis padding (x0, x1, y0, y1; negative crops)
    and ``down``: zero insertion, pad/crop, a true convolution of every channel, subsampling."""
    z = zero_insert(x, up) if up > 1 else x
    x0, x1, y0, y1 = pad
    z = F.pad(z, [max(x0, 0), max(x1, 0), max(y0, 0), max(y1, 0)])
    z = z[:, :, max(-y0, 0) : z.shape[2] - max(-y1, 0), max(-x0, 0) : z.shape[3] - max(-x1, 0)]
    c = z.shape[1]
    k = torch.flip(f * gain, dims=[0, 1])[None, None].repeat(c, 1, 1, 1)
    return F.conv2d(z, k, groups=c)[:, :, ::down, ::down]


def fir(x: Tensor, f2d: Tensor, pad0: int, pad1: int, gain: float) -> Tensor:
    """upfirdn2d steps 2-3: zero pad (pad0 before, pad1 after, both axes), then a true
    convolution of every channel with ``f2d * gain`` ("valid")."""
    x = F.pad(x, [pad0, pad1, pad0, pad1])
    c = x.shape[1]
    k = torch.flip(f2d * gain, dims=[0, 1])[None, None].repeat(c, 1, 1, 1)
    return F.conv2d(x, k, groups=c)


def upsample2d(x: Tensor, f2d: Tensor, up: int = 2) -> Tensor:
    """upfirdn2d.upsample2d: zero insert, pad ((fw+up-1)//2, (fw-up)//2), filter, gain up²."""
    fw = f2d.shape[-1]
    return fir(zero_insert(x, up), f2d, (fw + up - 1) // 2, (fw - up) // 2, up * up)


def conv_up2(x: Tensor, w: Tensor, f2d: Tensor) -> Tensor:
    """conv2d_resample(x, w, f, up=2, padding=k//2, flip_weight=False).

    Definitional order: zero insertion, padding relative to the upsampled image
    (k//2 + (fw+1)//2 before, k//2 + (fw-2)//2 after), the FIR filter with gain 4, then a TRUE
    convolution with ``w`` (flip_weight=False) without further padding.
    """
    k = w.shape[-1]
    fw = f2d.shape[-1]
    up = 2
    pad0 = k // 2 + (fw + up - 1) // 2
    pad1 = k // 2 + (fw - up) // 2
    y = fir(zero_insert(x, up), f2d, pad0, pad1, up * up)
    return true_convolution(y, w)


def modulated_conv(
    x: Tensor, weight: Tensor, styles: Tensor, demodulate: bool, up: int, f2d: Tensor
) -> Tensor:
    """modulated_conv2d, one sample at a time: w' = w * s (per input channel), then, if
    demodulating, w'' = w' / sqrt(sum_{i,kh,kw} w'^2 + 1e-8) per output channel."""
    outs = []
    for n in range(x.shape[0]):
        wn = weight * styles[n].reshape(1, -1, 1, 1)
        if demodulate:
            d = 1.0 / torch.sqrt((wn * wn).sum(dim=[1, 2, 3]) + 1e-8)
            wn = wn * d.reshape(-1, 1, 1, 1)
        xn = x[n : n + 1]
        if up == 1:
            outs.append(correlate(xn, wn, weight.shape[-1] // 2))  # flip_weight=True
        else:
            assert up == 2
            outs.append(conv_up2(xn, wn, f2d))  # flip_weight=False
    return torch.cat(outs, dim=0)


# ----------------------------------------------------------------------------------------------
# Mapping network.


def reference_mapping(
    params,
    kwargs: Mapping[str, Any],
    z: Tensor | None,
    c: Tensor | None,
    psi: float = 1,
    cutoff: int | None = None,
) -> Tensor:
    """MappingNetwork.forward (eval mode): N × num_ws × w_dim, float64."""
    p = _reader(params)
    z_dim, c_dim, w_dim = kwargs["z_dim"], kwargs["c_dim"], kwargs["w_dim"]
    mk = dict(kwargs.get("mapping_kwargs") or {})
    num_layers = mk.get("num_layers", 8)
    lr = mk.get("lr_multiplier", 0.01)
    act = mk.get("activation", "lrelu")
    embed_features = mk.get("embed_features")
    embed_features = w_dim if embed_features is None else embed_features
    layer_features = mk.get("layer_features")
    layer_features = w_dim if layer_features is None else layer_features
    w_avg_beta = mk.get("w_avg_beta", 0.995)
    if c_dim == 0:
        embed_features = 0
    n_ws = num_ws(kwargs)

    parts = []
    if z_dim > 0:
        parts.append(normalize_2nd_moment(z.to(DTYPE)))
    if c_dim > 0:
        # The label embedding is a plain linear FullyConnectedLayer (lr 1, bias init 0).
        e = fully_connected(
            c.to(DTYPE),
            p.get("mapping.embed.weight", (embed_features, c_dim)),
            p.get("mapping.embed.bias", (embed_features,)),
        )
        parts.append(normalize_2nd_moment(e))
    x = torch.cat(parts, dim=1)

    features = [z_dim + embed_features] + [layer_features] * (num_layers - 1) + [w_dim]
    for i in range(num_layers):
        x = fully_connected(
            x,
            p.get(f"mapping.fc{i}.weight", (features[i + 1], features[i])),
            p.get(f"mapping.fc{i}.bias", (features[i + 1],)),
            lr_multiplier=lr,
            act=act,
        )

    ws = x[:, None, :].repeat(1, n_ws, 1)
    w_avg = p.get("mapping.w_avg", (w_dim,)) if w_avg_beta is not None else None
    if psi != 1:
        assert w_avg is not None
        stop = n_ws if cutoff is None else cutoff
        # w_avg.lerp(w, psi) = w_avg + psi * (w - w_avg), on the first `cutoff` ws only.
        ws[:, :stop] = w_avg + psi * (ws[:, :stop] - w_avg)
    return ws


# ----------------------------------------------------------------------------------------------
# Synthesis network.


def _check_filter(p: ParamReader, name: str, stored: Tensor) -> None:
    buf = p.get(name, tuple(stored.shape))
    if not torch.allclose(buf, stored.to(DTYPE), rtol=0, atol=1e-7):
        raise ValueError(f"{name} is not setup_filter(resample_filter)")


def _synthesis_layer(p, prefix, x, w, in_ch, out_ch, w_dim, res, up, kw, noise_mode, gain, record):
    """SynthesisLayer.forward: affine → modulated (demodulated) conv → + noise → bias, lrelu,
    gain sqrt(2)*gain, clamp ±conv_clamp*gain."""
    stored, f2d = fir_filter(kw.get("resample_filter", (1, 3, 3, 1)))
    _check_filter(p, f"{prefix}.resample_filter", stored)
    # The affine layer is a FullyConnectedLayer(w_dim, in_ch, bias_init=1): lr 1, linear.
    styles = fully_connected(
        w,
        p.get(f"{prefix}.affine.weight", (in_ch, w_dim)),
        p.get(f"{prefix}.affine.bias", (in_ch,)),
    )
    weight = p.get(f"{prefix}.weight", (out_ch, in_ch, 3, 3))  # no weight gain: demodulated
    x = modulated_conv(x, weight, styles, demodulate=True, up=up, f2d=f2d)
    if kw.get("use_noise", True):
        noise_const = p.get(f"{prefix}.noise_const", (res, res))
        strength = p.get(f"{prefix}.noise_strength", ())
        if noise_mode == "const":
            x = x + (noise_const * strength)[None, None]
        elif noise_mode != "none":
            raise ValueError("the reference is deterministic: noise_mode 'const' or 'none'")
    bias = p.get(f"{prefix}.bias", (out_ch,))
    clamp = kw.get("conv_clamp")
    clamp = clamp * gain if clamp is not None else None
    return bias_act(x, bias, "lrelu", SQRT2 * gain, clamp, record, prefix)


def _torgb(p, prefix, x, w, in_ch, img_ch, w_dim, kw, record):
    """ToRGBLayer.forward: styles = affine(w) / sqrt(in_ch * 1 * 1), 1×1 modulated conv WITHOUT
    demodulation, + bias, linear, clamp ±conv_clamp."""
    styles = fully_connected(
        w,
        p.get(f"{prefix}.affine.weight", (in_ch, w_dim)),
        p.get(f"{prefix}.affine.bias", (in_ch,)),
    )
    styles = styles / math.sqrt(in_ch)
    weight = p.get(f"{prefix}.weight", (img_ch, in_ch, 1, 1))
    y = modulated_conv(x, weight, styles, demodulate=False, up=1, f2d=None)
    bias = p.get(f"{prefix}.bias", (img_ch,))
    return bias_act(y, bias, "linear", 1.0, kw.get("conv_clamp"), record, prefix)


def _resnet_skip(p, prefix, x, in_ch, out_ch, kw):
    """Conv2dLayer(in, out, kernel_size=1, bias=False, up=2) called with gain=sqrt(0.5): weight
    gain 1/sqrt(in_ch); linear; no clamp (conv_clamp is not passed to the skip layer)."""
    stored, f2d = fir_filter(kw.get("resample_filter", (1, 3, 3, 1)))
    _check_filter(p, f"{prefix}.resample_filter", stored)
    weight = p.get(f"{prefix}.weight", (out_ch, in_ch, 1, 1)) / math.sqrt(in_ch)
    y = conv_up2(x, weight, f2d)
    return bias_act(y, None, "linear", math.sqrt(0.5), None)


def reference_synthesis(
    params,
    kwargs: Mapping[str, Any],
    ws: Tensor,
    noise_mode: str = "const",
    record: list | None = None,
) -> Tensor:
    """SynthesisNetwork.forward (eval, noise_mode const / none): N × img_channels × R × R.

    ``record``, if a list, receives (layer name, number of clamped elements) for every clamp.
    """
    p = _reader(params)
    cfg = _synthesis_config(kwargs)
    w_dim, img_ch = kwargs["w_dim"], kwargs["img_channels"]
    arch = cfg["architecture"]
    stored, f2d = fir_filter(kwargs.get("resample_filter", (1, 3, 3, 1)))
    ws = ws.to(DTYPE)
    assert ws.shape[1:] == (cfg["num_ws"], w_dim)

    x = img = None
    w_idx = 0
    for b in cfg["blocks"]:
        res, cin, cout = b["res"], b["in"], b["out"]
        pre = f"synthesis.b{res}"
        # Each block sees num_conv + num_torgb consecutive ws but the index advances by num_conv
        # only, so a block's ToRGB shares its w with the next block's first conv.
        block_ws = [ws[:, w_idx + i] for i in range(b["num_conv"] + b["num_torgb"])]
        w_idx += b["num_conv"]
        _check_filter(p, f"{pre}.resample_filter", stored)

        if cin == 0:
            const = p.get(f"{pre}.const", (cout, res, res))
            x = const[None].repeat(ws.shape[0], 1, 1, 1)
            x = _synthesis_layer(
                p,
                f"{pre}.conv1",
                x,
                block_ws[0],
                cout,
                cout,
                w_dim,
                res,
                1,
                kwargs,
                noise_mode,
                1.0,
                record,
            )
        else:
            layer_gain = math.sqrt(0.5) if arch == "resnet" else 1.0
            y = _resnet_skip(p, f"{pre}.skip", x, cin, cout, kwargs) if arch == "resnet" else None
            x = _synthesis_layer(
                p,
                f"{pre}.conv0",
                x,
                block_ws[0],
                cin,
                cout,
                w_dim,
                res,
                2,
                kwargs,
                noise_mode,
                1.0,
                record,
            )
            x = _synthesis_layer(
                p,
                f"{pre}.conv1",
                x,
                block_ws[1],
                cout,
                cout,
                w_dim,
                res,
                1,
                kwargs,
                noise_mode,
                layer_gain,
                record,
            )
            if y is not None:
                x = y + x

        if img is not None:
            img = upsample2d(img, f2d)
        if b["num_torgb"]:
            rgb = _torgb(
                p, f"{pre}.torgb", x, block_ws[b["num_conv"]], cout, img_ch, w_dim, kwargs, record
            )
            img = rgb if img is None else img + rgb
    return img


def reference_generator(
    params,
    kwargs: Mapping[str, Any],
    z: Tensor | None,
    c: Tensor | None,
    psi: float = 1,
    cutoff: int | None = None,
    noise_mode: str = "const",
    record: list | None = None,
) -> Tensor:
    """Generator.forward: mapping (with truncation) then synthesis."""
    p = _reader(params)
    ws = reference_mapping(p, kwargs, z, c, psi=psi, cutoff=cutoff)
    return reference_synthesis(p, kwargs, ws, noise_mode=noise_mode, record=record)
