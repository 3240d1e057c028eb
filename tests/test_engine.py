"""The build engine: streaming batches, cache and Dask give the same bytes as the
whole-table reference build; broken files are all accounted for."""
import json
import os
import shutil
import sys
from pathlib import Path

import pandas as pd
import pytest

from iraqkit import pipeline
from iraqkit.cli import main
from iraqkit.paths import RAW

ROOT = Path(__file__).resolve().parent.parent


sys.path.insert(0, str(Path(__file__).parent))
from bench_modules import corpus, reference  # noqa: E402

KEYS = {  # a stable key per table, for the Parquet comparison
    "documents": ["doc_id"], "sentences": ["doc_id", "sentence_id"], "quarantine": ["source_file"],
    "removed": ["doc_id", "start", "end"],
}


def _same_csvs(a: Path, b: Path) -> None:
    na, nb = sorted(p.name for p in a.glob("*.csv")), sorted(p.name for p in b.glob("*.csv"))
    assert na == nb
    for n in na:
        assert (a / n).read_bytes() == (b / n).read_bytes(), f"{n} differs"
    ta, tb = a / "texts", b / "texts"
    if ta.exists() or tb.exists():
        assert sorted(p.name for p in ta.iterdir()) == sorted(p.name for p in tb.iterdir())
        for p in ta.iterdir():
            assert p.read_bytes() == (tb / p.name).read_bytes()


@pytest.fixture(scope="module")
def synth(tmp_path_factory):
    """A small synthetic corpus with every kind of broken file (about 250 KB)."""
    d = tmp_path_factory.mktemp("synth") / "raw"
    info = corpus.generate(d, 250_000, seed=1, big_line=60_000)
    return d, info


@pytest.fixture(scope="module")
def refs(tmp_path_factory, synth):
    """Reference (whole-table, pre-engine) builds of the real and the synthetic corpus."""
    out = {}
    for name, raw, verify in (("real", RAW, True), ("synth", synth[0], False)):
        d = tmp_path_factory.mktemp(f"ref_{name}")
        reference.reference_build(raw, d, verify=verify, log=lambda *a: None)
        out[name] = d
    return out


@pytest.fixture(scope="module")
def cluster():
    distributed = pytest.importorskip("dask.distributed")
    with distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                                  dashboard_address=None) as c:
        yield c


def test_the_engines_own_workers_run_without_the_profiler():
    """distributed's statistical profiler keeps the call trees of its last 1,000 cycles in
    each worker (the workers' memory grew with them): the engine's own cluster turns it off
    in its worker processes, and leaves the driver's configuration as it was."""
    dask = pytest.importorskip("dask")
    pytest.importorskip("dask.distributed")
    from iraqkit import engine_dask

    before = dask.config.get("distributed.worker.profile.enabled")
    client, cluster = engine_dask._client(None, 1)
    try:
        got = client.run(lambda dask_worker: (dask.config.get("distributed.worker.profile.enabled"),
                                              sorted(dask_worker.periodic_callbacks)))
        (enabled, callbacks), = got.values()
        assert enabled is False
        assert "heartbeat" in callbacks  # the worker's other periodic callbacks are listed
        assert "profile" not in callbacks and "profile-cycle" not in callbacks
    finally:
        client.close()
        cluster.close()
    assert dask.config.get("distributed.worker.profile.enabled") == before


def test_local_engine_equals_reference_on_the_real_corpus(tmp_path, refs):
    tables = pipeline.build(RAW, tmp_path, log=lambda *a: None)
    _same_csvs(refs["real"], tmp_path)
    assert len(tables["documents"]) == 6


def test_local_engine_small_batches_equal_reference_on_synthetic_corpus(tmp_path, refs, synth):
    logs = []
    pipeline.build(synth[0], tmp_path, verify=False, batch_mb=0.01, batch_files=3, return_tables=False,
                   log=logs.append)
    _same_csvs(refs["synth"], tmp_path)
    assert logs[0].startswith(f"ingest: {synth[1]['files']} files")


