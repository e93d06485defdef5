"""RadialGAN: conformance on tables, translation, clear errors for bad tables."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pytest
import torch

import genzoo_plugins.radialgan as radialgan
from genzoo.data.tabular import TableCodec, read_table, split_domains, write_table
from genzoo.errors import CapabilityError, DataError
from genzoo.spec.model import TabularColumn
from genzoo.testing.conformance import FamilyConformance
from genzoo_plugins.radialgan.data import encode_domains, table_source

COLS = [
    {"name": "a"},
    {"name": "b"},
    {"name": "c"},
    {"name": "y", "type": "categorical", "categories": ["no", "yes"]},
]
SPEC = {
    "name": "rg",
    "family": "radialgan",
    "task": "multi-domain",
    "data": {"kind": "tabular", "columns": COLS, "label": "y"},
    "latent": {"dim": 3},
    "conditions": {"kind": "domain", "names": ["p", "q"]},
    "arch": {"domain_columns": {"p": ["a", "b", "y"], "q": ["b", "c", "y"]}, "hidden": [8]},
    "training": {"batch_size": 16, "steps": 3},
}


def tables(n=20, seed=0):
    r = np.random.default_rng(seed)
    y = np.where(r.random(n) > 0.5, "yes", "no")
    return {
        "p": {"a": r.normal(size=n), "b": r.normal(size=n) * 3 + 1, "y": y},
        "q": {"b": r.normal(size=n), "c": r.normal(size=n), "y": y},
    }


def columns():
    return [TabularColumn.model_validate(c) for c in COLS]


class TestRadialGANConformance(FamilyConformance):
    plugins: ClassVar = [("radialgan", radialgan)]
    spec: ClassVar = SPEC

    def make_data(self, model):
        return encode_domains(tables(), columns(), ["p", "q"])

    def sample_kwargs(self, model):
        return {"domain": "p"}


@pytest.fixture
def trained(make_zoo, tmp_path):
    from genzoo.train.trainer import Trainer

    zoo = make_zoo(("radialgan", radialgan))
    torch.manual_seed(0)
    model = zoo.build(SPEC)
    Trainer(
        model,
        encode_domains(tables(), columns(), ["p", "q"]),
        zoo.registries,
        tmp_path / "run",
        steps=5,
        progress=False,
    ).run()
    return model.eval()


def test_sample_table_and_translate_give_named_columns(trained):
    rows = trained.sample_table(7, domain="q", seed=1)
    assert sorted(rows) == ["b", "c", "y"] and len(rows["b"]) == 7
    assert set(rows["y"]) <= {"no", "yes"}
    out = trained.translate(tables()["p"], "p", "q")
    assert sorted(out) == ["b", "c", "y"] and len(out["c"]) == 20
    assert trained.fit_data is not None
    # standardisation statistics came from the data
    assert abs(float(trained.P.col_std[1]) - 1.0) > 0.1


def test_unknown_domain_and_unseen_category(trained):
    with pytest.raises(CapabilityError, match="unknown domain 'r'"):
        trained.sample(3, domain="r")
    bad = tables()["p"]
    bad["y"] = np.array(["maybe"] * 20)
    with pytest.raises(DataError, match=r"'maybe'.*not seen in training"):
        trained.translate(bad, "p", "q")


def test_bad_tables(tmp_path):
    t = tables()
    t["p"]["a"] = np.array(["x"] * 20, dtype=object)
    with pytest.raises(
        DataError, match="column 'a' is continuous but holds the non-numeric value 'x'"
    ):
        encode_domains(t, columns(), ["p", "q"])
    path = tmp_path / "t.csv"
    write_table({"a": np.ones(3), "dom": np.array(["p", "p", "p"])}, path)
    with pytest.raises(DataError, match="domain 'q' has no rows"):
        split_domains(read_table(path), "dom", ["p", "q"])
    write_table({"zzz": np.ones(3), "dom": np.array(["p", "q", "q"])}, path)
    with pytest.raises(DataError, match=r"unknown columns \['zzz'\]"):
        table_source(columns(), ["p", "q"], path=str(path), domain_column="dom")


def test_codec_round_trip():
    codec = TableCodec(columns()).fit(
        {"a": [1.0, 3.0], "b": [0.0, 2.0], "c": [5.0, 5.0], "y": ["no", "yes"]}
    )
    x = codec.encode({"a": [1.0, 3.0], "b": [0.0, 2.0], "c": [5.0, 5.0], "y": ["no", "yes"]})
    assert x.shape == (2, 5)
    back = codec.decode(x)
    np.testing.assert_allclose(back["a"], [1.0, 3.0])
    assert list(back["y"]) == ["no", "yes"]


def test_parquet_round_trip(tmp_path):
    t = tables()["p"]
    path = tmp_path / "p.parquet"
    write_table(t, path)
    back = read_table(path)
    assert sorted(back) == sorted(t)
    np.testing.assert_allclose(back["a"], t["a"])
    assert list(back["y"]) == list(t["y"])
