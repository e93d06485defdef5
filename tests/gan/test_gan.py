"""GAN families × losses, options, minibatch layers, loss values, the PyTorch-examples DCGAN
converter (checked against a netG written here from the reference notes)."""

from __future__ import annotations

import copy
from typing import ClassVar

import pytest
import torch
from torch import nn

import genzoo_plugins.gan as gan
from genzoo.errors import SpecError, UnsupportedCheckpointError, WeightsError
from genzoo.nn.minibatch import MinibatchDiscrimination, MinibatchStdDev
from genzoo.testing.conformance import FamilyConformance
from genzoo_plugins.gan import losses
from genzoo_plugins.gan.convert import convert_pytorch_dcgan, reference_layout

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
    "dcgan-lazy-r1-mbstd-mbd": spec(
        DC,
        minibatch_stddev={"group_size": 4, "num_features": 2},
        minibatch_discrimination={"num_kernels": 4, "kernel_dim": 3},
        losses={"adversarial": "non_saturating", "penalty": {"name": "r1", "weight": 1}},
        options={"penalty_every": 2},
    ),
    "gan-relu-nonorm-mbstd": spec(
        MLP, activation="relu", norm="none", minibatch_stddev={"group_size": 4}
    ),
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
        self.spec = case  # per instance: the mixin's round trip rebuilds from self.spec
        return zoo.build(copy.deepcopy(case))


# -- every family × loss through the real trainer --------------------------------------------
LOSS_GRID = {
    "minimax": ({"adversarial": "minimax"}, {}, {}),
    "non_saturating": ({"adversarial": "non_saturating"}, {}, {}),
    "wgan-clip": ({"adversarial": "wasserstein"}, {"clip_weights": 0.01}, {"critic": True}),
    "wgan-gp": (
        {"adversarial": "wasserstein", "penalty": {"name": "gradient_penalty", "weight": 10}},
        {},
        {"critic": True},
    ),
    "hinge": ({"adversarial": "hinge"}, {}, {}),
    "r1": ({"adversarial": "non_saturating", "penalty": {"name": "r1", "weight": 5}}, {}, {}),
    "least_squares": ({"adversarial": "least_squares"}, {}, {}),
    "drift": ({"adversarial": "wasserstein", "penalty": {"name": "drift", "weight": 0.1}}, {}, {}),
}
PENALTY_LOG = {"wgan-gp": "gp", "r1": "r1", "drift": "drift"}


@pytest.mark.parametrize("loss", sorted(LOSS_GRID))
@pytest.mark.parametrize("family", ["gan", "dcgan"])
def test_every_family_and_loss_trains_two_steps(make_zoo, tmp_path, family, loss):
    from genzoo.data import ArrayDataset
    from genzoo.train.trainer import Trainer

    loss_spec, options, arch = LOSS_GRID[loss]
    s = spec(
        DC if family == "dcgan" else MLP, losses=loss_spec, options=options, n_critic=2, **arch
    )
    zoo = make_zoo(("gan", gan))
    torch.manual_seed(0)
    model = zoo.build(s)
    g0 = [p.detach().clone() for p in model.G.parameters()]
    x = torch.rand(16, 1, 16, 16, generator=torch.Generator().manual_seed(0)) * 2 - 1
    result = Trainer(model, ArrayDataset(x), zoo.registries, tmp_path, progress=False).run()
    logs = result.last_metrics
    expected = {"d_loss", "g_loss", "d_real", "d_fake"} | {PENALTY_LOG.get(loss, "d_loss")}
    assert expected <= set(logs), logs
    assert all(torch.isfinite(torch.tensor(v)) for v in logs.values()), logs
    assert any(not torch.equal(a, b) for a, b in zip(g0, model.G.parameters(), strict=True))
    if "clip_weights" in options:
        assert max(float(p.abs().max()) for p in model.D.parameters()) <= 0.01


