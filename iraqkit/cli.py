"""Command line: ``iraqkit build --raw DIR --out DIR`` and ``iraqkit checksums --raw DIR``."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import __version__
from .ingest import IngestError, write_checksums
from .paths import PROCESSED, RAW
from .pipeline import STAGES, build


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
    c = sub.add_parser("checksums", help="record the sha256 of every raw file in <raw>.sha256")
    c.add_argument("--raw", type=Path, default=RAW)
    args = ap.parse_args(argv)
    try:
        if args.cmd == "build":
            stages = [s.strip() for s in args.stages.split(",") if s.strip()]
            if "ingest" not in stages:
                stages.insert(0, "ingest")
            build(args.raw, args.out, stages=stages, verify=not args.no_verify, progress=args.progress)
            print(f"tables written to {args.out}")
        elif args.cmd == "checksums":
            print(f"wrote {write_checksums(args.raw)}")
    except (IngestError, ValueError, FileNotFoundError) as e:
        print(f"iraqkit: error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
