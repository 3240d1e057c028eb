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
