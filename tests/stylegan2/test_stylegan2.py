"""StyleGAN2 family: conformance (build, train, safetensors round trip, sample) for the
unconditional, conditional and resnet variants; truncation, mixing, noise modes, FIR ops."""

from __future__ import annotations

import copy
from typing import ClassVar

import pytest
import torch
import torch.nn.functional as F

import genzoo_plugins.gan as gan
import genzoo_plugins.stylegan2 as stylegan2
from genzoo.errors import SpecError
from genzoo.nn.fir import conv2d_resample, downsample2d, setup_filter, upfirdn2d, upsample2d
from genzoo.testing.conformance import FamilyConformance
from tests.stylegan2.reference import upfirdn2d as ref_upfirdn2d

PLUGINS = [("stylegan2", stylegan2), ("gan", gan)]
SPEC = {
    "name": "sg2",
    "family": "stylegan2",
    "data": {"channels": 1, "size": 16},
    "latent": {"dim": 16},
    "arch": {"w_dim": 16, "mapping_layers": 2, "channel_base": 128, "channel_max": 16},
    "training": {
        "batch_size": 4,
        "steps": 4,
        "ema": {"network": "G", "beta": 0.9},
        "options": {"r1_interval": 2, "pl_interval": 2},
    },
}


class TestStyleGAN2Conformance(FamilyConformance):
    plugins: ClassVar = PLUGINS
    spec: ClassVar = SPEC


class TestConditionalResnetStyleGAN2(FamilyConformance):
    plugins: ClassVar = PLUGINS
    spec: ClassVar = {
        **copy.deepcopy(SPEC),
        "task": "conditional",
        "conditions": {"kind": "class", "names": ["a", "b", "c"]},
        "data": {"channels": 3, "size": 8},
        "arch": {**SPEC["arch"], "architecture": "resnet", "conv_clamp": 256},
    }


def model(make_zoo, **arch):
    torch.manual_seed(0)
    spec = copy.deepcopy(SPEC)
    spec["arch"].update(arch)
    m = make_zoo(*PLUGINS).build(spec)
    with torch.no_grad():
        m.G.mapping.w_avg.copy_(m.G.mapping(torch.randn(500, 16), None)[:, 0].mean(0))
    return m.eval()


def test_num_ws_matches_nvidia(make_zoo):
    m = model(make_zoo)
    assert m.num_ws == 6  # 4²: conv1 + 8², 16²: two convs each + the last toRGB
    names = set(m.G.state_dict())
    for key in (
        "synthesis.b4.const",
        "synthesis.b4.conv1.noise_const",
        "synthesis.b8.conv0.affine.weight",
        "synthesis.b16.torgb.weight",
        "synthesis.b8.resample_filter",
        "mapping.fc1.bias",
        "mapping.w_avg",
    ):
        assert key in names, key


def test_truncation_zero_gives_the_average_image(make_zoo):
    m = model(make_zoo)
    a = m.sample(3, seed=1, truncation=0.0)
    assert torch.allclose(a[0], a[1], atol=1e-6) and torch.allclose(a[0], a[2], atol=1e-6)
    b = m.sample(3, seed=1)
    assert not torch.allclose(b[0], b[1])


def test_truncation_cutoff_only_touches_the_first_layers(make_zoo):
    m = model(make_zoo, truncation_cutoff=2)
    z = torch.randn(2, 16)
    full, cut = m.mapping(z), m.mapping(z, truncation=0.0)
    assert torch.allclose(cut[:, :2], m.G.mapping.w_avg.expand(2, 2, -1))
    assert torch.equal(cut[:, 2:], full[:, 2:])


def test_mixing_and_noise_modes(make_zoo):
    m = model(make_zoo)
    g = torch.Generator().manual_seed(3)
    za, zb = m.sample_latent(1, g), m.sample_latent(1, g)
    with torch.no_grad():
        a, b = m.decode(za), m.decode(zb)
        assert torch.allclose(m.mix(za, zb, []), a, atol=1e-6)
        assert torch.allclose(m.mix(za, zb, range(m.num_ws)), b, atol=1e-6)
        ws = m.mapping(za)
        for p in m.G.parameters():  # make the noise matter
            if p.ndim == 0:
                p.fill_(0.5)
        const1, const2 = m.synthesis(ws, "const"), m.synthesis(ws, "const")
        rand1, rand2 = m.synthesis(ws, "random"), m.synthesis(ws, "random")
        none = m.synthesis(ws, "none")
    assert torch.equal(const1, const2)
    assert not torch.allclose(rand1, rand2)
    assert not torch.allclose(none, const1)
    with pytest.raises(ValueError, match="noise_mode"):
        m.G.synthesis(ws, "fixed")


