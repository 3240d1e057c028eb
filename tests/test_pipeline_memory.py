"""Flat memory: per-document tables spilled to sorted runs on disk and merged back give the
same bytes as the whole-table build; the driver keeps no mention rows; the text cache is
emptied after every batch."""
import random
import shutil
import sys
from pathlib import Path

import pandas as pd
import pytest

from iraqkit import actors, arabic, pipeline, spill
from iraqkit.paths import RAW



sys.path.insert(0, str(Path(__file__).parent))
from bench_modules import corpus, reference  # noqa: E402
QUIET = dict(log=lambda *a: None, progress=False)


def _same_csvs(a: Path, b: Path) -> None:
    na, nb = sorted(p.name for p in a.glob("*.csv")), sorted(p.name for p in b.glob("*.csv"))
    assert na == nb
    for n in na:
        assert (a / n).read_bytes() == (b / n).read_bytes(), f"{n} differs"


@pytest.fixture(scope="module")
def synth(tmp_path_factory):
    d = tmp_path_factory.mktemp("synth_mem") / "raw"
    corpus.generate(d, 150_000, seed=3, big_line=20_000)
    return d


@pytest.fixture(scope="module")
def refs(tmp_path_factory, synth):
    out = {}
    for name, raw, verify in (("real", RAW, True), ("synth", synth, False)):
        d = tmp_path_factory.mktemp(f"ref_mem_{name}")
        reference.reference_build(raw, d, verify=verify, log=lambda *a: None)
        out[name] = d
    return out


@pytest.fixture
def tiny_runs(monkeypatch):
    """Runs of a few rows, merged a few at a time: every path of the k-way merge is taken."""
    orig = spill.SortedRuns.__init__

    def init(self, *a, **k):
        k.update(chunk_rows=7, fan_in=3)
        orig(self, *a, **k)

    monkeypatch.setattr(spill.SortedRuns, "__init__", init)


def test_spilled_build_equals_reference_on_the_real_corpus(tmp_path, refs, tiny_runs):
    pipeline.build(RAW, tmp_path, return_tables=False, batch_files=1, **QUIET)
    _same_csvs(refs["real"], tmp_path)
    assert not (tmp_path / ".spill").exists()


def test_spilled_build_equals_reference_on_a_synthetic_corpus(tmp_path, refs, synth, tiny_runs, monkeypatch):
    held = []
    orig_add = pipeline.PartAccumulator.add
    monkeypatch.setattr(pipeline.PartAccumulator, "add", lambda self, d, df: (held.append(list(df.columns)),
                                                                            orig_add(self, d, df)))
    pipeline.build(synth, tmp_path, verify=False, return_tables=False, batch_mb=0.02, batch_files=4, **QUIET)
    _same_csvs(refs["synth"], tmp_path)
    # the driver kept no per-document rows in memory: the actor parts go to sorted runs, the
    # attack and milestone parts to the streamed merges (iraqkit.merge_stream)
    assert held == []
    assert not (tmp_path / ".spill").exists()


def test_spilled_build_equals_in_memory_build_when_doc_ids_collide(tmp_path, synth, tiny_runs):
    """Two files with the same stem give the same doc_id (a known limitation: the whole-table
    reference then runs both as one document, the engine as two); spilling changes nothing."""
    raw = tmp_path / "raw"
    shutil.copytree(synth, raw)
    src = next(p for p in sorted(raw.iterdir()) if p.suffix == ".txt" and p.stat().st_size > 2000)
    shutil.copy(sorted(RAW.glob("*.txt"))[0], raw / f"{src.stem}.text")
    opts = dict(verify=False, batch_mb=0.02, batch_files=4, **QUIET)
    tables = pipeline.build(raw, tmp_path / "mem", return_tables=True, **opts)
    pipeline.build(raw, tmp_path / "spill", return_tables=False, **opts)
    _same_csvs(tmp_path / "mem", tmp_path / "spill")
    assert tables["mentions"]["doc_id"].eq(src.stem).sum() > 0


