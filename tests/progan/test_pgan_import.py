"""Import of pytorch_GAN_zoo PGAN checkpoints (converter ``pgan``).

The reference generator below is written from the format notes on upstream's PGAN (equalized
layers as ``module(x) * c`` with the bias inside, pixel norm, nearest ×2, reversed alpha), not
from genzoo's code. Checkpoints are saved as upstream saves them: a dict whose ``config`` is a
pickled ``models.utils.config.BaseConfig`` instance.
"""

from __future__ import annotations

import copy
import math
import os
import sys
import types

import pytest
import torch
import torch.nn.functional as F
from click.testing import CliRunner
from torch import nn

import genzoo_plugins.gan as gan
import genzoo_plugins.progan as progan
from genzoo.cli import cli
from genzoo.errors import SpecError, UnsafePickleError, UnsupportedCheckpointError, WeightsError
from genzoo.weights.convert import convert_to_entry
from genzoo_plugins.progan.convert_pgan import convert_pgan, reference_layout

LATENT, D0, OTHERS, C = 12, 16, [16, 8], 3


# -- reference: upstream's generator ----------------------------------------------------------
class BaseConfig:
    """Pickled under upstream's qualified name (the module is faked while saving)."""


BaseConfig.__module__ = "models.utils.config"


class Equalized(nn.Module):
    """Upstream's ConstrainedLayer: ``module(x) * c``, c = √(2 / fan_in); the bias is scaled."""

    def __init__(self, module: nn.Module) -> None:
        super().__init__()
        self.module = module
        nn.init.normal_(module.weight)
        nn.init.normal_(module.bias, std=0.5)  # non-zero biases: their scaling matters
        self.c = math.sqrt(2.0 / math.prod(module.weight.shape[1:]))

    def forward(self, x):
        return self.module(x) * self.c


def pixel_norm(x):
    return x * torch.rsqrt((x * x).mean(dim=1, keepdim=True) + 1e-8)


def nearest2x(x):
    return x.repeat_interleave(2, dim=2).repeat_interleave(2, dim=3)


class RefGNet(nn.Module):
    """Upstream's GNet with ``depthOtherScales`` added and ``alpha`` set (reversed convention)."""

    def __init__(self, latent, d0, others, dim_out, alpha):
        super().__init__()
        self.d0, self.alpha = d0, alpha
        self.formatLayer = Equalized(nn.Linear(latent, 16 * d0))
        self.groupScale0 = nn.ModuleList([Equalized(nn.Conv2d(d0, d0, 3, padding=1))])
        self.scaleLayers = nn.ModuleList()
        self.toRGBLayers = nn.ModuleList([Equalized(nn.Conv2d(d0, dim_out, 1))])
        prev = d0
        for d in others:
            self.scaleLayers.append(
                nn.ModuleList(
                    [
                        Equalized(nn.Conv2d(prev, d, 3, padding=1)),
                        Equalized(nn.Conv2d(d, d, 3, padding=1)),
                    ]
                )
            )
            self.toRGBLayers.append(Equalized(nn.Conv2d(d, dim_out, 1)))
            prev = d

    def forward(self, z):
        x = F.leaky_relu(self.formatLayer(pixel_norm(z)), 0.2)
        x = pixel_norm(x.view(len(z), self.d0, 4, 4))
        for layer in self.groupScale0:
            x = pixel_norm(F.leaky_relu(layer(x), 0.2))
        low = None
        for i, group in enumerate(self.scaleLayers):
            if self.alpha > 0 and i == len(self.scaleLayers) - 1:
                low = nearest2x(self.toRGBLayers[-2](x))
            x = nearest2x(x)
            for layer in group:
                x = pixel_norm(F.leaky_relu(layer(x), 0.2))
        x = self.toRGBLayers[-1](x)
        if low is not None:
            x = self.alpha * low + (1 - self.alpha) * x
        return x


