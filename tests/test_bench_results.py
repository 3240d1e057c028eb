"""benchmarks/bench.py keeps the measurements a run did not make: the 1 GB engines can be measured
in two runs, and Dask's tables are compared with the in-process tables only when both came from the
same code."""
from bench_modules import _load

bench = _load("bench")


def _entry(**measured):
    return {"size": 7, "mb": 1.0, "corpus": {"files": 3}, "commit": "c", "tree": "t", "when": "w", "cpu": "X",
            **measured}


def _write(d, engine, text):
    out = d / f"out-{engine}-7"
    out.mkdir(exist_ok=True)
    (out / "attacks.csv").write_text(text, encoding="utf-8")


def test_a_run_of_one_engine_keeps_the_other(tmp_path):
    old = _entry(floor={"mb_s": 3.0}, local={"seconds": 100.0, "tree": "t1", "commit": "a", "when": "w1"},
                 cache={"warm_fraction": 0.2})
    new = _entry(floor={"mb_s": 3.1}, dask={"seconds": 60.0, "tree": "t1", "commit": "b", "when": "w2", "cpu": "Y"})
    m = bench.merge_size(old, new, tmp_path)
    assert m["local"]["seconds"] == 100.0
    assert m["cache"] == {"warm_fraction": 0.2, "commit": "c", "when": "w", "cpu": "X"}  # the old run's stamp
    assert m["dask"]["seconds"] == 60.0 and m["floor"]["mb_s"] == 3.1
    assert "identical_to_local" not in m["dask"]  # no output directories to compare
    assert bench._measured(m) == "local: a w1, X; dask: b w2, Y"


def test_older_results_get_the_cpu_their_file_named():
    res = {"machine": {"cpu": "Xeon"},
           "sizes": {"7": {"size": 7, "local": {"seconds": 1.0}, "dask": {"seconds": 1.0, "cpu": "EPYC"}}},
           "report": {"ratio": 2.0}}
    out = bench.backfill_cpu(res)
    assert out["sizes"]["7"]["cpu"] == "Xeon" and out["sizes"]["7"]["local"]["cpu"] == "Xeon"
    assert out["sizes"]["7"]["dask"]["cpu"] == "EPYC"  # a measurement's own CPU is kept
    assert out["report"]["cpu"] == "Xeon"
    assert bench.backfill_cpu(out) == out


def test_tables_are_compared_only_for_the_same_code(tmp_path):
    _write(tmp_path, "local", "x,y\n1,2\n")
    _write(tmp_path, "dask", "x,y\n1,2\n")
    old = _entry(local={"seconds": 100.0, "tree": "t1"})
    same = bench.merge_size(old, _entry(dask={"seconds": 60.0, "tree": "t1"}), tmp_path)
    assert same["dask"]["identical_to_local"] is True
    other = bench.merge_size(old, _entry(dask={"seconds": 60.0, "tree": "t2"}), tmp_path)
    assert "identical_to_local" not in other["dask"]
    _write(tmp_path, "dask", "x,y\n1,3\n")
    differ = bench.merge_size(old, _entry(dask={"seconds": 60.0, "tree": "t1"}), tmp_path)
    assert differ["dask"]["identical_to_local"] is False


def test_a_stale_comparison_is_dropped(tmp_path):
    old = _entry(local={"seconds": 1.0, "tree": "t1"}, dask={"seconds": 1.0, "tree": "t0", "identical_to_local": True})
    m = bench.merge_size(old, _entry(local={"seconds": 2.0, "tree": "t1"}), tmp_path)
    assert "identical_to_local" not in m["dask"]