def test_lazy_penalty_is_its_own_phase(make_zoo):
    from genzoo.train.phases import Batch, TrainContext
    from genzoo.train.trainer import resolve_losses

    zoo = make_zoo(("gan", gan))
    s = spec(DC, losses={"penalty": {"name": "r1", "weight": 2}}, options={"penalty_every": 4})
    m = zoo.build(s).train()
    recipe = m.spec.training
    ctx = TrainContext(
        recipe=recipe,
        losses=resolve_losses(recipe, zoo.registries),
        device=torch.device("cpu"),
        generator=torch.Generator().manual_seed(0),
        options=dict(recipe.options),
        loss_registry=zoo.registries.losses,
    )
    phases = m.training_phases(ctx)
    assert [(p.name, p.every) for p in phases] == [("D", 1), ("D_reg", 4), ("G", 1)]
    x = torch.rand(4, 1, 16, 16) * 2 - 1
    loss, logs = phases[1].loss(Batch(x), ctx)
    assert loss.item() == pytest.approx(2 * 4 * logs["r1"], rel=1e-5)  # weight × k
    assert "r1" not in phases[0].loss(Batch(x), ctx)[1]  # not in the D phase any more


# -- options -------------------------------------------------------------------------------------
def test_critic_has_no_batch_norm(make_zoo):
    zoo = make_zoo(("gan", gan))
    for base in (DC, MLP):
        d = zoo.build(spec(base, critic=True)).D
        assert not any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in d.modules())
        assert any(isinstance(m, (nn.GroupNorm, nn.LayerNorm)) for m in d.modules())
    d = zoo.build(spec(DC)).D
    assert any(isinstance(m, nn.BatchNorm2d) for m in d.modules())


@pytest.mark.parametrize("conditioning", ["concat", "projection"])
@pytest.mark.parametrize("base", [DC, MLP], ids=["dcgan", "gan"])
def test_labels_change_the_discriminator(make_zoo, base, conditioning):
    zoo = make_zoo(("gan", gan))
    torch.manual_seed(0)
    m = zoo.build(spec(base, COND, conditioning=conditioning))
    assert (m.D.project is not None) == (conditioning == "projection")
    x = torch.rand(3, 1, 16, 16) * 2 - 1
    with torch.no_grad():
        a, b = m.D(x, torch.tensor([0, 0, 0])), m.D(x, torch.tensor([2, 2, 2]))
    assert a.shape == (3, 1) and not torch.allclose(a, b)


def test_projection_discriminator_does_not_start_saturated(make_zoo):
    zoo = make_zoo(("gan", gan))
    torch.manual_seed(0)
    m = zoo.build(spec(DC, COND, {"data": {"channels": 1, "size": 32}}, conditioning="projection"))
    m.train()
    x = torch.rand(8, 1, 32, 32) * 2 - 1
    with torch.no_grad():
        logits = m.D(x, torch.arange(8) % 3)
    assert float(logits.abs().mean()) < 5  # was ≈ 90 with torch's N(0, 1) embedding init


def test_dcgan_init_follows_radford(make_zoo):
    zoo = make_zoo(("gan", gan))
    torch.manual_seed(0)
    m = zoo.build(spec(DC, {"data": {"channels": 3, "size": 64}}, ngf=16, ndf=16))
    w = torch.cat([p.weight.flatten() for p in m.modules() if isinstance(p, nn.ConvTranspose2d)])
    assert w.mean().abs() < 2e-3 and w.std().item() == pytest.approx(0.02, rel=0.05)
    bn = torch.cat([p.weight for p in m.modules() if isinstance(p, nn.BatchNorm2d)])
    assert bn.mean().item() == pytest.approx(1.0, abs=0.01)
    assert bn.std().item() == pytest.approx(0.02, rel=0.3)


