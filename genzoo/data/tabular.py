"""Tabular data: a schema from the spec turns named columns into model-ready float matrices.

Continuous columns are standardised (mean and standard deviation stored with the model);
categorical columns become one-hot blocks over their declared categories. Domains (e.g.
hospitals) are given by a column value or by separate files, each with its own subset of the
columns. Decoding maps model outputs back to named columns (argmax for categories).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from genzoo.errors import DataError
from genzoo.spec.model import TabularColumn


@dataclass(frozen=True)
class ColumnBlock:
    """Where a column lives in the encoded matrix."""

    column: TabularColumn
    start: int
    width: int


class TableCodec:
    """Encode/decode rows of a subset of the spec's columns.

    Args:
        columns: the columns of this table (a domain's subset), in order.
        stats: per continuous column (mean, std); fitted by :meth:`fit` when None.
    """

    def __init__(
        self,
        columns: Sequence[TabularColumn],
        stats: Mapping[str, tuple[float, float]] | None = None,
    ):
        self.columns = list(columns)
        self.stats = dict(stats or {})
        blocks, pos = [], 0
        for c in self.columns:
            w = len(c.categories or []) if c.type == "categorical" else 1
            blocks.append(ColumnBlock(c, pos, w))
            pos += w
        self.blocks = blocks
        self.width = pos

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def fit(self, table: Mapping[str, Any]) -> TableCodec:
        """Fit means and standard deviations of the continuous columns."""
        for c in self.columns:
            if c.type == "continuous":
                v = numeric_column(table, c.name)
                self.stats[c.name] = (float(v.mean()), float(v.std() or 1.0))
        return self

    def encode(self, table: Mapping[str, Any]) -> np.ndarray:
        """Named columns → N×width float32 matrix."""
        missing = [c.name for c in self.columns if c.name not in table]
        if missing:
            raise DataError(f"missing column(s) {missing}; the table has {sorted(table)}")
        n = len(np.asarray(table[self.columns[0].name]))
        out = np.zeros((n, self.width), np.float32)
        for b in self.blocks:
            c = b.column
            if c.type == "continuous":
                mean, std = self.stats[c.name]
                out[:, b.start] = (numeric_column(table, c.name) - mean) / std
            else:
                idx = category_index(table, c, "were not seen in training")
                out[np.arange(n), b.start + idx] = 1.0
        return out

    def decode(self, x: np.ndarray) -> dict[str, np.ndarray]:
        """N×width matrix → named columns (categories by argmax)."""
        out: dict[str, np.ndarray] = {}
        for b in self.blocks:
            c = b.column
            if c.type == "continuous":
                mean, std = self.stats[c.name]
                out[c.name] = x[:, b.start] * std + mean
            else:
                cats = np.asarray(c.categories)
                out[c.name] = cats[x[:, b.start : b.start + b.width].argmax(1)]
        return out


def _norm_cat(x: Any) -> Any:
    # 1.0 read from a CSV is the category "1"
    if isinstance(x, float) and x.is_integer():
        return int(x)
    return x


def missing_mask(values: Any) -> np.ndarray:
    """Which cells are blank: None, NaN or pandas' NA (as read from an empty CSV/Parquet cell)."""
    arr = np.asarray(values).reshape(-1)
    if arr.dtype.kind == "f":
        return np.isnan(arr)
    if arr.dtype.kind in "biuU":
        return np.zeros(len(arr), dtype=bool)
    import pandas as pd

    return np.asarray(pd.isna(arr.astype(object)), dtype=bool)


def _check_complete(raw: np.ndarray, name: str) -> None:
    blank = missing_mask(raw)
    if blank.any():
        raise DataError(
            f"column {name!r} has missing values ({int(blank.sum())} of {len(blank)} rows)"
        )


def numeric_column(table: Mapping[str, Any], name: str) -> np.ndarray:
    """A continuous column as float64; blanks and non-numeric values are errors."""
    raw = np.asarray(table[name])
    _check_complete(raw, name)
    try:
        v = raw.astype(np.float64)
    except (TypeError, ValueError):
        bad = next((x for x in raw.tolist() if not _is_number(x)), None)
        raise DataError(
            f"column {name!r} is continuous but holds the non-numeric value {bad!r}"
        ) from None
    _check_complete(v, name)  # e.g. the text "nan"
    return v


def category_index(
    table: Mapping[str, Any],
    column: TabularColumn,
    unknown: str = "are not among the declared categories",
) -> np.ndarray:
    """Index of every cell of a categorical column among its declared categories.

    Blanks and categories outside the declared list are errors (``unknown`` words the latter:
    at sampling/translate time the categories are the ones the model was trained with)."""
    raw = np.asarray(table[column.name])
    _check_complete(raw, column.name)
    cats = [str(x) for x in column.categories or []]
    vals = [str(_norm_cat(x)) for x in raw.tolist()]
    bad = sorted({v for v in vals if v not in cats})
    if bad:
        raise DataError(f"column {column.name!r}: categories {bad[:5]} {unknown} (known: {cats})")
    pos = {c: i for i, c in enumerate(cats)}
    return np.array([pos[v] for v in vals], dtype=np.int64)


def check_column(table: Mapping[str, Any], column: TabularColumn) -> None:
    """Raise :class:`DataError` unless ``column``'s cells in ``table`` are complete and valid."""
    if column.type == "continuous":
        numeric_column(table, column.name)
    else:
        category_index(table, column)


def _is_number(x: Any) -> bool:
    try:
        float(x)
    except (TypeError, ValueError):
        return False
    return True


def read_table(path: str | Path) -> dict[str, np.ndarray]:
    """A CSV or Parquet file as named columns (pandas does the parsing)."""
    import pandas as pd

    p = Path(path)
    if not p.is_file():
        raise DataError(f"{p}: no such table file")
    try:
        df = pd.read_parquet(p) if p.suffix.lower() in (".parquet", ".pq") else pd.read_csv(p)
    except Exception as exc:
        raise DataError(f"{p}: cannot read table: {exc}") from None
    return {str(c): df[c].to_numpy() for c in df.columns}


def write_table(table: Mapping[str, np.ndarray], path: str | Path) -> None:
    """Write named columns as CSV (or Parquet by suffix), atomically."""
    import pandas as pd

    from genzoo.weights import atomic_write

    df = pd.DataFrame({k: np.asarray(v) for k, v in table.items()})
    p = Path(path)
    with atomic_write(p, "wb") as f:
        if p.suffix.lower() in (".parquet", ".pq"):
            df.to_parquet(f)
        else:
            f.write(df.to_csv(index=False).encode())


def split_domains(
    table: Mapping[str, np.ndarray], domain_column: str, domains: Sequence[str]
) -> dict[str, dict[str, np.ndarray]]:
    """Rows grouped by the value of ``domain_column``.

    An empty domain, a blank domain cell and a value that is not one of ``domains`` are errors
    (rows are never dropped silently)."""
    if domain_column not in table:
        raise DataError(f"domain column {domain_column!r} not in the table ({sorted(table)})")
    raw = np.asarray(table[domain_column])
    blank = missing_mask(raw)
    if blank.any():
        raise DataError(
            f"domain column {domain_column!r} has missing values "
            f"({int(blank.sum())} of {len(blank)} rows)"
        )
    values = np.array([str(_norm_cat(x)) for x in raw.tolist()])
    others = sorted(set(values.tolist()) - {str(d) for d in domains})
    if others:
        raise DataError(
            f"domain column {domain_column!r} holds {others[:5]}, which are not domains "
            f"(conditions.names: {list(domains)})"
        )
    out = {}
    for d in domains:
        mask = values == str(d)
        if not mask.any():
            raise DataError(f"domain {d!r} has no rows (column {domain_column!r})")
        out[d] = {k: np.asarray(v)[mask] for k, v in table.items() if k != domain_column}
    return out