def test_spilled_dask_build_equals_reference(tmp_path, refs, synth):
    pytest.importorskip("dask.distributed")
    pytest.importorskip("pyarrow")
    pipeline.build(synth, tmp_path, verify=False, return_tables=False, engine="dask", workers=2,
                   batch_mb=0.05, **QUIET)
    _same_csvs(refs["synth"], tmp_path)
    for t in ("mentions", "quotes", "actor_edges"):
        n = len(pd.read_csv(tmp_path / f"{t}.csv"))
        assert len(pd.read_parquet(tmp_path / "parquet" / t)) == n


def test_merged_cache_of_spilled_tables(tmp_path, refs, synth):
    out = tmp_path / "out"
    t1, t2 = {}, {}
    pipeline.build(synth, out, verify=False, return_tables=False, cache=True, timings=t1, **QUIET)
    (out / "mentions.csv").write_text("stale")
    pipeline.build(synth, out, verify=False, return_tables=False, cache=True, timings=t2, **QUIET)
    assert not t1["merge_cached"] and t2["merge_cached"]
    _same_csvs(refs["synth"], out)
    # a build that returns its tables cannot use files: it merges again, same tables
    tables = pipeline.build(synth, tmp_path / "out2", verify=False, cache=out / ".cache", **QUIET)
    _same_csvs(refs["synth"], tmp_path / "out2")
    assert len(tables["mentions"]) == len(pd.read_csv(out / "mentions.csv"))


def test_text_caches_are_emptied_after_each_file(monkeypatch):
    """No sentence-level cache entry of one file is there when the next file starts (the
    benchmark must not measure hits a corpus of distinct articles would not get), while the
    files' own work did fill them; the word-level cache (``arabic.norm``) is kept."""
    import importlib
    streamed, _ = pipeline.split_stages(list(pipeline.STAGES))
    cfg = pipeline.BatchConfig(streamed=streamed, overrides=pd.DataFrame(columns=["doc_id", "field", "value"]))
    caches = [getattr(importlib.import_module(f"iraqkit.{m}"), f) for m, f in pipeline.TEXT_CACHES]
    assert len(caches) == 5
    arabic.normalize("نص")
    arabic.norm("نص")
    at_start, after = [], []
    real_ingest, real_parts = pipeline.ingest_file, pipeline._doc_stage_parts

    def ingest_file(path, data):
        at_start.append([c.cache_info().currsize for c in caches])
        return real_ingest(path, data)

    def doc_stage_parts(*a):
        out = real_parts(*a)
        after.append([c.cache_info().currsize for c in caches])
        return out
    monkeypatch.setattr(pipeline, "ingest_file", ingest_file)
    monkeypatch.setattr(pipeline, "_doc_stage_parts", doc_stage_parts)
    files = [str(p) for p in sorted(RAW.glob("*.txt"))[:3]]
    res = pipeline.process_batch(files, cfg)
    assert len(res) == 3 and all(len(r["stages"]["actors"]["mentions"][0][1]) > 0 for r in res)
    assert at_start[0][0] >= 1 and at_start[1:] == [[0] * 5, [0] * 5]
    assert all(min(sizes) > 0 for sizes in after)        # each file used every one of them
    assert [c.cache_info().currsize for c in caches] == [0] * 5
    assert arabic.norm.cache_info().currsize > 0


