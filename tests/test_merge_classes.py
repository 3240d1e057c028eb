"""The cross-document merges link classes of interchangeable rows as one node
(:func:`iraqkit.grouping.collapse_classes`): the groups must be exactly those of linking every
row (the definitions before the collapse, kept here as the reference), on real extracted
rows, with the same stories told by many documents as in a large archive."""
import sys
from pathlib import Path

import pandas as pd
import pytest

from iraqkit import attacks, milestones as ms, pipeline
from iraqkit.grouping import linked_groups

sys.path.insert(0, str(Path(__file__).parent))
from bench_modules import corpus  # noqa: E402


@pytest.fixture(scope="module")
def parts(tmp_path_factory):
    raw = tmp_path_factory.mktemp("merge_classes") / "raw"
    corpus.generate(raw, 150_000, seed=5)
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
    """``k`` copies of the rows, each copy's documents renamed (as the same paragraphs come
    back in other articles of a larger corpus), interleaved by document."""
    out = []
    for c in range(k):
        d = df.copy()
        d["doc_id"] = d["doc_id"].astype(str) + f"~{c}"
        out.append(d)
    return pd.concat(out, ignore_index=True)


# --- attacks --------------------------------------------------------------------------------
def _attack_reference(recs) -> list[list[int]]:
    """:func:`attacks.event_groups` before the collapse: every incident a node."""
    inc = [i for i in range(len(recs)) if recs[i]["kind"] == "incident"]
    return linked_groups(len(recs), attacks._candidate_pairs(recs, inc),
                         lambda i, j: attacks._compatible(recs[i], recs[j]))


@pytest.mark.parametrize("k", [1, 3])
def test_event_groups_equal_linking_every_incident(parts, k):
    df = _copies(parts["attack_rows"], k).sort_values(list(attacks.EVENT_ORDER), kind="mergesort")
    recs = [attacks.event_record(r) for r in df.reset_index(drop=True).to_dict("records")]
    got = attacks.event_groups(recs)
    assert got == _attack_reference(recs)
    assert max(len(g) for g in got) >= 2 * k  # events told by several documents were merged
    assert sorted(i for g in got for i in g) == list(range(len(recs)))


def test_event_groups_equal_all_pairs_on_mixed_rows(parts):
    """Incidents without a usable date (never self-compatible) and rows whose values differ
    only by type stay apart exactly as with every pair tested."""
    df = parts["attack_rows"]
    inc = df[df["kind"] == "incident"].head(40)
    recs = [attacks.event_record(r) for r in _copies(inc, 2).to_dict("records")]
    undated = dict(recs[0], date_start=None, date_precision=None, victims=None)
    recs += [undated, dict(undated), dict(recs[1], killed=1.0), dict(recs[1], killed=1)]
    n = len(recs)
    every = [(i, j) for i in range(n) for j in range(i + 1, n) if recs[i]["kind"] == recs[j]["kind"] == "incident"]
    assert attacks.event_groups(recs) == linked_groups(n, every, lambda i, j: attacks._compatible(recs[i], recs[j]))
    assert [n - 4] in attacks.event_groups(recs) and [n - 3] in attacks.event_groups(recs)


# --- milestones -----------------------------------------------------------------------------
def _clusters(mentions: pd.DataFrame) -> list[dict]:
    m = ms.mention_frame(mentions).sort_values(list(ms.MENTION_ORDER)).reset_index(drop=True)
    recs = ms.records(m)
    by_doc: dict = {}
    for i, doc in enumerate(m["doc_id"].tolist()):
        by_doc.setdefault(doc, []).append(i)
    return ms.doc_clusters(recs, m["start"].tolist(), by_doc)


def _cluster_reference(clusters) -> list[list[int]]:
    """:func:`milestones.cluster_groups` before the collapse: every cluster a node."""
    return linked_groups(len(clusters), ms._cluster_candidate_pairs(clusters),
                         lambda a, b: ms._same_milestone(clusters[a], clusters[b]))


@pytest.mark.parametrize("k", [1, 3])
def test_cluster_groups_equal_linking_every_cluster(parts, k):
    clusters = _clusters(_copies(parts["milestone_mentions"], k))
    got = ms.cluster_groups(clusters)
    assert got == _cluster_reference(clusters)
    assert max(len(g) for g in got) >= 2 * k


def test_clusters_of_one_document_are_not_collapsed(parts):
    """Two equal clusters of one document do not merge with each other (same document), and
    a class that only one document tells is left as it is."""
    clusters = _clusters(parts["milestone_mentions"])
    c = next(c for c in clusters if c["round"] is not None)
    twin = dict(c, rows=list(c["rows"]))
    alone = [c, twin]
    assert ms.cluster_groups(alone) == _cluster_reference(alone) == [[0], [1]]
    other = dict(c, docs={"another"}, rows=[])
    three = [c, twin, other]
    assert ms.cluster_groups(three) == _cluster_reference(three) == [[0, 1, 2]]
