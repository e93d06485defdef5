"""Malformed specs give one line per problem naming file, line and field path."""

from __future__ import annotations

import textwrap

import pytest

from genzoo.errors import SpecError
from tests.toy import toy_plugin

GOOD = """\
name: toy
family: toy
data: {channels: 1, size: 8}
latent: {dim: 4}
arch:
  hidden: 16
  schedule: [1, 2, 3]
training:
  batch_size: 8
  losses: {adversarial: toy_bce}
"""


def write(tmp_path, text, name="toy"):
    d = tmp_path / name
    d.mkdir(exist_ok=True)
    p = d / "genzoo.yaml"
    p.write_text(textwrap.dedent(text))
    return p


@pytest.fixture
def zoo(make_zoo):
    return make_zoo(("toy", toy_plugin))


def problems(zoo, path):
    with pytest.raises(SpecError) as exc:
        zoo.load_spec(path)
    return exc.value.problems


def test_good_spec_resolves(zoo, tmp_path):
    spec = zoo.load_spec(write(tmp_path, GOOD))
    assert spec.arch.hidden == 16 and spec.arch.schedule == [1, 2, 3]


def test_unknown_key_in_arch_names_file_line_and_path(zoo, tmp_path):
    p = write(tmp_path, GOOD.replace("  hidden: 16", "  hidden: 16\n  hiden: 3"))
    (line,) = problems(zoo, p)
    assert line == f"{p}:7: spec.arch.hiden: unknown key (not part of the spec)"


def test_unknown_top_level_key(zoo, tmp_path):
    p = write(tmp_path, GOOD + "colour: blue\n")
    (line,) = problems(zoo, p)
    assert line.startswith(f"{p}:11: spec.colour: unknown key")


def test_wrong_type(zoo, tmp_path):
    p = write(tmp_path, GOOD.replace("hidden: 16", "hidden: lots"))
    (line,) = problems(zoo, p)
    assert line.startswith(f"{p}:6: spec.arch.hidden: ") and "integer" in line and "'lots'" in line


def test_missing_family(zoo, tmp_path):
    p = write(tmp_path, GOOD.replace("family: toy\n", ""))
    (line,) = problems(zoo, p)
    assert line == f"{p}:1: spec.family: required field is missing"


def test_unknown_family_suggests(zoo, tmp_path):
    p = write(tmp_path, GOOD.replace("family: toy", "family: toi"))
    (line,) = problems(zoo, p)
    assert line.startswith(f"{p}:2: spec.family: unknown family 'toi'; did you mean 'toy'")


def test_bad_yaml(zoo, tmp_path):
    p = write(tmp_path, GOOD.replace("latent: {dim: 4}", "latent: {dim: 4"))
    (line,) = problems(zoo, p)
    assert line.startswith(f"{p}:") and "invalid YAML" in line


def test_value_out_of_range(zoo, tmp_path):
    p = write(tmp_path, GOOD.replace("batch_size: 8", "batch_size: 0"))
    (line,) = problems(zoo, p)
    assert (
        line.startswith(f"{p}:9: spec.training.batch_size: ")
        and "greater than or equal to 1" in line
    )


def test_schedule_not_increasing_uses_family_check(zoo, tmp_path):
    p = write(tmp_path, GOOD.replace("[1, 2, 3]", "[1, 3, 2]"))
    (line,) = problems(zoo, p)
    assert "spec.arch.schedule: values must increase" in line


def test_unknown_loss(zoo, tmp_path):
    p = write(tmp_path, GOOD.replace("toy_bce", "toy_bse"))
    (line,) = problems(zoo, p)
    assert line.startswith(f"{p}:10: spec.training.losses.adversarial.name: unknown loss 'toy_bse'")


def test_several_problems_are_all_reported(zoo, tmp_path):
    p = write(
        tmp_path, GOOD.replace("hidden: 16", "hidden: -1").replace("batch_size: 8", "batch_size: x")
    )
    assert len(problems(zoo, p)) == 2


def test_hub_weights_need_sha256(zoo, tmp_path):
    p = write(tmp_path, GOOD + "weights:\n  - {file: a.pkl, repo: o/r}\n")
    (line,) = problems(zoo, p)
    assert "spec.weights.0" in line and "sha256" in line


def test_conditional_needs_class_conditions(zoo, tmp_path):
    p = write(tmp_path, GOOD + "task: conditional\n")
    (line,) = problems(zoo, p)
    assert "conditional task needs `conditions`" in line