def test_the_build_long_word_cache_holds_no_line_or_quotation(monkeypatch):
    """``arabic.norm`` keeps 65,536 entries for the whole build: it must only see words,
    names and lexicon entries, not the lines and quotations of the articles (distinct in a
    real archive: about 75 MB once full)."""
    import importlib
    streamed, _ = pipeline.split_stages(list(pipeline.STAGES))
    cfg = pipeline.BatchConfig(streamed=streamed, overrides=pd.DataFrame(columns=["doc_id", "field", "value"]))
    for m in ("actors", "attacks", "milestones", "dates", "numbers"):  # the stage modules, loaded
        importlib.import_module(f"iraqkit.{m}")
    seen: list[str] = []
    real = arabic.norm

    def recording(text):
        seen.append(text)
        return real(text)
    mods = [mod for name, mod in sorted(sys.modules.items())
            if name.startswith("iraqkit.") and getattr(mod, "norm", None) is real]
    assert {m.__name__ for m in mods} >= {"iraqkit.actors", "iraqkit.attacks", "iraqkit.dates"}
    for mod in mods:
        monkeypatch.setattr(mod, "norm", recording)
    files = [str(p) for p in sorted(RAW.glob("*.txt"))]
    res = pipeline.process_batch(files, cfg)
    assert sum(len(r["sents"]) for r in res) > 100
    assert len(seen) > 100                       # the stages do use it, for words and names
    assert max(map(len, seen)) <= 60, max(seen, key=len)[:80]
    # the lines and quotations still read the same normalised text
    line = "  الإعلان عن الصفقة كان مقررًا خلال آب نفسه، لكنه تأخر  "
    assert arabic.norm_text(line) == real(line) and "  " not in arabic.norm_text(line)


def _rss_mb() -> float:
    return int(Path("/proc/self/statm").read_text().split()[1]) * 4096 / 2 ** 20


@pytest.mark.skipif(not Path("/proc/self/statm").exists() or not pipeline.trim_heap(),
                    reason="needs Linux and glibc's malloc_trim")
def test_trim_heap_gives_back_free_pages_inside_the_heap():
    # 60 MB of 4 KB blocks (the C heap, not Python's small-object arenas); keep one in 16, so
    # the freed ones sit between live ones and glibc's own trimming (top of the heap) cannot
    # return them: malloc_trim does
    blocks = [bytearray(4000) for _ in range(15_000)]
    kept = blocks[::16]
    del blocks
    before = _rss_mb()
    assert pipeline.trim_heap() is True
    after = _rss_mb()
    assert before - after > 20, (before, after)  # 34 MB here; none without the trim
    assert len(kept) == 938 and all(len(b) == 4000 for b in kept)


def test_heap_is_trimmed_after_each_batch_and_before_each_merge(tmp_path, monkeypatch):
    calls = []
    real = pipeline.trim_heap
    monkeypatch.setattr(pipeline, "trim_heap", lambda: calls.append(1) or real())
    src = sorted(RAW.glob("*.txt"))[:3]
    raw = tmp_path / "raw"
    raw.mkdir()
    for f in src:
        shutil.copyfile(f, raw / f.name)
    pipeline.build(raw, tmp_path / "out", verify=False, progress=False, log=lambda m: None,
                   batch_files=1, return_tables=False)
    # three batches of one file, then one trim before each of the three merges
    assert len(calls) == 3 + 3


# --- the pieces ---------------------------------------------------------------------------
def _frames(seed: int, n_docs: int = 40):
    rng = random.Random(seed)
    docs = [f"d{rng.randrange(30):02d}" + rng.choice(["", "#2", "@1", " x"]) for _ in range(n_docs)]
    frames = []
    for k, d in enumerate(docs):
        n = rng.randrange(0, 6)
        df = pd.DataFrame({
            "doc_id": [d] * n,
            "start": [rng.randrange(5) for _ in range(n)],
            "end": [rng.randrange(5) for _ in range(n)],
            "actor_id": [rng.choice(["a", "b", "c"]) for _ in range(n)],
            "v": [rng.random() for _ in range(n)],
        })
        if k % 7 == 3 and n:  # another dtype signature: a float key column with a missing value
            df["start"] = df["start"].astype(float)
            df.loc[df.index[0], "start"] = float("nan")
        if k % 11 == 5:
            df["v"] = df["v"].astype(object)
        frames.append((d, df))
    return frames


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sorted_runs_equal_concat_and_stable_sort(tmp_path, seed):
    frames = _frames(seed)
    keys, cols = ["doc_id", "start", "end", "actor_id"], ["doc_id", "start", "end", "actor_id", "v"]
    # what actors.finish does with PartAccumulator's result
    acc = pipeline.PartAccumulator(keep_empty=False)
    for d, df in frames:
        acc.add(d, df)
    want = acc.result().sort_values(keys, kind="stable").reset_index(drop=True)[cols]
    runs = spill.SortedRuns(tmp_path, "t", cols, keys, chunk_rows=3, fan_in=2)
    for i in range(0, len(frames), 5):  # batches of 5 documents, in arrival order
        runs.add_batch(frames[i:i + 5])
    got = pd.concat(list(runs.iter_chunks()), ignore_index=True)
    pd.testing.assert_frame_equal(got, want)
    assert want.to_csv(index=False) == "".join(c.to_csv(index=False, header=i == 0)
                                               for i, c in enumerate(runs.iter_chunks()))
    runs.cleanup()
    assert not list(tmp_path.iterdir())


