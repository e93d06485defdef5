"""Numerical equivalence of genzoo's StyleGAN2 generator with NVIDIA's stylegan2-ada-pytorch.

genzoo's fast generator (fp32) is compared with ``tests/stylegan2/reference.py``, a slow float64
re-statement of NVIDIA's definitions, on random weights: every parameter and noise buffer is
randomised (non-zero biases, noise strengths and ``w_avg``) so that no term can hide behind
NVIDIA's zero initialisation.
"""

from __future__ import annotations

import functools
import math
import re

import pytest
import torch

from genzoo_plugins.stylegan2.networks import Generator
from tests.stylegan2 import nvfixture as nf
from tests.stylegan2 import reference as ref

TOL = 1e-4
BATCH = {"res1024": 1}  # default 2


def _kwargs(**over):
    """The fixture's tiny kwargs at 32², 3 mapping layers, channel_base 128 (``mapping_kwargs``
    updates the mapping's, other keys replace)."""
    mapping = {"num_layers": 3, **over.pop("mapping_kwargs", {})}
    return nf.tiny_kwargs(**{"img_resolution": 32, "channel_base": 128, **over}, mapping=mapping)


# clamp256_fp16: the bias of channel 0 of the last conv is raised so that the ±256 clamp bites
# (b32 runs in fp16 in NVIDIA's code with num_fp16_res=4, which genzoo computes in fp32); the
# ToRGB reads that channel with a small weight so that the image stays O(1) (fp32 rounding at
# 256 alone is ~3e-5) while still depending on the clamp. clamp_small_resnet16 clamps at ±0.5
# so that the clamp bites in every kind of layer (ToRGB, and conv1 at ±0.5·sqrt(0.5) in resnet).
CLAMP_LAYER = "synthesis.b32.conv1"

CONFIGS = {
    "skip32": _kwargs(),
    "cond64": _kwargs(
        c_dim=4,
        img_resolution=64,
        channel_base=256,
        mapping_kwargs={"num_layers": 4, "layer_features": 12},
    ),
    "resnet32": _kwargs(architecture="resnet"),
    "orig16": _kwargs(architecture="orig", img_resolution=16),
    "clamp256_fp16": _kwargs(conv_clamp=256, num_fp16_res=4),
    "clamp_small_resnet16": _kwargs(
        conv_clamp=0.5, num_fp16_res=2, architecture="resnet", img_resolution=16
    ),
    # channels 8 up to 128², then 4, 2, 1 at 1024².
    "res1024": _kwargs(
        img_resolution=1024, channel_base=1024, channel_max=8, mapping_kwargs={"num_layers": 2}
    ),
    "gray16_embed": _kwargs(
        img_channels=1,
        img_resolution=16,
        c_dim=3,
        mapping_kwargs={"num_layers": 2, "embed_features": 5},
    ),
    "nonoise16": _kwargs(img_resolution=16, use_noise=False),
}


