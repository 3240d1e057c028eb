"""Strict DataFrame equality for tests of code that builds frames its own way."""
import pandas as pd


def strictly_equal(a: pd.DataFrame, b: pd.DataFrame) -> None:
    """Same values, dtypes, array types, axes and Python types of the values (``pd.NA``,
    ``None`` and NaN told apart by their repr)."""
    pd.testing.assert_frame_equal(a, b, check_exact=True, check_index_type=True, check_column_type=True)
    assert list(a.columns) == list(b.columns) and a.columns.dtype == b.columns.dtype
    assert type(a.index) is type(b.index) and a.index.equals(b.index)
    for c in a.columns:
        assert repr(a[c].dtype) == repr(b[c].dtype) and type(a[c].array) is type(b[c].array), c
        va, vb = a[c].tolist(), b[c].tolist()
        assert [type(x) for x in va] == [type(x) for x in vb], c
        assert [repr(x) for x in va] == [repr(y) for y in vb], c
