"""Benchmark the build engine (and optionally the report) and write BENCHMARKS.md.

    .venv/bin/python benchmarks/bench.py --size 10MB            # quick
    .venv/bin/python benchmarks/bench.py --size 10MB --size 100MB --report
    .venv/bin/python benchmarks/bench.py --size 1GB             # full (hours on 2 cores)

For each size a synthetic corpus is generated deterministically (``benchmarks/corpus.py``,
seeded) under ``--work`` (default ``build/bench``) and reused by later runs. Every
measurement runs as a subprocess; peak RSS is read from ``os.wait4`` (the largest single
process of the tree: ``ru_maxrss``) and by sampling the process tree with psutil (sum
over the build and its Dask workers). Measured, in the same run:

* floor: read + decode + normalise + sentence split (``benchmarks/floor.py``);
* full pipeline, in-process engine, every stage, from an empty cache (it writes the cache, as
  a first build does; with ``--no-cache-runs``, no cache at all);
* full pipeline, ``--engine dask --workers 2``, no cache;
* cached rebuild of the unchanged corpus, and a rebuild after adding one file, with the
  cache's size on disk after the first build and after the file was added;
* with ``--report``: ``make report`` on the warm venv against executing four trivial
  notebooks (import pandas and matplotlib, save one figure) with the same nbconvert call;
* with ``--parallel``: the 10 MB in-process build alone, then two at once: the most any
  2-worker engine can get out of this machine's cores.

Each build also records its CPU seconds (all its processes, from ``os.wait4``) and where its
time went (``iraqkit build --timings``).

Results accumulate in ``benchmarks/results.json`` (one entry per size and measurement;
a new run replaces the entries it measures and keeps the others, so ``--engines dask`` and
``--engines local`` can measure one size in two runs) and BENCHMARKS.md is regenerated from them
plus ``benchmarks/notes.md`` (profiles, before/after).
"""
from __future__ import annotations

import argparse
import concurrent.futures
import datetime as dt
import functools
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
import corpus  # noqa: E402

PY = sys.executable
RESULTS = HERE / "results.json"
NOTES = HERE / "notes.md"
OUT_MD = ROOT / "BENCHMARKS.md"

TARGETS = {
    "per_core": 2.0,        # full pipeline MB/s per core
    "floor_ratio": 8.0,     # full pipeline within 8x the floor
    "dask_speedup": 1.6,    # dask on 2 workers vs in-process (1 GB corpus)
    "report_ratio": 2.0,    # make report within 2x four trivial notebooks
    "rss_flat": 1.5,        # peak RSS 10 MB vs 1 GB within 1.5x
}


def run(cmd: list[str], cwd: Path = ROOT, env: dict | None = None) -> dict:
    """Run a command; wall time, exit code, output, peak RSS (max single process via
    wait4, and peak of the summed RSS of the process tree, sampled every 0.1 s)."""
    import psutil

    e = dict(os.environ, IRAQKIT_PROGRESS="0", PYTHONHASHSEED="0", MPLBACKEND="Agg")
    if SNAPSHOT.get("path"):
        e["PYTHONPATH"] = SNAPSHOT["path"]
        if cwd == ROOT:  # `python -m` puts the working folder first on sys.path
            cwd = Path(SNAPSHOT["path"])
    e.update(env or {})
    out = tempfile.TemporaryFile()
    err = tempfile.TemporaryFile()
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, cwd=cwd, env=e, stdout=out, stderr=err)
    peak = {"tree": 0}
    stop = threading.Event()

    def sample():
        try:
            proc = psutil.Process(p.pid)
        except psutil.Error:
            return
        while not stop.is_set():
            try:
                total = proc.memory_info().rss
                for c in proc.children(recursive=True):
                    try:
                        total += c.memory_info().rss
                    except psutil.Error:
                        pass
                peak["tree"] = max(peak["tree"], total)
            except psutil.Error:
                return
            stop.wait(0.1)

    th = threading.Thread(target=sample, daemon=True)
    th.start()
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    stop.set()
    th.join()
    p.returncode = os.waitstatus_to_exitcode(status)
    out.seek(0)
    err.seek(0)
    # wait4's usage includes the descendants the command waited for (Dask's workers too)
    res = {"cmd": " ".join(map(str, cmd)), "seconds": round(wall, 3), "rc": p.returncode,
           "cpu_seconds": round(ru.ru_utime + ru.ru_stime, 1),
           "maxrss_mb": round(ru.ru_maxrss / 1024, 1), "tree_rss_mb": round(peak["tree"] / 2 ** 20, 1),
           "stdout": out.read().decode("utf-8", "replace")[-4000:],
           "stderr": err.read().decode("utf-8", "replace")[-4000:]}
    if p.returncode != 0:
        raise SystemExit(f"failed ({p.returncode}): {res['cmd']}\n{res['stderr']}")
    return res