def _randomise(G: torch.nn.Module, kw: dict, seed: int, clamp: bool) -> dict[str, torch.Tensor]:
    """Overwrite every parameter and buffer (except the fixed FIR filters) with random values
    scaled so that the activations stay O(1). Returns the state dict."""
    gen = torch.Generator().manual_seed(seed)
    lr = kw["mapping_kwargs"]["lr_multiplier"]

    def randn(shape):
        return torch.randn(shape, generator=gen)

    done = set()
    with torch.no_grad():
        for name, t in list(G.named_parameters()) + list(G.named_buffers()):
            shape = t.shape
            if name.endswith("resample_filter"):
                continue
            if re.fullmatch(r"mapping\.fc\d+\.weight", name):
                v = randn(shape) / lr  # runtime weight = param * lr / sqrt(fan_in)
            elif re.fullmatch(r"mapping\.fc\d+\.bias", name):
                v = 0.3 * randn(shape) / lr  # runtime bias = param * lr
            elif name.endswith("affine.bias"):
                v = 1.0 + 0.3 * randn(shape)  # styles around NVIDIA's bias_init=1
            elif name.endswith("noise_strength"):
                v = torch.tensor(0.2 + 0.4 * torch.rand((), generator=gen).item())
                v = v * (1 if torch.rand((), generator=gen).item() < 0.5 else -1)
            elif name.endswith(".bias"):
                v = 0.3 * randn(shape)  # embed, conv and ToRGB biases (gain 1)
            elif name == "mapping.w_avg" or name.endswith((".weight", "noise_const", ".const")):
                v = randn(shape)  # unit normal: weights (gains or demodulation apply at run time)
            else:
                raise AssertionError(f"unexpected tensor {name} in genzoo's Generator")
            if clamp and name == f"{CLAMP_LAYER}.bias":
                # 181 * sqrt(2) ≈ 256: about half the pixels of channel 0 exceed the clamp.
                v[0] = 181.0
            if clamp and name == "synthesis.b32.torgb.weight":
                v[:, 0] *= 0.01
            t.copy_(v)
            done.add(name)
    sd = G.state_dict()
    missing = {k for k in sd if not k.endswith("resample_filter")} - done
    assert not missing, f"not randomised: {sorted(missing)}"
    return {k: v.clone() for k, v in sd.items()}


def _inputs(kw: dict, seed: int, batch: int):
    gen = torch.Generator().manual_seed(seed + 1)
    z = torch.randn(batch, kw["z_dim"], generator=gen)
    c = None
    if kw["c_dim"]:
        labels = torch.arange(batch) % kw["c_dim"]
        c = torch.nn.functional.one_hot(labels, kw["c_dim"]).float()
    return z, c


@functools.cache
def _case(name: str):
    kw = CONFIGS[name]
    torch.manual_seed(0)
    G = Generator(**kw).eval()
    seed = sorted(CONFIGS).index(name) + 10
    sd = _randomise(G, kw, seed, clamp=name == "clamp256_fp16")
    return kw, G, sd, _inputs(kw, seed, BATCH.get(name, 2))


def _err(a: torch.Tensor, b: torch.Tensor) -> float:
    assert a.shape == b.shape, (a.shape, b.shape)
    return (a.double() - b.double()).abs().max().item()


