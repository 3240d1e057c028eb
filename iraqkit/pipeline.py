"""Run the stages in order and write their tables.

``build(raw, out)`` runs ingest, then every later stage (actors, attacks, milestones),
each stage receiving all tables made so far (see ``docs/architecture.md``), and writes
each table as UTF-8 CSV with ``\\n`` line ends and a stable row order, so two builds of
the same input give byte-identical files.
"""
from __future__ import annotations

import importlib
from pathlib import Path

import pandas as pd

from . import ingest as ingest_mod

#: Stage name -> module. Order matters: each stage reads the tables of those before it.
STAGES = {
    "ingest": "iraqkit.ingest",
    "actors": "iraqkit.actors",
    "attacks": "iraqkit.attacks",
    "milestones": "iraqkit.milestones",
}


def write_table(df: pd.DataFrame, path: Path) -> Path:
    """Write one table deterministically (UTF-8, no index, LF line ends)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(path, index=False, encoding="utf-8", lineterminator="\n")
    return path


def read_table(name: str, directory: Path) -> pd.DataFrame:
    """Read a table written by :func:`write_table` (strings stay strings, empty stays empty)."""
    path = Path(directory) / f"{name}.csv"
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist: run the earlier stages first (`make report` or `iraqkit build`)")
    return pd.read_csv(path, keep_default_na=False, na_values=[""], dtype_backend="numpy_nullable")


def build(raw: Path, out: Path, stages: list[str] | None = None, verify: bool = True,
          progress: bool | None = None, log=print) -> dict[str, pd.DataFrame]:
    """Run ``stages`` (default: all) on the articles in ``raw``; write tables to ``out``."""
    stages = list(STAGES) if stages is None else stages
    unknown = [s for s in stages if s not in STAGES]
    if unknown:
        raise ValueError(f"unknown stage(s) {unknown}; known: {list(STAGES)}")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    tables = ingest_mod.ingest(Path(raw), verify=verify, progress=progress)
    texts = tables.pop("_texts")
    counts = ingest_mod.reconcile(Path(raw), tables)
    log(f"ingest: {counts['files']} files -> {counts['ingested']} ingested "
        f"({counts['documents']} documents, {counts['sentences']} sentences), "
        f"{counts['quarantined']} quarantined")
    if texts:
        for doc_id, text in sorted(texts.items()):
            p = out / "texts" / f"{doc_id}.txt"
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(text, encoding="utf-8", newline="")
    for name in stages:
        if name == "ingest":
            continue
        mod = importlib.import_module(STAGES[name])
        new = mod.run_stage(tables)
        tables.update(new)
        log(f"{name}: " + ", ".join(f"{k} {len(v)}" for k, v in new.items()))
    for name, df in tables.items():
        write_table(df, out / f"{name}.csv")
    return tables