def test_sorted_runs_hold_no_rows_in_memory(tmp_path):
    runs = spill.SortedRuns(tmp_path, "t", ["doc_id", "start", "end", "actor_id", "v"],
                            ["doc_id", "start", "end", "actor_id"])
    for b in range(50):
        runs.add_batch(_frames(b, 10))
    held = [v for v in vars(runs).values() if isinstance(v, pd.DataFrame)]
    assert held == [] and sum(len(s) for s in runs.samples.values()) <= len(runs.samples) <= 4
    assert runs.n_rows == sum(len(c) for c in runs.iter_chunks()) > 500


def test_cooccurrence_counter_equals_actors_cooccurrence():
    rng = random.Random(5)
    files = ["a.txt", "a.html", "b.txt", "c#1.txt", "c.json"]
    ids = ["a", "a#2", "b", "b#2", "b#3", "c", "c@1", "c@2#2"]
    batches = []
    for k in range(6):
        rows = []
        # a file's documents (b, b#2, b#3) come in one batch, unless their doc_id can also come
        # from another file (a.txt / a.html; c#1.txt / c.json)
        own = [d for d in ids if d.startswith("b")] if k == 2 else []
        for d in own + rng.sample([d for d in ids if d.startswith(("a", "c"))], 2):
            for _ in range(rng.randrange(1, 12)):
                rows.append({"doc_id": d, "sentence_id": rng.randrange(4), "actor_id": rng.choice("pqrstu")})
        batches.append(pd.DataFrame(rows))
    counter = pipeline.CooccurrenceCounter(files)
    assert counter.shared == {"a", "c"}
    for b in batches:
        counter.add("mentions", b)
    want = actors.cooccurrence(pd.concat(batches, ignore_index=True))
    pd.testing.assert_frame_equal(counter.tables()["actor_edges"], want)


# --- the batch-level fast paths of SortedRuns ------------------------------------------------
def _mixed_frames():
    return [
        pd.DataFrame({"doc_id": ["b", "b"], "start": [5, 1], "v": [1.5, None], "s": ["x", None]}),
        pd.DataFrame({"doc_id": ["a"], "start": [3], "v": [2], "s": ["y"]}),
        pd.DataFrame({"doc_id": pd.Series([], dtype=object), "start": pd.Series([], dtype="int64"),
                      "v": pd.Series([], dtype="float64"), "s": pd.Series([], dtype=object)}),
        pd.DataFrame({"doc_id": ["a", "a"], "start": pd.array([7, None], dtype="Int64"), "v": [True, False],
                      "s": ["z", "w"]}),
    ]


def test_signature_equals_the_dtypes_definition():
    from iraqkit.spill import _signature

    for df in _mixed_frames():
        assert _signature(df) == tuple((str(c), str(t)) for c, t in df.dtypes.items())
    assert len({_signature(df) for df in _mixed_frames()}) == 4