@pytest.mark.parametrize("name", list(CONFIGS))
def test_generator_matches_reference(name):
    kw, G, sd, (z, c) = _case(name)
    n_ws = ref.num_ws(kw)
    assert n_ws == G.num_ws
    errors = {}
    with torch.no_grad():
        # Mapping, without and with truncation (cutoff below num_ws).
        p = ref.ParamReader(sd)
        ws1 = G.mapping(z, c, truncation_psi=1, truncation_cutoff=None)
        errors["mapping"] = _err(ws1, ref.reference_mapping(p, kw, z, c))
        ws7 = G.mapping(z, c, truncation_psi=0.7, truncation_cutoff=3)
        r7 = ref.reference_mapping(p, kw, z, c, psi=0.7, cutoff=3)
        errors["mapping_psi0.7_cut3"] = _err(ws7, r7)
        assert _err(r7[:, 3:], ref.reference_mapping(p, kw, z, c)[:, 3:]) == 0
        ws_all = G.mapping(z, c, truncation_psi=0.7)
        errors["mapping_psi0.7"] = _err(ws_all, ref.reference_mapping(p, kw, z, c, psi=0.7))

        # Synthesis from the same (fp32) ws, so mapping error does not compound.
        record: list = []
        outs = {}
        for mode in ("const", "none"):
            img = G.synthesis(ws7, noise_mode=mode)
            outs[mode] = ref.reference_synthesis(
                p, kw, ws7.double(), noise_mode=mode, record=record
            )
            errors[f"synthesis_{mode}"] = _err(img, outs[mode])

        # A different w for every layer (as in style mixing): checks how ws are split.
        gen = torch.Generator().manual_seed(7)
        ws_mixed = ws7 + 0.5 * torch.randn(ws7.shape, generator=gen)
        errors["synthesis_mixed_ws"] = _err(
            G.synthesis(ws_mixed, noise_mode="const"),
            ref.reference_synthesis(p, kw, ws_mixed.double(), noise_mode="const"),
        )

        # Whole generator.
        img = G(z, c, truncation_psi=0.7, truncation_cutoff=None, noise_mode="const")
        errors["G_psi0.7_const"] = _err(
            img, ref.reference_generator(p, kw, z, c, psi=0.7, noise_mode="const")
        )

    scale = outs["const"].abs().max().item()
    assert all(e < TOL for e in errors.values()), f"{name}: errors {errors}, |img| ≤ {scale:.3g}"

    # The reference read exactly genzoo's state dict, names and shapes.
    assert p.used == set(sd), (set(sd) - p.used, p.used - set(sd))
    assert p.shapes == {k: tuple(v.shape) for k, v in sd.items()}

    # Sanity: the inputs make every part matter.
    assert img.shape == (z.shape[0], kw["img_channels"], kw["img_resolution"], kw["img_resolution"])
    if kw["use_noise"]:
        assert _err(outs["const"], outs["none"]) > 1e-3
    if kw["conv_clamp"] is not None:
        clamped = {k: n for k, n in record if n}
        if name == "clamp256_fp16":
            assert set(clamped) == {CLAMP_LAYER}, clamped
        else:
            assert {"synthesis.b16.conv1", "synthesis.b16.torgb"} <= set(clamped), clamped
        unclamped = ref.reference_synthesis(sd, {**kw, "conv_clamp": None}, ws7.double())
        assert _err(unclamped, outs["const"]) > 0.01


def test_state_dict_names_match_nvidia_by_hand():
    """Tiny conditional resnet at 8²: the G_ema names and shapes, listed from NVIDIA's modules."""
    kw = _kwargs(
        z_dim=3,
        c_dim=2,
        w_dim=5,
        img_resolution=8,
        img_channels=3,
        channel_base=48,
        channel_max=7,
        architecture="resnet",
        mapping_kwargs={"num_layers": 2},
    )
    torch.manual_seed(0)
    G = Generator(**kw)
    f = (4, 4)
    c4, c8 = 7, 6  # min(48 // 4, 7), min(48 // 8, 7)

    def layer(pre, cin, cout, res):
        return {
            f"{pre}.resample_filter": f,
            f"{pre}.affine.weight": (cin, 5),
            f"{pre}.affine.bias": (cin,),
            f"{pre}.weight": (cout, cin, 3, 3),
            f"{pre}.noise_const": (res, res),
            f"{pre}.noise_strength": (),
            f"{pre}.bias": (cout,),
        }

    expected = {
        "mapping.embed.weight": (5, 2),
        "mapping.embed.bias": (5,),
        "mapping.fc0.weight": (5, 8),
        "mapping.fc0.bias": (5,),
        "mapping.fc1.weight": (5, 5),
        "mapping.fc1.bias": (5,),
        "mapping.w_avg": (5,),
        "synthesis.b4.resample_filter": f,
        "synthesis.b4.const": (c4, 4, 4),
        **layer("synthesis.b4.conv1", c4, c4, 4),
        "synthesis.b8.resample_filter": f,
        **layer("synthesis.b8.conv0", c4, c8, 8),
        **layer("synthesis.b8.conv1", c8, c8, 8),
        "synthesis.b8.torgb.affine.weight": (c8, 5),
        "synthesis.b8.torgb.affine.bias": (c8,),
        "synthesis.b8.torgb.weight": (3, c8, 1, 1),
        "synthesis.b8.torgb.bias": (3,),
        "synthesis.b8.skip.resample_filter": f,
        "synthesis.b8.skip.weight": (c8, c4, 1, 1),
    }
    got = {k: tuple(v.shape) for k, v in G.state_dict().items()}
    assert got == expected
    assert G.num_ws == 4  # b4.conv1, b8.conv0, b8.conv1, b8.torgb
    # NVIDIA's initial values that a checkpoint does not need but a fresh G should have.
    sd = G.state_dict()
    assert torch.equal(sd["mapping.w_avg"], torch.zeros(5))
    assert torch.equal(sd["synthesis.b8.conv0.affine.bias"], torch.ones(c4))
    assert torch.equal(sd["synthesis.b8.conv0.noise_strength"], torch.zeros(()))
    assert torch.equal(sd["mapping.fc1.bias"], torch.zeros(5))
    assert 20 < sd["mapping.fc1.weight"].std().item() < 500  # randn / lr_multiplier (0.01)
    assert torch.allclose(sd["synthesis.b8.resample_filter"], ref.fir_filter()[0])
    # ...and the reference consumes exactly these names.
    p = ref.ParamReader(sd)
    z, c = torch.randn(1, 3), torch.eye(2)[:1]
    ref.reference_generator(p, kw, z, c)
    assert p.shapes == expected


