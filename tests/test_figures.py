"""Tests of iraqkit.figures: shaping proven against HarfBuzz, errors, byte-identical files.

The shaping proof lives in ``tests/shaping.py`` and does not use ``iraqkit.figures``: it shapes
the LOGICAL label with uharfbuzz (bidi runs from python-bidi, visual order by UBA L2) and
compares glyph ids with what matplotlib lays out / rasterises for the string it was handed.
"""
from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import arabic_reshaper
import matplotlib
import networkx as nx
import pandas as pd
import pytest
from arabic_reshaper.arabic_reshaper import HARAKAT_RE
from bidi import get_display

from iraqkit import figures as F
from iraqkit import paths

sys.path.insert(0, str(Path(__file__).parent))
import shaping as S  # noqa: E402

DEJAVU = str(Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf")
ROOT = Path(__file__).resolve().parent.parent

# Corpus-independent labels: actors, places with Latin and digits, both month systems,
# الله-names, Arabic-Indic digits, harakat, multi-line, Latin only.
LABELS = [
    "كتائب حزب الله",
    "الحرس الثوري الإيراني",
    "عصائب أهل الحق",
    "حركة النجباء",
    "كتائب سيد الشهداء",
    "الحشد الشعبي",
    "قوات سوريا الديمقراطية",
    "تنظيم داعش",
    "التحالف الدولي بقيادة الولايات المتحدة",
    "وزارة الدفاع الأمريكية (البنتاغون)",
    "عين الأسد (Ain al-Asad) 2020",
    "الحوار الاستراتيجي ٢٠٢١",
    "قاعدة حرير (Harir) - أربيل",
    "مطار بغداد الدولي BIAP",
    "قاعدة فكتوريا (Victory) 2021",
    "التنف (al-Tanf)",
    "قرار البرلمان 5 كانون الثاني 2020",
    "يناير 2020",
    "كانون الثاني",
    "شباط",
    "آذار ٢٠٢٠",
    "نيسان",
    "أيار",
    "حزيران",
    "تموز",
    "آب",
    "أيلول",
    "تشرين الأول",
    "تشرين الثاني ٢٠٢٣",
    "كانون الأول",
    "ديسمبر",
    "عبد الله",
    "نصر الله",
    "حزب الله اللبناني",
    "أنصار الله (الحوثيون)",
    "هجمات بالطائرات المسيّرة",
    "2500 جندي أمريكي",
    "٢٥٠٠ جندي",
    "ستيفن (Stephen) لارا",
    "عدد الهجمات\nحسب الشهر",
    "إيران: ١٢",
    "نسبة ٪٤٠ من القوات",
    "أبو مهدي المهندس",
    "قاسم سليماني",
    "US-led",
    "Ain al-Asad 2020",
]
ARABIC_LABELS = [s for s in LABELS if S.ARABIC.search(s)]


@pytest.fixture(autouse=True)
def native_default(monkeypatch):
    """Every test starts from the default configuration, without the env override."""
    monkeypatch.delenv(F.FORCE_RESHAPE_ENV, raising=False)
    F.setup()
    yield
    F.setup()
    matplotlib.pyplot.close("all")


def fonts() -> list[str]:
    return [str(F.font_path()), DEJAVU]


needs_native = pytest.mark.skipif(not F.native_shaping_available(),
                                  reason="this matplotlib does not shape text (< 3.11)")


# ------------------------------------------------------------------------ detection
@needs_native
def test_detects_native_shaping():
    assert F.shaping_mode() == "native"
    assert matplotlib.rcParams["font.family"][:2] == ["IBM Plex Sans Arabic", "DejaVu Sans"]


def test_capability_check_is_real(monkeypatch):
    """No FT2Font._layout (matplotlib < 3.11) or a layout that does not shape -> fallback."""
    import matplotlib.ft2font as ft

    class Unshaping:  # an FT2Font whose layout keeps logical order and nominal glyphs
        def __init__(self, path):
            self._f = ft.FT2Font(path)

        def set_size(self, *a):
            self._f.set_size(*a)

        def get_char_index(self, cp):
            return self._f.get_char_index(cp)

        def _layout(self, s, flags, **kw):
            class It:
                pass
            out = []
            for i, ch in enumerate(s):
                it = It()
                it.char, it.x, it.glyph_index = ch, 10.0 * i, self._f.get_char_index(ord(ch))
                out.append(it)
            return out

    monkeypatch.setattr(ft, "FT2Font", Unshaping)
    assert F.native_shaping_available() is False

    class Old:  # matplotlib <= 3.10: no _layout at all
        def __init__(self, path):
            pass

    monkeypatch.setattr(ft, "FT2Font", Old)
    assert F.native_shaping_available() is False
    F.setup()
    assert F.shaping_mode() == "reshape"


def test_env_var_and_argument_force_fallback(monkeypatch):
    monkeypatch.setenv(F.FORCE_RESHAPE_ENV, "1")
    F.setup()
    assert F.shaping_mode() == "reshape"
    monkeypatch.delenv(F.FORCE_RESHAPE_ENV)
    F.setup(force_reshape=True)
    assert F.shaping_mode() == "reshape"
    assert F.ar("كتائب حزب الله").startswith("\u202d")


def test_setup_is_idempotent():
    before = (len(matplotlib.font_manager.fontManager.ttflist), dict(matplotlib.rcParams))
    F.setup()
    F.setup()
    after = (len(matplotlib.font_manager.fontManager.ttflist), dict(matplotlib.rcParams))
    assert before == after
    assert matplotlib.rcParams["svg.hashsalt"] == F.SVG_HASHSALT


# ------------------------------------------------------------------------ ar()
@needs_native
def test_ar_native_is_identity_and_rejects_double_processing():
    s = "عين الأسد (Ain al-Asad) 2020"
    assert F.ar(s) == s
    with pytest.raises(ValueError):
        F.ar(get_display(arabic_reshaper.reshape(s)))
    assert F.ar("Ain al-Asad 2020") == "Ain al-Asad 2020"
    assert F.ar(2020) == "2020"
    assert F.bilingual("عين الأسد", "Ain al-Asad") == "عين الأسد (Ain al-Asad)"
    assert F.bilingual("عين الأسد", None) == "عين الأسد"


def test_ar_reshape_passes_latin_through_and_tunes_ligatures():
    F.setup(force_reshape=True, font=DEJAVU)
    assert F.ar("US-led 2020") == "US-led 2020"
    out = F.ar("كتائب حزب الله")
    assert "\ufdf2" not in out  # DejaVu has no ALLAH ligature: the tuned reshaper avoids it
    assert out[0] == "\u202d" and out[-1] == "\u202c"
    with pytest.raises(ValueError):
        F.ar(out)  # double processing is rejected on the fallback path too


# ------------------------------------------------------------------------ shaping proof
@needs_native
@pytest.mark.parametrize("label", LABELS)
def test_native_label_matches_harfbuzz(label):
    drawn = F.ar(label)
    assert not S.PRESENTATION_FORMS.search(drawn)
    assert S.compare_native(label, fonts(), drawn) == "match", S.describe(label, fonts(), drawn)


@needs_native
@pytest.mark.parametrize("label", ARABIC_LABELS)
def test_double_processed_label_is_detected(label):
    """The classic reshape+get_display handed to a shaping matplotlib must NOT match."""
    doubled = get_display(arabic_reshaper.reshape(label))
    assert S.compare_native(label, fonts(), doubled) == "mismatch"


@pytest.mark.parametrize("label", LABELS)
def test_reshape_fallback_matches_harfbuzz(label):
    """Fallback path with DejaVu Sans and a reshaper tuned to it: the visual string's glyphs
    (cmap lookups, 1:1 for DejaVu's presentation forms) equal HarfBuzz's shaping of the
    logical label (harakat removed: the fallback deletes them); and matplotlib draws exactly
    those glyphs for it (LRO…PDF keeps a shaping matplotlib from reordering)."""
    F.setup(force_reshape=True, font=DEJAVU)
    visual = F.ar(label)
    assert S.compare_reshaped(label, visual, DEJAVU, HARAKAT_RE) == "match", (
        label, visual, S.reference_glyphs(HARAKAT_RE.sub("", label), [DEJAVU]),
        S.cmap_glyphs(visual, DEJAVU))
    if F.native_shaping_available(DEJAVU):
        assert S.mpl_glyphs(visual, [DEJAVU]) == S.cmap_glyphs(visual, DEJAVU)


def test_reshape_comparator_detects_wrong_order():
    """The fallback comparator is able to fail: logical-order presentation forms mismatch."""
    label = "كتائب حزب الله"
    wrong = arabic_reshaper.ArabicReshaper(
        arabic_reshaper.config_for_true_type_font(DEJAVU)).reshape(label)  # no bidi
    assert S.compare_reshaped(label, wrong, DEJAVU) == "mismatch"
    assert S.compare_reshaped(label, get_display(arabic_reshaper.reshape(label)), DEJAVU) == \
        "mismatch"  # default reshaper: U+FDF2 has no glyph in DejaVu


# ------------------------------------------------------------------------ figures
def _frames():
    actors = pd.DataFrame({
        "name": ["كتائب حزب الله", "عصائب أهل الحق", "الحرس الثوري الإيراني",
                 "التحالف الدولي", "الحكومة العراقية"],
        "n": [12, 7, 4, 9, 5],
        "alignment": ["Iran-aligned", "Iran-aligned", "Iran-aligned", "US-led",
                      "Iraqi government"],
    })
    events = pd.DataFrame({
        "date": ["2020-01-03", "2020-01-08", "2021-04-07", "2021-07-26", "2023-10-18"],
        "label": ["اغتيال سليماني", "قصف عين الأسد (Ain al-Asad) 2020",
                  "الحوار الاستراتيجي ٢٠٢١", "اتفاق انسحاب القوات القتالية",
                  "هجمات على قاعدة حرير"],
        "group": ["US-led", "Iran-aligned", "Iraqi government", "US-led", "Iran-aligned"],
    })
    attacks = pd.DataFrame({
        "month": ["كانون الثاني", "كانون الثاني", "شباط", "آذار ٢٠٢٠", "آذار ٢٠٢٠"],
        "alignment": ["Iran-aligned", "ISIS", "Iran-aligned", "ISIS", "other"],
        "n": [5, 2, 3, 1, 4],
    })
    places = pd.DataFrame({
        "name": ["عين الأسد (Ain al-Asad)", "أربيل (Erbil)", "مطار بغداد الدولي BIAP"],
        "lon": [42.44, 43.96, 44.23], "lat": [33.80, 36.23, 33.26],
        "n": [30, 12, 20], "alignment": ["US-led", "Kurdish", "Iraqi government"],
    })
    edges = pd.DataFrame({
        "source": ["كتائب حزب الله", "كتائب حزب الله", "الحرس الثوري الإيراني", "التحالف الدولي"],
        "target": ["الحرس الثوري الإيراني", "عصائب أهل الحق", "عصائب أهل الحق", "الحكومة العراقية"],
        "weight": [3, 1, 2, 4],
    })
    return actors, events, attacks, places, edges


def _all_figures():
    actors, events, attacks, places, edges = _frames()
    colors = dict(zip(actors["name"], actors["alignment"]))
    return {
        "barh": F.barh(actors, "name", "n", title="الجهات الأكثر ذكراً", xlabel="عدد الإشارات",
                       color="alignment")[0],
        "timeline": F.timeline(events, "date", "label", title="محطات الوجود الأمريكي")[0],
        "timeline_groups": F.timeline(events, "date", "label", group="group")[0],
        "stacked": F.stacked_bar(attacks, "month", "alignment", "n", title="الهجمات حسب الشهر",
                                 ylabel="عدد الهجمات")[0],
        "grouped": F.bar_grouped(attacks, "month", "alignment", "n",
                                 group_labels={"ISIS": "داعش", "other": "أخرى"})[0],
        "map": F.scatter_map(places, "lon", "lat", "name", size="n", color="alignment",
                             title="القواعد")[0],
        "network": F.network(edges, node_colors=colors, title="شبكة الفاعلين")[0],
    }


@needs_native
def test_every_text_drawn_matches_harfbuzz():
    """Draw every kind of figure with Agg, record each text line and the glyph ids actually
    rasterised, and compare with HarfBuzz. Warnings (missing glyphs) are errors."""
    seen = set()
    for name, fig in _all_figures().items():
        with S.recording_agg() as records, warnings.catch_warnings():
            warnings.simplefilter("error")
            fig.canvas.draw()
        assert records, name
        for s, files, glyphs in records:
            seen.add(s)
            assert not S.PRESENTATION_FORMS.search(s), (name, s)
            want = S.reference_glyphs(s, files)
            assert [glyphs] == want, (name, s, glyphs, want)
    for must in ["كتائب حزب الله", "قصف عين الأسد (Ain al-Asad) 2020", "الحوار الاستراتيجي ٢٠٢١",
                 "شبكة الفاعلين", "آذار ٢٠٢٠", "داعش", "عين الأسد (Ain al-Asad)", "Iran-aligned"]:
        assert must in seen, must


@needs_native
def test_double_processed_title_is_refused_when_saving(tmp_path):
    fig, ax = F.new_figure()
    ax.set_title(get_display(arabic_reshaper.reshape("كتائب حزب الله")))
    with pytest.raises(ValueError):
        F.save_figure(fig, "bad", directory=tmp_path)
    assert not list(tmp_path.iterdir())


def test_missing_glyph_is_an_error(tmp_path):
    fig, ax = F.new_figure()
    ax.set_title("\u4e2d\u6587")  # CJK: in neither IBM Plex Sans Arabic nor DejaVu Sans
    with pytest.raises(F.MissingGlyphError):
        F.save_figure(fig, "tofu", directory=tmp_path)
    fig, ax = F.new_figure()
    ax.set_title("\u4e2d")
    with pytest.raises(F.MissingGlyphError), F.glyph_errors():
        fig.canvas.draw()


def test_default_reshaper_allah_ligature_is_missing_in_dejavu():
    """Why the reshaper must be tuned: untuned, الله becomes U+FDF2, absent from DejaVu."""
    F.setup(force_reshape=True, font=DEJAVU)
    fig, ax = F.new_figure()
    ax.set_title("\u202d" + get_display(arabic_reshaper.reshape("حزب الله")) + "\u202c")
    with pytest.raises(F.MissingGlyphError), F.glyph_errors():
        fig.canvas.draw()
    fig, ax = F.new_figure()
    ax.set_title(F.ar("حزب الله"))
    with F.glyph_errors():
        fig.canvas.draw()


def test_save_figure_writes_stable_files_and_labels(tmp_path):
    figs = _all_figures()
    for name, fig in figs.items():
        out = F.save_figure(fig, name, formats=("png", "svg"), directory=tmp_path)
        assert out == [tmp_path / f"{name}.png", tmp_path / f"{name}.svg"]
        assert not matplotlib.pyplot.fignum_exists(fig.number)
        png = out[0].read_bytes()
        assert b"Software" not in png and b"matplotlib" not in png.lower()
        svg = out[1].read_text(encoding="utf-8")
        assert "<dc:date>" not in svg and "Matplotlib v" not in svg
        side = json.loads((tmp_path / f"{name}.labels.json").read_text(encoding="utf-8"))
        assert side["mode"] == F.shaping_mode() and side["labels"]
    side = json.loads((tmp_path / "barh.labels.json").read_text(encoding="utf-8"))
    logical = [lab["logical"] for lab in side["labels"]]
    assert "كتائب حزب الله" in logical and "الجهات الأكثر ذكراً" in logical
    img = F.show_saved([tmp_path / "barh.svg", tmp_path / "barh.png"])
    assert img.data == (tmp_path / "barh.png").read_bytes()


def test_reshape_mode_sidecar_keeps_logical_labels(tmp_path):
    F.setup(force_reshape=True)
    actors = _frames()[0]
    fig = F.barh(actors, "name", "n", title="الجهات الأكثر ذكراً")[0]
    F.save_figure(fig, "r", formats=("png",), directory=tmp_path)
    side = json.loads((tmp_path / "r.labels.json").read_text(encoding="utf-8"))
    assert side["mode"] == "reshape"
    by_logical = {lab["logical"]: lab["drawn"] for lab in side["labels"]}
    assert by_logical["كتائب حزب الله"] == F.ar("كتائب حزب الله") != "كتائب حزب الله"


def test_network_layout_is_fixed():
    _, _, _, _, edges = _frames()
    a = F.network(edges)[1]
    b = F.network(edges.iloc[::-1])[1]
    pa = sorted((t.get_text(), t.get_position()) for t in a.texts)
    pb = sorted((t.get_text(), t.get_position()) for t in b.texts)
    assert pa == pb
    g = nx.from_pandas_edgelist(edges, edge_attr="weight")
    pc = sorted((t.get_text(), t.get_position()) for t in F.network(g)[1].texts)
    assert pa == pc


# ------------------------------------------------------------------------ determinism
SCRIPT = textwrap.dedent("""
    import sys
    import pandas as pd
    from iraqkit import figures as F
    F.setup()
    df = pd.DataFrame({"name": ["كتائب حزب الله", "عين الأسد (Ain al-Asad) 2020",
                                "الحوار الاستراتيجي ٢٠٢١"], "n": [3, 5, 2],
                       "al": ["Iran-aligned", "US-led", "Iraqi government"]})
    fig = F.barh(df, "name", "n", title="هجمات ٢٠٢١", color="al")[0]
    F.save_figure(fig, "bar", formats=("png", "svg", "pdf"), dpi=100, directory=sys.argv[1])
    fig = F.network([("كتائب حزب الله", "الحرس الثوري الإيراني", 2), ("أ", "ب", 1)])[0]
    F.save_figure(fig, "net", formats=("png", "svg"), dpi=100, directory=sys.argv[1])
""")


def test_two_processes_write_identical_bytes(tmp_path):
    outs = []
    for run in ("a", "b"):
        d = tmp_path / run
        subprocess.run([sys.executable, "-c", SCRIPT, str(d)], check=True, cwd=ROOT,
                       timeout=120)
        outs.append({p.name: p.read_bytes() for p in sorted(d.iterdir())})
    assert sorted(outs[0]) == ["bar.labels.json", "bar.pdf", "bar.png", "bar.svg",
                               "net.labels.json", "net.png", "net.svg"]
    for name in outs[0]:
        assert outs[0][name] == outs[1][name], name


@pytest.mark.parametrize("kind", ["barh", "timeline", "timeline_groups", "stacked", "grouped", "map", "network"])
def test_save_figure_bytes_equal_a_full_draw_then_savefig(tmp_path, kind):
    """save_figure lays the figure out once, without rasterising it (cheaper), and draws every
    file from that layout, each text laid out once per renderer; the files must be the bytes
    of the straightforward way: a full screen draw, the layout kept (engine "none"), then
    savefig per format. The first draw matters: without it the timeline, network and map
    figures come out different."""
    def make():
        figs = _all_figures()
        fig = figs.pop(kind)
        for other in figs.values():
            matplotlib.pyplot.close(other)
        return fig

    F.save_figure(make(), kind, directory=tmp_path / "fast")
    fig = make()
    ref = tmp_path / "ref"
    ref.mkdir()
    fig.canvas.draw()
    fig.set_layout_engine("none")
    for fmt in ("png", "svg"):
        fig.savefig(ref / f"{kind}.{fmt}", format=fmt, dpi=300, metadata=F.SAVE_METADATA[fmt],
                    **({"pil_kwargs": F.PNG_OPTIONS} if fmt == "png" else {}))
    labels = F.figure_labels(fig)
    matplotlib.pyplot.close("all")
    for fmt in ("png", "svg"):
        assert (tmp_path / "fast" / f"{kind}.{fmt}").read_bytes() == (ref / f"{kind}.{fmt}").read_bytes(), fmt
    # the labels are those of the full draw (save_figure reads them after the PNG's draw)
    side = json.loads((tmp_path / "fast" / f"{kind}.labels.json").read_text(encoding="utf-8"))
    assert side["labels"] == labels


@pytest.mark.parametrize("kind", ["barh", "timeline", "timeline_groups", "stacked", "grouped", "map", "network"])
def test_lay_out_places_the_axes_as_a_full_draw(kind):
    """_lay_out runs only the part of a first draw that places the axes (aspect, then the
    layout engine): every axes ends up exactly where a full draw without output puts it."""
    figs = _all_figures()
    fig = figs.pop(kind)
    F._lay_out(fig)
    fast = [ax.get_position(original=False).bounds for ax in fig.axes]
    fast_orig = [ax.get_position(original=True).bounds for ax in fig.axes]
    matplotlib.pyplot.close("all")
    fig = _all_figures()[kind]
    before = [ax.get_position(original=True).bounds for ax in fig.axes]
    fig.draw_without_rendering()
    assert fast == [ax.get_position(original=False).bounds for ax in fig.axes]
    assert fast_orig == [ax.get_position(original=True).bounds for ax in fig.axes]
    assert fast_orig != before  # the layout did move them (else this test shows nothing)
    matplotlib.pyplot.close("all")


def test_text_layouts_reused_only_while_nothing_they_depend_on_changed(monkeypatch):
    """_text_layouts_reused keeps each text's layout per renderer: asked again, a text is not
    laid out again; changed in anything its layout reads, it is, and its layouts are the
    ones matplotlib computes without the reuse. matplotlib's own method is back afterwards."""
    import matplotlib.text as mtext

    calls = []
    original = mtext.Text._get_layout
    monkeypatch.setattr(mtext.Text, "_get_layout", lambda self, r: calls.append(1) or original(self, r))
    counting = mtext.Text._get_layout
    changes = [
        lambda t: t.set_text(F.ar("عين الأسد (Ain al-Asad) 2020")),
        lambda t: t.set_fontsize(17),
        lambda t: t.set_fontweight("bold"),
        lambda t: t.set_rotation(30),
        lambda t: t.set_rotation_mode("anchor"),
        lambda t: t.set_horizontalalignment("right"),
        lambda t: t.set_verticalalignment("top"),
        lambda t: t.set_text(F.ar("سطر أول\nسطر ثان أطول")),
        lambda t: t.set_multialignment("center"),  # (it followed the alignment: right)
        lambda t: t.set_horizontalalignment("left"),  # the lines keep their own alignment
        lambda t: t.set_linespacing(2.5),
        lambda t: t.get_figure(root=True).set_dpi(150),
        lambda t: t.set_text("x $a^{2}$"),
        lambda t: t.set_parse_math(True),  # (setup turns it off)
    ]

    def layouts(reuse: bool) -> list[tuple]:
        fig, ax = F.new_figure()
        t = ax.text(0.5, 0.5, F.ar("كتائب حزب الله"))
        renderer = fig.canvas.get_renderer()

        def layout():  # the extent, and each line's size and place in it
            box, lines, _ = t._get_layout(renderer)
            return box.bounds, [(s, tuple(map(float, wad)), tuple(map(float, xy))) for s, wad, xy in lines]

        out = []
        with F._text_layouts_reused() if reuse else contextlib.nullcontext():
            out.append(layout())
            for change in changes:
                n = len(calls)
                assert layout() == out[-1]
                assert len(calls) == n + (not reuse)  # kept: not laid out again
                change(t)
                out.append(layout())
                assert len(calls) == n + 1 + (not reuse)  # changed: laid out again
                assert out[-1] != out[-2]
        matplotlib.pyplot.close(fig)
        return out

    assert layouts(reuse=True) == layouts(reuse=False)
    assert mtext.Text._get_layout is counting


def test_text_layouts_reused_by_two_threads_leave_matplotlib_as_it_was():
    """Two saves in two threads: the second waits for the first, so neither puts back the
    other's replacement (interleaved, the second would restore the first's, for good)."""
    import threading
    import time

    import matplotlib.text as mtext

    original = mtext.Text.__dict__["_get_layout"]
    first_in = threading.Event()
    seen = []

    def first():
        with F._text_layouts_reused():
            first_in.set()
            time.sleep(0.3)  # the second thread tries to enter meanwhile
            seen.append(mtext.Text.__dict__["_get_layout"])

    def second():
        first_in.wait()
        with F._text_layouts_reused():
            seen.append(mtext.Text.__dict__["_get_layout"])
            time.sleep(0.6)  # interleaved, the first would leave before this one

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert len(seen) == 2 and all(f is not original for f in seen)
    assert mtext.Text.__dict__["_get_layout"] is original


def test_labels_are_read_after_a_full_draw(tmp_path):
    """The map's axes get their final limits from their aspect after the layout: a tick
    label that the layout pass alone still holds is not drawn, and must not be listed."""
    places = pd.DataFrame({  # a wide region: Yemen to Tehran (the report's map of attack places)
        "name": ["قاعدة عين الأسد", "مطار بغداد الدولي", "المنطقة الخضراء", "كركوك", "إقليم كردستان",
                 "العراق", "الأردن", "اليمن", "مرتفعات الجولان", "طهران"],
        "lon": [42.4411, 44.2346, 44.385, 44.3922, 44.39, 44.0, 36.0, 48.5164, 35.75, 51.389],
        "lat": [33.7856, 33.2625, 33.305, 35.4681, 36.41, 33.0, 31.0, 15.5527, 33.0, 35.6892],
        "n": [5, 3, 2, 1, 1, 4, 1, 1, 1, 1]})

    def make():
        return F.scatter_map(places, "lon", "lat", "name", size="n", title="أماكن الهجمات")[0]

    fig = make()
    F._lay_out(fig)
    only_layout = {d["drawn"] for d in F.figure_labels(fig)}
    matplotlib.pyplot.close("all")
    fig = make()
    fig.canvas.draw()
    drawn = {d["drawn"] for d in F.figure_labels(fig)}
    matplotlib.pyplot.close("all")
    assert only_layout - drawn  # the case exists: a tick label only the layout pass holds
    F.save_figure(make(), "map", directory=tmp_path)
    side = json.loads((tmp_path / "map.labels.json").read_text(encoding="utf-8"))
    assert {d["drawn"] for d in side["labels"]} == drawn
    # without a PNG, a draw without output gives the same labels
    F.save_figure(make(), "map_svg", formats=("svg",), directory=tmp_path)
    matplotlib.pyplot.close("all")
    side = json.loads((tmp_path / "map_svg.labels.json").read_text(encoding="utf-8"))
    assert {d["drawn"] for d in side["labels"]} == drawn


def test_save_figure_lays_out_once(tmp_path, monkeypatch):
    """One constrained-layout pass per saved figure, whatever the number of formats, and the
    axes stay where that pass put them (the files agree with what the labels were read from)."""
    from matplotlib import layout_engine

    calls = []
    orig = layout_engine.do_constrained_layout
    monkeypatch.setattr(layout_engine, "do_constrained_layout",
                        lambda *a, **k: calls.append(1) or orig(*a, **k))
    figs = _all_figures()
    for kind, fig in figs.items():
        assert fig.get_layout_engine() is not None, kind
        calls.clear()
        F.save_figure(fig, kind, formats=("png", "svg", "pdf"), directory=tmp_path)
        assert len(calls) == 1, kind
        assert fig.get_layout_engine() is None or type(fig.get_layout_engine()).__name__ == "PlaceHolderLayoutEngine"


# ------------------------------------------------------------------------ saved figures
def _saved_labels():
    out = []
    for side in sorted(Path(paths.FIGURES).glob("*.labels.json")):
        data = json.loads(side.read_text(encoding="utf-8"))
        for i, lab in enumerate(data["labels"]):
            out.append(pytest.param(data["mode"], lab, id=f"{side.name}:{i}"))
    return out


def _font_file(name: str) -> str:
    for p in [*F.font_paths(), Path(DEJAVU)]:
        if p.name == name:
            return str(p)
    pytest.fail(f"font {name} of a saved label is not installed")


@pytest.mark.parametrize("mode,label", _saved_labels())
def test_saved_figure_labels(mode, label):
    """Every label of every figure in figures/ (sidecars written by save_figure)."""
    files = [_font_file(label["font"]), DEJAVU] if label["font"] else fonts()
    if mode == "native":
        assert label["drawn"] == label["logical"]
        assert not S.PRESENTATION_FORMS.search(label["drawn"])
        if F.native_shaping_available():
            assert S.compare_native(label["logical"], files) == "match", \
                S.describe(label["logical"], files)
    else:
        F.setup(force_reshape=True, font=files[0] if files[0] == DEJAVU else None)
        assert F.ar(label["logical"]) == label["drawn"]
        if files[0] == DEJAVU:
            assert S.compare_reshaped(label["logical"], label["drawn"], DEJAVU,
                                      HARAKAT_RE) == "match"
        else:  # other fonts' presentation forms need not map 1:1: at least no .notdef
            assert all(g for line in S.cmap_glyphs(label["drawn"], files[0]) for _, g in line)