def test_broken_files_are_all_accounted_for(tmp_path, synth):
    raw, info = synth
    logs = []
    pipeline.build(raw, tmp_path, verify=False, stages=["ingest"], log=logs.append)
    q = pd.read_csv(tmp_path / "quarantine.csv", keep_default_na=False)
    d = pd.read_csv(tmp_path / "documents.csv", keep_default_na=False)
    files = {p.name for p in raw.iterdir()}
    assert set(q["source_file"]) | set(d["source_file"]) == files
    assert not set(q["source_file"]) & set(d["source_file"])
    assert {"binary", "empty", "undecodable", "duplicate", "not_arabic"} <= set(q["reason"])
    n_ing = len(set(d["source_file"]))
    assert logs[0].startswith(f"ingest: {len(files)} files -> {n_ing} ingested")
    assert logs[0].endswith(f"{len(q)} quarantined")
    assert n_ing + len(q) == info["files"]
    # a UTF-8 file cut inside a character is ingested; the single-line giant is ingested
    assert "utf-8-truncated" in set(d["encoding"])


def test_cache_reuses_unchanged_files_and_processes_only_a_new_one(tmp_path, synth, refs):
    raw = tmp_path / "raw"
    shutil.copytree(synth[0], raw)
    out = tmp_path / "out"
    t1, t2, t3 = {}, {}, {}
    quiet = dict(verify=False, log=lambda *a: None, return_tables=False)
    pipeline.build(raw, out, cache=True, timings=t1, **quiet)
    assert t1["cached"] == 0 and (out / ".cache").is_dir()
    pipeline.build(raw, out, cache=True, timings=t2, **quiet)
    assert t2["cached"] == t2["files"] and t2["merge_cached"]
    _same_csvs(refs["synth"], out)
    shutil.copy(sorted(RAW.iterdir())[0], raw / "zzz_new.txt")
    pipeline.build(raw, out, cache=True, timings=t3, **quiet)
    assert t3["cached"] == t3["files"] - 1 and not t3["merge_cached"]
    # the code version is part of the key: another stage list is a separate cache
    assert pipeline.code_version(["ingest"]) != pipeline.code_version(["ingest", "attacks"])


def _merged_entries(cache: Path) -> tuple[list[str], list[str]]:
    """The merged-table entries of a cache and their folders (names, sorted)."""
    vdir = next(p for p in cache.iterdir() if p.is_dir())
    return (sorted(p.stem for p in vdir.glob("*/merged-*.pkl")),
            sorted(p.name for p in vdir.glob("merged-*") if p.is_dir()))


def test_cache_stays_small_and_keeps_the_merged_tables_of_the_last_corpus_only(tmp_path, synth, refs):
    """The per-file entries are compressed, and every build of a changed corpus replaces the
    merged tables of the one before instead of adding a copy of them (the cache used to grow
    by the size of the cross-document tables with every build of a growing archive)."""
    raw = tmp_path / "raw"
    shutil.copytree(synth[0], raw)
    out = tmp_path / "out"
    quiet = dict(verify=False, log=lambda *a: None, return_tables=False, cache=True)
    pipeline.build(raw, out, **quiet)
    in_bytes = sum(p.stat().st_size for p in raw.iterdir())
    vdir = next(p for p in (out / ".cache").iterdir() if p.is_dir())
    entries = [p for p in vdir.glob("*/*.pkl") if not p.name.startswith("merged-")]
    assert len(entries) == synth[1]["files"]
    # an uncompressed pickle took 4.9 times the input here; compressed it takes 1.2 times
    assert sum(p.stat().st_size for p in entries) < 2 * in_bytes
    first = _merged_entries(out / ".cache")
    assert len(first[0]) == 1 and first[0] == first[1]
    # a file added: the new corpus's merged tables replace the old ones
    shutil.copy(sorted(RAW.iterdir())[0], raw / "zzz_new.txt")
    t = {}
    pipeline.build(raw, out, timings=t, **quiet)
    second = _merged_entries(out / ".cache")
    assert not t["merge_cached"] and len(second[0]) == 1 and second[0] == second[1] and second != first
    t = {}
    pipeline.build(raw, out, timings=t, **quiet)  # unchanged: the kept entry is hit
    assert t["merge_cached"] and _merged_entries(out / ".cache") == second
    # the file removed again: the first corpus's tables are gone, so they are merged again
    (raw / "zzz_new.txt").unlink()
    t = {}
    pipeline.build(raw, out, timings=t, **quiet)
    assert not t["merge_cached"] and t["cached"] == t["files"]
    assert _merged_entries(out / ".cache") == first
    _same_csvs(refs["synth"], out)
    # an entry that cannot be read is computed again, not an error
    victim = entries[0]
    victim.write_bytes(b"not a zlib stream")
    t = {}
    pipeline.build(raw, out, timings=t, **quiet)
    assert t["cached"] == t["files"] - 1
    _same_csvs(refs["synth"], out)