SNAPSHOT: dict = {}


def snapshot_code(work: Path) -> str:
    """Copy iraqkit/ (with a link to data/) under ``work`` and run every measurement of this
    run against that copy, so edits made to the package while the benchmark runs do not
    change the code (or the cache key) half-way."""
    d = work / "snapshot"
    shutil.rmtree(d, ignore_errors=True)
    d.mkdir(parents=True)
    shutil.copytree(ROOT / "iraqkit", d / "iraqkit", ignore=shutil.ignore_patterns("__pycache__"))
    (d / "data").symlink_to(ROOT / "data")
    SNAPSHOT["path"] = str(d)
    return str(d)


def code_commit() -> str:
    """The commit the measured code comes from (``+dirty`` when iraqkit/ has uncommitted edits)."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                              text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "iraqkit"], cwd=ROOT, capture_output=True,
                               text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("+dirty" if dirty else "")


def code_tree(commit: str) -> str:
    """The git tree id of iraqkit/ (``+dirty`` when ``commit``, from :func:`code_commit`, is):
    two runs measured the same code when these are equal, whatever else was committed in between."""
    try:
        tree = subprocess.run(["git", "rev-parse", "HEAD:iraqkit"], cwd=ROOT, capture_output=True,
                              text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return tree + ("+dirty" if commit.endswith("+dirty") else "")


def ensure_corpus(work: Path, size: int, seed: int) -> tuple[Path, dict]:
    d = work / f"corpus-{size}-s{seed}"
    stamp = d / ".corpus.json"
    if stamp.exists():
        return d, json.loads(stamp.read_text())
    shutil.rmtree(d, ignore_errors=True)
    info = corpus.generate(d, size, seed)
    stamp.write_text(json.dumps(info))
    return d, info


def tree_mb(d: Path) -> float:
    """The bytes of the files under ``d`` (their sizes, not the disk blocks), in MB."""
    return round(sum(p.stat().st_size for p in d.rglob("*") if p.is_file()) / 2 ** 20, 1) if d.is_dir() else 0.0


def _counts(stdout: str) -> dict:
    m = re.search(r"ingest: (\d+) files -> (\d+) ingested \((\d+) documents, (\d+) sentences\), (\d+) quarantined",
                  stdout)
    if not m:
        return {}
    return dict(zip(("files", "ingested", "documents", "sentences", "quarantined"), map(int, m.groups())))


def phases(path: Path) -> dict:
    """The seconds per phase a build wrote with ``--timings`` (see
    :func:`iraqkit.pipeline.describe_timings`), rounded; the file is removed."""
    t = json.loads(path.read_text(encoding="utf-8"))
    path.unlink()
    keep = ("setup", "batches", "batches_wait", "batches_blocked", "batches_unpack", "merge", "total")
    return {**{k: round(t[k], 1) for k in keep if k in t}, "merged_on": t["merged_on"],
            "merge_stages": {k: round(v, 1) for k, v in t["merge_stages"].items()}}


def bench_size(size: int, work: Path, seed: int, workers: int, engines: list[str],
               cache_runs: bool = True) -> dict:
    raw, info = ensure_corpus(work, size, seed)
    mb = info["bytes"] / 2 ** 20
    commit = code_commit()
    stamp = {"commit": commit, "tree": code_tree(commit), "cpu": cpu_name()}
    res: dict = {"size": size, "mb": round(mb, 2), "corpus": info, **stamp,
                 "when": dt.datetime.now().strftime("%Y-%m-%d %H:%M")}

    def now() -> dict:  # every measurement says which code it ran and when
        return {**stamp, "when": dt.datetime.now().strftime("%Y-%m-%d %H:%M")}
    print(f"[{size}] corpus {raw}: {info['files']} files, {mb:.1f} MB", flush=True)
    r = run([PY, str(HERE / "floor.py"), "--raw", str(raw)])
    f = json.loads(r["stdout"].strip().splitlines()[-1])
    res["floor"] = {"seconds": r["seconds"], "inner_seconds": round(f["seconds"], 3),
                    "mb_s": round(mb / r["seconds"], 3), "maxrss_mb": r["maxrss_mb"], **now()}
    print(f"[{size}] floor {res['floor']}", flush=True)
    base = [PY, "-m", "iraqkit", "build", "--raw", str(raw), "--no-verify", "--no-progress"]
    if "local" in engines:
        # in-process build with an empty cache (the cache write is part of a normal first build),
        # then the unchanged rebuild and a rebuild with one file added
        out = work / f"out-local-{size}"
        shutil.rmtree(out, ignore_errors=True)
        # without the cached rebuilds there is no point in writing the cache; a build that writes
        # it spends about 8 % of its time on that (timed inside a 10 MB build at bb69a93), so the
        # 10 MB figure, which includes it, is not quite comparable with the 1 GB run's
        tf = work / f"timings-local-{size}.json"
        r = run(base + ["--out", str(out), "--timings", str(tf)] + ([] if cache_runs else ["--no-cache"]))
        c = _counts(r["stdout"])
        res["local"] = {"seconds": r["seconds"], "mb_s": round(mb / r["seconds"], 4),
                        "mb_s_core": round(mb / r["seconds"], 4), "docs_s": round(c.get("documents", 0) / r["seconds"], 2),
                        "maxrss_mb": r["maxrss_mb"], "tree_rss_mb": r["tree_rss_mb"], "counts": c,
                        "cpu_seconds": r["cpu_seconds"], "phases": phases(tf),
                        "log": r["stdout"].strip().splitlines(), **now()}
        print(f"[{size}] local {res['local']['seconds']} s", flush=True)
    if "local" in engines and cache_runs:
        cold_mb = tree_mb(out / ".cache")
        warm = run(base + ["--out", str(out)])
        added = raw / "zzzz_added_one.txt"
        shutil.copy(sorted((ROOT / "data" / "raw").iterdir())[0], added)
        try:
            plus = run(base + ["--out", str(out)])
        finally:
            added.unlink()
        res["cache"] = {"cold_seconds": r["seconds"], "warm_seconds": warm["seconds"],
                        "warm_fraction": round(warm["seconds"] / r["seconds"], 4),
                        "add_one_seconds": plus["seconds"], "warm_maxrss_mb": warm["maxrss_mb"],
                        "cache_mb": cold_mb, "cache_mb_after_add": tree_mb(out / ".cache"), **now()}
        run(base + ["--out", str(out)])  # leave the output of the unchanged corpus for the comparison
        print(f"[{size}] cache {res['cache']}", flush=True)
    if "dask" in engines:
        out = work / f"out-dask-{size}"
        shutil.rmtree(out, ignore_errors=True)
        tf = work / f"timings-dask-{size}.json"
        r = run(base + ["--out", str(out), "--no-cache", "--engine", "dask", "--workers", str(workers),
                        "--timings", str(tf)])
        c = _counts(r["stdout"])
        res["dask"] = {"workers": workers, "seconds": r["seconds"], "mb_s": round(mb / r["seconds"], 4),
                       "mb_s_core": round(mb / r["seconds"] / workers, 4),
                       "docs_s": round(c.get("documents", 0) / r["seconds"], 2),
                       "maxrss_mb": r["maxrss_mb"], "tree_rss_mb": r["tree_rss_mb"], "counts": c,
                       "cpu_seconds": r["cpu_seconds"], "phases": phases(tf), **now()}
        print(f"[{size}] dask {res['dask']}", flush=True)
    return res


def _same_run(local: dict, dask: dict) -> bool:
    """The two measurements ran the same code (``tree``) on the same CPU."""
    return bool(local.get("tree")) and local.get("tree") == dask.get("tree") and local.get("cpu") == dask.get("cpu")


def dask_partner(r: dict) -> dict | None:
    """The in-process measurement a size's Dask run compares with: the size's own, or the one
    it was paired with when a later in-process run (other code or machine) replaced that."""
    dk, lo = r.get("dask"), r.get("local")
    if not dk:
        return None
    if "paired_local" in dk and not (lo and _same_run(lo, dk)):
        return dk["paired_local"]
    return lo


def merge_size(old: dict, new: dict, work: Path) -> dict:
    """One size's entry after a run: the measurements the run made (floor, local, cache, dask) replace
    the old ones, the others are kept (so the engines of the 1 GB corpus can be measured in two runs).
    Dask's tables are compared with the in-process ones whenever both were built by the same code."""
    for k in ("floor", "local", "cache", "dask"):  # kept from an older run: keep its stamp too
        if k in old and k not in new and "commit" not in old[k]:
            old[k] = {**old[k], "commit": old.get("commit", ""), "when": old.get("when", ""),
                      "cpu": old.get("cpu", "")}
    # an in-process run replacing the one a kept Dask run was measured against (other code or
    # another machine): the Dask entry keeps that partner (its time, stamp and the tables'
    # comparison), so its speed-up stays a ratio of two runs of one code on one machine
    dk_old, lo_old = old.get("dask"), old.get("local")
    if "local" in new and "dask" not in new and dk_old and lo_old and "paired_local" not in dk_old \
            and _same_run(lo_old, dk_old) and not _same_run(new["local"], dk_old):
        old = {**old, "dask": {**dk_old, "paired_local": {
            k: lo_old[k] for k in ("seconds", "maxrss_mb", "commit", "when", "cpu", "tree") if k in lo_old}}}
    merged = {**old, **new}
    lo, dk = merged.get("local"), merged.get("dask")
    if dk is not None and "paired_local" in dk and lo and _same_run(lo, dk):
        dk = merged["dask"] = {k: v for k, v in dk.items() if k != "paired_local"}
    if dk is not None and "paired_local" not in dk:
        dk.pop("identical_to_local", None)
        a, b = work / f"out-local-{merged['size']}", work / f"out-dask-{merged['size']}"
        if lo and lo.get("tree") and lo.get("tree") == dk.get("tree") and a.is_dir() and b.is_dir():
            csvs = sorted(b.glob("*.csv"))
            dk["identical_to_local"] = bool(csvs) and all(
                (a / p.name).is_file() and (a / p.name).read_bytes() == p.read_bytes() for p in csvs)
    return merged


