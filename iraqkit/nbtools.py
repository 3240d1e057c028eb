"""Notebook housekeeping: strip volatile metadata after execution.

``python -m iraqkit.nbtools strip NB...`` removes per-cell execution timestamps and
kernel-specific noise so that a committed notebook changes only when its code or outputs
change. Execution counts stay: they are deterministic (1, 2, 3… in a fresh kernel) and
nbval treats a cell with outputs but no execution count as never run.
"""
from __future__ import annotations

import sys
from pathlib import Path

import nbformat


def strip(path: Path) -> bool:
    """Strip one notebook in place; return True if it changed."""
    path = Path(path)
    before = path.read_text(encoding="utf-8")
    nb = nbformat.reads(before, as_version=4)
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        cell.metadata.pop("ExecuteTime", None)
    nb.metadata.pop("widgets", None)
    nb.metadata["kernelspec"] = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
    li = nb.metadata.get("language_info", {})
    nb.metadata["language_info"] = {"name": "python", "version": li.get("version", "3.11")[:4]}
    after = nbformat.writes(nb) + "\n"
    if after != before:
        path.write_text(after, encoding="utf-8")
        return True
    return False


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] != "strip":
        print("usage: python -m iraqkit.nbtools strip NOTEBOOK...", file=sys.stderr)
        return 2
    for p in argv[1:]:
        if strip(Path(p)):
            print(f"stripped {p}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