def test_cli_cache_flags(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["build", "--out", str(out), "--no-progress", "--stages", "ingest"]) == 0
    assert (out / ".cache").is_dir()
    assert main(["build", "--out", str(out), "--no-progress", "--stages", "ingest", "--clear-cache",
                 "--no-cache"]) == 0
    assert not (out / ".cache").exists()
    other = tmp_path / "elsewhere"
    assert main(["build", "--out", str(out), "--no-progress", "--stages", "ingest", "--cache", str(other)]) == 0
    assert other.is_dir() and not (out / ".cache").exists()
    assert "ingest: 5 files -> 5 ingested (6 documents" in capsys.readouterr().out


def test_cli_reports_where_the_time_went(tmp_path, capsys):
    """``--timings FILE``: the phases add up to the whole build, every cross-document step
    is timed, and the printed line quotes the same figures."""
    tf = tmp_path / "t.json"
    assert main(["build", "--out", str(tmp_path / "out"), "--no-progress", "--no-cache", "--timings", str(tf)]) == 0
    t = json.loads(tf.read_text(encoding="utf-8"))
    assert t["files"] == 5 and t["batches_n"] == 1 and t["merged_on"] == "driver"
    assert list(t["merge_stages"]) == ["actors", "attacks", "milestones"]
    assert 0 < t["batches_wait"] <= t["batches"]
    assert 0 < sum(t["merge_stages"].values()) <= t["merge"]
    assert t["total"] == pytest.approx(t["setup"] + t["batches"] + t["merge"], abs=1e-6)
    assert "batches_blocked" not in t  # only the Dask runner is ever blocked on workers
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("time: "))
    assert line.startswith(f"time: {t['total']:.1f} s: setup {t['setup']:.1f} s; 1 batches {t['batches']:.1f} s "
                           f"(computing {t['batches_wait']:.1f} s, ")
    assert f"cross-document steps {t['merge']:.1f} s on the driver (actors " in line


def test_dask_engine_equals_in_process_engine(tmp_path, cluster, synth, refs):
    pytest.importorskip("pyarrow")
    for name, raw, verify in (("real", RAW, True), ("synth", synth[0], False)):
        out = tmp_path / name
        tables = pipeline.build(raw, out, verify=verify, engine="dask", scheduler=cluster.scheduler_address,
                                batch_mb=0.05, log=lambda *a: None)
        _same_csvs(refs[name], out)
        # the partitioned Parquet holds the same rows (compared after sorting by key)
        for t, key in KEYS.items():
            pq = pd.read_parquet(out / "parquet" / t)
            assert len(pq) == len(tables[t])
            if len(pq):
                a = pq.sort_values(key).reset_index(drop=True).astype(str)
                b = tables[t].sort_values(key).reset_index(drop=True).astype(str)
                pd.testing.assert_frame_equal(a, b, check_dtype=False)
        for t in ("attacks", "milestones", "mentions"):
            assert len(pd.read_parquet(out / "parquet" / t)) == len(tables[t])


def test_dask_merges_run_side_by_side_on_the_workers_and_write_the_same_bytes(tmp_path, cluster, synth, refs):
    """Without return_tables the streamed stages' merges run as tasks on the workers (they
    see the driver's spill directory here) while the driver writes the last one; the tables
    are the reference's bytes, and the merged cache they fill gives the same bytes back."""
    pytest.importorskip("pyarrow")
    out, cache = tmp_path / "out", tmp_path / "cache"
    logs, timings = [], {}
    pipeline.build(synth[0], out, verify=False, engine="dask", scheduler=cluster.scheduler_address,
                   batch_mb=0.05, return_tables=False, cache=cache, log=logs.append, timings=timings)
    assert timings["merged_on"] == "workers"
    # the driver's time in the batch phase: blocked on the workers, unpacking, its own handling
    assert 0 < timings["batches_blocked"] + timings["batches_unpack"] <= timings["batches_wait"] <= timings["batches"]
    assert list(timings["merge_stages"]) == ["actors", "attacks", "milestones"]  # the tasks' own times too
    assert all(v > 0 for v in timings["merge_stages"].values())
    _same_csvs(refs["synth"], out)
    assert [line.split(":")[0] for line in logs[1:]] == ["actors", "attacks", "milestones"]
    assert not (out / ".spill").exists()
    assert len(pd.read_parquet(out / "parquet" / "milestones")) == len(pd.read_csv(out / "milestones.csv"))
    again = {}
    shutil.rmtree(out)
    pipeline.build(synth[0], out, verify=False, engine="dask", scheduler=cluster.scheduler_address,
                   batch_mb=0.05, return_tables=False, cache=cache, log=lambda *a: None, timings=again)
    assert again["merge_cached"] and again["merged_on"] == "driver"  # nothing left to merge
    _same_csvs(refs["synth"], out)


