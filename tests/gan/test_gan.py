"""GAN families × losses, minibatch layers, loss values, the PyTorch-examples DCGAN converter."""

from __future__ import annotations

import copy
from typing import ClassVar

import pytest
import torch
from torch import nn

import genzoo_plugins.gan as gan
from genzoo.errors import WeightsError
from genzoo.nn.minibatch import MinibatchDiscrimination, MinibatchStdDev
from genzoo.testing.conformance import FamilyConformance
from genzoo_plugins.gan import losses

BASE = {
    "name": "g",
    "data": {"channels": 1, "size": 16},
    "latent": {"dim": 8},
    "training": {"batch_size": 8, "steps": 2},
}
COND = {"task": "conditional", "conditions": {"kind": "class", "names": ["a", "b", "c"]}}
DC = {"family": "dcgan", "arch": {"ngf": 4, "ndf": 4}}
MLP = {"family": "gan", "arch": {"g_hidden": [16], "d_hidden": [16]}}


def spec(*parts, losses=None, options=None, n_critic=1, **arch):
    s = copy.deepcopy(BASE)
    for p in parts:
        s.update(copy.deepcopy(p))
    s["arch"] = {**s.get("arch", {}), **arch}
    if losses:
        s["training"]["losses"] = losses
    if options:
        s["training"]["options"] = options
    s["training"]["n_critic"] = n_critic
    return s


CASES = {
    "dcgan-minimax": spec(DC, losses={"adversarial": "minimax"}),
    "dcgan-nonsat-cond-concat": spec(DC, COND),
    "dcgan-cond-projection-hinge": spec(
        DC, COND, conditioning="projection", losses={"adversarial": "hinge"}
    ),
    "dcgan-wgan-clip": spec(
        DC,
        critic=True,
        losses={"adversarial": "wasserstein"},
        options={"clip_weights": 0.01},
        n_critic=2,
    ),
    "dcgan-wgan-gp": spec(
        DC,
        critic=True,
        n_critic=2,
        losses={
            "adversarial": "wasserstein",
            "penalty": {"name": "gradient_penalty", "weight": 10},
        },
    ),
    "dcgan-r1-mbstd": spec(
        DC,
        minibatch_stddev={"group_size": 4},
        losses={"adversarial": "non_saturating", "penalty": {"name": "r1", "weight": 1}},
    ),
    "dcgan-mbd-lsgan": spec(
        DC,
        minibatch_discrimination={"num_kernels": 4, "kernel_dim": 3},
        losses={"adversarial": "least_squares"},
    ),
    "gan-nonsat": spec(MLP),
    "gan-cond-wgan-gp-mbd": spec(
        MLP,
        COND,
        critic=True,
        minibatch_discrimination={"num_kernels": 4, "kernel_dim": 3},
        losses={
            "adversarial": "wasserstein",
            "penalty": {"name": "gradient_penalty", "weight": 10},
        },
    ),
    "gan-projection-embedding": spec(MLP, COND, conditioning="projection", label_dim=4),
}


@pytest.fixture(params=sorted(CASES))
def case(request):
    return CASES[request.param]


class TestGANFamilies(FamilyConformance):
    plugins: ClassVar = [("gan", gan)]

    @pytest.fixture
    def model(self, zoo, case):
        torch.manual_seed(0)
        self.spec = case
        return zoo.build(copy.deepcopy(case))

    def test_safetensors_round_trip(self, zoo, model, tmp_path):
        type(self).spec = model.spec.model_dump(mode="json")
        super().test_safetensors_round_trip(zoo, model, tmp_path)


def test_dcgan_sizes(make_zoo):
    zoo = make_zoo(("gan", gan))
    for size in (32, 64, 128):
        m = zoo.build(spec(DC, {"data": {"channels": 3, "size": size}}))
        assert m.sample(2, seed=0).shape == (2, 3, size, size)


def test_labels_change_conditional_samples(make_zoo):
    zoo = make_zoo(("gan", gan))
    torch.manual_seed(0)
    m = zoo.build(spec(DC, COND))
    assert not torch.equal(m.sample(2, seed=0, labels=0), m.sample(2, seed=0, labels=2))


