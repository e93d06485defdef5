"""Autoencoders and VAEs: conformance, the three proofs the seed notes ask for, and the losses."""

from __future__ import annotations

import copy
from typing import ClassVar

import pytest
import torch

import genzoo_plugins.autoencoder as ae
from genzoo.testing.conformance import FamilyConformance
from genzoo.train.trainer import Trainer
from genzoo_plugins.autoencoder import losses
from genzoo_plugins.autoencoder.evaluate import elbo, importance_log_px
from genzoo_plugins.data.sources import sklearn_digits

BASE = {
    "name": "a",
    "data": {"channels": 1, "size": 8},
    "latent": {"dim": 4},
    "training": {"batch_size": 16, "steps": 3},
}
CASES = {
    "ae": {"family": "autoencoder", "arch": {"hidden": [16]}},
    "ae-linear": {
        "family": "autoencoder",
        "arch": {"hidden": [], "activation": "linear", "output": "linear"},
    },
    "ae-sparse-l1-denoise-mask": {
        "family": "autoencoder",
        "arch": {
            "hidden": [16],
            "sparse": {"penalty": "l1", "weight": 0.01},
            "denoising": {"kind": "mask", "p": 0.3},
        },
    },
    "ae-sparse-kl-gauss-bce": {
        "family": "autoencoder",
        "arch": {
            "hidden": [16],
            "sparse": {"penalty": "kl", "rho": 0.05, "weight": 0.1},
            "denoising": {"kind": "gaussian", "sigma": 0.3},
        },
        "training_losses": {"reconstruction": "bce"},
    },
    "ae-stacked": {
        "family": "autoencoder",
        "arch": {"hidden": [16, 8]},
        "training_options": {"pretrain_steps_per_layer": 1},
    },
    "conv-ae": {"family": "conv_autoencoder", "arch": {"channels": [4, 8]}},
    "vae-mlp": {"family": "vae", "arch": {"hidden": [16]}},
    "vae-conv-gauss-beta": {
        "family": "vae",
        "arch": {"encoder": "conv", "channels": [4, 8], "likelihood": "gaussian", "beta": 4.0},
    },
}


def make(case: dict) -> dict:
    s = copy.deepcopy(BASE)
    c = copy.deepcopy(case)
    if "training_losses" in c:
        s["training"]["losses"] = c.pop("training_losses")
    if "training_options" in c:
        s["training"]["options"] = c.pop("training_options")
        s["training"]["steps"] = 4
    s.update(c)
    return s


@pytest.fixture(params=sorted(CASES))
def case(request):
    return make(CASES[request.param])


class TestAutoencoderFamilies(FamilyConformance):
    plugins: ClassVar = [("autoencoder", ae)]

    @pytest.fixture
    def model(self, zoo, case):
        torch.manual_seed(0)
        type(self).spec = case
        return zoo.build(copy.deepcopy(case))

    def test_encode_decode_shapes(self, model):
        x = torch.rand(5, 1, 8, 8) * 2 - 1
        assert model.encode(x).shape == (5, 4)
        assert model.reconstruct(x).shape == (5, 1, 8, 8)


@pytest.fixture(scope="module")
def digits():
    d = sklearn_digits(channels=1, size=8)
    return d


def train(make_zoo, spec, data, tmp_path, steps):
    zoo = make_zoo(("autoencoder", ae))
    torch.manual_seed(0)
    m = zoo.build(spec)
    Trainer(m, data, zoo.registries, tmp_path, steps=steps, progress=False).run()
    return m.eval()


def test_linear_autoencoder_spans_the_pca_subspace(make_zoo, digits, tmp_path):
    k = 4
    x = digits.x.flatten(1)
    mean = x.mean(0)
    from genzoo.data import ArrayDataset

    centred = ArrayDataset((x - mean).view(-1, 1, 8, 8))
    spec = make(CASES["ae-linear"])
    spec["training"].update(
        batch_size=256, steps=3000, optimizers={"E": {"lr": 0.01, "betas": [0.9, 0.999]}}
    )
    m = train(make_zoo, spec, centred, tmp_path, 3000)
    dec = m.Dec.layers[0].weight.detach().double()  # 64×k: decoder's column space
    _, _, vt = torch.linalg.svd((x - mean).double(), full_matrices=False)
    pcs = vt[:k].T  # 64×k
    qa, _ = torch.linalg.qr(dec)
    cos = torch.linalg.svdvals(qa.T @ pcs)  # cosines of the principal angles
    assert float(cos.min()) > 0.99, cos


def gaussian_kl_to_standard(z: torch.Tensor) -> float:
    """KL(N(m, C) ‖ N(0, I)) of a Gaussian fitted to codes: ½(tr C + mᵀm − d − log det C)."""
    m, c = z.mean(0).double(), torch.cov(z.T).double()
    return float(0.5 * (torch.trace(c) + m @ m - len(m) - torch.logdet(c)))