TRIVIAL_NB = {
    "cells": [{"cell_type": "code", "execution_count": None, "id": "c1", "metadata": {}, "outputs": [],
               "source": "import pandas as pd\nimport matplotlib\nmatplotlib.use('Agg')\n"
                         "import matplotlib.pyplot as plt\nfig, ax = plt.subplots()\n"
                         "ax.plot(pd.Series([1, 2, 3]))\nfig.savefig('fig.png')\n"}],
    "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}},
    "nbformat": 4, "nbformat_minor": 5,
}


def bench_parallel(work: Path, seed: int, rounds: int = 2, size: int = 10 * 2 ** 20) -> dict:
    """How much two processes get out of this machine's cores: the in-process build of the
    ``size`` corpus alone, then two of them at once, ``rounds`` times interleaved. Two
    workers cannot beat ``ceiling`` = 2 × alone / the pair's wall time however little the
    engine adds (on a machine whose cores share a physical core, a cache or a power budget,
    each process runs slower when the other runs)."""
    raw, _ = ensure_corpus(work, size, seed)
    base = [PY, "-m", "iraqkit", "build", "--raw", str(raw), "--no-verify", "--no-progress", "--no-cache"]
    alone, pair = [], []
    for _ in range(rounds):
        alone.append(run(base + ["--out", str(work / "par-0")])["seconds"])
        t0 = time.perf_counter()
        with concurrent.futures.ThreadPoolExecutor(2) as ex:
            list(ex.map(lambda i: run(base + ["--out", str(work / f"par-{i}")]), (1, 2)))
        pair.append(round(time.perf_counter() - t0, 3))
        print(f"[parallel] alone {alone[-1]} s, two at once {pair[-1]} s", flush=True)
    for i in range(3):
        shutil.rmtree(work / f"par-{i}", ignore_errors=True)
    a, b = statistics.median(alone), statistics.median(pair)
    return {"size": size, "alone": alone, "pair": pair, "ceiling": round(2 * a / b, 2), "cpu": cpu_name(),
            "commit": code_commit(), "when": dt.datetime.now().strftime("%Y-%m-%d %H:%M")}


