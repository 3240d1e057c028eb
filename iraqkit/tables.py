"""Small DataFrame helpers shared by the stages."""
from __future__ import annotations

import collections

import numpy as np
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
    get = getattr(df, "_get_column_array", None) if df.columns.is_unique else None
    for k, c in enumerate(cols):
        arr = get(k) if get is not None else None
        # a pyarrow string column: its values at once (see _iterated), else pandas' tolist
        vals = _iterated(arr) if _ARROW_STR is not None and type(arr) is _ARROW_STR else df[c].tolist()
        if any(v is pd.NA for v in vals):   # to_dict gives None for a nullable dtype's NA
            vals = [None if v is pd.NA else v for v in vals]
        lists.append(vals)
    return [dict(zip(cols, vals)) for vals in zip(*lists)]


def _fast_str_array():
    """A function making pandas' default string array from a list of ``str`` through
    pyarrow (several times cheaper than pandas' per-value inference), or None when that
    does not give exactly the array ``pd.DataFrame`` infers (other pandas, no pyarrow)."""
    try:
        import pyarrow as pa
        probe = pd.DataFrame([{"a": "x"}])["a"].array
        dtype = probe.dtype
        if not (isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow"):
            return None

        def make(values: list[str]):
            return dtype.__from_arrow__(pa.array(values, pa.large_string()))

        made = make(["x"])
        if type(made) is not type(probe) or made.dtype != dtype or repr(made.dtype) != repr(dtype):
            return None
        return make
    except Exception:     # pragma: no cover - no pyarrow / another pandas: the slow path
        return None


_STR_ARRAY = _fast_str_array()

#: how many column sets the two caches below keep (the stages use a handful)
_MAX_CACHED = 256
#: column labels tuple -> (their Index, the empty frame pd.DataFrame([], columns=...))
_FRAME_AXES: dict[tuple, tuple[pd.Index, pd.DataFrame]] = {}
#: numpy dtype for a column whose values are all of one of these exact Python types
#: (what ``pd.DataFrame`` infers for them; ``bool`` is not ``int`` here: types are exact)
_NUMPY_TYPES = {int: np.int64, float: np.float64, bool: np.bool_}


def _object_converter():
    """pandas' own conversion of one column of a records frame (``pd.DataFrame(rows)`` infers
    every column on its own, from an object array of its values), or None if this pandas does
    not have it where expected."""
    try:
        from pandas.core.internals.construction import convert_object_array

        def convert(vals: list):
            arr = np.empty(len(vals), dtype=object)
            arr[:] = vals
            return convert_object_array([arr], dtype=None)[0]
        return convert
    except Exception:     # pragma: no cover - another pandas: the slow path
        return None


_CONVERT = _object_converter()
#: value types a column may hold for :func:`_column` (scalars: an object array takes them as is)
_SCALARS = frozenset({str, int, float, bool, type(None), type(pd.NA)})


def _column(vals: list) -> object:
    """The column ``pd.DataFrame`` would make of ``vals`` before its final inference: pandas'
    string array for ``str`` (through pyarrow), a numpy array for ``int`` / ``float`` /
    ``bool``, else pandas' own conversion of that column; None when it cannot tell."""
    types = set(map(type, vals))
    if len(types) == 1:
        t = next(iter(types))
        if t is str and _STR_ARRAY is not None:
            return _STR_ARRAY(vals)
        if t in _NUMPY_TYPES:
            try:
                return np.array(vals, dtype=_NUMPY_TYPES[t])
            except OverflowError:        # an int beyond int64: pandas' own choice
                pass
    if _CONVERT is None or not types <= _SCALARS:
        return None
    return _CONVERT(vals)


def _frame_maker():
    """A function making the frame ``pd.DataFrame(dict_of_arrays, copy=False)`` makes from
    whole column arrays (no copy, one block per column), without the constructor's generic
    steps: ``(arrays, labels) -> DataFrame``. Object arrays get the constructor's own last
    inference (``sanitize_array``); the numpy and pandas string arrays :func:`_column` makes
    are what the constructor would store as they are. None when this pandas does not have
    those internals where expected (the constructor is used then)."""
    try:
        from pandas.core.construction import sanitize_array
        from pandas.core.indexes.api import default_index
        from pandas.core.internals.construction import arrays_to_mgr

        def make(arrays: list, labels: pd.Index) -> pd.DataFrame:
            index = default_index(len(arrays[0]))
            arrays = [sanitize_array(a, index, dtype=None, copy=False)
                      if isinstance(a, np.ndarray) and a.dtype == object else a for a in arrays]
            mgr = arrays_to_mgr(arrays, labels, index, verify_integrity=False, consolidate=False)
            return pd.DataFrame._from_mgr(mgr, axes=mgr.axes)

        probe = make([np.array([1]), _column(["x"]), _column([None])], pd.Index(["a", "b", "c"]))
        want = pd.DataFrame([{"a": 1, "b": "x", "c": None}])
        if not probe.equals(want) or probe.dtypes.tolist() != want.dtypes.tolist():
            return None
        return make
    except Exception:     # pragma: no cover - another pandas: the constructor
        return None


_MAKE_FRAME = _frame_maker()


def frame_from_records(rows: list[dict], columns: list[str]) -> pd.DataFrame:
    """``pd.DataFrame(rows, columns=columns)`` (same dtypes, values and axes), built from whole
    columns: a column of ``str`` becomes pandas' default string array through pyarrow, one of
    ``int`` / ``float`` / ``bool`` a numpy array, any other column of scalars goes through
    pandas' own conversion of that column (then through the same final inference as in
    ``pd.DataFrame``: both end in its arrays constructor), and the column labels come from a
    cached Index (inferring them is a good part of the cost for frames of a few rows). The
    frame is assembled from those arrays directly (:func:`_frame_maker`: the block layout
    ``pd.DataFrame`` gives, one block per column), which on frames of a few rows costs less
    than half of the constructor's generic path. No rows give a copy of the cached empty
    frame. A row without one of the columns, or a value that is not a plain scalar, makes
    the whole frame ``pd.DataFrame``'s."""
    key = tuple(columns)
    cached = _FRAME_AXES.get(key)
    if cached is None:
        cached = (pd.Index(list(columns)), pd.DataFrame([], columns=list(columns)))
        if len(_FRAME_AXES) < _MAX_CACHED:      # the stages use a few column sets
            _FRAME_AXES[key] = cached
    labels, empty = cached
    if not rows:
        return empty.copy()
    data = []
    for c in columns:
        try:
            col = _column([r[c] for r in rows])
        except KeyError:
            col = None
        if col is None:
            return pd.DataFrame(rows, columns=columns)
        data.append(col)
    if _MAKE_FRAME is not None and data:
        return _MAKE_FRAME(data, labels.copy())   # a new Index object on the same labels
    df = pd.DataFrame(dict(enumerate(data)), copy=False)  # labels 0..n-1: a RangeIndex
    df.columns = labels.copy()
    return df


#: column labels tuple -> the namedtuple class ``DataFrame.itertuples`` would make for them
_ROW_TYPES: dict[tuple, type] = {}


def itertuples(df: pd.DataFrame) -> list[tuple]:
    """``list(df.itertuples(index=False))``: the same namedtuples ("Pandas", fields renamed
    as pandas does), the same Python values (a numpy column's values as ``item()`` gives
    them, an extension array's as it iterates), in a fraction of the time on small frames:
    the row class is made once per column set, not once per call, and each column's values
    are read from its array without a Series in between."""
    key = tuple(df.columns)
    row = _ROW_TYPES.get(key)
    if row is None:
        row = collections.namedtuple("Pandas", list(key), rename=True)
        if len(_ROW_TYPES) < _MAX_CACHED:
            _ROW_TYPES[key] = row
    if not key:
        return [row() for _ in range(len(df))]
    get = getattr(df, "_get_column_array", None)
    cols = []
    for k in range(len(key)):
        arr = get(k) if get is not None else df.iloc[:, k].array
        cols.append(arr.tolist() if isinstance(arr, np.ndarray) else _iterated(arr))
    return list(map(row._make, zip(*cols)))


#: the class of :data:`_STR_ARRAY`'s arrays (pandas' pyarrow-backed string array), when they
#: keep their pyarrow data where :func:`_iterated` reads it; else None
_PROBE = _STR_ARRAY(["x"]) if _STR_ARRAY is not None else None
_ARROW_STR = type(_PROBE) if hasattr(_PROBE, "_pa_array") else None


def _iterated(arr) -> list:
    """``list(arr)`` for an extension array. A pyarrow string array iterates value by value
    in Python (``as_py`` on each, its NA for a null); its values are taken at once here
    (``to_pylist``, the NA put where a null is): the same list, six times faster."""
    if _ARROW_STR is not None and type(arr) is _ARROW_STR:
        vals = arr._pa_array.to_pylist()
        if None in vals:
            na = arr.dtype.na_value
            vals = [na if v is None else v for v in vals]
        return vals
    return list(arr)