def test_dask_merges_stay_in_the_driver_when_the_workers_do_not_see_its_files(tmp_path, cluster, synth, refs,
                                                                               monkeypatch):
    from iraqkit import engine_dask

    client = _client_of(cluster)
    try:
        assert engine_dask.Session(client=client).shares(tmp_path)  # the probe file is read back
        assert not list(tmp_path.iterdir())  # and removed
    finally:
        client.close()
    monkeypatch.setattr(engine_dask.Session, "shares", lambda self, directory: False)
    timings = {}
    pipeline.build(synth[0], tmp_path / "out", verify=False, engine="dask", scheduler=cluster.scheduler_address,
                   batch_mb=0.05, return_tables=False, log=lambda *a: None, timings=timings)
    assert timings["merged_on"] == "driver"
    _same_csvs(refs["synth"], tmp_path / "out")


def test_a_merge_that_fails_on_a_worker_fails_the_build_and_leaves_no_spill(tmp_path, cluster, synth):
    """The attack merge runs on a worker here (the driver writes the milestones): when it
    cannot write ``attacks.csv`` (a folder of that name is in the way) the build raises that
    error in the driver and the spill directory is removed."""
    pytest.importorskip("pyarrow")
    out = tmp_path / "out"
    (out / "attacks.csv").mkdir(parents=True)
    (out / "attacks.csv" / "keep").write_text("x", encoding="utf-8")
    timings = {}
    with pytest.raises(OSError):
        pipeline.build(synth[0], out, verify=False, engine="dask", scheduler=cluster.scheduler_address,
                       batch_mb=0.05, return_tables=False, log=lambda *a: None, timings=timings)
    assert not (out / ".spill").exists()
    assert (out / "attacks.csv" / "keep").read_text(encoding="utf-8") == "x"
    assert (out / "milestones.csv").exists()  # the driver's own merge ran meanwhile


def test_a_worker_that_does_not_see_the_probe_file_is_reported(tmp_path, cluster):
    """:meth:`Session.shares` asks every worker for the probe file's text: a directory the
    workers see gives the driver's token back, a file they do not find gives None."""
    from iraqkit import engine_dask

    client = _client_of(cluster)
    try:
        (tmp_path / "probe").write_text("token-1", encoding="utf-8")
        assert set(client.run(engine_dask._read_probe, str(tmp_path / "probe")).values()) == {"token-1"}
        assert set(client.run(engine_dask._read_probe, str(tmp_path / "absent")).values()) == {None}
        assert len(client.run(engine_dask._read_probe, str(tmp_path / "probe"))) == 2
    finally:
        client.close()


def _client_of(cluster):
    from dask.distributed import Client

    return Client(cluster.scheduler_address)


def test_dask_is_not_imported_by_the_local_engine(tmp_path):
    import subprocess

    code = ("import sys; from iraqkit.pipeline import build; "
            f"build({str(RAW)!r}, {str(tmp_path)!r}, stages=['ingest'], log=lambda *a: None); "
            "print('dask' in sys.modules)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                       env=dict(os.environ, IRAQKIT_PROGRESS="0"))
    assert r.stdout.strip() == "False", r.stderr


def test_a_duplicate_names_the_first_file_and_results_come_in_file_order(tmp_path, monkeypatch):
    raw = tmp_path / "raw"
    raw.mkdir()
    src = sorted(RAW.glob("*.txt"))[0]
    for name in ("a.txt", "b.txt", "c.txt"):
        shutil.copy(src, raw / name)
    kw = dict(stages=["ingest"], verify=False, progress=False, log=lambda *a: None)
    t = pipeline.build(raw, tmp_path / "out", **kw)
    q = t["quarantine"]
    assert list(q["source_file"]) == ["b.txt", "c.txt"]
    assert set(q["reason"]) == {"duplicate"} and set(q["detail"]) == {"same article text as a.txt"}
    assert list(dict.fromkeys(t["documents"]["source_file"])) == ["a.txt"]
    # the driver keeps a file's position, not its name: results must come in file order
    monkeypatch.setattr(pipeline, "_local_runner", lambda batches, cfg, **_: (
        list(reversed(pipeline.process_batch(b, cfg))) for b in batches))
    with pytest.raises(RuntimeError, match="c.txt out of order"):
        pipeline.build(raw, tmp_path / "out2", **kw)
