"""The group mergers are folds (one member at a time, nothing held per member):
:class:`iraqkit.attacks.EventFold` and :class:`iraqkit.milestones.MilestoneFold` must give
exactly what the whole-group definitions gave (kept verbatim in
``tests/reference/merge_before_fold.py``): on every group of real extracted rows, with the
same stories told by many documents, and on shuffled groups built to tie on every choice
(the first member among equals must win, as ``min``/``max``/stable ``sorted`` pick)."""
import random
import sys
from pathlib import Path

import pandas as pd
import pytest

from iraqkit import attacks, merge_stream, milestones as ms, pipeline

sys.path.insert(0, str(Path(__file__).parent))
from bench_modules import corpus  # noqa: E402
from reference import merge_before_fold as ref  # noqa: E402


@pytest.fixture(scope="module")
def parts(tmp_path_factory):
    raw = tmp_path_factory.mktemp("merge_fold") / "raw"
    corpus.generate(raw, 150_000, seed=7)
    streamed, _ = pipeline.split_stages(list(pipeline.STAGES))
    cfg = pipeline.BatchConfig(streamed=streamed, overrides=pd.DataFrame(columns=["doc_id", "field", "value"]))
    out = {"attack_rows": [], "milestone_mentions": []}
    for res in pipeline.process_batch([str(p) for p in pipeline.ingest_mod.list_inputs(raw)], cfg):
        for s in ("attacks", "milestones"):
            for p, items in res["stages"].get(s, {}).items():
                if p in out:
                    out[p] += [df for _d, df in items if len(df)]
    return {p: pd.concat(v, ignore_index=True) for p, v in out.items()}


def _copies(df: pd.DataFrame, k: int) -> pd.DataFrame:
    out = []
    for c in range(k):
        d = df.copy()
        d["doc_id"] = d["doc_id"].astype(str) + f"~{c}"
        out.append(d)
    return pd.concat(out, ignore_index=True)


def _same(a: dict, b: dict) -> None:
    assert list(a) == list(b)
    for k in a:
        x, y = a[k], b[k]
        assert x is y or x == y or (pd.isna(x) and pd.isna(y)), (k, x, y)


# --- attacks --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def event_groups(parts):
    df = _copies(parts["attack_rows"], 3).sort_values(list(attacks.EVENT_ORDER), kind="mergesort")
    recs = [attacks.event_record(r) for r in df.reset_index(drop=True).to_dict("records")]
    return [[recs[i] for i in g] for g in attacks.event_groups(recs)]


def test_event_fold_equals_merge_group_on_every_real_group(event_groups):
    assert max(len(g) for g in event_groups) >= 6  # events told by several documents
    merged = 0
    for members in event_groups:
        got_rep, got_src = attacks.merge_group(members)
        want_rep, want_src = ref.merge_group(members)
        _same(got_rep, want_rep)
        assert got_src == want_src
        merged += len(members) > 1
    assert merged >= 3


def test_event_fold_ties_pick_the_first_member(parts):
    """Groups drawn (with repeats) from the real incident rows, with doc ids, offsets,
    tolls and qualifiers from tiny domains so every choice has ties."""
    rows = [attacks.event_record(r) for r in parts["attack_rows"].to_dict("records")]
    inc = [r for r in rows if r["kind"] == "incident"]
    rnd = random.Random(3)
    for _ in range(400):
        members = []
        for k in range(rnd.randint(1, 12)):
            m = dict(rnd.choice(inc))
            m["doc_id"], m["start"] = rnd.choice(["a", "b"]), rnd.choice([0, 5])
            m["event_id"], m["evidence"] = f"ev{k}", f"s{k}"
            if rnd.random() < 0.5:
                m["killed"], m["killed_qualifier"] = rnd.choice([None, 1, 2]), rnd.choice(["exact", "at_least"])
            if rnd.random() < 0.3:
                m["injured"], m["injured_qualifier"] = rnd.choice([None, 3]), rnd.choice(["exact", "about"])
            m["date_rule"] = f"rule{k}"  # tells apart members with equal date keys
            members.append(m)
        got, want = attacks.merge_group(members), ref.merge_group(members)
        _same(got[0], want[0])
        assert got[1] == want[1]


