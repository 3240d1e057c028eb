"""Small DataFrame helpers shared by the stages."""
from __future__ import annotations

import pandas as pd


def _in_order(df: pd.DataFrame, by: list[str]) -> bool:
    """True when the rows are already in ascending order of ``by`` and no key is missing
    (then a stable sort would not move any row)."""
    cols = [df[c].tolist() for c in by]
    prev = None
    try:
        for key in zip(*cols):
            if any(v is None or v is pd.NA or v != v for v in key):
                return False
            if prev is not None and key < prev:
                return False
            prev = key
    except TypeError:          # mixed types: let pandas decide
        return False
    return True


def sort_stable(df: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """``df.sort_values(by, kind="stable").reset_index(drop=True)``, without the sort when
    the rows are already in order (the common case: per-document tables come out of the
    extractors in order, and sorting thousands of small frames costs more than extracting)."""
    if len(df) <= 1 or _in_order(df, by):
        idx = df.index
        if isinstance(idx, pd.RangeIndex) and idx.start == 0 and idx.step == 1:
            return df
        return df.reset_index(drop=True)
    return df.sort_values(by, kind="stable").reset_index(drop=True)


def records(df: pd.DataFrame) -> list[dict]:
    """``df.to_dict("records")`` (column -> Python scalar per row), built from whole
    columns: a few times faster on the many small per-document frames; equal values and
    types (tested in ``tests/test_tables.py``)."""
    cols = list(df.columns)
    lists = []
    for c in cols:
        vals = df[c].tolist()
        if any(v is pd.NA for v in vals):   # to_dict gives None for a nullable dtype's NA
            vals = [None if v is pd.NA else v for v in vals]
        lists.append(vals)
    return [dict(zip(cols, vals)) for vals in zip(*lists)]