def test_the_report_ratio_is_of_medians_over_interleaved_rounds(monkeypatch, tmp_path):
    seconds = iter([12.0, 7.0, 15.0,   # round 1: nbconvert x4, same runner, make report
                    13.0, 9.0, 14.0,   # round 2
                    11.0, 7.5, 30.0])  # round 3 (a slow report: the median ignores it)
    calls = []

    def fake_run(cmd, cwd=None, env=None):
        calls.append(cmd)
        return {"seconds": next(seconds)}

    monkeypatch.setattr(bench, "run", fake_run)
    rep = bench.bench_report(3)
    assert [c[-1] if c[0] == "make" else c[0] for c in calls[2::3]] == ["report"] * 3
    assert rep["samples"] == {"trivial": [12.0, 13.0, 11.0], "runner": [7.0, 9.0, 7.5], "report": [15.0, 14.0, 30.0]}
    assert (rep["make_report_seconds"], rep["trivial_runner_seconds"], rep["trivial_seconds"]) == (15.0, 7.5, 12.0)
    assert rep["ratio_runner"] == 2.0 and rep["ratio"] == 1.25
    monkeypatch.setattr(bench, "OUT_MD", tmp_path / "B.md")
    monkeypatch.setattr(bench, "NOTES", tmp_path / "none.md")
    bench.write_md({"machine": {}, "sizes": {}, "report": rep})
    md = (tmp_path / "B.md").read_text(encoding="utf-8")
    assert "Medians of 3 interleaved rounds (report: 15, 14, 30 s; trivial by the same runner: 7, 9, 7.5 s)" in md
    assert "| make report within 2× trivial notebooks (same runner) | 2.0× | yes |" in md


def test_the_dask_target_row_says_when_the_engines_ran_different_code(tmp_path, monkeypatch):
    monkeypatch.setattr(bench, "OUT_MD", tmp_path / "B.md")

    def size(dask_tree):
        return {"size": 2 ** 30, "mb": 1024.0, "corpus": {"files": 3}, "floor": {"mb_s": 4.0},
                "local": {"seconds": 460.0, "mb_s": 2.2, "mb_s_core": 2.2, "maxrss_mb": 300.0, "tree": "t1",
                          "commit": "new", "cpu": "A"},
                "dask": {"seconds": 400.0, "tree": dask_tree, "commit": "old", "cpu": "B"}}

    bench.write_md({"sizes": {"1": size("t0")}})
    row = [line for line in (tmp_path / "B.md").read_text(encoding="utf-8").splitlines()
           if line.startswith("| dask 2 workers")]
    assert row == ["| dask 2 workers ≥ 1.6× in-process (1 GB) (the engines ran different code: "
                   "in-process new, dask old) | 1.15× | no | A / B |"]
    bench.write_md({"sizes": {"1": size("t1")}})
    assert "| dask 2 workers ≥ 1.6× in-process (1 GB) | 1.15× | no | A / B |" in (tmp_path / "B.md").read_text(encoding="utf-8")