def test_signature_of_many_distinct_dtype_objects():
    """Dtype names are looked up by the dtype object's identity: still the definition when
    there are more dtype objects than that lookup keeps, some equal and some not."""
    import datetime as dt

    from iraqkit.spill import _signature

    for i in range(1500):
        tz = dt.timezone(dt.timedelta(minutes=(i * 7) % 1380 - 690))
        df = pd.DataFrame({"t": pd.Series(pd.to_datetime(["2021-01-01"]).tz_localize("UTC")).dt.tz_convert(tz),
                           "c": pd.Categorical(["x"], categories=["x", f"y{i}"]), "s": ["a"]})
        assert _signature(df) == tuple((str(c), str(t)) for c, t in df.dtypes.items())


def test_add_batch_constants_equal_per_frame_assign(tmp_path):
    """Constants and ``prepare`` set once on the batch give the rows, values and dtypes that
    setting them on every frame before concatenating gives (the definition they replace)."""
    from iraqkit.spill import POS, SortedRuns

    frames = _mixed_frames()
    prep = lambda d: d.assign(key=d["s"].fillna("").astype(str))  # noqa: E731
    a = SortedRuns(tmp_path / "a", "t", ["doc_id", "start", "v", "s"], ["doc_id", "start"], keep_empty=True)
    got = a.add_batch([(f"d{i}", df, {"__doc": f"d{i}", "__sig": i}, None) for i, df in enumerate(frames)],
                      prepare=prep)
    old = [prep(df.assign(__doc=f"d{i}", __sig=i)).assign(**{POS: range(len(df))})
           for i, df in enumerate(frames) if len(df)]
    want = pd.concat(old, ignore_index=True)
    order = sorted(range(len(want)), key=lambda i: (want["doc_id"][i], str(want["start"][i]), want[POS][i]))
    want = want.iloc[order].reset_index(drop=True)
    pd.testing.assert_frame_equal(got[list(want.columns)], want)
    assert a.n_frames == 4 and len(a.samples) == 4


def test_pack_unpack_batch_restores_every_frame(synth):
    """Per-document frames packed for the trip to the driver (one frame per stage, part and
    dtype signature) come back equal in values, dtypes, columns and order, index reset."""
    import copy
    import pickle

    files = sorted(str(p) for p in list(Path(synth).iterdir())[:40]) + sorted(str(p) for p in RAW.glob("*.txt"))
    cfg = pipeline.BatchConfig(streamed=["actors", "attacks", "milestones"], overrides=pd.DataFrame(
        columns=["doc_id", "field", "value", "reason"]))
    results = pipeline.process_batch(files, cfg)
    before = copy.deepcopy(results)
    assert any(r["quarantine"] for r in before) and any(r["stages"] for r in before)
    packed = pickle.loads(pickle.dumps(pipeline.pack_batch(results)))  # as a Dask worker sends it
    n_frames = sum(len(items) for r in before if r["stages"] for parts in r["stages"].values()
                   for items in parts.values())
    assert len(packed[2]) < n_frames / 4  # few frames travel (one per part and dtype signature)
    after = pipeline.unpack_batch(packed)
    assert [r["name"] for r in after] == [r["name"] for r in before]
    for a, b in zip(after, before):
        assert {k: v for k, v in a.items() if k != "stages"} == {k: v for k, v in b.items() if k != "stages"}
        assert (a["stages"] is None) == (b["stages"] is None)
        for s, parts in (b["stages"] or {}).items():
            assert list(a["stages"][s]) == list(parts)
            for p, items in parts.items():
                got = a["stages"][s][p]
                assert [d for d, _ in got] == [d for d, _ in items]
                for (_, x), (_, y) in zip(got, items):
                    pd.testing.assert_frame_equal(x, y.reset_index(drop=True), check_dtype=True, check_exact=True)
                    assert list(x.index) == list(range(len(x)))


