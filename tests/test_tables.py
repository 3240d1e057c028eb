"""sort_stable: the same rows, in the same order, as a stable pandas sort."""
import random

import pandas as pd
import pytest

from iraqkit.tables import sort_stable


def _reference(df, by):
    return df.sort_values(by, kind="stable").reset_index(drop=True)


@pytest.mark.parametrize("seed", range(20))
def test_sort_stable_equals_a_stable_sort(seed):
    rng = random.Random(seed)
    n = rng.randint(0, 12)
    df = pd.DataFrame({
        "doc_id": [rng.choice(["001", "001#2", "0010", "002"]) for _ in range(n)],
        "start": [rng.randint(0, 5) for _ in range(n)],
        "payload": list(range(n)),
    })
    if seed % 2:
        df = _reference(df, ["doc_id", "start"])   # already in order: the fast path
    if seed % 5 == 0 and n:
        df.loc[0, "doc_id"] = None                  # a missing key: pandas puts it last
    got = sort_stable(df, ["doc_id", "start"])
    pd.testing.assert_frame_equal(got, _reference(df, ["doc_id", "start"]))


def test_sort_stable_resets_a_shifted_index_and_keeps_ties_in_place():
    df = pd.DataFrame({"k": [1, 1, 2], "v": ["a", "b", "c"]}, index=[5, 6, 7])
    got = sort_stable(df, ["k"])
    assert list(got.index) == [0, 1, 2] and list(got["v"]) == ["a", "b", "c"]
    df = pd.DataFrame({"k": [2, 1, 1], "v": ["c", "a", "b"]})
    assert list(sort_stable(df, ["k"])["v"]) == ["a", "b", "c"]


def _same(a, b):
    import math

    if isinstance(a, float) and math.isnan(a):
        return isinstance(b, float) and math.isnan(b)
    return type(a) is type(b) and (a is b or a == b)


@pytest.mark.parametrize("nullable", [False, True])
def test_records_equal_to_dict_records(nullable):
    from iraqkit.tables import records

    df = pd.DataFrame({"doc_id": ["001", "002", None], "sentence_id": [0, 3, 7],
                       "start": [10, 250, 4], "actor_type": ["person", None, "state"],
                       "share": [0.5, float("nan"), 1.0]})
    if nullable:
        df = df.convert_dtypes()
    got, want = records(df), df.to_dict("records")
    assert len(got) == len(want) == 3
    for g, w in zip(got, want):
        assert list(g) == list(w)
        assert all(_same(g[k], w[k]) for k in w), (g, w)
    assert records(df.iloc[:0]) == []


# --- frame_from_records: pd.DataFrame(rows, columns=...) built column by column ---------

import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from iraqkit.tables import frame_from_records, itertuples  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
from reference.frames import strictly_equal  # noqa: E402


@pytest.mark.parametrize("rows", [
    [],
    [dict(a="x", b=1, c="")],
    [dict(a="x", b=1, c="ي"), dict(a="y", b=-2, c="z")],
    [dict(a="x", b=2 ** 63, c="z")],                      # beyond int64: pandas' own choice
    [dict(a="x", b=2 ** 64, c="z")],
    [dict(a="x", b=1, c=None), dict(a="y", b=2, c="z")],  # a missing value
    [dict(a="x", b=1.5, c="z")],
    [dict(a="x", b=True, c="z")],                         # bool is not int here
    [dict(a=True, b=False, c=True), dict(a=False, b=False, c=False)],
    [dict(a=1, b=2, c="z"), dict(a="x", b=3, c="z")],     # mixed column
    [dict(a="x", b=np.int64(3), c="z")],
    [dict(a=1, b=pd.NA, c=float("nan")), dict(a=2, b=3, c=1.0)],   # a round number or NA
    [dict(a=None, b=None, c=None)],
    [dict(a=True, b=pd.NA, c=1), dict(a=1, b=1.0, c=2.5)],          # bool and int mixed, int and float
    [dict(a="", b=float("nan"), c=-0.0)],
    [dict(a="x", b=1, c="z"), dict(a="y", c="w")],         # a row without a column: NaN there
])
def test_frame_from_records_equals_the_dataframe_constructor(rows):
    cols = ["a", "b", "c"]
    strictly_equal(frame_from_records(rows, cols), pd.DataFrame(rows, columns=cols))