def test_wrong_up_conv_flip_is_detected():
    """Flipping one upsampling kernel (correlation instead of NVIDIA's true convolution)
    must break the agreement, so the equivalence test can fail."""
    kw, G, sd, (z, c) = _case("skip32")
    with torch.no_grad():
        ws = G.mapping(z, c)
        img = G.synthesis(ws, noise_mode="const")
    bad = dict(sd)
    bad["synthesis.b8.conv0.weight"] = sd["synthesis.b8.conv0.weight"].flip([2, 3])
    good_err = _err(img, ref.reference_synthesis(sd, kw, ws.double()))
    bad_err = _err(img, ref.reference_synthesis(bad, kw, ws.double()))
    assert good_err < TOL
    assert bad_err > 100 * TOL, bad_err


def test_reference_building_blocks():
    """Small self-checks of the reference against hand-computed values."""
    x = torch.arange(4.0, dtype=torch.float64).reshape(1, 1, 2, 2)
    # The [1,3,3,1] filter: outer product normalised to sum 1; upsampling has gain 4.
    stored, f2d = ref.fir_filter([1, 3, 3, 1])
    assert torch.allclose(stored, torch.outer(*[torch.tensor([1.0, 3, 3, 1])] * 2) / 64)
    up = ref.upsample2d(torch.ones(1, 1, 3, 3, dtype=torch.float64), f2d)
    assert up.shape == (1, 1, 6, 6) and torch.allclose(up[..., 2:4, 2:4], torch.ones(2, 2).double())
    # A true convolution of an impulse reproduces the kernel; a correlation mirrors it.
    k = torch.arange(9.0, dtype=torch.float64).reshape(1, 1, 3, 3)
    impulse = torch.zeros(1, 1, 3, 3, dtype=torch.float64)
    impulse[0, 0, 1, 1] = 1
    assert torch.equal(ref.correlate(impulse, k, 1), k.flip([2, 3]))
    assert torch.equal(ref.true_convolution(torch.nn.functional.pad(impulse, [1] * 4), k), k)
    # normalize_2nd_moment and the lrelu gain.
    v = ref.normalize_2nd_moment(torch.tensor([[3.0, 4.0]], dtype=torch.float64))
    assert torch.allclose(v, torch.tensor([[3.0, 4.0]]).double() / math.sqrt(12.5 + 1e-8))
    y = ref.bias_act(x, torch.tensor([-2.0]).double(), "lrelu", math.sqrt(2), 1.0)
    assert torch.allclose(y.flatten(), torch.tensor([-0.4 * 2**0.5, -0.2 * 2**0.5, 0, 1]).double())
