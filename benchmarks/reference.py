"""The pre-engine build (whole tables in memory, one stage after the other), kept as the
reference the streaming/cached/Dask engine must reproduce byte for byte.

    python benchmarks/reference.py --raw data/raw --out /tmp/ref [--stages ingest,actors,...]
"""
from __future__ import annotations

import argparse
import importlib
from pathlib import Path

import pandas as pd

from iraqkit import ingest as ingest_mod
from iraqkit.pipeline import STAGES, write_table


def reference_build(raw: Path, out: Path, stages: list[str] | None = None, verify: bool = True,
                    log=print) -> dict[str, pd.DataFrame]:
    stages = list(STAGES) if stages is None else stages
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    tables = ingest_mod.ingest(Path(raw), verify=verify, progress=False)
    texts = tables.pop("_texts")
    counts = ingest_mod.reconcile(Path(raw), tables)
    log(f"ingest: {counts['files']} files -> {counts['ingested']} ingested "
        f"({counts['documents']} documents, {counts['sentences']} sentences), "
        f"{counts['quarantined']} quarantined")
    for doc_id, text in sorted(texts.items()):
        p = out / "texts" / f"{doc_id}.txt"
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8", newline="")
    for name in stages:
        if name == "ingest":
            continue
        new = importlib.import_module(STAGES[name]).run_stage(tables)
        tables.update(new)
        log(f"{name}: " + ", ".join(f"{k} {len(v)}" for k, v in new.items()))
    for name, df in tables.items():
        write_table(df, out / f"{name}.csv")
    return tables


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--raw", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--stages", default=",".join(STAGES))
    ap.add_argument("--no-verify", action="store_true")
    a = ap.parse_args()
    reference_build(a.raw, a.out, [s for s in a.stages.split(",") if s], verify=not a.no_verify)