def net_d_state(d0, others, dim_out, mbstd=True):
    """Tensors named as upstream's netD (values irrelevant: the converter takes G only)."""
    depths = [d0, *others]
    s = {}
    for k, d in enumerate(depths):
        s[f"fromRGBLayers.{k}.module.weight"] = torch.randn(d, dim_out, 1, 1)
        s[f"fromRGBLayers.{k}.module.bias"] = torch.randn(d)
    for i in range(len(others)):
        s[f"scaleLayers.{i}.0.module.weight"] = torch.randn(depths[i + 1], depths[i + 1], 3, 3)
        s[f"scaleLayers.{i}.1.module.weight"] = torch.randn(depths[i], depths[i + 1], 3, 3)
    s["groupScaleZero.0.module.weight"] = torch.randn(d0, d0 + int(mbstd), 3, 3)
    s["groupScaleZero.1.module.weight"] = torch.randn(d0, 16 * d0)
    s["decisionLayer.module.weight"] = torch.randn(1, d0)
    return s


def make_config(**over):
    cfg = BaseConfig()
    fields = {
        "noiseVectorDim": LATENT,
        "latentVectorDim": LATENT,
        "categoryVectorDim": 0,
        "attribKeysOrder": None,
        "depthScale0": D0,
        "depthOtherScales": list(OTHERS),
        "alpha": 0.0,
        "miniBatchStdDev": True,
        "perChannelNormalization": True,
        "equalizedlR": True,
        "initBiasToZero": True,
        "leakyReluLeak": 0.2,
        "dimOutput": C,
        "lossCriterion": "WGANGP",
        "learningRate": 0.001,
        "lambdaGP": 10.0,
        "epsilonD": 0.001,
    }
    vars(cfg).update({**fields, **over})
    return cfg


@pytest.fixture
def save_upstream(monkeypatch):
    """save(path, obj): torch.save with ``models.utils.config`` importable, as upstream has it."""
    for name in ("models", "models.utils", "models.utils.config"):
        monkeypatch.setitem(sys.modules, name, types.ModuleType(name))
    sys.modules["models.utils.config"].BaseConfig = BaseConfig

    def save(path, obj):
        torch.save(obj, path)
        return path

    return save


def build(save, path, *, alpha=0.0, others=tuple(OTHERS), seed=0, legacy=False, **cfg_over):
    """(checkpoint path, reference avgG, reference netG) of an upstream-format file."""
    torch.manual_seed(seed)
    others = list(others)
    avg = RefGNet(LATENT, D0, others, C, alpha).eval()
    net = RefGNet(LATENT, D0, others, C, alpha).eval()
    avg_state = avg.state_dict()
    if legacy:  # old files: formatLayer.weight instead of formatLayer.module.weight
        avg_state = {k.replace(".module.", "."): v for k, v in avg_state.items()}
    ck = {
        "config": make_config(depthOtherScales=others, alpha=alpha, **cfg_over),
        "netG": net.state_dict(),
        "netD": net_d_state(D0, others, C),
        "avgG": avg_state,
        "tmp": make_config(),  # saveTrainTmp=True adds the training state, also a BaseConfig
    }
    return save(path, ck), avg, net


def load_entry(make_zoo, folder):
    return make_zoo(("progan", progan), ("gan", gan)).load(folder)


def assert_matches(g, ref, z):
    """genzoo's G equals the reference: to 1e-5 in float64, where only the conversion differs
    (tensors are stored as float32), and in float32 up to float32's own rounding (each float32
    forward of these nets lies ~2e-5 from its float64 result, in opposite directions)."""
    with torch.no_grad():
        torch.testing.assert_close(g(z), ref(z), rtol=0, atol=1e-4)
        g64, ref64 = copy.deepcopy(g).double(), copy.deepcopy(ref).double()
        torch.testing.assert_close(g64(z.double()), ref64(z.double()), rtol=0, atol=1e-5)


