"""Reference shaping for the figure tests, independent of ``iraqkit.figures``.

What "a label is drawn right" means here: the sequence of glyphs matplotlib lays out for it
(left to right, each as ``(font file name, glyph id)``) equals the sequence an independent
shaper produces for the label's LOGICAL text with the same font files:

1. **Bidi levels** per character come from python-bidi's Rust UBA (the ``unicode-bidi``
   crate, which implements bracket pairs, N0), read from its ``debug=True`` output. L1 is
   applied by hand (trailing whitespace back to the paragraph level). matplotlib uses a
   different implementation (SheenBidi inside libraqm), so the two are independent.
2. **Itemisation**: the line is cut into runs of equal (level, font, script). The font of a
   character is the first file of the font list whose cmap has it (marks and format
   characters stay with their base), the script is Arabic / Latin for letters of those
   scripts, anything else inherits from its neighbour.
3. **Shaping**: each run is shaped by HarfBuzz (uharfbuzz) with the whole line as context,
   direction RTL for odd levels, LTR for even ones. HarfBuzz returns RTL runs already in
   visual order.
4. **Visual order**: runs are reordered by UBA rule L2 (reverse every maximal sequence of runs
   at level >= k, for k from the highest level down to the lowest odd level).

The glyphs matplotlib really lays out are read with ``matplotlib.ft2font.FT2Font._layout``
(what ``RendererAgg.draw_text`` and the PDF/PS/SVG-path text code call in 3.11) on the font
matplotlib itself resolves (``font_manager.get_font`` over the file list, i.e. with its
fallback list) – or, stronger, recorded while a figure is drawn (:func:`recording_agg`).
"""
from __future__ import annotations

import contextlib
import re
import unicodedata
from functools import lru_cache
from pathlib import Path

import uharfbuzz as hb

Glyph = tuple[str, int]

LRO, PDF = "\u202d", "\u202c"
PRESENTATION_FORMS = re.compile("[\uFB50-\uFDFF\uFE70-\uFEFF]")
ARABIC = re.compile("[\u0600-\u06FF\u0750-\u077F\u0870-\u08FF\uFB50-\uFDFF\uFE70-\uFEFF]")


# ----------------------------------------------------------------------------- bidi
def bidi_levels(line: str) -> tuple[list[int], int]:
    """Resolved embedding level of each character of one line, and the paragraph level."""
    from bidi import get_base_level, get_display

    if not line:
        return [], 0
    info = get_display(line, debug=True)
    byte_levels = [int(x) for x in re.findall(r"Level\(\s*(\d+),?\s*\)",
                                                info.split("paragraphs:")[0])]
    levels, pos = [], 0
    for ch in line:
        levels.append(byte_levels[pos])
        pos += len(ch.encode("utf-8"))
    assert pos == len(byte_levels), "python-bidi debug output changed: cannot read levels"
    base = get_base_level(line)
    i = len(line) - 1  # L1: trailing whitespace / isolates to paragraph level
    while i >= 0 and unicodedata.bidirectional(line[i]) in {"WS", "S", "B", "BN", "LRI", "RLI",
                                                             "FSI", "PDI"}:
        levels[i] = base
        i -= 1
    return levels, base


def l2_order(levels: list[int]) -> list[int]:
    """Indices of *levels* in visual order (UBA L2)."""
    order = list(range(len(levels)))
    if not levels:
        return order
    lowest_odd = min(levels) | 1
    for k in range(max(levels), lowest_odd - 1, -1):
        i = 0
        while i < len(order):
            if levels[order[i]] >= k:
                j = i
                while j < len(order) and levels[order[j]] >= k:
                    j += 1
                order[i:j] = order[i:j][::-1]
                i = j
            else:
                i += 1
    return order


# ----------------------------------------------------------------------------- fonts
@lru_cache(maxsize=None)
def hb_font(path: str) -> hb.Font:
    """A HarfBuzz font for a font file (cached)."""
    return hb.Font(hb.Face(hb.Blob.from_file_path(path)))


def has_glyph(path: str, ch: str) -> bool:
    """Whether the cmap of the font file maps *ch*."""
    return bool(hb_font(path).get_nominal_glyph(ord(ch)))


