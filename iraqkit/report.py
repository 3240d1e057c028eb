"""Render the executed notebooks as HTML: one copy per notebook and one citable report.

``python -m iraqkit.report --out reports notebooks/0*.ipynb`` writes

* ``reports/<notebook>.html`` — each notebook with its code, as executed;
* ``reports/report.html`` — the four notebooks in order, code hidden, figures embedded
  (self-contained: no external files), every Arabic block marked ``dir="rtl"``
  ``lang="ar"`` and mixed blocks ``dir="auto"``;
* ``figures/README.md`` — the index of exported figures (files, caption, sources, citation),
  built from the sidecar ``<figure>.labels.json`` files written by
  :func:`iraqkit.figures.save_figure`.

Output is deterministic: no timestamps, stable ordering.
"""
from __future__ import annotations

import argparse
import functools
import json
import re
import sys
from html import escape
from pathlib import Path

import nbformat
from bs4 import BeautifulSoup
from nbconvert import HTMLExporter

from . import __version__
from .arabic import arabic_letter_share
from .paths import FIGURES, ROOT

BLOCK_TAGS = ["p", "li", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "caption", "dd", "dt"]
_SLOT = re.compile(r"<!--iraqkit-section-(\d+)-->")
CITATION = ("iraqkit developers ({year}). iraqkit: Arabic news on the US military presence in Iraq, "
            "2020–2026 — a reproducible report (version {version}).")


def arabic_share(text: str) -> float:
    """The share of ``text``'s letters that are Arabic (0 without letters)."""
    return arabic_letter_share(text) or 0.0


def mark_direction(soup: BeautifulSoup) -> int:
    """Give every block that holds Arabic a direction: mostly Arabic → rtl + lang=ar,
    some Arabic → auto. Returns the number of blocks marked rtl."""
    n = 0
    for tag in soup.find_all(BLOCK_TAGS):
        share = arabic_share(tag.get_text(" ", strip=True))
        if share >= 0.5:
            tag["dir"] = "rtl"
            tag["lang"] = "ar"
            n += 1
        elif share > 0:
            tag["dir"] = "auto"
    return n


@functools.lru_cache(maxsize=2)
def _exporter(hide_code: bool) -> HTMLExporter:
    """One exporter per mode, reused: building one compiles nbconvert's Jinja templates,
    which costs more than rendering a notebook."""
    exp = HTMLExporter(template_name="lab")
    exp.exclude_input = hide_code
    exp.exclude_input_prompt = True
    exp.exclude_output_prompt = True
    return exp


def _export(nb_path: Path, hide_code: bool) -> tuple[str, str]:
    nb = nbformat.read(nb_path, as_version=4)
    body, _ = _exporter(hide_code).from_notebook_node(nb)
    return body, nb_path.stem


def render_notebook(nb_path: Path, out_dir: Path) -> Path:
    """One notebook, code included, as a standalone HTML file."""
    body, stem = _export(Path(nb_path), hide_code=False)
    soup = BeautifulSoup(body, "html.parser")
    mark_direction(soup)
    out = Path(out_dir) / f"{stem}.html"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(str(soup), encoding="utf-8")
    return out


def _file_key(nb_path: Path) -> tuple[Path, int, int]:
    st = Path(nb_path).stat()
    return Path(nb_path).resolve(), st.st_mtime_ns, st.st_size


@functools.lru_cache(maxsize=16)
def _section(key: tuple[Path, int, int]) -> tuple[str, str, str, str]:
    """A notebook's part of the combined report: (stem, title, its CSS, the section's HTML).
    Cached by path, modification time and size, so :func:`prepare_section` can render it
    ahead (while the next notebook executes) and :func:`render_report` picks it up."""
    body, stem = _export(key[0], hide_code=True)
    soup = BeautifulSoup(body, "html.parser")
    css = "\n".join(str(s) for s in soup.find_all("style"))
    main = soup.find("main") or soup.body or soup
    for s in main.find_all(["script"]):
        s.decompose()
    title = main.find("h1")
    title = title.get_text(" ", strip=True).rstrip("¶") if title else stem
    mark_direction(main)  # here, ahead, rather than on the whole report at the end
    return stem, title, css, main.decode_contents()


def prepare_section(nb_path: Path) -> None:
    """Render a notebook's section of the combined report now (see :func:`_section`)."""
    _section(_file_key(nb_path))


