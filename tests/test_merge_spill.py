"""The streamed cross-document merges (:mod:`iraqkit.merge_stream`) write the same bytes as
the whole-table merges (``attacks.merge_events_dict``, ``milestones.finish``), on real
per-document results and on edge cases built from them."""
import sys
from pathlib import Path

import pandas as pd
import pytest

from iraqkit import merge_stream, pipeline, spill
from iraqkit.paths import RAW

sys.path.insert(0, str(Path(__file__).parent))
from bench_modules import corpus  # noqa: E402

QUIET = dict(log=lambda *a: None, progress=False)
ATTACK_TABLES = ("attacks", "events_sources")
MS_TABLES = ("milestones", "milestone_sources", "troop_levels", "deadline_status")


@pytest.fixture
def tiny(monkeypatch):
    """Runs of a few rows, merged a few at a time, groups re-sorted a few rows at a time:
    groups straddle chunk and run boundaries, every path of the k-way merges is taken."""
    orig = spill.SortedRuns.__init__

    def init(self, *a, **k):
        k.update(chunk_rows=5, fan_in=3)
        orig(self, *a, **k)

    monkeypatch.setattr(spill.SortedRuns, "__init__", init)
    monkeypatch.setattr(merge_stream, "BATCH_ROWS", 7)
    monkeypatch.setattr(merge_stream, "DICT_ROWS", 3)


@pytest.fixture(scope="module")
def synth(tmp_path_factory):
    d = tmp_path_factory.mktemp("synth_merge") / "raw"
    corpus.generate(d, 120_000, seed=11)
    return d


def _parts(raw: Path) -> dict[str, list[list[tuple[str, pd.DataFrame]]]]:
    """Per-document frames of the attack and milestone parts, one list per file (as the
    engine produces them)."""
    streamed, _ = pipeline.split_stages(list(pipeline.STAGES))
    cfg = pipeline.BatchConfig(streamed=streamed, overrides=pd.DataFrame(columns=["doc_id", "field", "value"]))
    files = [str(p) for p in pipeline.ingest_mod.list_inputs(raw)]
    out = {p: [] for p in ("attack_rows", "milestone_mentions", "troop_levels")}
    for res in pipeline.process_batch(files, cfg):
        for s in ("attacks", "milestones"):
            for p, items in res["stages"].get(s, {}).items():
                out[p].append(items)
    return out


@pytest.fixture(scope="module")
def real_parts():
    return _parts(RAW)


@pytest.fixture(scope="module")
def synth_parts(synth):
    return _parts(synth)


def _whole(stage: str, parts: dict[str, list], out: Path) -> None:
    ad = pipeline.stage_adapter(stage)
    merged = {}
    for p in ad.parts:
        acc = pipeline.PartAccumulator(ad.keep_empty)
        for batch in parts.get(p, []):
            for doc_id, df in batch:
                acc.add(doc_id, df)
        merged[p] = acc.result()
    out.mkdir(parents=True, exist_ok=True)
    for k, v in ad.merge(merged, {}).items():
        pipeline.write_table(v, out / f"{k}.csv")


def _streamed(stage: str, parts: dict[str, list], out: Path, tmp: Path) -> dict:
    ad = pipeline.stage_adapter(stage)
    m = ad.stream_merge(tmp / f"spill-{stage}")
    for p in ad.parts:
        for batch in parts.get(p, []):
            m.add(p, batch)
    out.mkdir(parents=True, exist_ok=True)
    counts = m.write(out)
    assert not (tmp / f"spill-{stage}").exists()
    return counts


def _check(stage: str, parts: dict, tmp: Path) -> dict[str, pd.DataFrame]:
    _whole(stage, parts, tmp / "whole")
    counts = _streamed(stage, parts, tmp / "stream", tmp)
    names = ATTACK_TABLES if stage == "attacks" else MS_TABLES
    assert list(counts) == list(names)
    tables = {}
    for n in names:
        a, b = (tmp / "whole" / f"{n}.csv").read_bytes(), (tmp / "stream" / f"{n}.csv").read_bytes()
        assert a == b, f"{n} differs"
        tables[n] = pd.read_csv(tmp / "stream" / f"{n}.csv", keep_default_na=False)
        assert counts[n] == len(tables[n])
    return tables