def test_resolution_must_be_a_power_of_two(make_zoo):
    spec = {**copy.deepcopy(SPEC), "data": {"channels": 1, "size": 24}}
    with pytest.raises(SpecError, match="power of two"):
        make_zoo(*PLUGINS).resolve(spec)


def test_discriminator_architecture_is_orig_or_resnet(make_zoo):
    """NVIDIA's skip discriminator (fromRGB of the downsampled image at every block) is not
    implemented: the spec refuses it rather than training an ``orig`` one under that name."""
    zoo = make_zoo(*PLUGINS)
    spec = copy.deepcopy(SPEC)
    spec["arch"]["d_architecture"] = "skip"
    with pytest.raises(SpecError) as exc:
        zoo.resolve(spec)
    msg = str(exc.value)
    assert "spec.arch.d_architecture" in msg and "'orig' or 'resnet'" in msg
    assert "(got 'skip')" in msg
    for arch, has_skip in (("orig", False), ("resnet", True)):
        spec["arch"]["d_architecture"] = arch
        D = zoo.build(spec).D
        assert hasattr(D.b16, "skip") == has_skip and hasattr(D.b8, "skip") == has_skip
        assert not hasattr(D.b8, "fromrgb")  # only the first block reads the image
        assert D(torch.zeros(2, 1, 16, 16)).shape == (2, 1)


# -- FIR resampling against definitions ---------------------------------------------------------
F4 = setup_filter([1, 3, 3, 1])


def test_upsample2d_is_zero_insertion_then_filter():
    x = torch.randn(2, 3, 5, 5, dtype=torch.float64)
    up = torch.zeros(2, 3, 10, 10, dtype=torch.float64)
    up[:, :, ::2, ::2] = x
    k = (F4.double() * 4).flip([0, 1])
    ref = F.conv2d(F.pad(up, (2, 1, 2, 1)), k.expand(3, 1, 4, 4), groups=3)
    assert torch.allclose(upsample2d(x, F4.double()), ref)
    # a constant image stays constant away from the border (gain 4 undoes the zeros)
    c = upsample2d(torch.ones(1, 1, 8, 8), F4)
    assert torch.allclose(c[..., 2:-2, 2:-2], torch.ones(1, 1, 12, 12))


@pytest.mark.parametrize("channels_last", [False, True])
@pytest.mark.parametrize(
    ("up", "down", "padding"),
    [(2, 1, (2, 1, 2, 1)), (2, 1, (3, 2, 1, 0)), (2, 1, (0, 3, 1, 1)), (4, 1, (2, 1, 3, 0)),
     (2, 1, (4, 4, 4, 4)), (1, 1, (1, 1, 2, 2)), (1, 1, (2, 1, 0, 0)), (1, 2, (2, 2, 1, 1)),
     (1, 2, (-1, 2, 0, 1)), (2, 2, (1, 1, 1, 1))],
)  # fmt: skip
def test_upfirdn2d_fast_paths_equal_the_definition(up, down, padding, channels_last):
    """Transposed-conv upsampling, conv padding and strided downsampling (the fast paths) and the
    literal fallback all equal the definition, for an asymmetric filter and uneven padding."""
    torch.manual_seed(1)
    x = torch.randn(2, 3, 7, 6, dtype=torch.float64)
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    f = torch.rand(4, 3, dtype=torch.float64)
    b = torch.randn(3, dtype=torch.float64)
    ref = ref_upfirdn2d(x, f, up, down, padding, 1.5) + b.reshape(1, -1, 1, 1)
    out = upfirdn2d(x, f, up=up, down=down, padding=padding, gain=1.5, bias=b)
    assert out.shape == ref.shape
    assert torch.allclose(out, ref, atol=1e-12)


def test_downsample2d_and_upfirdn_cropping():
    x = torch.randn(1, 2, 8, 8)
    assert downsample2d(x, F4).shape == (1, 2, 4, 4)
    assert upfirdn2d(x, torch.ones(1, 1), padding=(-1, -2, 0, -3)).shape == (1, 2, 5, 5)


def test_upsampling_conv_is_a_true_convolution_of_the_upsampled_input():
    torch.manual_seed(0)
    x = torch.randn(2, 3, 6, 6, dtype=torch.float64)
    w = torch.randn(4, 3, 3, 3, dtype=torch.float64)
    # the padding goes into the upsampling (3, 2), so borders see the filtered neighbours
    up = upfirdn2d(x, F4.double(), up=2, padding=(3, 2, 3, 2), gain=4)
    ref = F.conv2d(up, w.flip([2, 3]))
    assert torch.allclose(conv2d_resample(x, w, F4.double(), up=2, padding=1), ref, atol=1e-10)
    ref_down = F.conv2d(upfirdn2d(x, F4.double(), padding=(2, 2, 2, 2)), w, stride=2)
    assert torch.allclose(conv2d_resample(x, w, F4.double(), down=2, padding=1), ref_down)
