"""`make notebooks` / `make report` run iraqkit.nbtools: the notebooks it writes must be the bytes
that `jupyter nbconvert --execute --inplace` followed by `nbtools strip` wrote before, and the
HTML it renders along the way the bytes of `python -m iraqkit.report`."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient.exceptions import CellExecutionError

from iraqkit import nbtools, report

JUPYTER = Path(sys.executable).with_name("jupyter")

CELLS = [
    ("markdown", "# 01 · Tiny\n\nعدد الهجمات حسب الشهر: a mixed Arabic and English line."),
    ("code", "import os\nprint(sorted(p for p in os.listdir('.') if p.endswith('.ipynb')))"),
    ("code", "{'answer': 6 * 7}"),
    ("code", "from IPython.display import HTML\nHTML('<p>كتائب حزب الله</p>')"),
]


def _notebook(path: Path, cells=CELLS) -> Path:
    nb = nbformat.v4.new_notebook()
    for kind, src in cells:
        nb.cells.append(nbformat.v4.new_markdown_cell(src) if kind == "markdown" else nbformat.v4.new_code_cell(src))
    for i, c in enumerate(nb.cells):
        c.id = f"c{i}"
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    nb.metadata["widgets"] = {"x": 1}
    nbformat.write(nb, path)
    return path


def test_strip_text_removes_volatile_metadata_and_is_idempotent(tmp_path):
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("1 + 1", id="a")
    cell.metadata["execution"] = {"iopub.execute_input": "2026-01-01T00:00:00Z"}
    cell.metadata["ExecuteTime"] = {"end_time": "x"}
    cell.metadata["tags"] = ["keep"]
    nb.cells.append(cell)
    nb.metadata["widgets"] = {"state": {}}
    nb.metadata["language_info"] = {"name": "python", "version": "3.11.7", "mimetype": "text/x-python"}
    out = json.loads(nbtools.strip_text(nbformat.writes(nb)))
    assert out["cells"][0]["metadata"] == {"tags": ["keep"]}
    assert "widgets" not in out["metadata"]
    assert out["metadata"]["kernelspec"]["name"] == "python3"
    assert out["metadata"]["language_info"] == {"name": "python", "version": "3.11"}
    p = tmp_path / "n.ipynb"
    p.write_text(nbformat.writes(nb), encoding="utf-8")
    assert nbtools.strip(p) is True
    assert nbtools.strip(p) is False
    assert p.read_text(encoding="utf-8").endswith("}\n")


def test_run_writes_the_bytes_of_nbconvert_execute_then_strip(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    _notebook(a / "01_tiny.ipynb")
    _notebook(b / "01_tiny.ipynb")
    subprocess.run([str(JUPYTER), "nbconvert", "--to", "notebook", "--execute", "--inplace",
                    "--ExecutePreprocessor.timeout=900", str(a / "01_tiny.ipynb")],
                   check=True, capture_output=True, timeout=300)
    nbtools.strip(a / "01_tiny.ipynb")
    nbtools.run([b / "01_tiny.ipynb"], log=lambda *_: None)
    got = (b / "01_tiny.ipynb").read_text(encoding="utf-8")
    assert got == (a / "01_tiny.ipynb").read_text(encoding="utf-8")
    nb = nbformat.reads(got, as_version=4)
    assert [c.get("execution_count") for c in nb.cells if c.cell_type == "code"] == [1, 2, 3]
    assert nb.cells[1].outputs[0]["text"] == "['01_tiny.ipynb']\n"  # ran in the notebook's folder
    assert nb.cells[2].outputs[0]["data"]["text/plain"] == "{'answer': 42}"


def test_each_notebook_gets_a_fresh_kernel(tmp_path):
    first = _notebook(tmp_path / "01_a.ipynb", [("code", "LEAK = 1\nLEAK")])
    second = _notebook(tmp_path / "02_b.ipynb", [("code", "'LEAK' in globals()")])
    nbtools.run([first, second], log=lambda *_: None)
    out = nbformat.read(second, as_version=4).cells[0].outputs[0]["data"]["text/plain"]
    assert out == "False"


def test_a_failing_cell_stops_the_run_and_leaves_the_notebook_untouched(tmp_path):
    bad = _notebook(tmp_path / "01_bad.ipynb", [("code", "print('before')"), ("code", "1 / 0")])
    after = _notebook(tmp_path / "02_after.ipynb", [("code", "1")])
    before_bad, before_after = bad.read_bytes(), after.read_bytes()
    with pytest.raises(CellExecutionError, match="ZeroDivisionError"):
        nbtools.run([bad, after], log=lambda *_: None)
    assert bad.read_bytes() == before_bad
    assert after.read_bytes() == before_after  # never reached


def test_run_with_html_renders_what_report_renders(tmp_path, monkeypatch):
    monkeypatch.setattr(report, "figure_index", lambda *a, **k: None)  # leave figures/README.md alone
    nbs = [_notebook(tmp_path / "01_tiny.ipynb"),
           _notebook(tmp_path / "02_more.ipynb", [("markdown", "# 02 · More"), ("code", "print('٢٠٢١')")])]
    nbtools.run(nbs, html=tmp_path / "run", log=lambda *_: None)
    report.main(["--out", str(tmp_path / "ref"), *map(str, nbs)])
    names = sorted(p.name for p in (tmp_path / "ref").iterdir())
    assert names == ["01_tiny.html", "02_more.html", "report.html"]
    for n in names:
        assert (tmp_path / "run" / n).read_bytes() == (tmp_path / "ref" / n).read_bytes(), n
    html = (tmp_path / "run" / "report.html").read_text(encoding="utf-8")
    assert '<section class="notebook" id="02_more">' in html and "٢٠٢١" in html
    assert 'dir="rtl" lang="ar">كتائب حزب الله</p>' in html


def test_report_section_cache_follows_the_notebook(tmp_path):
    p = _notebook(tmp_path / "01_tiny.ipynb", [("markdown", "# 01 · First title")])
    report.render_report([p], tmp_path / "r.html")
    assert "First title" in (tmp_path / "r.html").read_text(encoding="utf-8")
    _notebook(p, [("markdown", "# 01 · Second title, longer")])
    report.render_report([p], tmp_path / "r.html")
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "Second title" in html and "First title" not in html


def test_report_page_equals_marking_the_whole_page(tmp_path):
    """render_report marks each section ahead (in _section) and only the page around them at
    the end; the result must be the bytes of the whole page, sections inline, parsed and
    marked at once. A section whose text looks like a placeholder is left as it is."""
    from bs4 import BeautifulSoup

    nbs = [_notebook(tmp_path / "01_tiny.ipynb"),
           _notebook(tmp_path / "02_more.ipynb", [
               ("markdown", "# 02 · الحوار الاستراتيجي\n\n- بند أول\n- mixed سطر 2021\n\n"
                            "| عمود | col |\n|---|---|\n| قيمة | 3 |"),
               ("markdown", "Literal: `<!--iraqkit-section-0-->` and <!--iraqkit-section-1--> in the text."),
               ("code", "print('٢٠٢١')")])]
    out = report.render_report(nbs, tmp_path / "report.html")
    got = out.read_text(encoding="utf-8")

    whole = []  # the definition: each section as exported, unmarked, inline in the page
    for stem in ("01_tiny", "02_more"):
        body, _ = report._export(tmp_path / f"{stem}.ipynb", hide_code=True)
        soup = BeautifulSoup(body, "html.parser")
        main = soup.find("main") or soup.body or soup
        for s in main.find_all(["script"]):
            s.decompose()
        whole.append(f'<section id="{stem}" class="notebook">{main.decode_contents()}</section>')
    start = got.index('<section class="notebook" id="01_tiny">')
    end = got.rindex("</section>") + len("</section>")
    ref_doc = got[:start] + "".join(whole) + got[end:]
    ref = BeautifulSoup(ref_doc, "html.parser")
    report.mark_direction(ref)
    assert got == str(ref)
    assert got.count('dir="rtl" lang="ar"') >= 4 and 'dir="auto"' in got
    assert '<li dir="rtl" lang="ar"><a href="#02_more">' in got  # the page's own blocks are marked too
    assert got.count("<!--iraqkit-section-1-->") == 1  # the section's literal comment, kept


def test_report_contents_escape_the_notebook_titles(tmp_path):
    """The table of contents holds each notebook's title as text: markup in a title (here a
    "<", an "&" and the page's own placeholder, written as code) must not become HTML."""
    p = _notebook(tmp_path / "01_odd.ipynb",
                  [("markdown", "# 01 · Ratio < 2 & `<!--iraqkit-section-0-->` الحوار\n\nنص عربي.")])
    html = report.render_report([p], tmp_path / "r.html").read_text(encoding="utf-8")
    toc = html[html.index('<nav class="toc">'):html.index("</nav>")]
    assert "Ratio &lt; 2 &amp; &lt;!--iraqkit-section-0--&gt; الحوار" in toc
    assert html.count("<section") == 1 and "نص عربي" in html