def _regroup(parts: dict, size: int) -> dict:
    """The same per-document frames cut into other batches."""
    out = {}
    for p, batches in parts.items():
        items = [it for b in batches for it in b]
        out[p] = [items[i:i + size] for i in range(0, len(items), size)]
    return out


# --- real text ----------------------------------------------------------------------------
@pytest.mark.parametrize("stage", ["attacks", "milestones"])
def test_streamed_merge_equals_whole_on_the_real_corpus(tmp_path, real_parts, tiny, stage):
    t = _check(stage, real_parts, tmp_path)
    assert len(t["attacks" if stage == "attacks" else "milestones"]) > 0


@pytest.mark.parametrize("stage", ["attacks", "milestones"])
@pytest.mark.parametrize("batch", [1, 7])
def test_streamed_merge_equals_whole_on_a_synthetic_corpus(tmp_path, synth_parts, tiny, stage, batch):
    t = _check(stage, _regroup(synth_parts, batch), tmp_path)
    if stage == "attacks":
        assert (t["attacks"]["n_sources"] > 1).any()  # cross-document merges happened
    else:
        assert (t["milestones"]["n_sources"] > 1).any() and len(t["deadline_status"]) > 0


# --- edge cases ---------------------------------------------------------------------------
def _incidents(parts: dict) -> pd.DataFrame:
    rows = pd.concat([df for b in parts["attack_rows"] for _d, df in b if len(df)], ignore_index=True)
    return rows[rows["kind"] == "incident"].reset_index(drop=True)


def test_one_event_told_by_many_documents(tmp_path, synth_parts, tiny):
    """One incident row copied into 60 documents (ids out of file order, split over
    batches), next to the real rows: one event with 60+ sources, the same bytes."""
    inc = _incidents(synth_parts)
    row = inc[inc["date_precision"] == "day"].iloc[[0]]
    items = []
    for k in range(60):
        r = row.copy()
        doc = f"zz_{(k * 37) % 60:03d}"
        r["doc_id"], r["event_id"] = doc, f"ev_copy_{k:03d}"
        r["evidence"] = f"{r['evidence'].iloc[0]} ({k})"
        items.append((doc, r))
    parts = dict(synth_parts)
    parts["attack_rows"] = list(synth_parts["attack_rows"]) + [items[i:i + 9] for i in range(0, 60, 9)]
    t = _check("attacks", parts, tmp_path)
    assert t["attacks"]["n_sources"].max() >= 60