def bench_report(repeat: int = 3) -> dict:
    """``make report`` against four trivial notebooks, ``repeat`` rounds of the three runs
    interleaved (trivial by nbconvert, trivial by the report's runner, the report), medians
    reported: one run of each moves by a few tenths of a second from run to run."""
    jupyter = ROOT / ".venv" / "bin" / "jupyter"
    samples: dict[str, list[float]] = {"trivial": [], "runner": [], "report": []}
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as d:
            nbs = []
            for i in range(4):
                p = Path(d) / f"0{i}_trivial.ipynb"
                p.write_text(json.dumps(TRIVIAL_NB))
                nbs.append(str(p))
            loop = " && ".join(f"{jupyter} nbconvert --to notebook --execute --inplace "
                               f"--ExecutePreprocessor.timeout=900 {nb}" for nb in nbs)
            samples["trivial"].append(run(["bash", "-c", loop], cwd=Path(d))["seconds"])
            # the same runner `make report` uses (one process, a fresh kernel per notebook): the
            # fair floor, since it pays the same start-up costs as the report
            samples["runner"].append(run([PY, "-m", "iraqkit.nbtools", "run", *nbs], cwd=Path(d))["seconds"])
        saved = SNAPSHOT.pop("path", None)
        try:
            samples["report"].append(run(["make", "report"])["seconds"])
        finally:
            if saved:
                SNAPSHOT["path"] = saved
    med = {k: round(statistics.median(v), 3) for k, v in samples.items()}
    return {"make_report_seconds": med["report"], "trivial_seconds": med["trivial"],
            "ratio": round(med["report"] / med["trivial"], 2),
            "trivial_runner_seconds": med["runner"],
            "ratio_runner": round(med["report"] / med["runner"], 2),
            "repeat": repeat, "samples": samples,
            "notebooks": sorted(p.name for p in (ROOT / "notebooks").glob("0*.ipynb")),
            "commit": code_commit(), "when": dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
            "cpu": cpu_name()}