def test_fold_groups_streams_pieces_of_a_group():
    """A group arriving in several pieces is one group; each source row is numbered in
    order and handed on at once."""

    class Fold:
        def __init__(self):
            self.seen = []

        def add(self, r):
            self.seen.append(r)
            return {"r": r}

    class Sink:
        rows: list = []

        def add(self, s):
            self.rows.append(s)

    sink = Sink()
    segs = [(0, [1, 2]), (0, [3]), (1, [4]), (2, [5, 6]), (2, [7])]
    out = [(g, f.seen) for g, f in merge_stream._fold_groups(segs, Fold, sink)]
    assert out == [(0, [1, 2, 3]), (1, [4]), (2, [5, 6, 7])]
    assert [(s["r"], s[merge_stream.GRP], s[merge_stream.SEQ]) for s in sink.rows] == [
        (1, 0, 0), (2, 0, 1), (3, 0, 2), (4, 1, 0), (5, 2, 0), (6, 2, 1), (7, 2, 2)]
    assert list(merge_stream._fold_groups([], Fold, sink)) == []


# --- milestones -----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def milestone_groups(parts):
    m = ms.mention_frame(_copies(parts["milestone_mentions"], 3))
    m = m.sort_values(list(ms.MENTION_ORDER)).reset_index(drop=True)
    starts = m["start"].tolist()
    recs = ms.records(m)
    by_doc: dict = {}
    for i, doc in enumerate(m["doc_id"].tolist()):
        if not pd.isna(doc):
            by_doc.setdefault(doc, []).append(i)
    clusters = ms.doc_clusters(recs, starts, by_doc)
    rows = list(m.itertuples())
    return [[rows[j] for j in ms.group_rows(clusters, members, lambda j: (rows[j].pubkey, rows[j].doc_id,
                                                                         rows[j].start))]
            for members in ms.cluster_groups(clusters)]


def test_milestone_fold_equals_milestone_row_on_every_real_group(milestone_groups):
    assert max(len(g) for g in milestone_groups) >= 6
    for sub in milestone_groups:
        got_row, got_src = ms.milestone_row(sub)
        want_row, want_src = ref.milestone_row(sub)
        _same(got_row, want_row)
        assert got_src == want_src


def test_milestone_fold_ties_pick_the_first_mention(milestone_groups):
    """Shuffled mentions with dates, precisions, outcomes, statuses and publication days
    from tiny domains: equal date keys with different ``date_end`` (the first mention's
    wins), equal outcome keys with different outcomes, topic counts tied."""
    rows = [r for g in milestone_groups for r in g]
    rnd = random.Random(5)
    dates = [("2021-07-26", "", "day"), ("2021-07-26", "2021-07-27", "day"), ("2021-07", "", "month"),
             ("2021-07", "", "week"), ("2021-07", "", "season"), ("2021", "", "year"), ("", "", "")]
    for _ in range(400):
        sub = []
        for k in range(rnd.randint(1, 12)):
            d, e, p = rnd.choice(dates)
            sub.append(rnd.choice(rows)._replace(
                date=d, date_end=e, date_precision=p, doc_id=rnd.choice(["a", "b"]), start=rnd.choice([0, 5]),
                status=rnd.choice(["held", "planned"]), round_number=rnd.choice([pd.NA, 4.0, 5.0]),
                outcome=rnd.choice(["", f"out{k}"]), topic=rnd.choice(["", "withdrawal", "training"]),
                pubkey=rnd.choice(["", "2021-07-20", "2021-07-28"]), format=rnd.choice(["", "virtual"]),
                completed=rnd.choice([False, True]), evidence=f"s{k}"))
        got, want = ms.milestone_row(sub), ref.milestone_row(sub)
        _same(got[0], want[0])
        assert got[1] == want[1]