@pytest.mark.parametrize(
    ("part", "message"),
    [
        ({"data": {"channels": 1, "size": 48}}, "power of two"),
        ({"arch": {**DC["arch"], "minibatch_stddev": {"num_features": 3}}}, "num_features"),
        (
            {"training": {"losses": {"adversarial": "wasserstein", "penalty": "gradient_penalty"}}},
            "critic",
        ),
        ({"training": {"losses": {"penalty": "hinge"}}}, "penalty.name"),
    ],
)
def test_spec_checks(make_zoo, part, message):
    zoo = make_zoo(("gan", gan))
    with pytest.raises(SpecError, match=message):
        zoo.build({**spec(DC), **part})


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
    log_sig = nn.functional.logsigmoid
    d_bce = -(log_sig(r) + torch.log1p(-torch.sigmoid(f))).item()  # −log σ(r) − log(1 − σ(f))
    assert losses.minimax(r, f).item() == pytest.approx(d_bce)
    assert losses.non_saturating(r, f).item() == pytest.approx(d_bce)
    g_sat = torch.log1p(-torch.sigmoid(f)).item()  # log(1 − σ(f)), minimised by G
    assert losses.minimax(None, f, for_generator=True).item() == pytest.approx(g_sat)
    assert losses.non_saturating(None, f, for_generator=True).item() == pytest.approx(
        -log_sig(f).item()
    )
    assert losses.wasserstein(r, f).item() == -3.0
    assert losses.wasserstein(None, f, for_generator=True).item() == 1.0
    assert losses.hinge(r, f).item() == 0.0 and losses.hinge(f, r).item() == 5.0
    assert losses.hinge(None, r, for_generator=True).item() == -2.0
    assert losses.least_squares(r, f).item() == pytest.approx(0.5 * 1 + 0.5 * 1)
    assert losses.least_squares(None, f, for_generator=True).item() == pytest.approx(2.0)
    assert losses.drift(torch.tensor([1.0, -3.0])).item() == pytest.approx(5.0)
    big = torch.tensor([200.0])  # stable on saturated logits
    assert torch.isfinite(losses.minimax(-big, big)) and torch.isfinite(
        losses.minimax(None, big, for_generator=True)
    )


def test_gradient_penalty_of_a_linear_critic():
    w = torch.tensor([[3.0, 4.0]])  # ‖∇‖ = 5 everywhere → (5 − 1)² = 16
    gp = losses.gradient_penalty(
        lambda x: x @ w.T, torch.randn(6, 2), torch.randn(6, 2), torch.rand(6, 1)
    )
    assert gp.item() == pytest.approx(16.0)
    x = torch.randn(5, 2, requires_grad=True)
    assert losses.r1(x @ w.T, x).item() == pytest.approx(12.5)


def test_minibatch_discrimination_depends_on_the_batch():
    torch.manual_seed(0)
    mbd = MinibatchDiscrimination(6, 4, 3)
    a = torch.randn(5, 6)
    b = a.clone()
    b[1:] += 3.0  # same first sample, other batch members
    assert mbd(a).shape == (5, 10) and mbd.out_features == 10
    assert torch.equal(mbd(a)[0, :6], mbd(b)[0, :6])
    assert not torch.allclose(mbd(a)[0, 6:], mbd(b)[0, 6:])
    same = mbd(a[:1].expand(3, -1))  # identical samples: o = Σ_{j≠i} exp(0) = 2
    torch.testing.assert_close(same[:, 6:], torch.full((3, 4), 2.0))