def test_frame_from_records_on_random_rows():
    rng = random.Random(5)
    pool = ["x", "", "ي", 0, 7, -3, 2 ** 40, 2 ** 70, 1.5, float("nan"), True, False, None, pd.NA, np.int64(2)]
    for _ in range(300):
        kinds = [rng.sample(pool, rng.randint(1, 3)) for _ in range(4)]
        rows = [{c: rng.choice(kinds[i]) for i, c in enumerate("abcd")} for _ in range(rng.randint(0, 6))]
        strictly_equal(frame_from_records(rows, list("abcd")), pd.DataFrame(rows, columns=list("abcd")))


def test_frames_are_independent_of_the_cached_axes():
    cols = ["doc_id", "sentence_id", "start", "end", "surface", "cue", "evidence"]
    for rows in ([], [dict(doc_id="d", sentence_id=0, start=1, end=2, surface="s", cue="c", evidence="e")]):
        a = frame_from_records(rows, cols)
        a.columns.name = "changed"
        a["extra"] = 1
        a.iloc[:, 0] = "changed" if len(a) else a.iloc[:, 0]
        b = frame_from_records(rows, cols)
        assert b.columns.name is None and list(b.columns) == cols
        strictly_equal(b, pd.DataFrame(rows, columns=cols))


def _tuples_equal(got, want):
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert type(g).__name__ == type(w).__name__ == "Pandas" and g._fields == w._fields
        assert [type(x) for x in g] == [type(x) for x in w]
        assert [repr(x) for x in g] == [repr(x) for x in w]


@pytest.mark.parametrize("make", [
    lambda: pd.DataFrame({"doc_id": ["a", None, "c"], "sentence_id": [1, 2, 3], "share": [0.5, float("nan"), 1.0],
                          "ok": [True, False, True], "obj": [1, "x", None]}),
    lambda: pd.DataFrame({"doc_id": ["a", "b"], "n": [1, 2]}).convert_dtypes(),       # nullable Int64, string
    lambda: pd.DataFrame({"a": pd.array([1, None], dtype="Int64"), "b": pd.Categorical(["x", "y"]),
                          "c": pd.to_datetime(["2021-01-01", None])}),
    lambda: pd.DataFrame([[1, 2]], columns=["x", "x"]),                                 # duplicate labels
    lambda: pd.DataFrame([[1, 2, 3]], columns=["class", "1st", "_private"]),           # renamed fields
    lambda: pd.DataFrame({"a": [], "b": []}),
    lambda: pd.DataFrame(index=range(3)),                                               # rows, no columns
    lambda: pd.DataFrame({"k": [3, 1, 2], "v": ["c", "a", "b"]}).sort_values("k"),       # shuffled index
])
def test_itertuples_equals_pandas(make):
    df = make()
    _tuples_equal(itertuples(df), list(df.itertuples(index=False)))


def test_itertuples_on_real_sentences_and_mentions(corpus_tables):
    from iraqkit.actors import extract_doc, load_gazetteer

    sents = corpus_tables["sentences"]
    _tuples_equal(itertuples(sents), list(sents.itertuples(index=False)))
    for doc_id, sdf in sents.groupby("doc_id", sort=True):
        m = extract_doc(str(doc_id), "", sdf, load_gazetteer())["mentions"]
        assert len(m)
        _tuples_equal(itertuples(m), list(m.itertuples(index=False)))


def _blocks(df):
    return [(type(b).__name__, str(b.dtype), tuple(b.mgr_locs.as_array), b.values.shape) for b in df._mgr.blocks]


def test_frame_from_records_assembles_the_frame_the_constructor_makes(monkeypatch):
    """The direct assembly (``tables._MAKE_FRAME``) gives the frame of the constructor's path
    from the same column arrays: equal, and the same blocks (one per column, not consolidated)."""
    from iraqkit import tables
    assert tables._MAKE_FRAME is not None       # the pinned pandas has the internals it uses
    rng = random.Random(11)
    pool = ["x", "", "ي", 0, 7, 2 ** 70, 1.5, float("nan"), True, None, pd.NA]
    cols = list("abcdef")
    for _ in range(200):
        kinds = [rng.sample(pool, rng.randint(1, 2)) for _ in cols]
        rows = [{c: rng.choice(kinds[i]) for i, c in enumerate(cols)} for _ in range(rng.randint(1, 5))]
        fast = frame_from_records(rows, cols)
        monkeypatch.setattr(tables, "_MAKE_FRAME", None)
        slow = frame_from_records(rows, cols)
        monkeypatch.undo()
        strictly_equal(fast, slow)
        strictly_equal(fast, pd.DataFrame(rows, columns=cols))
        assert _blocks(fast) == _blocks(slow)
        assert len(fast._mgr.blocks) == len(cols)