def test_events_sharing_a_victim_far_apart_in_time(tmp_path, synth_parts, tiny):
    """Rows naming the same victim merge whatever their dates (years apart, other places)."""
    inc = _incidents(synth_parts)
    picked = inc.iloc[[0, len(inc) // 2, len(inc) - 1]].copy()
    picked["victims"] = ["Hassan", "Hassan|Ali", "Ali"]
    picked["date_start"] = ["2004-01-03", "2015-06-01", "2023-11-30"]
    picked["date_end"] = None
    picked["date_precision"] = "day"
    picked["doc_id"] = ["va", "vm", "vz"]
    items = [(d, picked[picked["doc_id"] == d]) for d in ("vz", "va", "vm")]
    parts = dict(synth_parts)
    parts["attack_rows"] = [items[:1], items[1:]] + list(synth_parts["attack_rows"])
    t = _check("attacks", parts, tmp_path)
    merged = t["attacks"][t["attacks"]["victims"].str.contains("Hassan")]
    assert len(merged) == 1 and merged["n_sources"].iloc[0] == 3


def _milestone_linking(monkeypatch) -> list[tuple[str, bool]]:
    """Which ways MilestoneMerge clustered the mentions, and whether each gave a result."""
    used = []
    for name in ("_doc_clusters_streamed", "_doc_clusters_columns"):
        orig = getattr(merge_stream.MilestoneMerge, name)

        def spy(self, ms, _orig=orig, _name=name):
            r = _orig(self, ms)
            used.append((_name, r is not None))
            return r
        monkeypatch.setattr(merge_stream.MilestoneMerge, name, spy)
    return used


def _mention_items(parts: dict) -> list[tuple[str, pd.DataFrame]]:
    return [it for b in parts["milestone_mentions"] for it in b if len(it[1])]


def test_milestones_are_clustered_document_by_document(tmp_path, synth_parts, tiny, monkeypatch):
    """The synthetic corpus's mentions come back one document after another: the merge
    clusters each document as it is read, without the fields of every mention."""
    used = _milestone_linking(monkeypatch)
    t = _check("milestones", synth_parts, tmp_path)
    assert used == [("_doc_clusters_streamed", True)]
    assert (t["milestones"]["n_sources"] > 1).any()


def test_the_streamed_key_orders_rows_as_pubkey_doc_start(tmp_path, synth_parts, tiny):
    """``group_rows`` sorts a milestone's rows by (pubkey, doc_id, start); the streamed
    clustering keeps per row only the number of its run of equal keys. Both keys order any
    two rows alike, ties included (two mentions at one start: the stable sort keeps them in
    the order it is given them, a set's order, so the row number would not do)."""
    from iraqkit import milestones as ms
    items = _mention_items(synth_parts)
    d, df = items[0]
    twin = df.iloc[[0]].assign(trigger_start=df["trigger_start"].iloc[0] + 1, kind="deadline")
    parts = [items[1:], [(d, pd.concat([df, twin], ignore_index=True))]]
    m = merge_stream.MilestoneMerge(tmp_path / "m")
    for b in parts:
        m.add("milestone_mentions", b)
    (c1, k1, n1), (c2, k2, n2) = m._doc_clusters_streamed(ms), m._doc_clusters_columns(ms)
    assert n1 == n2 == sum(len(x) for b in parts for _d, x in b)
    assert len(c1) == len(c2) and all(list(c1[i]["rows"]) == list(c2[i]["rows"]) for i in range(len(c1)))
    rows = [j for i in range(len(c1)) for j in c1[i]["rows"]]
    ties = 0
    for a, b in zip(sorted(rows), sorted(rows)[1:]):
        assert (k1(a) < k1(b), k1(a) == k1(b)) == (k2(a) < k2(b), k2(a) == k2(b))
        ties += k2(a) == k2(b)
    assert ties >= 1
    m.mentions.cleanup()


def test_a_doc_id_under_two_publication_dates(tmp_path, synth_parts, tiny, monkeypatch):
    """Two articles' mentions under one doc_id, published on different dates, are not one
    run in the merge's order: the streamed clustering gives way to the one that finds each
    document's rows wherever they are, and the tables equal the whole-table merge's."""
    items = _mention_items(synth_parts)
    pubs = {d: df["published"].iloc[0] for d, df in items}
    a = items[0][0]
    b = next(d for d, _df in reversed(items) if pubs[d] and pubs[d] != pubs[a] and d != a)
    renamed = [(a if d == b else d, df.assign(doc_id=a) if d == b else df) for d, df in items]
    parts = dict(synth_parts)
    parts["milestone_mentions"] = [renamed[i:i + 7] for i in range(0, len(renamed), 7)]
    used = _milestone_linking(monkeypatch)
    t = _check("milestones", parts, tmp_path)
    assert used == [("_doc_clusters_streamed", False), ("_doc_clusters_columns", True)]
    assert b not in set(t["milestone_sources"]["doc_id"]) and a in set(t["milestone_sources"]["doc_id"])


def test_mentions_without_a_doc_id(tmp_path, synth_parts, tiny, monkeypatch):
    """Rows without a doc_id belong to no milestone; they sort after the documents of their
    publication date, and the documents around them are still read one after another."""
    items = _mention_items(synth_parts)
    d, df = next((d, df) for d, df in items if len(df) >= 4)
    holed = df.copy()
    holed["doc_id"] = holed["doc_id"].astype(object)
    holed.iloc[1::2, holed.columns.get_loc("doc_id")] = None
    parts = dict(synth_parts)
    parts["milestone_mentions"] = [[(x, holed if x == d else y) for x, y in b]
                                   for b in synth_parts["milestone_mentions"]]
    used = _milestone_linking(monkeypatch)
    t = _check("milestones", parts, tmp_path)
    assert used == [("_doc_clusters_streamed", True)]
    src = t["milestone_sources"]
    assert (src["doc_id"] == d).sum() == len(df[::2])   # every mention with a doc_id, none without
    assert (src["doc_id"] == "").sum() == 0


def test_empty_parts(tmp_path, real_parts, tiny):
    # no frame at all
    _check("attacks", {}, tmp_path / "a")
    _check("milestones", {}, tmp_path / "m")
    # only empty frames (attacks drops them, milestones keeps their dtypes)
    empty = {p: [[(d, df.iloc[:0]) for d, df in b] for b in bs] for p, bs in real_parts.items()}
    _check("attacks", empty, tmp_path / "a2")
    _check("milestones", empty, tmp_path / "m2")
    # troop levels but no milestone mention, and the reverse
    only_troops = {"milestone_mentions": empty["milestone_mentions"], "troop_levels": real_parts["troop_levels"]}
    t = _check("milestones", only_troops, tmp_path / "m3")
    assert len(t["troop_levels"]) > 0 and len(t["milestones"]) == 0
    only_mentions = {"milestone_mentions": real_parts["milestone_mentions"], "troop_levels": empty["troop_levels"]}
    t = _check("milestones", only_mentions, tmp_path / "m4")
    assert len(t["milestones"]) > 0 and len(t["troop_levels"]) == 0


def test_a_corpus_without_attacks_builds_the_same(tmp_path, tiny):
    raw = tmp_path / "raw"
    raw.mkdir()
    texts = [
        "بغداد - عقد مجلس النواب العراقي اليوم جلسة لمناقشة قانون الموازنة العامة للعام المقبل.\n"
        "وقال رئيس المجلس إن الجلسة ناقشت تخصيصات المحافظات والمشاريع الخدمية.",
        "البصرة - افتتح محافظ البصرة مدرسة جديدة في قضاء الزبير بحضور عدد من المسؤولين.\n"
        "وأكد المحافظ أن المدرسة ستستقبل الطلاب مع بداية العام الدراسي.",
    ]
    for k, t in enumerate(texts):
        (raw / f"art_{k}.txt").write_text(t, encoding="utf-8")
    opts = dict(verify=False, batch_files=1, **QUIET)
    pipeline.build(raw, tmp_path / "mem", return_tables=True, **opts)
    pipeline.build(raw, tmp_path / "stream", return_tables=False, **opts)
    for n in sorted(p.name for p in (tmp_path / "mem").glob("*.csv")):
        assert (tmp_path / "mem" / n).read_bytes() == (tmp_path / "stream" / n).read_bytes(), n
    assert len(pd.read_csv(tmp_path / "stream" / "attacks.csv")) == 0
    assert len(pd.read_csv(tmp_path / "stream" / "documents.csv")) == 2


def test_streamed_build_keeps_no_attack_or_milestone_rows(tmp_path, synth, tiny, monkeypatch):
    """With return_tables=False nothing goes to a PartAccumulator, and the streamed build
    equals the in-memory one (byte for byte, every table)."""
    held = []
    orig_add = pipeline.PartAccumulator.add
    monkeypatch.setattr(pipeline.PartAccumulator, "add",
                        lambda self, d, df: (held.append(d), orig_add(self, d, df)))
    opts = dict(verify=False, batch_mb=0.03, batch_files=5, **QUIET)
    pipeline.build(synth, tmp_path / "stream", return_tables=False, **opts)
    assert held == []
    pipeline.build(synth, tmp_path / "mem", return_tables=True, **opts)
    assert held  # the in-memory build does use them
    names = sorted(p.name for p in (tmp_path / "mem").glob("*.csv"))
    assert names == sorted(p.name for p in (tmp_path / "stream").glob("*.csv"))
    for n in names:
        assert (tmp_path / "mem" / n).read_bytes() == (tmp_path / "stream" / n).read_bytes(), n
    assert not (tmp_path / "stream" / ".spill").exists()


# --- the pieces ---------------------------------------------------------------------------
def test_columns_keep_value_types_apart():
    c = merge_stream.Columns(["a"])
    c.extend([{"a": 1}, {"a": 1.0}, {"a": True}, {"a": None}, {"a": float("nan")}, {"a": float("nan")}])
    vals = [c[i]["a"] for i in range(len(c))]
    assert [type(v) for v in vals] == [int, float, bool, type(None), float, float]
    assert len(c.values["a"]) == 5


def test_columns_keep_strings_apart_from_other_types():
    import numpy as np

    c = merge_stream.Columns(["a"])
    c.extend([{"a": "1"}, {"a": 1}, {"a": np.str_("1")}, {"a": "1"}, {"a": ("1",)}, {"a": (str, "1")}])
    assert list(c.cols["a"]) == [0, 1, 2, 0, 3, 4]
    assert [type(v) for v in c.values["a"]] == [str, int, np.str_, tuple, tuple]


def test_rows_by_code_equals_a_dict_of_rows_by_value():
    import random

    rnd = random.Random(3)
    for n_values, n in ((1, 5), (7, 200), (300, 5_000), (70_000, 100_000)):
        values = [f"doc{k}" for k in range(n_values)]
        c = merge_stream.Columns(["doc"])
        c.extend({"doc": rnd.choice(values)} for _ in range(n))
        by_value: dict = {}
        col = c.column("doc")
        for i in range(n):
            by_value.setdefault(col[i], []).append(i)
        got = [(c.values["doc"][code], rows) for code, rows in merge_stream.rows_by_code(c.cols["doc"])]
        assert got == list(by_value.items())
    assert list(merge_stream.rows_by_code(merge_stream.Columns(["doc"]).cols["doc"])) == []


def test_columns_widen_their_codes_as_values_come():
    c = merge_stream.Columns(["few", "many"])
    rows = [{"few": i % 3, "many": f"v{i}"} for i in range(70_000)]
    c.extend(rows)
    assert c.cols["few"].typecode == "B" and c.cols["many"].typecode == "i"
    assert [c[i] for i in (0, 255, 256, 65_535, 65_536, 69_999)] == [rows[i] for i in (0, 255, 256, 65_535, 65_536, 69_999)]
    assert c.column("many")[300] == "v300" and c.get("few", 4) == 1
    c.freeze(keep=["many"])
    assert list(c.cols) == ["many"] and list(c.values) == ["many"] and c.get("many", 7) == "v7"


@pytest.mark.parametrize("values", [[1, 2, None], [1, 2.5], ["x", None], [True, None], [None, None], ["a", 1]])
def test_type_samples_give_the_whole_table_dtype(values):
    rows = [{"v": v} for v in values]
    ts = merge_stream.TypeSamples(["v"])
    ts.observe(rows)
    whole = pd.DataFrame(rows, columns=["v"])
    for r in rows:
        part = ts.frame([r])
        assert part["v"].dtype == whole["v"].dtype
        assert part.to_csv(index=False) == whole.iloc[[rows.index(r)]].to_csv(index=False)
