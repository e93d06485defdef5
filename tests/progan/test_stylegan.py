"""StyleGAN: conformance, truncation ψ=0 gives the average image, style mixing by layer range."""

from __future__ import annotations

import copy
from typing import ClassVar

import torch

import genzoo_plugins.gan as gan
import genzoo_plugins.progan as progan
from genzoo.testing.conformance import FamilyConformance

SPEC = {
    "name": "sg",
    "family": "stylegan",
    "data": {"channels": 1, "size": 16},
    "latent": {"dim": 16},
    "arch": {"fmap_base": 128, "fmap_max": 16, "w_dim": 16, "mapping_layers": 2},
    "training": {"batch_size": 4, "steps": 3, "ema": {"network": "G", "beta": 0.9}},
}


class TestStyleGANConformance(FamilyConformance):
    plugins: ClassVar = [("progan", progan), ("gan", gan)]
    spec: ClassVar = SPEC


class TestProgressiveStyleGAN(FamilyConformance):
    plugins: ClassVar = [("progan", progan), ("gan", gan)]
    spec: ClassVar = {
        **copy.deepcopy(SPEC),
        "training": {
            "batch_size": 4,
            "steps": 3,
            "options": {
                "stages": [
                    {"resolution": 4, "stable_images": 4, "batch_size": 4},
                    {"resolution": 8, "fade_images": 4, "stable_images": 4, "batch_size": 4},
                    {"resolution": 16, "fade_images": 4, "stable_images": 4, "batch_size": 2},
                ]
            },
        },
    }


def model(make_zoo):
    torch.manual_seed(0)
    m = make_zoo(("progan", progan), ("gan", gan)).build(SPEC)
    with torch.no_grad():
        m.G.w_avg.copy_(m.G.mapping(torch.randn(1000, 16)).mean(0))
    return m


def test_truncation_zero_gives_the_average_image(make_zoo):
    m = model(make_zoo)
    a = m.sample(3, seed=1, truncation=0.0)
    assert torch.allclose(a[0], a[1], atol=1e-6) and torch.allclose(a[0], a[2], atol=1e-6)
    with torch.no_grad():
        avg = m.synthesis(m.G.w_avg.view(1, 1, -1).expand(1, m.num_ws, -1))
    assert torch.allclose(a[:1], avg, atol=1e-4)
    b = m.sample(3, seed=1)
    assert not torch.allclose(b[0], b[1])


def test_style_mixing_takes_coarse_or_fine_features_from_the_column_latent(make_zoo):
    m = model(make_zoo)
    g = torch.Generator().manual_seed(3)
    za, zb = m.sample_latent(1, g), m.sample_latent(1, g)
    L = m.num_ws
    feats = {}
    hook = m.G.synthesis.layers[3].register_forward_hook(lambda mod, i, o: feats.update(x=o))
    with torch.no_grad():
        img_a = m.decode(za)
        a8 = feats["x"].clone()  # the 8×8 features (coarse) of A
        img_b = m.decode(zb)
        b8 = feats["x"].clone()
        coarse = m.mix(za, zb, range(4))  # styles of the 4² and 8² layers from B
        coarse8 = feats["x"].clone()
        fine = m.mix(za, zb, range(4, L))  # styles of the 16² layers from B
        fine8 = feats["x"].clone()
        none = m.mix(za, zb, [])
        everything = m.mix(za, zb, range(L))
    hook.remove()
    torch.testing.assert_close(none, img_a)
    torch.testing.assert_close(everything, img_b)
    torch.testing.assert_close(coarse8, b8)  # coarse structure comes from B ...
    torch.testing.assert_close(fine8, a8)  # ... fine styles leave it as A's
    assert not torch.allclose(fine, img_a) and not torch.allclose(coarse, img_b)


def test_adain_and_noise_equal_their_definitions_in_both_layouts():
    """The fused AdaIN (normalisation and style in one pass) and noise injection equal the
    textbook formulas, in NCHW and in the channels-last layout the generators use on CPU, and
    pass gradients to the input, the style and the noise strength."""
    from genzoo.nn.layers import AdaIN, NoiseInjection

    torch.manual_seed(0)
    adain, inject = AdaIN(5, 7).double(), NoiseInjection(5).double()
    with torch.no_grad():
        adain.style.bias.normal_()
        inject.strength.normal_()
    x, w = torch.randn(3, 5, 6, 4, dtype=torch.float64) * 3 + 2, torch.randn(3, 7).double()
    noise = torch.randn(3, 1, 6, 4, dtype=torch.float64)
    gamma, beta = adain.style(w)[:, :, None, None].chunk(2, dim=1)
    xc = x - x.mean(dim=(2, 3), keepdim=True)
    ref = xc / (xc.pow(2).mean(dim=(2, 3), keepdim=True) + adain.eps).sqrt() * (1 + gamma) + beta
    for layout in (torch.contiguous_format, torch.channels_last):
        xl = x.contiguous(memory_format=layout)
        assert torch.allclose(adain(xl, w), ref, atol=1e-12)
        assert torch.allclose(inject(xl, noise), x + inject.strength * noise, atol=1e-12)
    xg = x.clone().requires_grad_(True)
    inject(adain(xg, w), noise).square().sum().backward()
    grads = (xg.grad, adain.style.weight.grad, inject.strength.grad)
    assert all(g is not None and bool(g.abs().sum() > 0) for g in grads)
