"""Command line: ``iraqkit build --raw DIR --out DIR`` and ``iraqkit checksums --raw DIR``."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from . import __version__
from .ingest import IngestError, write_checksums
from .paths import PROCESSED, RAW
from .pipeline import DEFAULT_BATCH_MB, ENGINES, STAGES, build, describe_timings


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="iraqkit", description=__doc__)
    ap.add_argument("--version", action="version", version=f"iraqkit {__version__}")
    sub = ap.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build", help="run the pipeline on a folder of articles")
    b.add_argument("--raw", type=Path, default=RAW, help=f"folder of articles (default {RAW})")
    b.add_argument("--out", type=Path, default=PROCESSED, help=f"output folder for tables (default {PROCESSED})")
    b.add_argument("--stages", default=",".join(STAGES),
                   help=f"comma-separated stages to run, in order (default: all: {','.join(STAGES)})")
    b.add_argument("--no-verify", action="store_true",
                   help="do not check raw files against <raw>.sha256")
    g = b.add_mutually_exclusive_group()
    g.add_argument("--progress", dest="progress", action="store_true", default=None, help="always show progress bars")
    g.add_argument("--no-progress", dest="progress", action="store_false", help="never show progress bars")
    e = b.add_argument_group("engine")
    e.add_argument("--engine", choices=ENGINES, default="local",
                   help="local: in this process (default); dask: per-document stages as Dask tasks, "
                        "also writes <out>/parquet/<table>/part-*.parquet")
    e.add_argument("--scheduler", metavar="ADDRESS", default=None,
                   help="address of a running dask.distributed scheduler (implies --engine dask); "
                        "default: a LocalCluster started for the build")
    e.add_argument("--workers", type=int, default=None, help="LocalCluster worker processes (default: CPU count)")
    e.add_argument("--batch-mb", type=float, default=DEFAULT_BATCH_MB,
                   help=f"files per unit of work, in MB of input (default {DEFAULT_BATCH_MB})")
    e.add_argument("--parquet", action="store_true", default=None,
                   help="also write partitioned Parquet with the local engine")
    e.add_argument("--cache", type=Path, default=None, metavar="DIR",
                   help="per-file result cache (default <out>/.cache)")
    e.add_argument("--no-cache", action="store_true", help="do not read or write the cache")
    e.add_argument("--clear-cache", action="store_true", help="empty the cache before building")
    e.add_argument("--timings", type=Path, default=None, metavar="FILE",
                   help="also write where the build's time went (seconds per phase and stage) to FILE as JSON")
    c = sub.add_parser("checksums", help="record the sha256 of every raw file in <raw>.sha256")
    c.add_argument("--raw", type=Path, default=RAW)
    args = ap.parse_args(argv)
    try:
        if args.cmd == "build":
            stages = [s.strip() for s in args.stages.split(",") if s.strip()]
            if "ingest" not in stages:
                stages.insert(0, "ingest")
            cache = False if args.no_cache else (args.cache or True)
            timings: dict = {}
            build(args.raw, args.out, stages=stages, verify=not args.no_verify, progress=args.progress,
                  engine="dask" if args.scheduler else args.engine, scheduler=args.scheduler,
                  workers=args.workers, batch_mb=args.batch_mb, parquet=args.parquet,
                  cache=cache, clear=args.clear_cache, return_tables=False, timings=timings)
            print(describe_timings(timings))
            if args.timings:
                args.timings.write_text(json.dumps(timings, indent=1, sort_keys=True) + "\n", encoding="utf-8")
            print(f"tables written to {args.out}")
        elif args.cmd == "checksums":
            print(f"wrote {write_checksums(args.raw)}")
    except (IngestError, ValueError, FileNotFoundError) as e:
        print(f"iraqkit: error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