@pytest.mark.parametrize("seed", range(4))
def test_take_equals_concatenating_every_piece(seed):
    """spill._take (one take per source chunk, then one reorder) against its definition: the
    pieces c[a:b] concatenated in order, with chunks of several dtype signatures."""
    rng = random.Random(seed)
    chunks = [df for _d, df in _frames(seed, 60) if len(df)]
    cursor = {id(c): 0 for c in chunks}
    buf = []
    for _ in range(40):  # interleaved pieces, each chunk's rows in increasing order
        c = rng.choice(chunks)
        a = cursor[id(c)]
        if a >= len(c):
            continue
        b = rng.randint(a + 1, len(c))
        cursor[id(c)] = b
        if buf and buf[-1][0] is c:  # _merge extends the last piece instead
            buf[-1] = (c, buf[-1][1], b)
        else:
            buf.append((c, a, b))
    want = pd.concat([c.iloc[a:b] for c, a, b in buf], ignore_index=True)
    got = spill._take(buf)
    pd.testing.assert_frame_equal(got, want)
    assert list(got.dtypes) == list(want.dtypes)
    assert len({id(c) for c, _a, _b in buf}) > 1 and len(buf) > len({id(c) for c, _a, _b in buf})
    one = [(chunks[0], 1, len(chunks[0]))] if len(chunks[0]) > 1 else [(chunks[0], 0, 1)]
    pd.testing.assert_frame_equal(spill._take(one), chunks[0].iloc[one[0][1]:].reset_index(drop=True))


def test_plan_batches_equals_make_batches(tmp_path):
    """The compact batch plan the build keeps gives the batches make_batches gives, file names
    once and no path per file held."""
    rng = random.Random(4)
    raw = tmp_path / "raw"
    raw.mkdir()
    for i in range(57):
        (raw / f"{rng.randrange(10**6):06d}_{i}.txt").write_bytes(b"x" * rng.choice([0, 10, 400, 5000, 30000]))
    (raw / ".hidden").write_bytes(b"x")
    (raw / "sub").mkdir()
    for mb, nf in [(0.01, 5), (0.05, 200), (1.0, 7), (1e-6, 3)]:
        want = pipeline.make_batches(pipeline.ingest_mod.list_inputs(raw), mb, nf)
        plan = pipeline.plan_batches(raw, mb, nf)
        assert list(plan) == want and len(plan) == len(want)
        assert plan.n_files == 57 and plan.total_bytes == sum(p.stat().st_size for p in raw.glob("[!.]*") if p.is_file())
        assert all(isinstance(n, str) and "/" not in n for n in plan.names)


def test_build_allocates_arrow_memory_with_the_system_allocator(tmp_path, monkeypatch):
    """pyarrow's default pool keeps freed memory (higher resident memory for the same work);
    a build switches to the system allocator unless the user chose a pool."""
    import pyarrow as pa

    monkeypatch.delenv("ARROW_DEFAULT_MEMORY_POOL", raising=False)
    monkeypatch.setattr(pipeline, "_ALLOCATOR_SET", False)
    before = pa.default_memory_pool()
    try:
        pa.set_memory_pool(pa.mimalloc_memory_pool())
        monkeypatch.setenv("ARROW_DEFAULT_MEMORY_POOL", "mimalloc")
        pipeline.use_system_arrow_allocator()
        assert pa.default_memory_pool().backend_name == "mimalloc"  # the user's choice wins
        monkeypatch.delenv("ARROW_DEFAULT_MEMORY_POOL")
        raw = tmp_path / "raw"
        raw.mkdir()
        (raw / "a.txt").write_text("الكاظمي يهدد الميليشيات\n\nقال الكاظمي إن الحوار هو الطريق.\n", encoding="utf-8")
        pipeline.build(raw, tmp_path / "out", verify=False, progress=False, log=lambda *a: None,
                       return_tables=False)
        assert pa.default_memory_pool().backend_name == "system"
    finally:
        pa.set_memory_pool(before)


def test_batch_ends_cut_by_size_and_count():
    # 1,000-byte batches of at most 2 files; a file over the limit is a batch of its own
    assert pipeline._batch_ends([400, 400, 400, 5000, 10], 1000 / 2 ** 20, 2) == [2, 3, 4, 5]
    assert pipeline._batch_ends([], 1.0, 10) == []


