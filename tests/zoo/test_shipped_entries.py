"""The built-in zoo: every entry validates, shipped weights load and sample offline, and the
digit models draw recognisable digits of every class (judged by genzoo's digit classifier)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

import genzoo_zoo
from genzoo.zoo import Zoo
from genzoo_plugins.extractors.digits import prepare

ZOO = Path(genzoo_zoo.__file__).parent
ENTRIES = sorted(p.parent.name for p in ZOO.glob("*/genzoo.yaml"))
# entries whose weights ship in the repository
SHIPPED = [
    "ae-anomaly-mnist",
    "ae-mnist",
    "cgan-mnist",
    "conv-ae-mnist",
    "dae-mnist",
    "dcgan-mnist",
    "gan-mnist",
    "progan-mnist",
    "radialgan-breast-cancer",
    "stylegan-mnist",
    "stylegan2-mnist",
    "vae-mnist",
    "wgan-gp-mnist",
]
DIGIT_GANS = [
    "dcgan-mnist",
    "gan-mnist",
    "progan-mnist",
    "stylegan-mnist",
    "stylegan2-mnist",
    "wgan-gp-mnist",
]


@pytest.fixture(scope="module")
def zoo(tmp_path_factory):
    from genzoo.settings import Settings

    tmp = tmp_path_factory.mktemp("zoo")
    return Zoo(settings=Settings(store_dir=tmp / "store", cache_dir=tmp / "cache", offline=True))


@pytest.fixture(scope="module")
def classifier(zoo):
    return zoo.registries.extractors.get("digits").function()()


@pytest.mark.parametrize("name", ENTRIES)
def test_entry_validates(zoo, name):
    assert zoo.validate(ZOO / name) == []


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_entry_samples_offline(zoo, name):
    entry = zoo.entry(name)
    assert entry.is_local, f"{name} has no weights"
    model = zoo.load(name)
    kw = {"domain": 0} if model.spec.data.kind == "tabular" else {}
    a = model.sample(8, seed=0, **kw)
    assert torch.equal(a, model.sample(8, seed=0, **kw))
    assert bool(a.isfinite().all())
    card = entry.card()
    assert "genzoo train" in card and "library_name: genzoo" in card


@pytest.mark.parametrize("name", DIGIT_GANS)
def test_digit_models_draw_every_digit(zoo, classifier, name):
    x = zoo.load(name).sample(1000, seed=0)
    with torch.no_grad():
        probs = classifier.net(prepare(x)).softmax(1)
    conf, pred = probs.max(1)
    counts = torch.bincount(pred, minlength=10)
    assert int(counts.min()) >= 20, counts.tolist()  # every class at least 2 %
    assert float(conf.mean()) > 0.85, float(conf.mean())


def test_cgan_draws_the_requested_digit(zoo, classifier):
    model = zoo.load("cgan-mnist")
    labels = torch.arange(1000) % 10
    x = model.sample(1000, seed=0, labels=labels)
    acc = float((classifier.classify(x) == labels).double().mean())
    assert acc >= 0.9, acc


@pytest.mark.parametrize("name", ["stylegan-ffhq", "stylegan-ffhq-512"])
def test_nvidia_face_entries_are_pinned_restricted_and_converted_on_pull(zoo, name):
    entry = zoo.entry(name)
    assert not entry.is_local  # never vendored: NVIDIA's licence is non-commercial
    spec = entry.spec
    (src,) = spec.weights
    assert src.is_remote and src.converter == "nvlabs" and len(src.sha256) == 64
    assert zoo.registries.converters.get("nvlabs")
    assert spec.license_restricted and "nc" in spec.license
    card = entry.card()
    assert "non-commercial" in card and "--accept-license" in card