def test_loss_values():
    r, f = torch.tensor([2.0]), torch.tensor([-1.0])
    sp = nn.functional.softplus
    assert losses.non_saturating(r, f).item() == pytest.approx((sp(-r) + sp(f)).item())
    assert losses.non_saturating(None, f, for_generator=True).item() == pytest.approx(sp(-f).item())
    assert losses.minimax(None, f, for_generator=True).item() == pytest.approx(-sp(f).item())
    assert losses.wasserstein(r, f).item() == -3.0
    assert losses.hinge(r, f).item() == 0.0 and losses.hinge(f, r).item() == 5.0
    assert losses.least_squares(r, f).item() == pytest.approx(0.5 + 0.5)


def test_gradient_penalty_of_a_linear_critic():
    w = torch.tensor([[3.0, 4.0]])  # ‖∇‖ = 5 everywhere → (5 − 1)² = 16
    gp = losses.gradient_penalty(
        lambda x: x @ w.T, torch.randn(6, 2), torch.randn(6, 2), torch.rand(6, 1)
    )
    assert gp.item() == pytest.approx(16.0)
    x = torch.randn(5, 2, requires_grad=True)
    assert losses.r1(x @ w.T, x).item() == pytest.approx(12.5)


def test_minibatch_layers_depend_on_the_batch():
    torch.manual_seed(0)
    mbd = MinibatchDiscrimination(6, 4, 3)
    a = torch.randn(5, 6)
    b = a.clone()
    b[1:] += 3.0
    assert mbd(a).shape == (5, 10)
    assert torch.equal(mbd(a)[0, :6], mbd(b)[0, :6])
    assert not torch.allclose(mbd(a)[0, 6:], mbd(b)[0, 6:])  # same sample, other batch
    std = MinibatchStdDev(2, 1)
    x = torch.randn(4, 3, 2, 2)
    assert std(x).shape == (4, 4, 2, 2)


# -- converter ---------------------------------------------------------------------------------
class ReferenceNetG(nn.Module):
    """The PyTorch-examples generator, written from the layout in the reference notes."""

    def __init__(self, nz, ngf, nc):
        super().__init__()
        self.main = nn.Sequential(
            nn.ConvTranspose2d(nz, ngf * 8, 4, 1, 0, bias=False),
            nn.BatchNorm2d(ngf * 8),
            nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 8, ngf * 4, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ngf * 4),
            nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ngf * 2),
            nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 2, ngf, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ngf),
            nn.ReLU(True),
            nn.ConvTranspose2d(ngf, nc, 4, 2, 1, bias=False),
            nn.Tanh(),
        )

    def forward(self, z):
        return self.main(z)


def test_converted_pytorch_dcgan_matches_the_original(make_zoo, tmp_path):
    from genzoo.weights.convert import convert_to_entry

    torch.manual_seed(0)
    ref = ReferenceNetG(16, 8, 3)
    for m in ref.modules():  # non-trivial BN statistics, as after training
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)
            m.weight.data.normal_(1, 0.1)
    ref.eval()
    path = tmp_path / "netG_epoch_24.pth"
    torch.save({f"module.{k}": v for k, v in ref.state_dict().items()}, path)
    zoo = make_zoo(("gan", gan))
    folder = convert_to_entry(zoo, "pytorch-dcgan", path, tmp_path / "my-dcgan", nz=16, ngf=8, nc=3)
    model = zoo.load(folder)
    z = torch.randn(4, 16)
    with torch.no_grad():
        torch.testing.assert_close(model.decode(z), ref(z.view(4, 16, 1, 1)), rtol=1e-5, atol=1e-6)


def test_converter_refuses_wrong_shapes_and_pickles(make_zoo, tmp_path):
    zoo = make_zoo(("gan", gan))
    from genzoo.weights.convert import convert_to_entry

    path = tmp_path / "netG.pth"
    torch.save(ReferenceNetG(16, 8, 3).state_dict(), path)
    with pytest.raises(WeightsError, match=r"main\.0\.weight"):
        convert_to_entry(zoo, "pytorch-dcgan", path, tmp_path / "x", nz=100, ngf=8, nc=3)

    class Evil:
        def __reduce__(self):
            return (print, ("pwned",))

    torch.save({"main.0.weight": Evil()}, path)
    with pytest.raises(WeightsError, match="not a plain PyTorch state dict"):
        convert_to_entry(zoo, "pytorch-dcgan", path, tmp_path / "y")