def _script(ch: str) -> str | None:
    if ARABIC.match(ch) and unicodedata.category(ch).startswith("L"):
        return "Arab"
    if unicodedata.category(ch).startswith("L") and unicodedata.name(ch, "").startswith("LATIN"):
        return "Latn"
    if "\u0660" <= ch <= "\u0669" or "\u06f0" <= ch <= "\u06f9":
        return "Arab"  # Arabic-Indic digits have Script=Arabic
    return None


def _inherit(values: list) -> list:
    out = list(values)
    for i in range(1, len(out)):
        if out[i] is None:
            out[i] = out[i - 1]
    for i in range(len(out) - 2, -1, -1):
        if out[i] is None:
            out[i] = out[i + 1]
    return out


_PAIRS = {"(": ")", "[": "]", "{": "}", "\u00ab": "\u00bb", "<": ">"}


def resolve_scripts(line: str) -> list[str | None]:
    """Script of each character, UAX #24 style: Common/Inherited characters take the script of
    the text before them, except that a closing bracket takes the script of its opening
    bracket (so "عين (Ain) 2020" keeps "2020" in the Arabic run, as libraqm does); leading
    Common characters take the first real script."""
    out: list[str | None] = []
    stack: list[tuple[str, str | None]] = []
    current: str | None = None
    for ch in line:
        sc = _script(ch)
        if sc is not None:
            current = sc
        elif ch in _PAIRS:
            stack.append((_PAIRS[ch], current))
            sc = current
        elif stack and ch in _PAIRS.values():
            for k in range(len(stack) - 1, -1, -1):
                if stack[k][0] == ch:
                    sc = current = stack[k][1]
                    del stack[k:]
                    break
            else:
                sc = current
        else:
            sc = current
        out.append(sc)
    return _inherit(out)


def _char_fonts(line: str, fonts: list[str]) -> list[str | None]:
    chosen: list[str | None] = []
    for ch in line:
        if unicodedata.category(ch) in {"Mn", "Me", "Cf"}:
            chosen.append(None)  # stays with its base
            continue
        chosen.append(next((f for f in fonts if has_glyph(f, ch)), fonts[0]))
    return _inherit(chosen) if any(c is not None for c in chosen) else [fonts[0]] * len(line)


# ----------------------------------------------------------------------------- shaping
def shape_line(line: str, fonts: list[str]) -> list[Glyph]:
    """HarfBuzz glyphs, in visual (left-to-right) order, of one logical line."""
    if not line:
        return []
    levels, _ = bidi_levels(line)
    fonts_of = _char_fonts(line, fonts)
    scripts = resolve_scripts(line)
    runs: list[tuple[int, int]] = []
    start = 0
    for i in range(1, len(line) + 1):
        if i == len(line) or (levels[i], fonts_of[i], scripts[i]) != (
                levels[start], fonts_of[start], scripts[start]):
            runs.append((start, i))
            start = i
    cps = [ord(c) for c in line]
    shaped: list[list[Glyph]] = []
    for a, b in runs:
        buf = hb.Buffer()
        buf.add_codepoints(cps, a, b - a)
        buf.direction = "rtl" if levels[a] % 2 else "ltr"
        if scripts[a]:
            buf.set_script_from_ot_tag(scripts[a].lower())
        buf.guess_segment_properties()
        hb.shape(hb_font(fonts_of[a]), buf)
        name = Path(fonts_of[a]).name
        shaped.append([(name, g.codepoint) for g in buf.glyph_infos])
    run_levels = [levels[a] for a, _ in runs]
    return [g for k in l2_order(run_levels) for g in shaped[k]]


def reference_glyphs(label: str, fonts: list[str]) -> list[list[Glyph]]:
    """HarfBuzz glyphs of a logical label, one list per line (matplotlib lays out each line
    of a multi-line text on its own)."""
    return [shape_line(line, [str(f) for f in fonts]) for line in label.split("\n")]


def mpl_glyphs(drawn: str, fonts: list[str]) -> list[list[Glyph]]:
    """Glyphs matplotlib lays out for the string it was handed, per line: the call
    ``RendererAgg.draw_text`` makes (``FT2Font._layout`` on ``font_manager.get_font`` of the
    resolved file list, which carries matplotlib's fallback list)."""
    from matplotlib import font_manager
    from matplotlib.ft2font import LoadFlags

    font = font_manager.get_font([str(f) for f in fonts])
    font.set_size(12, 72)
    out = []
    for line in drawn.split("\n"):
        items = font._layout(line, LoadFlags.NO_HINTING) if line else []
        # Bidi format controls (LRO/PDF of the fallback path) come back as invisible
        # space glyphs (HarfBuzz hides default ignorables): they draw nothing, drop them.
        out.append([(Path(it.ft_object.fname).name, it.glyph_index) for it in items
                    if not (len(it.char) == 1 and unicodedata.category(it.char) == "Cf")])
    return out