def test_minibatch_stddev_shapes_and_statistics():
    std = MinibatchStdDev(2, 1)
    x = torch.randn(4, 3, 2, 2)
    y = std(x)
    assert y.shape == (4, 4, 2, 2) and torch.equal(y[:, :3], x)
    # groups of 2 are samples {0, 2} and {1, 3}: std of each feature over the group, averaged
    g0 = x[[0, 2]].std(0, unbiased=False).mean()
    torch.testing.assert_close(y[0, 3], g0.expand(2, 2), atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(y[2, 3], g0.expand(2, 2), atol=1e-4, rtol=1e-4)
    assert MinibatchStdDev(4, 2)(torch.randn(6, 4, 3, 3)).shape == (6, 6, 3, 3)  # 6 % 4: G=3
    assert MinibatchStdDev(4, 1)(torch.randn(8, 5)).shape == (8, 6)  # MLP features
    assert float(MinibatchStdDev(4)(torch.randn(6, 4)).abs()[:, -1].min()) > 0.1  # not G=1
    with pytest.raises(ValueError, match="channels"):
        MinibatchStdDev(2, 2)(torch.randn(4, 3))


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
    assert model.spec.name == "my-dcgan"  # the folder names the entry
    with pytest.raises(SpecError, match="differs from its folder"):
        convert_to_entry(zoo, "pytorch-dcgan", path, tmp_path / "x", name="y", nz=16, ngf=8, nc=3)
    assert not (tmp_path / "x").exists()


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


def test_reference_layout_is_genzoos_64px_generator(make_zoo):
    zoo = make_zoo(("gan", gan))
    m = zoo.build(spec(DC, {"data": {"channels": 3, "size": 64}, "latent": {"dim": 100}}, ngf=64))
    ours = {k: tuple(v.shape) for k, v in m.sampling_state_dict().items()}
    assert ours == {f"G.{k}": v for k, v in reference_layout(100, 64, 3).items()}
    ref = {k: tuple(v.shape) for k, v in ReferenceNetG(100, 64, 3).state_dict().items()}
    assert ref == reference_layout(100, 64, 3)


def test_converter_spec_and_options(tmp_path):
    path = tmp_path / "netG_epoch_3.pth"
    torch.save(ReferenceNetG(16, 8, 1).state_dict(), path)
    spec_dict, tensors = convert_pytorch_dcgan(path, nz=16, ngf=8, nc=1, name="my-dcgan")
    assert spec_dict["name"] == "my-dcgan" and spec_dict["family"] == "dcgan"
    assert spec_dict["data"] == {"kind": "image", "channels": 1, "size": 64}
    assert spec_dict["latent"] == {"dim": 16} and spec_dict["arch"]["ngf"] == 8
    assert set(tensors) == {f"G.{k}" for k in reference_layout(16, 8, 1)}
    assert tensors["G.main.1.num_batches_tracked"].dtype == torch.long
    with pytest.raises(SpecError, match=r"unknown option.*size"):
        convert_pytorch_dcgan(path, nz=16, ngf=8, nc=1, size=32)


class ReferenceNetD(nn.Module):
    """The examples' discriminator layout (only its state-dict keys matter here)."""

    def __init__(self, nc, ndf):
        super().__init__()
        self.main = nn.Sequential(
            nn.Conv2d(nc, ndf, 4, 2, 1, bias=False),
            nn.LeakyReLU(0.2, True),
            nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ndf * 2),
            nn.LeakyReLU(0.2, True),
            nn.Conv2d(ndf * 2, ndf * 4, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ndf * 4),
            nn.LeakyReLU(0.2, True),
            nn.Conv2d(ndf * 4, ndf * 8, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ndf * 8),
            nn.LeakyReLU(0.2, True),
            nn.Conv2d(ndf * 8, 1, 4, 1, 0, bias=False),
            nn.Sigmoid(),
        )


def test_converter_names_what_is_wrong(tmp_path):
    path = tmp_path / "net.pth"
    torch.save(ReferenceNetD(3, 8).state_dict(), path)
    with pytest.raises(UnsupportedCheckpointError, match="netD"):
        convert_pytorch_dcgan(path, nz=16, ngf=8)
    state = ReferenceNetG(16, 8, 3).state_dict()
    del state["main.10.running_var"]
    torch.save(state, path)
    with pytest.raises(WeightsError, match=r"missing tensor 'main\.10\.running_var'"):
        convert_pytorch_dcgan(path, nz=16, ngf=8)
    state = ReferenceNetG(16, 8, 3).state_dict()
    state["main.14.weight"] = torch.zeros(1)
    torch.save(state, path)
    with pytest.raises(WeightsError, match=r"unexpected tensor 'main\.14\.weight'"):
        convert_pytorch_dcgan(path, nz=16, ngf=8)
    torch.save({"epoch": 3, "netG": ReferenceNetG(16, 8, 3).state_dict()}, path)
    with pytest.raises(UnsupportedCheckpointError, match="netG"):
        convert_pytorch_dcgan(path, nz=16, ngf=8)
