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