def compare_native(label: str, fonts: list[str], drawn: str | None = None) -> str:
    """``"match"`` if matplotlib's layout of *drawn* (default: *label* itself, as handed to a
    shaping matplotlib) equals HarfBuzz's shaping of the logical *label*, else
    ``"mismatch"``. A ``.notdef`` glyph (id 0) is always a mismatch."""
    got = mpl_glyphs(label if drawn is None else drawn, fonts)
    want = reference_glyphs(label, fonts)
    if any(gid == 0 for line in got for _, gid in line):
        return "mismatch"
    return "match" if got == want else "mismatch"


def describe(label: str, fonts: list[str], drawn: str | None = None) -> str:
    """Human-readable diff for assertion messages."""
    got = mpl_glyphs(label if drawn is None else drawn, fonts)
    want = reference_glyphs(label, fonts)
    return f"label={label!r}\n matplotlib={got}\n harfbuzz  ={want}"


# ----------------------------------------------------------------------------- fallback
def strip_controls(text: str) -> str:
    return text.replace(LRO, "").replace(PDF, "")


def cmap_glyphs(visual: str, font: str) -> list[list[Glyph]]:
    """Glyphs of a visual (already reshaped, already reordered) string read straight from the
    font's cmap, left to right, per line; bidi controls dropped. Sound for a font such as
    DejaVu Sans whose presentation-form code points map 1:1 onto the glyphs its own GSUB
    (init/medi/fina, lam-alef rlig) produces."""
    name = Path(font).name
    f = hb_font(str(font))
    return [[(name, f.get_nominal_glyph(ord(c)) or 0) for c in strip_controls(line)]
            for line in visual.split("\n")]


def compare_reshaped(label: str, visual: str, font: str, strip: re.Pattern | None = None) -> str:
    """Fallback path check: the glyphs of the visual string (cmap, 1:1) must equal HarfBuzz's
    shaping of the logical label with the same single font (optionally after removing the
    characters *strip* matches, e.g. harakat the fallback deletes). ``"match"``/``"mismatch"``."""
    logical = strip.sub("", label) if strip is not None else label
    want = reference_glyphs(logical, [str(font)])
    got = cmap_glyphs(visual, str(font))
    if any(gid == 0 for line in got for _, gid in line):
        return "mismatch"
    return "match" if got == want else "mismatch"


# ----------------------------------------------------------------------------- recording
@contextlib.contextmanager
def recording_agg():
    """Record, while a figure is drawn with Agg, every text line handed to
    ``RendererAgg.draw_text`` with the glyphs actually rasterised and the font files
    matplotlib resolved for it. Yields a list of ``(string, font files, glyphs)``."""
    from matplotlib import font_manager
    from matplotlib.backends.backend_agg import RendererAgg

    records: list[tuple[str, list[str], list[Glyph]]] = []
    current: dict = {}
    orig_draw_text = RendererAgg.draw_text
    orig_glyphs = RendererAgg._draw_text_glyphs_and_boxes

    def draw_text(self, gc, x, y, s, prop, angle, ismath=False, mtext=None):
        current["s"] = s
        current["fonts"] = list(font_manager.fontManager._find_fonts_by_props(prop))
        try:
            return orig_draw_text(self, gc, x, y, s, prop, angle, ismath=ismath, mtext=mtext)
        finally:
            current.clear()

    def draw_glyphs(self, gc, x, y, angle, glyphs, boxes):
        glyphs = list(glyphs)
        if "s" in current:
            records.append((current["s"], current["fonts"],
                            [(Path(g[0].fname).name, g[2]) for g in glyphs]))
        return orig_glyphs(self, gc, x, y, angle, glyphs, boxes)

    RendererAgg.draw_text = draw_text
    RendererAgg._draw_text_glyphs_and_boxes = draw_glyphs
    try:
        yield records
    finally:
        RendererAgg.draw_text = orig_draw_text
        RendererAgg._draw_text_glyphs_and_boxes = orig_glyphs