def _packed_items(frames: list, bulk: bool) -> list:
    """``frames`` as the Dask driver receives them: one result per document, packed by
    :func:`pipeline.pack_batch` and unpacked with (PackedRows) or without ``bulk``."""
    import copy
    import pickle

    results = [{"name": f"f{i:03d}", "stages": {"actors": {"mentions": [(d, df)]}}}
               for i, (d, df) in enumerate(copy.deepcopy(frames))]
    packed = pickle.loads(pickle.dumps(pipeline.pack_batch(results)))
    got = pipeline.unpack_batch(packed, {("actors", "mentions")} if bulk else ())
    return [item for r in got for item in r["stages"]["actors"]["mentions"]]


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("keep_empty", [False, True])
def test_sorted_runs_of_packed_rows_equal_runs_of_frames(tmp_path, seed, keep_empty):
    """The Dask driver hands a batch's frames to the sorted runs as rows of the packed
    frames: the runs, the rows each batch returns (actor_edges counts them), the dtype
    samples and the frame count are those of the sliced frames. The batches mix dtype
    signatures (several packed frames) and leave documents out (a duplicate file)."""
    frames = _frames(seed)
    lazy, sliced = _packed_items(frames, True), _packed_items(frames, False)
    assert all(isinstance(df, spill.PackedRows) for _, df in lazy)
    assert not any(isinstance(df, spill.PackedRows) for _, df in sliced)
    keys, cols = ["doc_id", "start", "end", "actor_id"], ["doc_id", "start", "end", "actor_id", "v"]
    a = spill.SortedRuns(tmp_path / "a", "t", cols, keys, chunk_rows=3, fan_in=2, keep_empty=keep_empty)
    b = spill.SortedRuns(tmp_path / "b", "t", cols, keys, chunk_rows=3, fan_in=2, keep_empty=keep_empty)
    for i in range(0, len(frames), 6):
        batch = [it for j, it in enumerate(range(i, min(i + 6, len(frames)))) if j != 2]  # one left out
        ra, rb = a.add_batch([lazy[k] for k in batch]), b.add_batch([sliced[k] for k in batch])
        if rb is None:
            assert ra is None
        else:
            pd.testing.assert_frame_equal(ra, rb, check_exact=True)
    assert (a.n_frames, a.n_rows, list(a.samples)) == (b.n_frames, b.n_rows, list(b.samples))
    for x, y in zip(a.samples.values(), b.samples.values()):
        pd.testing.assert_frame_equal(x, y, check_exact=True)
    ca, cb = list(a.iter_chunks()), list(b.iter_chunks())
    assert len(ca) == len(cb) > 3
    for x, y in zip(ca, cb):
        pd.testing.assert_frame_equal(x, y, check_exact=True)


