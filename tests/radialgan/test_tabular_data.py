"""Tabular data sources for RadialGAN: domains by a column or by files, each with its own columns
(arch.domain_columns), and one clear error per kind of bad table. Small files written to tmp."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import genzoo_plugins.radialgan as radialgan
from genzoo.data.tabular import missing_mask
from genzoo.errors import DataError
from genzoo.spec.model import TabularColumn
from genzoo.train import load_data
from genzoo_plugins.radialgan.data import encode_domains, table_source
from genzoo_plugins.radialgan.evaluate import column_report
from genzoo_plugins.radialgan.utility import synthetic_summary
from tests.radialgan.test_radialgan import COLS, SPEC, tables

DOMAIN_COLUMNS = SPEC["arch"]["domain_columns"]  # p: a, b, y   q: b, c, y
ENTRY = Path(__file__).resolve().parents[2] / "zoo_specs" / "radialgan-breast-cancer"


def columns():
    return [TabularColumn.model_validate(c) for c in COLS]


def source(**kw):
    kw.setdefault("domain_columns", DOMAIN_COLUMNS)
    return table_source(columns(), ["p", "q"], **kw)


def write_csv(path, text):
    path.write_text(text)
    return str(path)


# p rows leave c blank, q rows leave a blank: each domain's own feature subset in one file
SHARED = """\
dom,a,b,c,y
p,1.0,2.0,,yes
p,3.0,4.0,,no
p,5.0,0.0,,yes
q,,1.0,10.0,no
q,,3.0,30.0,yes
"""


def rows(data, domain):
    return data.x[data.y == ["p", "q"].index(domain)]


# -- 1. one file, a domain column, blank cells outside a row's domain ---------------------------
def test_shared_file_ignores_blanks_outside_the_domain(tmp_path):
    data = source(path=write_csv(tmp_path / "t.csv", SHARED), domain_column="dom")
    assert len(data) == 5 and data.info["available"] == {"p": ["a", "b", "y"], "q": ["b", "c", "y"]}
    # union layout: a | b | c | y(no, yes); the absent block of each domain is zero
    assert (rows(data, "p")[:, 2] == 0).all() and (rows(data, "q")[:, 0] == 0).all()
    # statistics come from the rows of the domains that have the column
    assert data.info["stats"]["a"] == pytest.approx((3.0, np.std([1.0, 3.0, 5.0])))
    assert data.info["stats"]["c"] == pytest.approx((20.0, 10.0))


def test_shared_file_ignores_values_in_columns_the_domain_does_not_have(tmp_path):
    text = SHARED.replace("q,,1.0", "q,99.0,1.0")  # q has no column a: its value is not used
    data = source(path=write_csv(tmp_path / "t.csv", text), domain_column="dom")
    assert data.info["stats"]["a"][0] == pytest.approx(3.0)
    assert (rows(data, "q")[:, 0] == 0).all()


def test_shared_file_blank_in_a_declared_column_names_column_domain_and_rows(tmp_path):
    text = SHARED.replace("p,3.0,4.0,", "p,3.0,,").replace("p,5.0,0.0,", "p,5.0,,")
    with pytest.raises(DataError) as exc:
        source(path=write_csv(tmp_path / "t.csv", text), domain_column="dom")
    assert str(exc.value) == "domain 'p': column 'b' has missing values (2 of 3 rows)"
    text = SHARED.replace("q,,3.0,30.0,yes", "q,,3.0,30.0,")  # a blank category
    with pytest.raises(DataError, match=r"domain 'q': column 'y' has missing values \(1 of 2"):
        source(path=write_csv(tmp_path / "t.csv", text), domain_column="dom")


def test_shared_file_without_a_declared_column(tmp_path):
    text = "dom,a,b,y\np,1,2,yes\np,2,3,no\nq,,1,no\nq,,2,yes\n"  # no column c at all
    path = write_csv(tmp_path / "t.csv", text)
    with pytest.raises(DataError, match=r"t\.csv \(domain 'q'\) lacks column\(s\) \['c'\]"):
        source(path=path, domain_column="dom")


def test_without_domain_columns_a_column_blank_for_a_whole_domain_is_not_its_own(tmp_path):
    data = table_source(
        columns(), ["p", "q"], path=write_csv(tmp_path / "t.csv", SHARED), domain_column="dom"
    )
    assert data.info["available"] == {"p": ["a", "b", "y"], "q": ["b", "c", "y"]}
    text = SHARED.replace("q,,1.0", "q,7.0,1.0")  # partly blank: an error, not a guess
    with pytest.raises(DataError, match="domain 'q': column 'a' has missing values"):
        table_source(
            columns(), ["p", "q"], path=write_csv(tmp_path / "t.csv", text), domain_column="dom"
        )


# -- 2. one file per domain -------------------------------------------------------------------
def per_domain_files(tmp_path, q_text="b,c,y\n1,2,no\n3,4,yes\n", suffix=".csv"):
    files = {"p": tmp_path / f"p{suffix}", "q": tmp_path / f"q{suffix}"}
    texts = {"p": "a,b,y\n1,2,yes\n3,4,no\n", "q": q_text}
    for d, f in files.items():
        if suffix == ".csv":
            f.write_text(texts[d])
        else:
            (tmp_path / f"{d}.csv").write_text(texts[d])
            pd.read_csv(tmp_path / f"{d}.csv").to_parquet(f)
    return {d: str(f) for d, f in files.items()}


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_file_lacking_a_declared_column_is_an_error(tmp_path, suffix):
    paths = per_domain_files(tmp_path, "b,c\n1,2\n3,4\n", suffix)  # q's file has no y
    with pytest.raises(DataError) as exc:
        source(paths=paths)
    msg = str(exc.value)
    assert f"{paths['q']} (domain 'q') lacks column(s) ['y']" in msg, msg
    paths = per_domain_files(tmp_path, "y\nno\nyes\n", suffix)  # q has neither b nor c
    with pytest.raises(DataError, match=re.escape("lacks column(s) ['b', 'c']")):
        source(paths=paths)


def test_per_domain_files_load_and_extra_known_columns_are_ignored(tmp_path):
    paths = per_domain_files(tmp_path, "a,b,c,y\n50,1,2,no\n70,3,4,yes\n")  # q's a is not q's
    data = source(paths=paths)
    assert data.info["available"]["q"] == ["b", "c", "y"]
    assert data.info["stats"]["a"][0] == pytest.approx(2.0)  # from p's rows only


def test_paths_must_name_every_domain(tmp_path):
    paths = per_domain_files(tmp_path)
    with pytest.raises(DataError, match=r"one file per domain.*missing \['q'\]"):
        source(paths={"p": paths["p"]})
    with pytest.raises(DataError, match=r"not domains \['r'\]"):
        source(paths={**paths, "r": paths["p"]})


def test_load_data_gives_the_table_source_the_specs_domain_columns(make_zoo, tmp_path):
    zoo = make_zoo(("radialgan", radialgan))
    spec = copy.deepcopy(SPEC)
    spec["training"].update(data="table", data_options={"paths": per_domain_files(tmp_path)})
    data = load_data(zoo, zoo.resolve(spec))
    assert data.info["available"] == {"p": ["a", "b", "y"], "q": ["b", "c", "y"]}
    spec["training"]["data_options"] = {"paths": per_domain_files(tmp_path, "b,c\n1,2\n3,4\n")}
    with pytest.raises(DataError, match=r"\(domain 'q'\) lacks column\(s\) \['y'\]"):
        load_data(zoo, zoo.resolve(spec))
    shared = write_csv(tmp_path / "t.csv", SHARED)
    spec["training"]["data_options"] = {"path": shared, "domain_column": "dom"}
    assert len(load_data(zoo, zoo.resolve(spec))) == 5


# -- 3. the other bad tables ------------------------------------------------------------------
def test_unknown_columns(tmp_path):
    lines = SHARED.splitlines()
    text = "\n".join([lines[0] + ",zzz"] + [line + ",1" for line in lines[1:]]) + "\n"
    with pytest.raises(DataError, match=r"t\.csv: unknown columns \['zzz'\]"):
        source(path=write_csv(tmp_path / "t.csv", text), domain_column="dom")
    paths = per_domain_files(tmp_path, "b,c,y,zzz\n1,2,no,0\n3,4,yes,0\n")
    with pytest.raises(DataError, match=r"\(domain 'q'\): unknown columns \['zzz'\]"):
        source(paths=paths)


def test_non_numeric_value_in_a_continuous_column(tmp_path):
    text = SHARED.replace("p,3.0,4.0", "p,3.0,four")
    with pytest.raises(
        DataError,
        match="domain 'p': column 'b' is continuous but holds the non-numeric value 'four'",
    ):
        source(path=write_csv(tmp_path / "t.csv", text), domain_column="dom")


def test_undeclared_category_in_training_data(tmp_path):
    text = SHARED.replace("p,3.0,4.0,,no", "p,3.0,4.0,,maybe")
    with pytest.raises(DataError, match=r"domain 'p': column 'y': categories \['maybe'\] are not"):
        source(path=write_csv(tmp_path / "t.csv", text), domain_column="dom")


def test_empty_domains(tmp_path):
    only_p = "\n".join(SHARED.splitlines()[:4]) + "\n"
    with pytest.raises(DataError, match=r"domain 'q' has no rows \(column 'dom'\)"):
        source(path=write_csv(tmp_path / "t.csv", only_p), domain_column="dom")
    paths = per_domain_files(tmp_path, "b,c,y\n")  # header only
    with pytest.raises(DataError, match=r"q\.csv \(domain 'q'\) has no rows"):
        source(paths=paths)


def test_domain_cells_that_are_not_domains_are_errors_not_dropped_rows(tmp_path):
    text = SHARED + "r,1.0,1.0,1.0,no\n"
    with pytest.raises(DataError, match=r"column 'dom' holds \['r'\], which are not domains"):
        source(path=write_csv(tmp_path / "t.csv", text), domain_column="dom")
    text = SHARED + ",1.0,1.0,1.0,no\n"
    with pytest.raises(DataError, match=r"domain column 'dom' has missing values \(1 of 6"):
        source(path=write_csv(tmp_path / "t.csv", text), domain_column="dom")


def test_missing_mask_covers_the_blanks_pandas_reads():
    assert missing_mask(np.array([1.0, np.nan])).tolist() == [False, True]
    assert missing_mask(np.array(["a", None, np.nan, pd.NA], dtype=object)).tolist() == [
        False,
        True,
        True,
        True,
    ]
    assert not missing_mask(np.array([1, 2])).any()


def test_translate_time_blanks_and_unseen_categories(trained):
    p = {"a": np.array([0.1, 0.2]), "b": np.array([1.0, 2.0]), "y": np.array(["yes", None])}
    with pytest.raises(DataError, match=r"column 'y' has missing values \(1 of 2 rows\)"):
        trained.translate(p, "p", "q")
    p["y"] = np.array(["yes", "perhaps"])
    with pytest.raises(DataError, match=r"\['perhaps'\] were not seen in training"):
        trained.translate(p, "p", "q")


# -- 4. the CLI on a tabular model ------------------------------------------------------------
def cli(tmp_path, monkeypatch, *args):
    from genzoo.cli import cli as main

    monkeypatch.setenv("GENZOO_STORE", str(tmp_path / "store"))
    monkeypatch.setenv("GENZOO_OFFLINE", "1")
    monkeypatch.chdir(tmp_path)
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_the_cards_sample_command_runs(tmp_path, monkeypatch):
    card = (ENTRY / "README.md").read_text()
    cmd = re.search(r"^genzoo sample .*$", card, re.M).group(0).split()
    res = cli(tmp_path, monkeypatch, *cmd[1:])
    assert res.exit_code == 0, res.output
    out = pd.read_csv(tmp_path / cmd[cmd.index("-o") + 1])
    assert len(out) == int(cmd[cmd.index("-n") + 1]) and "diagnosis" in out.columns


@pytest.mark.parametrize("out", ["x.png", "rows", "rows.txt"])
def test_sample_refuses_a_non_table_output_for_a_tabular_model(tmp_path, monkeypatch, out):
    args = ["sample", "radialgan-breast-cancer", "--domain", "hospital_a", "-n", "3", "-o", out]
    res = cli(tmp_path, monkeypatch, *args)
    assert res.exit_code == 1
    assert res.output.strip().count("\n") == 0 and ".csv or .parquet" in res.output, res.output
    assert not (tmp_path / out).exists()
    res = cli(tmp_path, monkeypatch, *args[:-1], "rows.parquet")
    assert res.exit_code == 0 and len(pd.read_parquet(tmp_path / "rows.parquet")) == 3


# -- 5. the utility report ----------------------------------------------------------------------
@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the constant column has no correlation
def test_column_report_summary():
    real = {"a": np.array([0.0, 2.0]), "b": np.array([1.0, 1.0]), "y": np.array(["x", "z"])}
    fake = {"a": np.array([1.0, 5.0]), "b": np.array([2.0, 4.0]), "y": np.array(["x", "x"])}
    s = column_report(real, fake)["summary"]
    # a: |3 − 1| / 1 = 2, std ratio 2; b: constant real column, scale 1: |3 − 1| = 2, ratio 1
    assert s["columns"] == 2
    assert s["mean_abs_std_mean_diff"] == pytest.approx(2.0)
    assert s["mean_std_ratio"] == pytest.approx(1.5)
    assert s["worst_column"] in ("a", "b") and s["worst_abs_std_mean_diff"] == pytest.approx(2.0)
    out = synthetic_summary({"domain": "p", **column_report(real, fake)})
    assert out["domain"] == "p" and out["mean_abs_std_mean_diff"] == 2.0


def test_utility_command_prints_the_per_column_summary(tmp_path, monkeypatch):
    res = cli(
        tmp_path, monkeypatch, "radialgan-utility", str(ENTRY), "--seeds", "1", "--steps", "2"
    )
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert [r["domain"] for r in out["synthetic_vs_real"]] == [
        "hospital_a",
        "hospital_b",
        "hospital_c",
    ]
    for r in out["synthetic_vs_real"]:
        assert {"mean_abs_corr_diff", "mean_abs_std_mean_diff", "mean_std_ratio"} <= set(r)
        assert r["columns"] == 14 and r["mean_std_ratio"] > 0


@pytest.fixture
def trained(make_zoo, tmp_path):
    import torch

    from genzoo.train.trainer import Trainer

    zoo = make_zoo(("radialgan", radialgan))
    torch.manual_seed(0)
    model = zoo.build(SPEC)
    data = encode_domains(tables(), columns(), ["p", "q"])
    Trainer(model, data, zoo.registries, tmp_path / "run", steps=2, progress=False).run()
    return model.eval()
