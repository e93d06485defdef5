"""Tabular data sources: files with domains, and the breast-cancer 'hospitals' demo."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from genzoo.data import ArrayDataset
from genzoo.data.tabular import (
    TableCodec,
    check_column,
    missing_mask,
    numeric_column,
    read_table,
    split_domains,
)
from genzoo.errors import DataError
from genzoo.spec.model import TabularColumn

# the demo's three hospitals see different, overlapping subsets of the 30 features
HOSPITAL_FEATURES = {
    "hospital_a": list(range(0, 14)),
    "hospital_b": list(range(8, 22)),
    "hospital_c": list(range(16, 30)),
}


def encode_domains(
    tables: Mapping[str, Mapping[str, np.ndarray]],
    columns: Sequence[TabularColumn],
    domains: Sequence[str],
    domain_columns: Mapping[str, Sequence[str]] | None = None,
) -> ArrayDataset:
    """Rows of all domains in one matrix over the union of columns (zeros where a domain lacks
    a column); labels are domain indices; the codec statistics are fitted per column on the
    rows that have it.

    With ``domain_columns`` (``arch.domain_columns``: domain → its columns) every domain must
    have all of its columns, and only those are used: other columns of its table (blank cells of
    a shared file, say) are ignored. Without it a domain's columns are the ones its table has.
    Blank cells, non-numeric continuous values and undeclared categories are errors naming the
    domain and the column."""
    import torch

    missing = [d for d in domains if d not in tables]
    if missing:
        raise DataError(f"no rows for domain(s) {missing}")
    if domain_columns is not None:
        _check_declared(domain_columns, domains)
        tables = {
            d: restrict_columns(tables[d], domain_columns[d], f"domain {d!r}") for d in domains
        }
    by_name = {c.name: c for c in columns}
    for d in domains:
        t = tables[d]
        if _rows(t) == 0:
            raise DataError(f"domain {d!r} is empty")
        for name in t:
            if name not in by_name:
                raise DataError(f"domain {d!r}: unknown column {name!r} (not in data.columns)")
            try:
                check_column(t, by_name[name])
            except DataError as exc:
                raise DataError(f"domain {d!r}: {exc}") from None
    codec = TableCodec(columns)
    stats = {}
    for c in columns:
        if c.type != "continuous":
            continue
        vals = [numeric_column(tables[d], c.name) for d in domains if c.name in tables[d]]
        if not vals:
            raise DataError(f"column {c.name!r} appears in no domain")
        v = np.concatenate(vals)
        stats[c.name] = (float(v.mean()), float(v.std() or 1.0))
    codec.stats.update(stats)
    xs, ys = [], []
    for i, d in enumerate(domains):
        t = tables[d]
        n = _rows(t)
        full = {c.name: t.get(c.name, _filler(c, n)) for c in columns}
        x = codec.encode(full)
        for b in codec.blocks:  # zero the blocks this domain does not have
            if b.column.name not in t:
                x[:, b.start : b.start + b.width] = 0
        xs.append(x)
        ys.append(np.full(n, i))
    info = {"stats": stats, "available": {d: sorted(tables[d]) for d in domains}}
    return ArrayDataset(
        torch.as_tensor(np.concatenate(xs)),
        torch.as_tensor(np.concatenate(ys)),
        list(domains),
        info,
    )


def restrict_columns(
    table: Mapping[str, np.ndarray], names: Sequence[str], where: str
) -> dict[str, np.ndarray]:
    """The columns ``names`` of ``table``; a missing one is an error naming ``where``."""
    absent = [c for c in names if c not in table]
    if absent:
        raise DataError(
            f"{where} lacks column(s) {absent} that arch.domain_columns gives it "
            f"(it has {sorted(table)})"
        )
    return {c: table[c] for c in names}


def _check_declared(domain_columns: Mapping[str, Sequence[str]], domains: Sequence[str]) -> None:
    undeclared = [d for d in domains if d not in domain_columns]
    if undeclared:
        raise DataError(f"domain_columns gives no columns for domain(s) {undeclared}")


def _rows(table: Mapping[str, Any]) -> int:
    return len(np.asarray(next(iter(table.values())))) if table else 0


def _filler(c: TabularColumn, n: int) -> np.ndarray:
    if c.type == "categorical":
        return np.array([c.categories[0]] * n)  # type: ignore[index]
    return np.zeros(n)


def spec_domain_columns(spec: Any) -> dict[str, list[str]] | None:
    """``arch.domain_columns`` of a spec, when its family has one."""
    dc = getattr(getattr(spec, "arch", None), "domain_columns", None)
    return {str(d): list(c) for d, c in dc.items()} if dc else None


def table_source(
    columns: Sequence[TabularColumn],
    domains: Sequence[str] | None = None,
    path: str | None = None,
    paths: Mapping[str, str] | None = None,
    domain_column: str | None = None,
    domain_columns: Mapping[str, Sequence[str]] | None = None,
    spec: Any = None,
) -> ArrayDataset:
    """One file with a domain column (``path`` and ``domain_column``), or one file per domain
    (``paths``: domain → file).

    Each domain's columns come from ``domain_columns``, else from ``spec.arch.domain_columns``
    (``load_data`` passes the spec). With them, a domain's file must hold all of its columns,
    and in a shared file the cells of columns a row's domain does not have may be blank (they
    are ignored). Without them, a domain has the columns its file has; in a shared file, a
    column blank in every row of a domain is taken as one that domain does not have."""
    if not domains:
        raise DataError("the table source needs domains (conditions.names)")
    mapping = domain_columns if domain_columns is not None else spec_domain_columns(spec)
    if mapping is not None:
        _check_declared(mapping, domains)
    known = {c.name for c in columns}
    tables: dict[str, dict[str, np.ndarray]] = {}
    if paths:
        absent = [d for d in domains if d not in paths]
        extra = sorted(set(paths) - set(domains))
        if absent or extra:
            raise DataError(
                f"`paths` must name one file per domain {list(domains)}: "
                + ", ".join(
                    ([f"missing {absent}"] if absent else [])
                    + ([f"not domains {extra}"] if extra else [])
                )
            )
        for d in domains:
            where = f"{paths[d]} (domain {d!r})"
            t = read_table(paths[d])
            _check_known(t, known, where)
            if mapping is not None:
                t = restrict_columns(t, mapping[d], where)
            if _rows(t) == 0:
                raise DataError(f"{where} has no rows")
            tables[d] = t
    elif path and domain_column:
        whole = read_table(path)
        _check_known({k: v for k, v in whole.items() if k != domain_column}, known, str(path))
        for d, t in split_domains(whole, domain_column, domains).items():
            if mapping is not None:
                t = restrict_columns(t, mapping[d], f"{path} (domain {d!r})")
            else:  # a column blank for every row of a domain is not one of its columns
                t = {k: v for k, v in t.items() if not missing_mask(v).all()}
            tables[d] = t
    else:
        raise DataError("give `path` and `domain_column`, or `paths` (domain → file)")
    return encode_domains(tables, columns, domains)


def _check_known(table: Mapping[str, Any], known: set[str], where: str) -> None:
    extra = sorted(set(table) - known)
    if extra:
        raise DataError(f"{where}: unknown columns {extra} (not in data.columns)")


def breast_cancer_tables(seed: int = 0) -> tuple[dict[str, dict[str, np.ndarray]], list[str]]:
    """sklearn's 569 breast-cancer rows dealt to three hospitals (shuffled, never by position)."""
    from sklearn.datasets import load_breast_cancer

    d = load_breast_cancer()
    names = [str(n).replace(" ", "_") for n in d.feature_names]
    label = np.where(d.target == 1, "benign", "malignant")
    perm = np.random.default_rng(seed).permutation(len(label))
    parts = np.array_split(perm, 3)
    tables = {}
    for (hosp, feats), rows in zip(HOSPITAL_FEATURES.items(), parts, strict=True):
        t = {names[f]: d.data[rows, f] for f in feats}
        t["diagnosis"] = label[rows]
        tables[hosp] = t
    return tables, names


def breast_cancer_hospitals(
    columns: Sequence[TabularColumn],
    domains: Sequence[str] | None = None,
    seed: int = 0,
    spec: Any = None,
    **_: Any,
) -> ArrayDataset:
    """The demo data set (see :data:`HOSPITAL_FEATURES`); a spec's ``arch.domain_columns`` must
    name columns each hospital has."""
    tables, _ = breast_cancer_tables(seed)
    return encode_domains(tables, columns, domains or list(tables), spec_domain_columns(spec))
