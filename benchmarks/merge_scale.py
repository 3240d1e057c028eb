"""Profile the cross-document merges (attacks, milestones) at sizes a build cannot reach
quickly.

The merges run once, at the end of a build, on every per-document row of the corpus. At
1 GB they took about a third of the build, against seconds at 10 MB: they grew faster than
the corpus. A 1 GB build takes well over an hour before the merges even start, so this
script separates the two:

``capture``  builds a corpus (in-process engine, no cache) and saves every batch of
             per-document frames the build hands to the streamed merges
             (:class:`iraqkit.merge_stream.AttackMerge`, :class:`~iraqkit.merge_stream.MilestoneMerge`),
             and prints how long each merge's ``write`` took in that build;
``replay``   feeds the saved batches ``--times K`` times to fresh merges, each copy's
             documents renamed (``doc_id`` + ``~k``): K copies of a corpus have the density of
             a corpus K times as large (the synthetic corpus recombines the same paragraphs,
             so the same events come back as the corpus grows), and prints the wall time,
             CPU time and peak RSS of each merge's ``write``; ``--profile`` writes a
             cProfile listing of the slowest functions.

Example (the figures in ``benchmarks/notes.md``)::

    python benchmarks/merge_scale.py capture --raw build/bench/corpus-104857600-s0 --dir build/merge-cap
    python benchmarks/merge_scale.py replay --dir build/merge-cap --times 10
"""
from __future__ import annotations

import argparse
import cProfile
import pickle
import pstats
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from iraqkit import merge_stream, pipeline  # noqa: E402

CLASSES = {"attacks": merge_stream.AttackMerge, "milestones": merge_stream.MilestoneMerge}


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def capture(raw: Path, directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    counters = {name: 0 for name in CLASSES}
    for name, cls in CLASSES.items():
        add, write = cls.add, cls.write

        def add_and_save(self, part, items, _name=name, _add=add):
            with open(directory / f"{_name}-{counters[_name]:06d}.pkl", "wb") as fh:
                pickle.dump((part, items), fh, protocol=pickle.HIGHEST_PROTOCOL)
            counters[_name] += 1
            return _add(self, part, items)

        def timed_write(self, *a, _name=name, _write=write, **k):
            t0, c0 = time.perf_counter(), time.process_time()
            try:
                return _write(self, *a, **k)
            finally:
                print(f"[capture] {_name} merge: {time.perf_counter() - t0:.1f} s wall, "
                      f"{time.process_time() - c0:.1f} s CPU", flush=True)

        cls.add, cls.write = add_and_save, timed_write
    with tempfile.TemporaryDirectory() as out:
        pipeline.build(raw, Path(out), verify=False, progress=False, cache=None, return_tables=False)
    print(f"[capture] saved {counters} batches to {directory}")


def _renamed(items, k: int):
    if k == 0:
        return items
    out = []
    for doc_id, df in items:
        df = df.copy()
        if "doc_id" in df.columns:
            df["doc_id"] = df["doc_id"].map(lambda d: d if not isinstance(d, str) else f"{d}~{k}")
        out.append((f"{doc_id}~{k}", df))
    return out


def replay(directory: Path, times: int, which: list[str], profile: Path | None, keep: Path | None = None) -> None:
    for name in which:
        files = sorted(directory.glob(f"{name}-*.pkl"))
        if not files:
            raise SystemExit(f"no captured batches for {name} in {directory} (run capture first)")
        work = Path(tempfile.mkdtemp(prefix=f"merge-{name}-"))
        try:
            m = CLASSES[name](work / "spill")
            t0 = time.perf_counter()
            for k in range(times):
                for f in files:
                    with open(f, "rb") as fh:
                        part, items = pickle.load(fh)
                    m.add(part, _renamed(items, k))
            t_add = time.perf_counter() - t0
            rss_before = _rss_mb()
            prof = cProfile.Profile() if profile else None
            t0, c0 = time.perf_counter(), time.process_time()
            if prof:
                prof.enable()
            out = keep if keep else work / "out"
            out.mkdir(parents=True, exist_ok=True)
            counts = m.write(out)
            if prof:
                prof.disable()
            wall, cpu = time.perf_counter() - t0, time.process_time() - c0
            print(f"[replay x{times}] {name}: spill {t_add:.1f} s; write {wall:.1f} s wall, {cpu:.1f} s CPU; "
                  f"peak RSS {rss_before:.0f} MB before write, {_rss_mb():.0f} MB after; {counts}", flush=True)
            if prof:
                path = profile.with_name(f"{profile.stem}-{name}{profile.suffix or '.txt'}")
                with open(path, "w") as fh:
                    pstats.Stats(prof, stream=fh).sort_stats("cumulative").print_stats(40)
                    pstats.Stats(prof, stream=fh).sort_stats("tottime").print_stats(30)
                print(f"[replay x{times}] profile: {path}")
        finally:
            shutil.rmtree(work, ignore_errors=True)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("capture", help="build a corpus and save the merges' input batches")
    c.add_argument("--raw", type=Path, required=True)
    c.add_argument("--dir", type=Path, required=True)
    r = sub.add_parser("replay", help="time the merges on K renamed copies of the saved batches")
    r.add_argument("--dir", type=Path, required=True)
    r.add_argument("--times", type=int, default=1)
    r.add_argument("--only", choices=sorted(CLASSES), action="append")
    r.add_argument("--profile", type=Path, help="write cProfile listings next to this path")
    r.add_argument("--keep", type=Path, help="write the merged tables here (to compare two versions)")
    a = ap.parse_args(argv)
    if a.cmd == "capture":
        capture(a.raw, a.dir)
    else:
        replay(a.dir, a.times, a.only or list(CLASSES), a.profile, a.keep)


if __name__ == "__main__":
    main()