# -- equivalence ------------------------------------------------------------------------------
@pytest.mark.parametrize("alpha", [0.0, 0.3, 1.0])
def test_cli_import_reproduces_upstream_output(
    make_zoo, save_upstream, tmp_path, monkeypatch, alpha
):
    path, ref, _ = build(save_upstream, tmp_path / "celeba.pth", alpha=alpha)
    monkeypatch.setenv("GENZOO_STORE", str(tmp_path / "store"))
    monkeypatch.setenv("GENZOO_OFFLINE", "1")
    out = tmp_path / "my-pgan"  # an entry folder is named like its spec
    res = CliRunner().invoke(
        cli, ["convert", "--from", "pgan", str(path), "-o", str(out), "--name", "my-pgan"]
    )
    assert res.exit_code == 0, res.output
    assert (out / "model.safetensors").is_file() and (out / "genzoo.yaml").is_file()
    model = load_entry(make_zoo, out)
    assert model.spec.name == "my-pgan" and model.spec.data.size == 16
    assert list(model.spec.arch.widths) == [D0, *OTHERS]
    assert int(model.G.stage_res) == 16 and float(model.G.alpha) == pytest.approx(1 - alpha)
    z = torch.randn(5, LATENT, generator=torch.Generator().manual_seed(1))
    assert_matches(model.G, ref, z)
    with torch.no_grad():  # samples: the same images, clamped to [-1, 1]
        torch.testing.assert_close(model.decode(z), ref(z).clamp(-1, 1), rtol=0, atol=1e-4)


@pytest.mark.parametrize(("others", "alpha"), [((), 0.0), ((16,), 0.3), ((16,), 1.0)])
def test_every_depth_reproduces_upstream(make_zoo, save_upstream, tmp_path, others, alpha):
    path, ref, _ = build(save_upstream, tmp_path / "m.pth", alpha=alpha, others=others)
    folder = convert_to_entry(
        make_zoo(("progan", progan), ("gan", gan)), "pgan", path, tmp_path / "e"
    )
    model = load_entry(make_zoo, folder)
    assert model.spec.data.size == 4 * 2 ** len(others)
    assert_matches(model.G, ref, torch.randn(4, LATENT))


def test_avgG_is_preferred_and_netG_selectable(make_zoo, save_upstream, tmp_path):
    path, avg, net = build(save_upstream, tmp_path / "m.pth", alpha=0.3)
    z = torch.randn(3, LATENT)
    spec_dict, t_avg = convert_pgan(path)
    _, t_net = convert_pgan(path, network="netG")
    zoo = make_zoo(("progan", progan), ("gan", gan))
    for tensors, ref in ((t_avg, avg), (t_net, net)):
        model = zoo.build(zoo.resolve({**spec_dict, "name": "x"}))
        model.G.load_state_dict({k.removeprefix("G."): v for k, v in tensors.items()})
        assert_matches(model.G, ref, z)
    # without avgG the trained generator is used
    ck = torch.load(path, weights_only=False)
    del ck["avgG"]
    save_upstream(path, ck)
    _, t_only = convert_pgan(path)
    assert all(torch.equal(t_only[k], t_net[k]) for k in t_net)
    with pytest.raises(SpecError, match="network"):
        convert_pgan(path, network="D")
    with pytest.raises(SpecError, match=r"unknown option.*size"):
        convert_pgan(path, size=64)


def test_legacy_names_without_module(make_zoo, save_upstream, tmp_path):
    path, ref, _ = build(save_upstream, tmp_path / "old.pth", alpha=0.3, legacy=True)
    assert "formatLayer.weight" in torch.load(path, weights_only=False)["avgG"]
    folder = convert_to_entry(
        make_zoo(("progan", progan), ("gan", gan)), "pgan", path, tmp_path / "e"
    )
    assert_matches(load_entry(make_zoo, folder).G, ref, torch.randn(4, LATENT))


def test_reference_layout_is_upstreams_state_dict():
    ref = RefGNet(LATENT, D0, OTHERS, C, 0.0)
    got = {k: tuple(v.shape) for k, v in ref.state_dict().items()}
    assert got == reference_layout(LATENT, D0, OTHERS, C)


# -- refusals ---------------------------------------------------------------------------------
class Shell:
    def __init__(self, sentinel):
        self.sentinel = sentinel

    def __reduce__(self):
        return (os.system, (f"touch {self.sentinel}",))


class Writer:
    def __init__(self, sentinel):
        self.sentinel = sentinel

    def __reduce__(self):
        return (open, (str(self.sentinel), "w"))


