"""ProGAN: conformance, schedule validation, four stages end to end with a resume mid-fade."""

from __future__ import annotations

import copy
from typing import ClassVar

import pytest
import torch

import genzoo_plugins.gan as gan
import genzoo_plugins.progan as progan
from genzoo.errors import SpecError
from genzoo.testing.conformance import FamilyConformance
from genzoo.train.trainer import Trainer

SPEC = {
    "name": "pg",
    "family": "progan",
    "data": {"channels": 1, "size": 32},
    "latent": {"dim": 16},
    "arch": {"fmap_base": 128, "fmap_max": 16, "mbstd_group": 2},
    "training": {
        "batch_size": 8,
        "steps": 16,
        "checkpoint_every": 1000,
        "sample_every": 1000,
        "log_every": 1,
        "ema": {"network": "G", "beta": 0.9},
        "options": {
            "stages": [
                {"resolution": 4, "stable_images": 16, "batch_size": 8},
                {"resolution": 8, "fade_images": 16, "stable_images": 8, "batch_size": 8},
                {"resolution": 16, "fade_images": 16, "stable_images": 8, "batch_size": 4},
                {"resolution": 32, "fade_images": 8, "stable_images": 8, "batch_size": 4},
            ]
        },
    },
}


class TestProGANConformance(FamilyConformance):
    plugins: ClassVar = [("progan", progan), ("gan", gan)]
    spec: ClassVar = SPEC
    train_steps: ClassVar = 3


def bad(**stage0):
    s = copy.deepcopy(SPEC)
    s["training"]["options"]["stages"][1].update(stage0)
    return s


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"resolution": 12}, "power of two"),
        ({"resolution": 16}, "must double the resolution"),
        ({"batch_size": None}, "stages.1.batch_size"),
    ],
)
def test_bad_schedules_are_refused(make_zoo, change, message):
    zoo = make_zoo(("progan", progan), ("gan", gan))
    s = bad(**change)
    if change.get("batch_size", 1) is None:
        del s["training"]["options"]["stages"][1]["batch_size"]
    with pytest.raises(SpecError) as exc:
        zoo.resolve(s)
    assert message in str(exc.value)
    assert "spec.training.options" in str(exc.value)


def test_decreasing_stages_refused(make_zoo):
    zoo = make_zoo(("progan", progan), ("gan", gan))
    s = copy.deepcopy(SPEC)
    s["training"]["options"]["stages"].reverse()
    s["training"]["options"]["stages"][0]["fade_images"] = 0
    with pytest.raises(SpecError, match="must double"):
        zoo.resolve(s)


def data(n=32):
    g = torch.Generator().manual_seed(0)
    from genzoo.data import ArrayDataset

    return ArrayDataset(torch.rand(n, 1, 32, 32, generator=g) * 2 - 1)


def trainer(zoo, out):
    torch.manual_seed(0)
    return Trainer(zoo.build(SPEC), data(), zoo.registries, out, progress=False)


def test_four_stages_grow_and_resume_mid_fade(make_zoo, tmp_path):
    zoo = make_zoo(("progan", progan), ("gan", gan))
    straight = trainer(zoo, tmp_path / "a")
    model = straight.model
    assert model.schedule_steps() == 2 + (2 + 1) + (4 + 2) + (2 + 2)
    seen = []
    straight.on_step = lambda step, line: seen.append((line["res"], round(line["alpha"], 3)))
    straight.run()
    assert [r for r, _ in seen[:2]] == [4, 4]
    assert seen[2] == (8, 0.5) and seen[3] == (8, 1.0)  # fading in 8×8
    assert seen[-1] == (32, 1.0) and int(model.G.stage_res) == 32
    # stop in the middle of the 16×16 fade-in (step 7 of 4 fade steps starting at 5), resume
    first = trainer(zoo, tmp_path / "b")
    first.run(stop_after=7)
    res, alpha, _ = first.model.stage_at(6)
    assert res == 16 and 0 < alpha < 1
    second = trainer(zoo, tmp_path / "b")
    second.run(resume=True)
    for k, v in straight.model.state_dict().items():
        assert torch.equal(v, second.model.state_dict()[k]), k
    x = straight.sampling_model().sample(4, seed=0)
    assert x.shape == (4, 1, 32, 32)


def test_truncation_is_refused_because_pixel_norm_undoes_it(make_zoo):
    """G normalises z to unit length first, so ψ·z would give the very same image: say so."""
    from genzoo.errors import CapabilityError

    m = make_zoo(("progan", progan), ("gan", gan)).build(SPEC).eval()
    z = torch.randn(2, 16)
    with torch.no_grad():
        assert torch.allclose(m.G(z), m.G(0.5 * z), atol=1e-5)  # why: the scale is normalised away
    assert "truncate" not in m.capabilities
    with pytest.raises(CapabilityError, match="no effect"):
        m.sample(2, seed=0, truncation=0.5)
    assert m.sample(2, seed=0, truncation=1.0).shape == m.sample(2, seed=0).shape