def backfill_cpu(results: dict) -> dict:
    """Results written before measurements named their CPU ran on the one machine the file
    named: give each of them that CPU (idempotent)."""
    cpu = results.get("machine", {}).get("cpu", "")
    for entry in results.get("sizes", {}).values():
        entry.setdefault("cpu", cpu)
        for k in ("floor", "local", "cache", "dask"):
            if isinstance(entry.get(k), dict):
                entry[k].setdefault("cpu", entry["cpu"])
    if results.get("report"):
        results["report"].setdefault("cpu", cpu)
    return results


@functools.lru_cache(maxsize=1)
def cpu_name() -> str:
    """The CPU's model name (``/proc/cpuinfo``, else ``platform.processor()``)."""
    try:
        for ln in Path("/proc/cpuinfo").read_text().splitlines():
            if ln.startswith("model name"):
                return ln.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def machine() -> dict:
    import psutil

    cpu = cpu_name()
    vers = {}
    for mod in ("pandas", "numpy", "pyarrow", "dask", "distributed", "tqdm", "psutil"):
        try:
            vers[mod] = __import__(mod).__version__
        except ImportError:
            vers[mod] = "not installed"
    return {"cpu": cpu, "cores": os.cpu_count(), "ram_gb": round(psutil.virtual_memory().total / 2 ** 30, 1),
            "os": platform.platform(), "python": platform.python_version(), "versions": vers}


def _parallel_lines(par: dict | None) -> list[str]:
    """The machine section's line on what two processes get out of its cores."""
    if not par:
        return ["- two processes at once: not measured (`--parallel`)"]
    return [f"- two processes at once ({par['cpu']}, {par['when']}, `{par['commit']}`): the "
            f"{_fmt_size(par['size'])} in-process build took {', '.join(f'{x:g}' for x in par['alone'])} s alone and "
            f"{', '.join(f'{x:g}' for x in par['pair'])} s for two at once, so two workers can reach at most "
            f"**{par['ceiling']}×** one on this machine, whatever the engine"]


def _fmt_size(n: int) -> str:
    for unit, k in (("GB", 2 ** 30), ("MB", 2 ** 20), ("KB", 2 ** 10)):
        if n >= k:
            return f"{n / k:g} {unit}"
    return f"{n} B"