@pytest.mark.parametrize("evil", [Shell, Writer])
def test_malicious_pickle_is_refused_and_not_run(save_upstream, tmp_path, monkeypatch, evil):
    sentinel = tmp_path / "SENTINEL"
    path, _, _ = build(save_upstream, tmp_path / "m.pth")
    ck = torch.load(path, weights_only=False)  # our own file: safe to load fully here
    ck["config"] = evil(sentinel)
    torch.save(ck, path)
    with pytest.raises(UnsafePickleError, match="refused") as exc:
        convert_pgan(path)
    assert isinstance(exc.value, WeightsError)
    assert not sentinel.exists()
    # and through the command line: exit code 4, one line, still nothing executed
    monkeypatch.setenv("GENZOO_STORE", str(tmp_path / "store"))
    res = CliRunner().invoke(
        cli, ["convert", "--from", "pgan", str(path), "-o", str(tmp_path / "e")]
    )
    assert res.exit_code == 4 and "refused" in res.output
    assert not sentinel.exists() and not (tmp_path / "e").exists()


def test_not_a_checkpoint(tmp_path):
    path = tmp_path / "junk.pth"
    path.write_text("hello")
    with pytest.raises(WeightsError, match="cannot read"):
        convert_pgan(path)
    torch.save({"state_dict": {"w": torch.ones(1)}}, path)
    with pytest.raises(UnsupportedCheckpointError, match="not a pytorch_GAN_zoo PGAN"):
        convert_pgan(path)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("missing", r"missing tensor avgG\.scaleLayers\.1\.0\.module\.bias"),
        ("unexpected", r"unexpected tensor avgG\.toRGBLayers\.7\.module\.weight"),
        ("shape", r"avgG\.groupScale0\.0\.module\.weight has shape \(16, 8, 3, 3\)"),
    ],
)
def test_tensor_problems_are_named(save_upstream, tmp_path, change, message):
    path, _, _ = build(save_upstream, tmp_path / "m.pth")
    ck = torch.load(path, weights_only=False)
    if change == "missing":
        del ck["avgG"]["scaleLayers.1.0.module.bias"]
    elif change == "unexpected":
        ck["avgG"]["toRGBLayers.7.module.weight"] = torch.zeros(3, 8, 1, 1)
    else:
        ck["avgG"]["groupScale0.0.module.weight"] = torch.zeros(16, 8, 3, 3)
    save_upstream(path, ck)
    with pytest.raises(WeightsError, match=message):
        convert_pgan(path)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("lossCriterion", "DCGAN"),
        ("lossCriterion", "MSE"),
        ("categoryVectorDim", 5),
        ("attribKeysOrder", {"Male": {"order": 0, "values": ["0", "1"]}}),
        ("perChannelNormalization", False),
        ("equalizedlR", False),
        ("leakyReluLeak", 0.1),
        ("alpha", 1.5),
    ],
)
def test_unsupported_config_is_named(save_upstream, tmp_path, field, value):
    path, _, _ = build(save_upstream, tmp_path / "m.pth", **{field: value})
    with pytest.raises(UnsupportedCheckpointError) as exc:
        convert_pgan(path)
    assert f"{field}={value!r}" in str(exc.value)


# -- spec: explicit widths ---------------------------------------------------------------------
def test_widths_are_validated_and_optional(make_zoo):
    zoo = make_zoo(("progan", progan), ("gan", gan))
    base = {"name": "w", "family": "progan", "data": {"channels": 1, "size": 16}}
    base["latent"] = {"dim": 8}
    with pytest.raises(SpecError, match=r"arch\.widths: needs one entry per resolution"):
        zoo.resolve({**base, "arch": {"widths": [8, 8]}})
    with pytest.raises(SpecError, match="widths"):
        zoo.resolve({**base, "arch": {"widths": [8, 0, 8]}})
    m = zoo.build(zoo.resolve({**base, "arch": {"widths": [12, 10, 6]}}))
    assert tuple(m.G.blocks["16"].conv2.weight.shape[:2]) == (6, 6)
    assert tuple(m.D.from_rgb["8"].weight.shape[:2]) == (10, 1)
    # without widths nothing changes: the shipped entry's canonical form (and hash) has no key
    spec = zoo.resolve({**base, "arch": {"fmap_base": 128, "fmap_max": 16}})
    assert "widths" not in spec.canonical_json()
    assert [spec.arch.channels(r) for r in (4, 8, 16)] == [16, 16, 8]
