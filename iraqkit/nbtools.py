"""Notebook housekeeping: execute the notebooks, strip volatile metadata, render the HTML.

``python -m iraqkit.nbtools strip NB...`` removes per-cell execution timestamps and
kernel-specific noise so that a committed notebook changes only when its code or outputs
change. Execution counts stay: they are deterministic (1, 2, 3… in a fresh kernel) and
nbval treats a cell with outputs but no execution count as never run.

``python -m iraqkit.nbtools run [--html DIR] NB...`` executes each notebook in place, in
order, each in a fresh kernel, exactly as ``jupyter nbconvert --to notebook --execute
--inplace --ExecutePreprocessor.timeout=900`` does (the same exporter, preprocessors and
settings), strips it as above and writes it once. All notebooks run from one process, so
nbconvert is imported once rather than once per notebook plus once to strip and once to
render. With ``--html DIR`` the HTML of each notebook is rendered (:mod:`iraqkit.report`)
while the next one executes, then the combined report and ``figures/README.md``: the output
is the same as running ``python -m iraqkit.report --out DIR NB...`` afterwards.
"""
from __future__ import annotations

import argparse
import concurrent.futures
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import nbformat

#: the per-cell timeout of ``make notebooks`` (seconds)
TIMEOUT = 900


def strip_text(text: str) -> str:
    """The stripped form of a notebook's JSON text (see the module docstring)."""
    nb = nbformat.reads(text, as_version=4)
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        cell.metadata.pop("ExecuteTime", None)
    nb.metadata.pop("widgets", None)
    nb.metadata["kernelspec"] = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
    li = nb.metadata.get("language_info", {})
    nb.metadata["language_info"] = {"name": "python", "version": li.get("version", "3.11")[:4]}
    return nbformat.writes(nb) + "\n"


def strip(path: Path) -> bool:
    """Strip one notebook in place; return True if it changed."""
    path = Path(path)
    before = path.read_text(encoding="utf-8")
    after = strip_text(before)
    if after != before:
        path.write_text(after, encoding="utf-8")
        return True
    return False


def _exporter(timeout: int):
    """nbconvert's notebook exporter configured as ``--to notebook --execute
    --ExecutePreprocessor.timeout=<timeout>`` configures it."""
    from nbconvert.exporters import NotebookExporter
    from traitlets.config import Config

    c = Config()
    c.ExecutePreprocessor.enabled = True
    c.ExecutePreprocessor.timeout = timeout
    return NotebookExporter(config=c)


def execute(path: Path, exporter=None, timeout: int = TIMEOUT) -> None:
    """Execute one notebook in place in a fresh kernel (working folder: the notebook's
    folder), then strip it. On a cell error nothing is written and the error propagates."""
    path = Path(path)
    exporter = exporter or _exporter(timeout)
    output, _ = exporter.from_filename(str(path))
    path.write_text(strip_text(output), encoding="utf-8")


def run(paths: Sequence[Path], html: Path | None = None, timeout: int = TIMEOUT,
        log=print) -> None:
    """Execute *paths* in order (see :func:`execute`); with *html*, render each notebook's
    HTML as soon as it is written (in a worker thread, while the next notebook runs), then the
    combined report and the figure index."""
    paths = [Path(p) for p in paths]
    exporter = _exporter(timeout)
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="iraqkit-html") if html else None
    jobs = []
    try:
        for p in paths:
            log(f"executing {p}")
            t = time.perf_counter()
            execute(p, exporter, timeout)
            log(f"executed {p} in {time.perf_counter() - t:.1f} s")
            if pool:
                from . import report

                jobs.append(pool.submit(report.render_notebook, p, html))
                jobs.append(pool.submit(report.prepare_section, p))
        if pool:
            from . import report

            jobs.append(pool.submit(report.render_report, sorted(paths), Path(html) / "report.html"))
            jobs.append(pool.submit(report.figure_index))
            for j in jobs:
                r = j.result()
                if isinstance(r, Path):
                    log(f"wrote {r}")
    finally:
        if pool:
            pool.shutdown(wait=True, cancel_futures=True)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "strip":
        for p in argv[1:]:
            if strip(Path(p)):
                print(f"stripped {p}")
        return 0
    if argv and argv[0] == "run":
        ap = argparse.ArgumentParser(prog="python -m iraqkit.nbtools run",
                                     description="execute notebooks in place (fresh kernel each), strip them, "
                                                 "optionally render the HTML report")
        ap.add_argument("--html", type=Path, help="also render reports into this folder")
        ap.add_argument("--timeout", type=int, default=TIMEOUT, help="per-cell timeout in seconds")
        ap.add_argument("notebooks", nargs="+", type=Path)
        a = ap.parse_args(argv[1:])
        run(a.notebooks, a.html, a.timeout, log=lambda *m: print(*m, flush=True))
        return 0
    print("usage: python -m iraqkit.nbtools strip NOTEBOOK...\n"
          "       python -m iraqkit.nbtools run [--html DIR] NOTEBOOK...", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