def test_a_new_in_process_run_keeps_the_dask_runs_partner(tmp_path, monkeypatch):
    # the 1 GB engines measured together on one machine, then the in-process build re-measured
    # on another machine with newer code: Dask's speed-up stays the ratio of its own pair
    old = {"size": 2 ** 30, "mb": 1024.0, "corpus": {"files": 3}, "floor": {"mb_s": 4.8},
           "local": {"seconds": 3500.0, "mb_s": 0.29, "mb_s_core": 0.29, "maxrss_mb": 310.0, "tree": "t0", "commit": "old",
                     "when": "w0", "cpu": "Xeon"},
           "dask": {"seconds": 2000.0, "tree": "t0", "commit": "old", "when": "w1", "cpu": "Xeon",
                    "identical_to_local": True}}
    new = {"size": 2 ** 30, "mb": 1024.0, "corpus": {"files": 3}, "commit": "new", "tree": "t1", "cpu": "EPYC",
           "when": "w2", "floor": {"mb_s": 4.0},
           "local": {"seconds": 5500.0, "mb_s": 0.19, "mb_s_core": 0.19, "maxrss_mb": 230.0, "tree": "t1", "commit": "new",
                     "when": "w2", "cpu": "EPYC"}}
    m = bench.merge_size(old, new, tmp_path)
    assert m["local"]["seconds"] == 5500.0
    assert m["dask"]["paired_local"] == {"seconds": 3500.0, "maxrss_mb": 310.0, "commit": "old", "when": "w0",
                                         "cpu": "Xeon", "tree": "t0"}
    assert m["dask"]["identical_to_local"] is True  # the comparison of its own pair, kept
    assert bench.dask_partner(m)["seconds"] == 3500.0
    monkeypatch.setattr(bench, "OUT_MD", tmp_path / "B.md")
    monkeypatch.setattr(bench, "NOTES", tmp_path / "none.md")
    bench.write_md({"sizes": {"1": m}})
    md = (tmp_path / "B.md").read_text(encoding="utf-8")
    assert ("| dask 2 workers ≥ 1.6× in-process (1 GB) (against the in-process run it was measured with: old, "
            "3500.0 s; the in-process figures above are newer) | 1.75× | yes | Xeon |") in md
    assert "| 1.75 (against the in-process run of old, Xeon: 3500.0 s) |" in md
    # a later in-process run on the Dask run's own code and machine is its partner again
    again = bench.merge_size(m, {**new, "tree": "t0", "local": {**new["local"], "tree": "t0", "cpu": "Xeon",
                                                                 "seconds": 3400.0}}, tmp_path)
    assert "paired_local" not in again["dask"] and bench.dask_partner(again)["seconds"] == 3400.0
    # a new in-process run with no pair to keep (the old engines already differed) changes nothing
    unpaired = bench.merge_size({**old, "dask": {**old["dask"], "tree": "tX"}}, new, tmp_path)
    assert "paired_local" not in unpaired["dask"] and "identical_to_local" not in unpaired["dask"]


def test_cpu_seconds_include_the_processes_a_command_waited_for():
    """Dask's workers are children of the build: their CPU time must count."""
    burn = ("import subprocess, sys; subprocess.run([sys.executable, '-c', "
            "'import time\\nt = time.process_time()\\nwhile time.process_time() - t < 0.6: pass'])")
    r = bench.run([bench.PY, "-c", burn])
    assert r["cpu_seconds"] >= 0.6
    assert r["cpu_seconds"] <= r["seconds"] + 0.1  # one process at a time


def test_the_phases_and_the_parallel_ceiling_reach_benchmarks_md(tmp_path, monkeypatch):
    tf = tmp_path / "t.json"
    tf.write_text('{"setup": 0.21, "batches": 50.04, "batches_wait": 40.26, "batches_blocked": 1.0,'
                  ' "batches_unpack": 2.55, "merge": 9.0, "total": 59.25, "merged_on": "workers",'
                  ' "merge_stages": {"actors": 8.04, "attacks": 3.0}, "files": 9}', encoding="utf-8")
    ph = bench.phases(tf)
    assert not tf.exists()
    assert ph == {"setup": 0.2, "batches": 50.0, "batches_wait": 40.3, "batches_blocked": 1.0, "batches_unpack": 2.5,
                  "merge": 9.0, "total": 59.2, "merged_on": "workers", "merge_stages": {"actors": 8.0, "attacks": 3.0}}
    res = {"sizes": {"7": _entry(dask={"seconds": 60.0, "cpu_seconds": 110.5, "phases": ph, "commit": "b",
                                       "when": "w2"})},
           "parallel": {"size": 10 * 2 ** 20, "alone": [80.0, 82.0], "pair": [110.0, 114.0], "ceiling": 1.44,
                        "cpu": "X", "commit": "c", "when": "w3"}}
    monkeypatch.setattr(bench, "OUT_MD", tmp_path / "B.md")
    monkeypatch.setattr(bench, "NOTES", tmp_path / "none.md")
    bench.write_md(res)
    md = (tmp_path / "B.md").read_text(encoding="utf-8")
    # the driver's handling is the batch phase less the time getting results: 50.0 - 40.3
    assert "| 7 B | dask | 59.2 | 110.5 | 50.0 | 40.3 | 1.0 | 2.5 | 9.7 | 9.0 (workers) | actors 8.0, attacks 3.0 | b w2 |" in md
    assert "took 80, 82 s alone and 110, 114 s for two at once, so two workers can reach at most **1.44×**" in md