def _measured(r: dict) -> str:
    """Commit, time and CPU of a size's measurements: one stamp, or one per engine when they differ."""
    stamps = {k: (r[k].get("commit", r.get("commit", "")), r[k].get("when", r.get("when", "")),
                  r[k].get("cpu", r.get("cpu", "")))
              for k in ("local", "dask") if r.get(k)}
    if len(set(stamps.values())) <= 1:
        return f"{r.get('commit', '')} {r.get('when', '')}, {r.get('cpu', '')}"
    return "; ".join(f"{k}: {c} {w}, {u}" for k, (c, w, u) in stamps.items())


def write_md(results: dict) -> None:
    m = results.get("machine", {})
    sizes = sorted(results.get("sizes", {}).values(), key=lambda r: r["size"])
    L = ["# Benchmarks", "",
         "Generated by `benchmarks/bench.py` (do not edit by hand; notes come from `benchmarks/notes.md`).",
         "Synthetic corpora: `benchmarks/corpus.py` (seeded; real articles of `data/raw` recombined, dates shifted,",
         "UTF-8 / UTF-8 BOM / UTF-16 / cp1256 / CRLF / HTML, about 4 % broken files).", "",
         "## Machine", "",
         "Each measurement names the CPU it ran on (the last column of the table, and the report's line). "
         "The sandbox's machine changed between rounds: ratios measured side by side on one machine "
         "compare; seconds measured on different machines do not.", "",
         f"- last run on: {m.get('cpu')} — {m.get('cores')} cores; RAM {m.get('ram_gb')} GB",
         f"- OS: {m.get('os')}; Python {m.get('python')}",
         "- " + ", ".join(f"{k} {v}" for k, v in m.get("versions", {}).items()),
         f"- measured: {results.get('when', '')}", *_parallel_lines(results.get("parallel")), "",
         "## Sizes measured", "",
         "Only the sizes in this table were run; nothing is extrapolated. "
         + ("The 1 GB corpus was **not** measured." if not any(r["size"] >= 2 ** 30 for r in sizes) else "")
         + "".join(f" At {_fmt_size(r['size'])} the Dask engine was **not** run (in-process only)."
                   for r in sizes if r.get("local") and not r.get("dask")), "",
         "| corpus | files | floor MB/s | in-process s | in-process MB/s/core | docs/s | × floor | dask(2) s | dask MB/s/core | dask speed-up | peak RSS in-process (MB) | peak RSS dask tree (MB) | dask = in-process | code, measured |",
         "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in sizes:
        fl, lo, dk = r.get("floor", {}), r.get("local", {}), r.get("dask", {})
        ratio = round(fl["mb_s"] / lo["mb_s"], 1) if lo and fl else ""
        pl = dask_partner(r)
        sp = round(pl["seconds"] / dk["seconds"], 2) if pl and dk else ""
        if pl is not None and pl is not lo:
            sp = f"{sp} (against the in-process run of {pl.get('commit', '?')}, {pl.get('cpu', '?')}: {pl['seconds']} s)"
        L.append(f"| {_fmt_size(r['size'])} ({r['mb']} MB) | {r['corpus']['files']} | {fl.get('mb_s', '')} | "
                 f"{lo.get('seconds', '')} | {lo.get('mb_s_core', '')} | {lo.get('docs_s', '')} | {ratio} | "
                 f"{dk.get('seconds', '')} | {dk.get('mb_s_core', '')} | {sp} | {lo.get('maxrss_mb', '')} | "
                 f"{dk.get('tree_rss_mb', '')} | {dk.get('identical_to_local', '')} | "
                 f"{_measured(r)} |")
    timed = [(r, e, r[e]["phases"]) for r in sizes for e in ("local", "dask") if r.get(e, {}).get("phases")]
    if timed:
        L += ["", "## Where the time went", "",
              "From the build's `--timings` (`iraqkit.pipeline.describe_timings`). *Batches*: the per-document "
              "stages. In-process, *getting results* is computing them; on Dask it is the driver's time blocked "
              "on the workers plus unpacking what they sent. *Driver's handling* is the rest of the batch phase: "
              "the ingest tables, the article texts, the sorted runs. *Cross-document steps*: the merges, "
              "with each stage's own time (on Dask they run side by side on the workers).", "",
              "| corpus | engine | total s | CPU s (all processes) | batches s | getting results s "
              "| of which blocked on workers s | unpacking s | driver's handling s | cross-document steps s "
              "| per stage s | code, measured |",
              "|---|---|---|---|---|---|---|---|---|---|---|---|"]
        for r, e, ph in timed:
            st = ", ".join(f"{k} {v}" for k, v in ph["merge_stages"].items())
            L.append(f"| {_fmt_size(r['size'])} | {e} | {ph['total']} | {r[e].get('cpu_seconds', '')} | "
                     f"{ph['batches']} | {ph['batches_wait']} | "
                     f"{ph.get('batches_blocked', '')} | {ph.get('batches_unpack', '')} | "
                     f"{round(ph['batches'] - ph['batches_wait'], 1)} | {ph['merge']} ({ph['merged_on']}) | {st} | "
                     f"{r[e].get('commit', '')} {r[e].get('when', '')} |")
    L += ["", "## Cache (incremental builds)", "",
          "| corpus | first build with cache (s) | unchanged rebuild (s) | fraction | one file added (s) "
          "| cache on disk after the first build (MB) | after one file added (MB) |",
          "|---|---|---|---|---|---|---|"]
    for r in sizes:
        c = r.get("cache")
        if c:
            L.append(f"| {_fmt_size(r['size'])} | {c['cold_seconds']} | {c['warm_seconds']} | {c['warm_fraction']} | "
                     f"{c['add_one_seconds']} | {c.get('cache_mb', 'not measured')} "
                     f"| {c.get('cache_mb_after_add', 'not measured')} |")
    rep = results.get("report")
    L += ["", "## Report", ""]
    if rep:
        when = (f" Measured {rep['when']}, commit `{rep['commit']}`, on {rep.get('cpu', '')}."
                if rep.get("commit") else "")
        rounds = (f" Medians of {rep['repeat']} interleaved rounds (report: "
                  + ", ".join(f"{x:g}" for x in rep["samples"]["report"]) + " s; trivial by the same runner: "
                  + ", ".join(f"{x:g}" for x in rep["samples"]["runner"]) + " s).") if rep.get("repeat") else ""
        L += [f"`make report` (warm venv; notebooks {', '.join(rep['notebooks'])}): {rep['make_report_seconds']} s.{when}{rounds} "
              "Four trivial notebooks (import pandas + matplotlib, save one figure):", "",
              f"- run by the same runner as `make report` (`python -m iraqkit.nbtools run`, one process, a fresh "
              f"kernel per notebook): {rep.get('trivial_runner_seconds', 'not measured')} s; "
              f"ratio **{rep.get('ratio_runner', 'n/a')}** (the fair comparison: both pay the same start-ups);",
              f"- run as four `jupyter nbconvert --execute` calls: {rep['trivial_seconds']} s; ratio {rep['ratio']} "
              "(flatters the report, which no longer starts a process per notebook)."]
    else:
        L += ["Not measured (run with `--report`)."]
    # targets
    L += ["", "## Targets", "", "| target | measured | met? | on |", "|---|---|---|---|"]

    def cpu(*ms) -> str:  # the CPU(s) a row's measurements ran on
        return " / ".join(dict.fromkeys(x.get("cpu", "") for x in ms if x))

    for r in sizes:
        fl, lo = r.get("floor"), r.get("local")
        if fl and lo:
            L.append(f"| full pipeline ≥ {TARGETS['per_core']} MB/s per core ({_fmt_size(r['size'])}) | "
                     f"{lo['mb_s_core']} | {'yes' if lo['mb_s_core'] >= TARGETS['per_core'] else 'no'} | {cpu(lo)} |")
            ratio = fl["mb_s"] / lo["mb_s"]
            L.append(f"| full pipeline within {TARGETS['floor_ratio']:g}× the floor ({_fmt_size(r['size'])}) | "
                     f"{ratio:.1f}× | {'yes' if ratio <= TARGETS['floor_ratio'] else 'no'} | {cpu(fl, lo)} |")
        pl = dask_partner(r)
        if r.get("dask") and pl:
            sp = pl["seconds"] / r["dask"]["seconds"]
            note = "" if r["size"] >= 2 ** 30 else " (target is for 1 GB; this size only indicative)"
            if pl is not lo:
                note += (f" (against the in-process run it was measured with: {pl.get('commit', '?')}, "
                         f"{pl['seconds']} s; the in-process figures above are newer)")
            elif pl.get("tree") != r["dask"].get("tree"):
                note += (f" (the engines ran different code: in-process {pl.get('commit', '?')}, "
                         f"dask {r['dask'].get('commit', '?')})")
            L.append(f"| dask 2 workers ≥ {TARGETS['dask_speedup']}× in-process ({_fmt_size(r['size'])}){note} | "
                     f"{sp:.2f}× | {'yes' if sp >= TARGETS['dask_speedup'] else 'no'} | {cpu(pl, r['dask'])} |")
    if not any(dask_partner(r) and r["size"] >= 2 ** 30 for r in sizes):
        L.append(f"| dask 2 workers ≥ {TARGETS['dask_speedup']}× in-process (1 GB) | not measured | no | |")
    if rep:
        if "ratio_runner" in rep:
            L.append(f"| make report within {TARGETS['report_ratio']:g}× trivial notebooks (same runner) | "
                     f"{rep['ratio_runner']}× | {'yes' if rep['ratio_runner'] <= TARGETS['report_ratio'] else 'no'} | {cpu(rep)} |")
        L.append(f"| make report within {TARGETS['report_ratio']:g}× trivial notebooks (four nbconvert calls) | "
                 f"{rep['ratio']}× | {'yes' if rep['ratio'] <= TARGETS['report_ratio'] else 'no'} | {cpu(rep)} |")
    rss = [(r["size"], r["local"]) for r in sizes if r.get("local")]
    if len(rss) >= 2:
        (s0, a), (s1, b) = rss[0], rss[-1]
        flat = b["maxrss_mb"] / a["maxrss_mb"]
        L.append(f"| peak RSS flat in corpus size ({_fmt_size(s0)} vs {_fmt_size(s1)}; target is 10 MB vs 1 GB) | "
                 f"{a['maxrss_mb']} → {b['maxrss_mb']} MB ({flat:.2f}×) | "
                 f"{'yes' if flat <= TARGETS['rss_flat'] else 'no'} | {cpu(a, b)} |")
    if NOTES.exists():
        L += ["", NOTES.read_text(encoding="utf-8").rstrip()]
    OUT_MD.write_text("\n".join(L) + "\n", encoding="utf-8")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", action="append", help="corpus size, e.g. 10MB, 100MB, 1GB (repeatable; default 10MB)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--engines", default="local,dask")
    ap.add_argument("--work", type=Path, default=ROOT / "build" / "bench")
    ap.add_argument("--report", action="store_true", help="also time `make report` against trivial notebooks")
    ap.add_argument("--no-cache-runs", action="store_true",
                    help="skip the cached rebuilds (unchanged corpus, one file added): for the 1 GB run")
    ap.add_argument("--md-only", action="store_true", help="only regenerate BENCHMARKS.md from results.json")
    ap.add_argument("--parallel", action="store_true",
                    help="also measure what two processes get out of the cores (the 10 MB build alone, then "
                         "two at once): the ceiling of any 2-worker speed-up on this machine")
    ap.add_argument("--report-only", action="store_true",
                    help="only time the report (as --report), no build: the report needs a quiet machine "
                         "(it draws on a second core), the builds take hours at 1 GB")
    ap.add_argument("--report-repeat", type=int, default=3, metavar="N",
                    help="rounds of the report measurement (medians are reported; default 3)")
    a = ap.parse_args(argv)
    results = backfill_cpu(json.loads(RESULTS.read_text()) if RESULTS.exists() else {})
    if not a.md_only:
        a.work.mkdir(parents=True, exist_ok=True)
        if not a.report_only:  # the report always runs the working tree (`make report`)
            snapshot_code(a.work)
        results["machine"] = machine()
        results["when"] = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
        results.setdefault("sizes", {})
        # --parallel alone measures only that (no default size)
        for s in ([] if a.report_only else a.size or ([] if a.parallel else ["10MB"])):
            size = corpus.parse_size(s)
            new = bench_size(size, a.work, a.seed, a.workers, a.engines.split(","),
                             cache_runs=not a.no_cache_runs)
            results["sizes"][str(size)] = merge_size(results["sizes"].get(str(size), {}), new, a.work)
            RESULTS.write_text(json.dumps(results, indent=1, ensure_ascii=False))
            write_md(results)
        if a.parallel:
            results["parallel"] = bench_parallel(a.work, a.seed)
            RESULTS.write_text(json.dumps(results, indent=1, ensure_ascii=False))
        if a.report or a.report_only:
            results["report"] = bench_report(a.report_repeat)
            RESULTS.write_text(json.dumps(results, indent=1, ensure_ascii=False))
    write_md(results)
    print(f"wrote {OUT_MD}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