def test_vae_codes_are_near_standard_normal_but_an_autoencoders_are_not(make_zoo, digits, tmp_path):
    def spec(family):
        s = make({"family": family, "arch": {"hidden": [64]}})
        s["training"]["batch_size"] = 64
        return s

    vae = train(make_zoo, spec("vae"), digits, tmp_path / "v", 1500)
    plain = train(make_zoo, spec("autoencoder"), digits, tmp_path / "a", 1500)
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        mu, logvar = vae.encode_dist(digits.x)  # the aggregate posterior: z ~ q(z|x) over the data
        z = mu + (0.5 * logvar).exp() * torch.randn(mu.shape, generator=g)
        kl_vae = gaussian_kl_to_standard(z)
        kl_ae = gaussian_kl_to_standard(plain.encode(digits.x))
    assert kl_vae < 0.5, kl_vae  # measured 0.26
    assert kl_ae > 10 * kl_vae, (kl_ae, kl_vae)  # measured 17.6


def test_denoising_autoencoder_beats_a_plain_one_on_corrupted_inputs(make_zoo, digits, tmp_path):
    # a code wide enough (32 for 64 pixels) that a plain autoencoder passes the noise through;
    # with a 4-d code both are forced onto the digit manifold and denoise alike (measured
    # 0.201 vs 0.205); here 0.142 vs 0.254
    arch = {"hidden": [128]}
    wide = {"latent": {"dim": 32}}
    dae = train(
        make_zoo,
        make(
            {
                "family": "autoencoder",
                "arch": {**arch, "denoising": {"kind": "mask", "p": 0.4}},
                **wide,
            }
        ),
        digits,
        tmp_path / "d",
        1500,
    )
    plain = train(
        make_zoo,
        make({"family": "autoencoder", "arch": arch, **wide}),
        digits,
        tmp_path / "p",
        1500,
    )
    g = torch.Generator().manual_seed(1)
    x = digits.x[:500]
    noisy = torch.where(torch.rand(x.shape, generator=g) < 0.4, torch.full_like(x, -1), x)
    with torch.no_grad():
        err_d = float(((dae.reconstruct(noisy) - x) ** 2).mean())
        err_p = float(((plain.reconstruct(noisy) - x) ** 2).mean())
    assert err_d < 0.8 * err_p, (err_d, err_p)


def test_iwae_bound_is_above_the_elbo(make_zoo, digits, tmp_path):
    vae = train(make_zoo, make({"family": "vae", "arch": {"hidden": [32]}}), digits, tmp_path, 300)
    x = digits.x[:200]
    g = torch.Generator().manual_seed(0)
    e = elbo(vae, x, generator=g)
    lp = importance_log_px(vae, x, k=50, generator=g)
    assert lp > e and e < 0


def test_losses_known_values():
    mu, logvar = torch.zeros(2, 3), torch.zeros(2, 3)
    assert torch.equal(losses.kl_normal(mu, logvar), torch.zeros(2))
    mu = torch.ones(1, 2)
    assert losses.kl_normal(mu, torch.zeros(1, 2)).item() == pytest.approx(1.0)
    # closed-form KL equals a Monte-Carlo estimate
    mu, logvar = torch.tensor([[0.5, -1.0]]), torch.tensor([[0.3, -0.7]])
    g = torch.Generator().manual_seed(0)
    std = (0.5 * logvar).exp()
    z = mu + std * torch.randn(200000, 2, generator=g)
    q = torch.distributions.Normal(mu, std).log_prob(z).sum(1)
    p = torch.distributions.Normal(0.0, 1.0).log_prob(z).sum(1)
    assert float((q - p).mean()) == pytest.approx(losses.kl_normal(mu, logvar).item(), abs=0.01)
    h = torch.tensor([[1.0, -2.0]])
    assert losses.l1_activity(h).item() == 3.0
    assert losses.kl_sparsity(torch.zeros(4, 3), 0.5).item() == pytest.approx(0.0, abs=1e-6)


def test_stacked_pretraining_switches_stages(make_zoo, digits, tmp_path):
    spec = make(CASES["ae-stacked"])
    spec["training"]["options"] = {"pretrain_steps_per_layer": 2}
    spec["training"]["log_every"] = 1
    zoo = make_zoo(("autoencoder", ae))
    m = zoo.build(spec)
    seen = []
    t = Trainer(
        m,
        digits,
        zoo.registries,
        tmp_path,
        steps=7,
        progress=False,
        on_step=lambda s, line: seen.append(
            sorted(k for k in line if k.startswith(("pre", "recon")))
        ),
    )
    t.run()
    assert seen[0] == seen[1] == ["pretrain0"]
    assert seen[2] == seen[3] == ["pretrain1"]
    assert seen[4] == ["pretrain2"]
    assert seen[6] == ["recon"]