def test_concat_frames_takes_rows_of_one_packed_frame_at_once(monkeypatch):
    """Rows of one packed frame (with a gap, as when a duplicate file's document is left
    out) are taken at once and equal ``pd.concat`` of the sliced frames; rows of two packed
    frames go through ``pd.concat``."""
    frames = [df for _, df in _frames(4) if len(df)]
    sig = spill._signature(frames[0])
    same = [df for df in frames if spill._signature(df) == sig]
    other = next(df for df in frames if spill._signature(df) != sig)
    packed = pd.concat(same, ignore_index=True)
    starts = [sum(len(df) for df in same[:i]) for i in range(len(same))]
    rows = [spill.PackedRows(packed, s, len(df), sig) for s, df in zip(starts, same)]
    keep = [0, 1, 3, 4, 5]
    calls = []
    real = pd.concat
    monkeypatch.setattr(pd, "concat", lambda *a, **k: calls.append(1) or real(*a, **k))
    got = spill.concat_frames([rows[i] for i in keep])
    assert calls == []  # one take, no concat
    pd.testing.assert_frame_equal(got, real([same[i] for i in keep], ignore_index=True), check_exact=True)
    two = spill.concat_frames([rows[0], spill.PackedRows(other, 0, len(other), spill._signature(other))])
    assert calls == [1]
    pd.testing.assert_frame_equal(two, real([same[0], other], ignore_index=True), check_exact=True)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_concat_frames_of_several_packed_frames_equals_concat_of_slices(seed):
    """A batch whose documents' rows sit in several packed frames (one per dtype signature),
    interleaved, some left out, with plain frames among them: one piece per packed frame,
    concatenated and put back in order, is ``pd.concat`` of the documents' own frames (the
    same rows in the same order, the same dtypes and values)."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent))
    from reference.frames import strictly_equal

    rng = random.Random(seed)
    frames = [df for _, df in _frames(seed, 60) if len(df)]
    by_sig: dict = {}
    for df in frames:
        by_sig.setdefault(spill._signature(df), []).append(df)
    assert len(by_sig) >= 2
    items = []
    for sig, group in by_sig.items():
        packed = pd.concat(group, ignore_index=True)
        at = 0
        for df in group:
            items.append((df, spill.PackedRows(packed, at, len(df), sig)))
            at += len(df)
    rng.shuffle(items)
    items = [it for k, it in enumerate(items) if k % 5 != 2]                 # some left out
    chosen = [(df, df.copy() if k % 4 == 1 else rows) for k, (df, rows) in enumerate(items)]   # some plain
    got = spill.concat_frames([x for _, x in chosen])
    strictly_equal(got, pd.concat([df for df, _ in chosen], ignore_index=True))


def test_digest_index_is_the_duplicate_checks_dict():
    """The build's compact ``{digest: file position}`` answers as the dict it replaced, through
    its growth and when digests share the bits that pick their slot."""
    rng = random.Random(7)
    idx, ref = pipeline.DigestIndex(), {}
    digests = [rng.randbytes(32) for _ in range(5000)]
    # same first 8 bytes (same slot), different rest: found by comparing the whole digest
    digests += [digests[0][:8] + rng.randbytes(24) for _ in range(40)]
    for pos, d in enumerate(digests):
        assert idx.get(d) is None and d not in idx
        idx.add(d, pos * 3)
        ref[d] = pos * 3
    assert len(idx) == len(ref) == 5040 and len(idx.slots) >= 2 * len(idx)
    assert all(idx.get(d) == v for d, v in ref.items())
    assert idx.get(rng.randbytes(32), "absent") == "absent"
    with pytest.raises(KeyError):
        idx.add(digests[17], 1)
    with pytest.raises(ValueError, match="32 bytes"):
        idx.get(b"short")


@pytest.mark.parametrize("change", ["added", "removed"])
def test_a_file_added_or_removed_during_the_build_breaks_the_count_check(tmp_path, monkeypatch, change):
    """The build reconciles on file positions (``ingest.reconcile_positions``): a file that
    appears in ``data/raw`` after the build listed it is lost, one that disappears is unknown."""
    from iraqkit.ingest import IngestError

    raw = tmp_path / "raw"
    raw.mkdir()
    for p in sorted(RAW.glob("*.txt"))[:2]:
        shutil.copy(p, raw / p.name)
    real = pipeline.process_batch
    name = sorted(RAW.glob("*.txt"))[2].name if change == "added" else sorted(raw.iterdir())[0].name

    def process_batch(files, cfg):
        out = real(files, cfg)
        if change == "added":
            shutil.copy(RAW / name, raw / name)
        else:
            (raw / name).unlink()
        return out
    pipeline.build(raw, tmp_path / "ok", verify=False, cache=False, **QUIET)  # reconciles untouched
    monkeypatch.setattr(pipeline, "process_batch", process_batch)
    with pytest.raises(IngestError, match=(rf"lost \['{name}'\], unknown \[\]" if change == "added"
                                           else rf"lost \[\], unknown \['{name}'\]")):
        pipeline.build(raw, tmp_path / "out", verify=False, cache=False, **QUIET)
