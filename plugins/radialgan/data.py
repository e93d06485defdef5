"""Tabular data sources: files with domains, and the breast-cancer 'hospitals' demo."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from genzoo.data import ArrayDataset
from genzoo.data.tabular import TableCodec, numeric_column, read_table, split_domains
from genzoo.errors import DataError
from genzoo.spec.model import TabularColumn

# the demo's three hospitals see different, overlapping subsets of the 30 features
HOSPITAL_FEATURES = {
    "hospital_a": list(range(0, 14)),
    "hospital_b": list(range(8, 22)),
    "hospital_c": list(range(16, 30)),
}


def encode_domains(
    tables: dict[str, dict[str, np.ndarray]],
    columns: Sequence[TabularColumn],
    domains: Sequence[str],
) -> ArrayDataset:
    """Rows of all domains in one matrix over the union of columns (zeros where a domain lacks
    a column); labels are domain indices; the codec statistics are fitted per column on the
    rows that have it."""
    import torch

    codec = TableCodec(columns)
    stats = {}
    for c in columns:
        if c.type != "continuous":
            continue
        vals = [numeric_column(t, c.name) for t in tables.values() if c.name in t]
        if not vals:
            raise DataError(f"column {c.name!r} appears in no domain")
        v = np.concatenate(vals)
        stats[c.name] = (float(v.mean()), float(v.std() or 1.0))
    codec.stats.update(stats)
    xs, ys = [], []
    for i, d in enumerate(domains):
        t = tables[d]
        n = len(next(iter(t.values())))
        if n == 0:
            raise DataError(f"domain {d!r} is empty")
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


def _filler(c: TabularColumn, n: int) -> np.ndarray:
    if c.type == "categorical":
        return np.array([c.categories[0]] * n)  # type: ignore[index]
    return np.zeros(n)


def table_source(
    columns: Sequence[TabularColumn],
    domains: Sequence[str] | None = None,
    path: str | None = None,
    paths: dict[str, str] | None = None,
    domain_column: str | None = None,
) -> ArrayDataset:
    """One file with a domain column, or one file per domain (``paths``)."""
    if not domains:
        raise DataError("the table source needs domains (conditions.names)")
    if paths:
        tables = {d: read_table(paths[d]) for d in domains}
    elif path and domain_column:
        tables = split_domains(read_table(path), domain_column, domains)
    else:
        raise DataError("give `path` and `domain_column`, or `paths` (domain → file)")
    known = {c.name for c in columns}
    for d, t in tables.items():
        extra = sorted(set(t) - known)
        if extra:
            raise DataError(f"domain {d!r}: unknown columns {extra} (not in data.columns)")
    return encode_domains(tables, columns, domains)


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
    columns: Sequence[TabularColumn], domains: Sequence[str] | None = None, seed: int = 0, **_: Any
) -> ArrayDataset:
    """The demo data set (see :data:`HOSPITAL_FEATURES`)."""
    tables, _ = breast_cancer_tables(seed)
    return encode_domains(tables, columns, domains or list(tables))