def render_report(nb_paths: list[Path], out: Path, year: int = 2026) -> Path:
    """All notebooks in order, code hidden, in one self-contained HTML file."""
    parts = [_section(_file_key(p)) for p in nb_paths]
    head_css = parts[0][2] if parts else None
    toc = [(stem, title) for stem, title, _, _ in parts]
    # each section's HTML was parsed and marked by _section (ahead, while the next notebook
    # ran): the page around them is parsed and marked here, with a placeholder in each
    # section, and the sections' HTML goes in its place
    sections = [f'<section id="{stem}" class="notebook"><!--iraqkit-section-{i}--></section>'
                for i, (stem, _, _, _) in enumerate(parts)]
    cite = CITATION.format(year=year, version=__version__)
    doc = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>iraqkit report</title>
{head_css or ''}
<style>
body {{ max-width: 1100px; margin: 0 auto; padding: 1em 2em; }}
[dir="rtl"] {{ font-family: "IBM Plex Sans Arabic", "Noto Naskh Arabic", "DejaVu Sans", sans-serif; text-align: right; }}
section.notebook {{ border-top: 3px solid #444; margin-top: 2em; }}
img {{ max-width: 100%; }}
nav.toc li {{ margin: .2em 0; }}
</style>
</head>
<body>
<header>
<h1>iraqkit — Arabic news on the US military presence in Iraq, 2020–2026</h1>
<p>A reproducible report built from the articles in <code>data/raw/</code> by the notebooks in
<code>notebooks/</code>. Every number comes out of the text by code and carries its provenance.</p>
<p class="cite">How to cite: {cite} See <code>CITATION.cff</code>.</p>
<nav class="toc"><ol>{''.join(f'<li><a href="#{escape(s)}">{escape(t)}</a></li>' for s, t in toc)}</ol></nav>
</header>
{''.join(sections)}
</body>
</html>
"""
    soup = BeautifulSoup(doc, "html.parser")
    mark_direction(soup)
    page = str(soup)
    found = _SLOT.findall(page)
    if found != [str(i) for i in range(len(parts))]:
        raise RuntimeError(f"report page: section placeholders {found}, expected {len(parts)} in order")
    html = _SLOT.sub(lambda m: parts[int(m.group(1))][3], page)  # one pass: a section's own text is left alone
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(html, encoding="utf-8")
    return out


def figure_index(figures_dir: Path = FIGURES) -> Path:
    """Write ``figures/README.md``: every exported figure with caption, sources and citation."""
    figures_dir = Path(figures_dir)
    rows = []
    for side in sorted(figures_dir.glob("*.labels.json")):
        meta = json.loads(side.read_text(encoding="utf-8"))
        name = side.name[: -len(".labels.json")]
        files = sorted(p.name for p in figures_dir.glob(f"{name}.*") if not p.name.endswith(".json"))
        rows.append((name, files, meta))
    cite = CITATION.format(year=2026, version=__version__)
    lines = ["# Figures", "",
             "Every figure of the report, exported by `iraqkit.figures.save_figure` (PNG at 300 dpi and SVG,",
             "byte-identical across runs). Regenerate with `make report`. Do not edit by hand: this file is",
             "written by `python -m iraqkit.report`.", "",
             f"How to cite a figure: {cite} Figure `<name>`, from the tables named below.", ""]
    for name, files, meta in rows:
        lines.append(f"## `{name}`")
        lines.append("")
        lines.append(f"- Files: {', '.join(f'`{f}`' for f in files)}")
        if meta.get("caption"):
            lines.append(f"- Caption: {meta['caption']}")
        if meta.get("sources"):
            lines.append(f"- Made from: {', '.join(f'`{s}`' for s in meta['sources'])}")
        if meta.get("notebook"):
            lines.append(f"- Notebook: `notebooks/{meta['notebook']}.ipynb`")
        lines.append("")
    out = figures_dir / "README.md"
    out.write_text("\n".join(lines), encoding="utf-8")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m iraqkit.report", description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "reports")
    ap.add_argument("notebooks", nargs="+", type=Path)
    args = ap.parse_args(argv)
    nbs = sorted(args.notebooks)
    for nb in nbs:
        print(f"wrote {render_notebook(nb, args.out)}")
    print(f"wrote {render_report(nbs, args.out / 'report.html')}")
    print(f"wrote {figure_index()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
