"""The FID Inception extractor: layout, input handling and safe loading, without real weights.

The official ``pt_inception-2015-12-05-6726825d.pth`` is not available offline, so a randomly
initialised network stands in for it: its state dict has the official file's layout (checked
against names and shapes written down from pytorch-fid / torchvision), and is saved and loaded
the ways a user's file would be.
"""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys

import pytest
import torch
import torch.nn.functional as F
from click.testing import CliRunner
from torch import nn

from genzoo.errors import DataError, UnsafePickleError, WeightsError
from genzoo.weights import save_tensors, sha256_file
from genzoo_plugins.extractors import inception as inc

ENV = "GENZOO_INCEPTION_WEIGHTS"


@pytest.fixture(autouse=True)
def one_thread():
    """299×299 forwards on one core: a model may be training beside the tests."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


@pytest.fixture(scope="module")
def net():
    """Random weights that keep activations O(1) through 94 conv-bn-relu layers."""
    g = torch.Generator().manual_seed(0)
    net = inc.FIDInceptionV3()
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, nn.Conv2d):
                fan_in = m.weight[0].numel()
                m.weight.normal_(0, (2 / fan_in) ** 0.5, generator=g)
            elif isinstance(m, nn.BatchNorm2d):
                m.weight.uniform_(0.5, 1.5, generator=g)
                m.bias.normal_(0, 0.1, generator=g)
                m.running_mean.normal_(0, 0.1, generator=g)
                m.running_var.uniform_(0.5, 1.5, generator=g)
                m.num_batches_tracked.fill_(7)
    return net.eval()


@pytest.fixture(scope="module")
def state(net):
    return {k: v.clone() for k, v in net.state_dict().items()}


@pytest.fixture(scope="module")
def pth(state, tmp_path_factory):
    path = tmp_path_factory.mktemp("inception") / "inception.pth"
    torch.save(state, path)
    return path


def images(n, c, size, seed):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(n, c, size, size, generator=g) * 2 - 1


# -- layout ----------------------------------------------------------------------------------


def test_layout_is_the_official_files(net):
    layout = inc.reference_layout()
    # 94 conv-bn-relu units × (conv.weight + bn weight, bias, running_mean, running_var,
    # num_batches_tracked) + fc.weight, fc.bias; no AuxLogits (pytorch-fid builds the net with
    # aux_logits=False and loads the file strictly)
    assert len(layout) == 566
    assert sum(k.endswith(".bn.num_batches_tracked") for k in layout) == 94
    assert not any(k.startswith("AuxLogits") or k.endswith("conv.bias") for k in layout)
    expected = {
        "Conv2d_1a_3x3.conv.weight": (32, 3, 3, 3),
        "Conv2d_1a_3x3.bn.running_var": (32,),
        "Conv2d_1a_3x3.bn.num_batches_tracked": (),
        "Conv2d_4a_3x3.conv.weight": (192, 80, 3, 3),
        "Mixed_5b.branch_pool.conv.weight": (32, 192, 1, 1),
        "Mixed_5d.branch5x5_2.conv.weight": (64, 48, 5, 5),
        "Mixed_6a.branch3x3.conv.weight": (384, 288, 3, 3),
        "Mixed_6b.branch7x7_2.conv.weight": (128, 128, 1, 7),
        "Mixed_6e.branch7x7dbl_5.conv.weight": (192, 192, 1, 7),
        "Mixed_7a.branch7x7x3_4.conv.weight": (192, 192, 3, 3),
        "Mixed_7b.branch3x3dbl_3b.conv.weight": (384, 384, 3, 1),
        "Mixed_7c.branch_pool.conv.weight": (192, 2048, 1, 1),
        "Mixed_7c.branch3x3dbl_1.bn.bias": (448,),
        "fc.weight": (1008, 2048),
        "fc.bias": (1008,),
    }
    for name, shape in expected.items():
        assert tuple(layout[name].shape) == shape, name
    # 23,885,392 float32 values + 94 int64 counters ≈ 95.54 MB; the official file has
    # 95,628,359 bytes (the rest is the pickle/zip framing of 566 entries)
    assert sum(v.numel() for v in layout.values() if v.is_floating_point()) == 23_885_392
    real = net.state_dict()
    assert list(real) == list(layout)
    assert all(real[k].shape == layout[k].shape for k in layout)
    assert all(m.eps == 0.001 for m in net.modules() if isinstance(m, nn.BatchNorm2d))


def test_fid_pooling_differences(net):
    x = torch.rand(2, 4, 6, 6)
    ones = torch.ones(1, 1, 5, 5)
    tf_avg = F.avg_pool2d(x, 3, stride=1, padding=1, count_include_pad=False)
    for name in ("5b", "5c", "5d", "6b", "6c", "6d", "6e", "7b"):
        block = getattr(net, f"Mixed_{name}")
        assert torch.equal(block.pool(ones), ones), name  # padding is not averaged in
        assert torch.allclose(block.pool(x), tf_avg), name
    assert torch.equal(net.Mixed_7c.pool(x), F.max_pool2d(x, 3, stride=1, padding=1))


# -- input -----------------------------------------------------------------------------------


def test_prepare_grey_resize_and_range():
    grey = images(2, 1, 28, seed=1)
    p = inc.prepare(grey)
    assert p.shape == (2, 3, 299, 299) and p.dtype == torch.float32
    assert torch.equal(p[:, 0], p[:, 1]) and torch.equal(p[:, 0], p[:, 2])
    rgb = images(2, 3, 32, seed=2)
    # pytorch-fid: bilinear resize of [0, 1] images, then 2x − 1; the same up to rounding
    ref = F.interpolate((rgb + 1) / 2, size=(299, 299), mode="bilinear", align_corners=False)
    ref = 2 * ref - 1
    assert torch.allclose(inc.prepare(rgb), ref, atol=1e-6)
    full = images(1, 3, 299, seed=3)
    assert torch.equal(inc.prepare(full), full)
    for bad in (torch.zeros(1, 4, 8, 8), torch.zeros(3, 8, 8)):
        with pytest.raises(DataError, match="N×1×H×W or N×3×H×W"):
            inc.prepare(bad)


def test_features_of_grey_and_rgb_batches(net):
    ext = inc.InceptionExtractor(net, "0" * 64)
    assert ext.name == "inception"
    grey = images(2, 1, 28, seed=4)
    f = ext.features(grey, batch_size=1)
    assert f.shape == (2, 2048) and f.dtype == torch.float32
    assert bool(f.isfinite().all()) and bool((f >= 0).all())  # mean of ReLU outputs
    assert not torch.allclose(f[0], f[1])
    assert torch.allclose(ext.features(grey.repeat(1, 3, 1, 1)), f, rtol=1e-5, atol=1e-6)
    g = ext.features(images(2, 3, 32, seed=5))
    assert g.shape == (2, 2048) and bool(g.isfinite().all())
    assert ext.features(torch.zeros(0, 1, 28, 28)).shape == (0, 2048)


# -- loading ---------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["pth", "pth-legacy", "safetensors"])
def test_load_from_env(kind, net, state, pth, tmp_path, monkeypatch, caplog):
    if kind == "pth":
        path = pth
    elif kind == "pth-legacy":  # the pre-1.6 format a 2019 file may be in
        path = tmp_path / "legacy.pth"
        torch.save(state, path, _use_new_zipfile_serialization=False)
    else:
        path = tmp_path / "inception.safetensors"
        save_tensors(state, path)
    monkeypatch.setenv(ENV, str(path))
    with caplog.at_level("WARNING"):
        ext = inc.load()
    assert ext.name == "inception" and ext.path == path
    assert ext.sha256 == sha256_file(path) and not ext.official
    assert "not that of the official" in caplog.text
    loaded = ext.net.state_dict()
    assert list(loaded) == list(state)
    assert all(torch.equal(loaded[k], v) for k, v in state.items())
    assert not any(p.requires_grad for p in ext.net.parameters()) and not ext.net.training
    x = images(1, 1, 28, seed=6)
    ref = inc.InceptionExtractor(net, "0" * 64).features(x)
    assert torch.allclose(ext.features(x), ref, rtol=1e-5, atol=1e-6)


def test_official_digest_is_recognised(pth, monkeypatch, caplog):
    monkeypatch.setattr(inc, "OFFICIAL_SHA256", sha256_file(pth))
    with caplog.at_level("WARNING"):
        ext = inc.load(pth)  # an explicit path works without the variable
    assert ext.official and "official" not in caplog.text


def test_counters_may_be_absent(state):
    bare = {k: v for k, v in state.items() if not k.endswith("num_batches_tracked")}
    assert len(bare) == 472
    checked = inc.check_state(bare, "converted.safetensors")
    assert list(checked) == list(state)
    assert torch.equal(checked["fc.weight"], state["fc.weight"])


def test_missing_weights_say_where_to_get_them(tmp_path, monkeypatch):
    monkeypatch.delenv(ENV, raising=False)
    with pytest.raises(WeightsError) as err:
        inc.load()
    msg = str(err.value)
    assert ENV in msg and inc.URL in msg and "never" in msg and err.value.exit_code == 4
    assert inc.URL.endswith("/fid_weights/pt_inception-2015-12-05-6726825d.pth")
    monkeypatch.setenv(ENV, str(tmp_path / "nowhere.pth"))
    with pytest.raises(WeightsError, match=f"nowhere.pth: no such weights file \\(from {ENV}\\)"):
        inc.load()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("drop", "missing tensor 'Mixed_6c.branch7x7dbl_3.conv.weight'"),
        ("reshape", r"tensor 'fc.weight' has shape \(1000, 2048\), the model expects \(1008, "),
        ("add", "unexpected tensor 'AuxLogits.fc.weight'"),
    ],
)
def test_wrong_tensors_are_named(change, message, state, tmp_path, monkeypatch):
    bad = dict(state)
    if change == "drop":
        del bad["Mixed_6c.branch7x7dbl_3.conv.weight"]
    elif change == "reshape":
        bad["fc.weight"] = torch.zeros(1000, 2048)
    else:
        bad["AuxLogits.fc.weight"] = torch.zeros(1008, 768)
    path = tmp_path / f"{change}.safetensors"
    save_tensors(bad, path)
    monkeypatch.setenv(ENV, str(path))
    with pytest.raises(WeightsError, match=message):
        inc.load()


def test_hash_prefix_in_the_name_is_checked_before_reading(tmp_path, monkeypatch):
    path = tmp_path / inc.FILE_NAME
    path.write_bytes(b"an interrupted download")
    monkeypatch.setenv(ENV, str(path))
    with pytest.raises(WeightsError, match=r"does not start with 6726825d.*incomplete or corrupt"):
        inc.load()


@pytest.mark.parametrize("how", ["torch.save", "pickle"])
def test_malicious_pickle_is_refused_and_never_run(how, tmp_path, monkeypatch):
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            return (os.mkdir, (str(marker),))

    path = tmp_path / "evil.pth"
    payload = {"Conv2d_1a_3x3.conv.weight": Evil()}
    if how == "torch.save":
        torch.save(payload, path)
    else:
        with path.open("wb") as f:
            pickle.dump(payload, f, protocol=2)
    monkeypatch.setenv(ENV, str(path))
    with pytest.raises(UnsafePickleError, match=r"mkdir.*nothing in the file was run"):
        inc.load()
    assert not marker.exists()


# -- registry and command line ---------------------------------------------------------------


def test_registered_in_the_real_zoo():
    from genzoo.zoo import Zoo

    ext = Zoo().registries.extractors.get("inception")
    assert ext.function() is inc.load
    assert ENV in ext.description and "never downloaded" in ext.description
    code = "import sys, genzoo_plugins.extractors; print('torch' in sys.modules)"
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert res.stdout.strip() == "False", res.stderr


def test_genzoo_eval_selects_it(pth, tmp_path, monkeypatch):
    from genzoo.cli import cli

    monkeypatch.setenv("GENZOO_STORE", str(tmp_path / "store"))
    monkeypatch.setenv("GENZOO_OFFLINE", "1")
    args = ["eval", "gan-mnist", "--extractor", "inception", "--metrics", "kid", "-n", "3"]
    args += ["--data-option", "limit=3"]
    monkeypatch.delenv(ENV, raising=False)
    res = CliRunner().invoke(cli, args)
    assert res.exit_code == 4 and ENV in res.output and "Traceback" not in res.output
    monkeypatch.setenv(ENV, str(pth))
    res = CliRunner().invoke(cli, args)
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["protocol"]["extractor"] == "inception"
    assert out["protocol"]["extractor_sha256"] == sha256_file(pth)
    assert "kid" in out
