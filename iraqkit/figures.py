"""All plotting for iraqkit: Arabic labels that come out right, byte-identical files.

Every figure the notebooks cite is made here. Three rules hold for every text drawn:

1. **Shaping.** matplotlib >= 3.11 lays text out with libraqm (HarfBuzz + SheenBidi): a
   *logical* (typed-order) Arabic string is drawn joined and right-to-left, with digits,
   brackets and Latin in the right order. Feeding it the classic
   ``get_display(arabic_reshaper.reshape(s))`` applies bidi twice and silently REVERSES the
   label. Older matplotlib (or a build without complex text layout) needs exactly that classic
   path. :func:`setup` probes which case it runs in (a real layout of a probe string, not a
   version check) and :func:`ar` prepares a label accordingly:

   * ``'native'``: the label is handed over unchanged (and rejected if it already holds Arabic
     presentation forms, the trace of double processing);
   * ``'reshape'``: arabic-reshaper (configured for the font in use, so it never emits a
     ligature the font lacks) + bidi reordering, wrapped in LRO…PDF so that a shaping
     matplotlib does not reorder it again. Forced with ``IRAQKIT_FORCE_RESHAPE=1``,
     ``setup(force_reshape=True)`` or ``ar(text, reshape=True)``.

2. **Fonts.** IBM Plex Sans Arabic (PyPI ``fontpkg-ibm-plex-sans-arabic``) first, DejaVu Sans
   as fallback family. A glyph missing from every font is an error
   (:class:`MissingGlyphError`), never a tofu box with a warning.

3. **Files.** :func:`save_figure` is the one saver: stable names, metadata that carries no
   date or version, a fixed SVG hash salt, so two runs give identical bytes; plus a sidecar
   ``<name>.labels.json`` with every label in logical order, re-checked by the test suite
   against HarfBuzz.
"""
from __future__ import annotations

import concurrent.futures
import contextlib
import functools
import json
import os
import re
import threading
import unicodedata
import warnings
import zlib
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib
import matplotlib.font_manager as font_manager
import matplotlib.pyplot as plt
import matplotlib.text as mtext
import numpy as np
import pandas as pd

from iraqkit import paths

__all__ = [
    "ALIGNMENT_COLORS",
    "DoubleShapingError",
    "FALLBACK_FAMILY",
    "FORCE_RESHAPE_ENV",
    "MissingGlyphError",
    "ar",
    "bar_grouped",
    "barh",
    "bilingual",
    "figure_labels",
    "font_path",
    "font_paths",
    "glyph_errors",
    "has_arabic",
    "has_presentation_forms",
    "labels_path",
    "logical",
    "native_shaping_available",
    "network",
    "new_figure",
    "save_figure",
    "scatter_map",
    "setup",
    "shaping_mode",
    "show_saved",
    "stacked_bar",
    "timeline",
]

#: Environment variable that forces the reshape (fallback) path when set to 1/true/yes.
FORCE_RESHAPE_ENV = "IRAQKIT_FORCE_RESHAPE"
#: fontpkg slug of the primary font.
PRIMARY_FONT = "ibm-plex-sans-arabic"
#: Fallback family (ships with matplotlib).
FALLBACK_FAMILY = "DejaVu Sans"
#: Fixed SVG hash salt (ids of clip paths etc. are derived from it).
SVG_HASHSALT = "iraqkit-figures"
#: Seed of every random layout (network spring layout, jitter).
SEED = 20200103

#: Fixed colours for the alignment of an actor (codebook values). Colour-blind-safe
#: (Okabe–Ito based); keep them stable, figures are compared across reports.
ALIGNMENT_COLORS: dict[str, str] = {
    "US-led": "#0072B2",
    "Iraqi government": "#009E73",
    "Iran-aligned": "#D55E00",
    "Kurdish": "#E69F00",
    "ISIS": "#000000",
    "Israel": "#56B4E9",
    "other": "#999999",
}

#: Pillow's options for the PNG files: zlib's run-length strategy. The charts are mostly flat
#: colour, for which it compresses about 1.7x faster than the default strategy, for files
#: about 14 % larger (still lossless: the pixels are the same).
PNG_OPTIONS: dict[str, Any] = {"compress_type": zlib.Z_RLE}
#: Formats matplotlib draws with their own renderer (not on the Agg canvas the PNG comes from).
_VECTOR_FORMATS = frozenset({"svg", "svgz", "pdf", "ps", "eps", "pgf"})

#: Metadata that makes saved files independent of time and software versions.
SAVE_METADATA: dict[str, dict[str, Any]] = {
    "png": {"Software": None},
    "svg": {"Date": None, "Creator": None},
    "pdf": {"CreationDate": None, "Creator": None, "Producer": None},
}

_PRESENTATION_FORMS = re.compile("[\uFB50-\uFDFF\uFE70-\uFEFF]")
_ARABIC = re.compile("[\u0600-\u06FF\u0750-\u077F\u0870-\u08FF\uFB50-\uFDFF\uFE70-\uFEFF]")
_LRO, _PDF = "\u202d", "\u202c"
_MISSING_GLYPH_MESSAGE = r"(?s)Glyph .* missing from (font|current font)"

# The probe for native shaping: beh + teh. A shaping layout joins them (beh takes its
# initial form, so its glyph differs from the cmap's nominal glyph) and puts teh to the left.
_PROBE = "\u0628\u062a"


class MissingGlyphError(RuntimeError):
    """A character of a label has no glyph in any font of the family list."""


class DoubleShapingError(ValueError):
    """A label was prepared twice (presentation forms reached a shaping step)."""


class _State:
    configured: bool = False
    mode: str | None = None
    primary: Path | None = None
    family: str | None = None
    reshaper: Any = None
    logical: dict[str, str] = {}


_STATE = _State()


# --------------------------------------------------------------------------- fonts
def font_path(weight: int | str = 400) -> Path:
    """Path of the IBM Plex Sans Arabic file of *weight* (400 regular, 700 bold, …)."""
    import fontpkg

    return Path(fontpkg.path(PRIMARY_FONT, weight=weight))


def font_paths() -> list[Path]:
    """Every IBM Plex Sans Arabic file shipped by the fontpkg package, sorted."""
    import fontpkg

    return sorted(f.path for f in fontpkg.family(PRIMARY_FONT).files)


def _fallback_path() -> Path:
    return Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"


def native_shaping_available(font_file: str | os.PathLike | None = None) -> bool:
    """Whether this matplotlib shapes complex text itself.

    Lays out a two-letter Arabic probe with matplotlib's own text layout and checks that it
    came back joined (the first letter's glyph is not the font's nominal, isolated glyph) and
    right-to-left (the logically last letter is drawn first, on the left). Any failure –
    no ``FT2Font._layout`` (matplotlib < 3.11), a build without libraqm, an exception –
    means ``False``.
    """
    try:
        from matplotlib import ft2font

        if not hasattr(ft2font.FT2Font, "_layout"):
            return False
        font = ft2font.FT2Font(str(font_file or font_path()))
        font.set_size(12, 72)
        items = list(font._layout(_PROBE, ft2font.LoadFlags.NO_HINTING))
        if len(items) != 2:
            return False
        left, right = items
        if (left.char, right.char) != (_PROBE[1], _PROBE[0]):
            return False
        if not left.x < right.x:
            return False
        return right.glyph_index != font.get_char_index(ord(_PROBE[0]))
    except Exception:  # noqa: BLE001 - any failure means "no native shaping"
        return False


def _env_forces_reshape() -> bool:
    return os.environ.get(FORCE_RESHAPE_ENV, "").strip().lower() in {"1", "true", "yes", "on"}


def setup(force_reshape: bool | None = None, *, font: str | os.PathLike | None = None) -> None:
    """Register the fonts, set deterministic rcParams and choose the shaping mode.

    Idempotent: fonts are registered once, the rcParams are (re)applied on every call, so
    calling it again restores them after a style change; other arguments reconfigure
    (tests use that to switch modes).

    Parameters
    ----------
    force_reshape
        ``True`` forces the arabic-reshaper + bidi fallback, ``False`` forbids it (raises if
        matplotlib cannot shape), ``None`` (default) decides from the environment variable
        ``IRAQKIT_FORCE_RESHAPE`` and then from :func:`native_shaping_available`.
    font
        Primary font file; default IBM Plex Sans Arabic Regular. Its family goes first in
        ``font.family`` and the fallback reshaper is tuned to its cmap.
    """
    primary = Path(font) if font is not None else font_path()
    if force_reshape is None and _env_forces_reshape():
        force_reshape = True
    if force_reshape:
        mode = "reshape"
    elif native_shaping_available(primary):
        mode = "native"
    elif force_reshape is False:
        raise RuntimeError("force_reshape=False, but this matplotlib does not shape Arabic "
                           "(no complex text layout); use matplotlib >= 3.11")
    else:
        mode = "reshape"
    fm = font_manager.fontManager
    known = {Path(f.fname) for f in fm.ttflist}
    files = [primary] + ([p for p in font_paths() if p != primary] if font is None else [])
    for f in files:
        if f not in known:
            fm.addfont(str(f))
    family = font_manager.FontProperties(fname=str(primary)).get_name()
    families = [family] + ([FALLBACK_FAMILY] if family != FALLBACK_FAMILY else [])

    matplotlib.rcParams.update({
        "font.family": families,
        "axes.unicode_minus": False,  # U+2212 is fine in both fonts, but keep labels plain ASCII
        "text.parse_math": False,  # a "$" in a news label must not start mathtext
        "svg.hashsalt": SVG_HASHSALT,
        "svg.fonttype": "path",
        "svg.id": None,
        "pdf.fonttype": 42,
        "path.simplify": True,
        "savefig.dpi": 300,
    })

    if _STATE.primary != primary:
        _STATE.reshaper = None  # tuned to the old font: built again, for this one, when needed
    _STATE.mode = mode
    _STATE.primary = primary
    _STATE.family = family
    _STATE.configured = True


def _ensure_setup() -> None:
    if not _STATE.configured:
        setup()


def shaping_mode() -> str:
    """``'native'`` (matplotlib shapes Arabic) or ``'reshape'`` (arabic-reshaper + bidi)."""
    _ensure_setup()
    assert _STATE.mode is not None
    return _STATE.mode


# --------------------------------------------------------------------------- labels
def has_arabic(text: str) -> bool:
    """Whether *text* holds any Arabic letter (base or presentation form)."""
    return bool(_ARABIC.search(text))


def has_presentation_forms(text: str) -> bool:
    """Whether *text* holds Arabic presentation forms (U+FB50–FDFF, U+FE70–FEFF)."""
    return bool(_PRESENTATION_FORMS.search(text))


def _bidi_levels(text: str) -> tuple[list[int], int]:
    """Resolved UBA embedding levels per character (python-bidi's Rust UBA) and the
    paragraph level. python-bidi reports levels per UTF-8 byte; map them to characters."""
    from bidi import get_base_level, get_display

    info = get_display(text, debug=True)
    byte_levels = [int(x) for x in re.findall(r"Level\(\s*(\d+),?\s*\)", info.split("paragraphs:")[0])]
    levels: list[int] = []
    pos = 0
    for ch in text:
        levels.append(byte_levels[pos])
        pos += len(ch.encode("utf-8"))
    if pos != len(byte_levels):
        raise RuntimeError("unexpected python-bidi debug output; cannot read bidi levels")
    base = get_base_level(text) if text else 0
    # UBA L1: trailing whitespace (and isolate/format controls) goes back to paragraph level.
    i = len(text) - 1
    while i >= 0 and unicodedata.bidirectional(text[i]) in {"WS", "S", "B", "BN", "FSI", "LRI", "RLI", "PDI"}:
        levels[i] = base
        i -= 1
    return levels, base


def _visual_line(line: str) -> str:
    """Bidi reordering (UBA L2) of one line plus mirroring of characters at odd levels."""
    if not line:
        return line
    from bidi.mirror import MIRRORED

    levels, _ = _bidi_levels(line)
    order = list(range(len(line)))
    top = max(levels)
    lowest_odd = min(lv for lv in levels) | 1
    for k in range(top, lowest_odd - 1, -1):
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
    out = []
    for idx in order:
        ch = line[idx]
        if levels[idx] % 2 and ch in MIRRORED:
            ch = MIRRORED[ch]
        out.append(ch)
    return "".join(out)


def _reshaper():
    """arabic-reshaper configured for the primary font (its cmap decides which ligatures and
    presentation forms it may emit), built on first use: native mode never needs it, and
    reading the font's cmap costs a notebook kernel ~40 ms."""
    if _STATE.reshaper is None:
        import arabic_reshaper

        config = arabic_reshaper.config_for_true_type_font(str(_STATE.primary))
        _STATE.reshaper = arabic_reshaper.ArabicReshaper(configuration=config)
    return _STATE.reshaper


def _reshape_visual(text: str) -> str:
    """Fallback path: reshape (font-tuned) + bidi reorder each line, wrap it in LRO…PDF."""
    lines = []
    reshaper = _reshaper()
    for line in text.split("\n"):
        if has_arabic(line):
            visual = _visual_line(reshaper.reshape(line))
            line = _LRO + visual + _PDF
        lines.append(line)
    return "\n".join(lines)


def ar(text: Any, *, reshape: bool | None = None) -> str:
    """Prepare a logical (typed-order) label for matplotlib.

    * native mode: returns *text* unchanged; raises :class:`DoubleShapingError` (a
      ``ValueError``) if it already holds Arabic presentation forms – somebody ran
      ``reshape``/``get_display`` on it, which a shaping matplotlib would draw reversed.
    * reshape mode (or ``reshape=True``): arabic-reshaper configured for the font in use,
      bidi reordering (with bracket mirroring), the line wrapped in LRO…PDF. Harakat are
      dropped on this path (arabic-reshaper's default: reordered marks would attach to the
      wrong letter).

    Strings without Arabic pass through unchanged in both modes. Non-strings are ``str()``-ed.
    """
    _ensure_setup()
    text = "" if text is None else str(text)
    if has_presentation_forms(text):
        raise DoubleShapingError(
            f"label already holds Arabic presentation forms (double-processed?): {text!r}")
    use_reshape = (_STATE.mode == "reshape") if reshape is None else reshape
    if not use_reshape or not has_arabic(text):
        return text
    prepared = _reshape_visual(text)
    _STATE.logical[prepared] = text
    return prepared


def logical(prepared: str) -> str:
    """The logical label behind a string returned by :func:`ar` (identity in native mode)."""
    return _STATE.logical.get(prepared, prepared)


def bilingual(ar_text: str, en_text: str | None = None) -> str:
    """``"عين الأسد (Ain al-Asad)"``: Arabic name with the Latin one in brackets, via :func:`ar`.

    An English name that has brackets of its own ("Islamic State (ISIS / Daesh)") is joined
    with " · " instead, so brackets never nest across the two scripts."""
    if en_text is None or str(en_text).strip() == "" or pd.isna(en_text):
        return ar(ar_text)
    if "(" in str(en_text) or ")" in str(en_text):
        return ar(f"{ar_text} · {en_text}")
    return ar(f"{ar_text} ({en_text})")


# --------------------------------------------------------------------------- checks
@contextlib.contextmanager
def glyph_errors():
    """Context in which matplotlib's missing-glyph warnings raise :class:`MissingGlyphError`."""
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=_MISSING_GLYPH_MESSAGE)
        try:
            yield
        except UserWarning as exc:
            if re.search(_MISSING_GLYPH_MESSAGE, str(exc)):
                raise MissingGlyphError(str(exc)) from exc
            raise


def _texts(fig) -> list[mtext.Text]:
    return [t for t in fig.findobj(mtext.Text) if t.get_visible() and t.get_text().strip()]


def _font_files(text: mtext.Text) -> list[str]:
    return list(font_manager.fontManager._find_fonts_by_props(text.get_fontproperties()))


@functools.lru_cache(maxsize=64)
def _loaded_font(path: str):
    """The font file at *path*, loaded once (its character map is all that is read)."""
    from matplotlib.ft2font import FT2Font

    return FT2Font(path)


def _check_coverage(fig) -> None:
    """Raise if a character of any label has no glyph in its font list (spaces and
    invisible format characters excepted)."""
    for t in _texts(fig):
        fonts = [_loaded_font(f) for f in _font_files(t)]
        for ch in t.get_text():
            if ch in "\n" or unicodedata.category(ch) in {"Cf", "Zs", "Cc"}:
                continue
            if not any(f.get_char_index(ord(ch)) for f in fonts):
                raise MissingGlyphError(
                    f"{unicodedata.name(ch, hex(ord(ch)))} in {t.get_text()!r} is missing from "
                    f"{[Path(f.fname).name for f in fonts]}")


def figure_labels(fig) -> list[dict[str, str]]:
    """Every non-empty visible text of *fig* (draw it first so tick labels exist), in
    first-seen order without repeats, as ``{"logical", "drawn", "font"}`` dicts.

    Raises :class:`DoubleShapingError` for presentation forms handed to a shaping
    matplotlib, or for a reshaped string that did not come from :func:`ar`.
    """
    _ensure_setup()
    seen: set[str] = set()
    out = []
    for t in _texts(fig):
        drawn = t.get_text()
        if drawn in seen:
            continue
        seen.add(drawn)
        if has_presentation_forms(drawn):
            if _STATE.mode == "native":
                raise DoubleShapingError(
                    f"presentation forms handed to a shaping matplotlib: {drawn!r}")
            if drawn not in _STATE.logical:
                raise DoubleShapingError(f"reshaped label not prepared by ar(): {drawn!r}")
        elif _STATE.mode == "reshape" and has_arabic(drawn):
            raise DoubleShapingError(f"Arabic label not prepared by ar() in reshape mode: {drawn!r}")
        files = _font_files(t)
        out.append({"logical": logical(drawn), "drawn": drawn,
                    "font": Path(files[0]).name if files else ""})
    return out


# --------------------------------------------------------------------------- figures
def new_figure(width: float = 8, height: float = 5):
    """A new ``(fig, ax)`` with the iraqkit style (constrained layout, fonts set up)."""
    _ensure_setup()
    fig, ax = plt.subplots(figsize=(width, height), layout="constrained")
    ax.spines[["top", "right"]].set_visible(False)
    return fig, ax


def _decorate(ax, title=None, xlabel=None, ylabel=None) -> None:
    if title:
        ax.set_title(ar(title))
    if xlabel:
        ax.set_xlabel(ar(xlabel))
    if ylabel:
        ax.set_ylabel(ar(ylabel))


def _color_of(value: Any, default: str = "#4C72B0") -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return default
    return ALIGNMENT_COLORS.get(str(value), str(value))


def _axes(ax, width, height):
    if ax is None:
        return new_figure(width, height)
    return ax.figure, ax


def barh(df: pd.DataFrame, label: str, value: str, *, title: str | None = None,
         xlabel: str | None = None, ylabel: str | None = None, color: str | None = None,
         sort: bool = True, annotate: bool = True, ax=None, width: float = 8,
         height: float | None = None):
    """Horizontal bars, one per row: ``df[label]`` (Arabic ok) against ``df[value]``.

    *color* is a column name (alignment values map through :data:`ALIGNMENT_COLORS`, other
    values are used as colours) or one colour. Largest bar on top when *sort*. Returns
    ``(fig, ax)``.
    """
    data = df.sort_values([value, label], ascending=[True, False], kind="mergesort") if sort else df.iloc[::-1]
    fig, ax = _axes(ax, width, height or max(3.0, 0.4 * len(data) + 1.5))
    if color is not None and color in data.columns:
        colors = [_color_of(c) for c in data[color]]
    else:
        colors = [_color_of(color)] * len(data)
    y = np.arange(len(data))
    bars = ax.barh(y, data[value].to_numpy(), color=colors)
    ax.set_yticks(y, [ar(s) for s in data[label]])
    if annotate:
        ax.bar_label(bars, labels=[f"{v:g}" for v in data[value]], padding=3)
    if color is not None and color in data.columns:
        _alignment_legend(ax, data[color].dropna().unique())
    _decorate(ax, title, xlabel, ylabel)
    return fig, ax


def _alignment_legend(ax, values: Iterable[Any], labels: Mapping[str, str] | None = None) -> None:
    from matplotlib.patches import Patch

    vals = [v for v in ALIGNMENT_COLORS if v in set(map(str, values))]
    if not vals:
        return
    handles = [Patch(color=ALIGNMENT_COLORS[v], label=ar((labels or {}).get(v, v))) for v in vals]
    ax.legend(handles=handles, frameon=False)


def timeline(df: pd.DataFrame, date: str, label: str, group: str | None = None, *,
             title: str | None = None, xlabel: str | None = None, ax=None,
             width: float = 10, height: float | None = None, levels: int = 4):
    """Events on a date axis: a point per row at ``df[date]``, annotated with ``df[label]``.

    With *group* the rows are drawn on one lane per group (lane names via :func:`ar`,
    alignment names coloured with :data:`ALIGNMENT_COLORS`); without it labels alternate over
    *levels* heights so they do not overlap. Returns ``(fig, ax)``.
    """
    data = df.assign(_d=pd.to_datetime(df[date], format="ISO8601")).sort_values(["_d", label], kind="mergesort")
    if height is None:
        height = 4.0 if group is None else max(3.0, 0.6 * data[group].nunique() + 2)
    fig, ax = _axes(ax, width, height)
    if group is not None:
        groups = list(dict.fromkeys(data[group].astype(str)))
        lane = {g: i for i, g in enumerate(groups)}
        ys = data[group].astype(str).map(lane).to_numpy(dtype=float)
        palette = plt.get_cmap("tab10")
        colors = [ALIGNMENT_COLORS.get(g, matplotlib.colors.to_hex(palette(lane[g] % 10)))
                  for g in data[group].astype(str)]
        ax.set_yticks(range(len(groups)), [ar(g) for g in groups])
        ax.set_ylim(-0.7, len(groups) - 0.3)
        # alternate labels above/below the lane so neighbouring points do not collide
        seen: dict[str, int] = {}
        offsets = []
        for g in data[group].astype(str):
            k = seen.get(g, 0)
            seen[g] = k + 1
            offsets.append((0, 6) if k % 2 == 0 else (0, -8))
    else:
        ys = np.zeros(len(data))
        colors = ["#0072B2"] * len(data)
        ax.axhline(0, color="#999999", linewidth=0.8, zorder=0)
        ax.set_yticks([])
        ax.spines["left"].set_visible(False)
        offsets = [(0, (1 if i % 2 == 0 else -1) * (10 + 14 * ((i // 2) % levels)))
                   for i in range(len(data))]
    ax.scatter(data["_d"], ys, c=colors, zorder=3, s=30)
    for (d, y, text, off) in zip(data["_d"], ys, data[label], offsets):
        ax.annotate(ar(text), (d, y), xytext=off, textcoords="offset points",
                    ha="center", va="bottom" if off[1] >= 0 else "top", fontsize=8)
    if group is None and len(data):
        ax.set_ylim(-0.6, 0.6)
    _decorate(ax, title, xlabel, None)
    return fig, ax


def bar_grouped(df: pd.DataFrame, category: str, group: str, value: str, *,
                stacked: bool = False, title: str | None = None, xlabel: str | None = None,
                ylabel: str | None = None, group_labels: Mapping[str, str] | None = None,
                order: Sequence[Any] | None = None, ax=None, width: float = 9,
                height: float = 5):
    """Vertical bars of ``df[value]`` per ``df[category]``, one bar (or stack segment) per
    ``df[group]``. Long-format input; repeated (category, group) pairs are summed. Categories
    keep their first-appearance order (sort months before calling) unless *order* is given.
    Alignment groups take :data:`ALIGNMENT_COLORS` and come in its order; *group_labels*
    renames groups in the legend. Returns ``(fig, ax)``."""
    table = (df.groupby([category, group], sort=False)[value].sum()
             .unstack(group, fill_value=0))
    cats = list(order) if order is not None else list(dict.fromkeys(df[category]))
    table = table.reindex(cats, fill_value=0)
    ordered = [g for g in ALIGNMENT_COLORS if g in table.columns]
    table = table[ordered + sorted(c for c in table.columns if c not in ordered)]
    fig, ax = _axes(ax, width, height)
    x = np.arange(len(table.index))
    n = max(1, len(table.columns))
    w = 0.8 if stacked else 0.8 / n
    bottom = np.zeros(len(x))
    palette = plt.get_cmap("tab10")
    for i, g in enumerate(table.columns):
        vals = table[g].to_numpy(dtype=float)
        pos = x if stacked else x - 0.4 + w * (i + 0.5)
        name = (group_labels or {}).get(str(g), str(g))
        ax.bar(pos, vals, w, bottom=bottom if stacked else None, label=ar(name),
               color=ALIGNMENT_COLORS.get(str(g), matplotlib.colors.to_hex(palette(i % 10))))
        if stacked:
            bottom += vals
    ax.set_xticks(x, [ar(c) for c in table.index])
    ax.legend(frameon=False)
    _decorate(ax, title, xlabel, ylabel)
    return fig, ax


def stacked_bar(df: pd.DataFrame, category: str, group: str, value: str, **kwargs):
    """:func:`bar_grouped` with ``stacked=True``."""
    return bar_grouped(df, category, group, value, stacked=True, **kwargs)


def scatter_map(df: pd.DataFrame, lon: str, lat: str, label: str | None = None, *,
                size: str | None = None, color: str | None = None, title: str | None = None,
                xlabel: str | None = "خط الطول", ylabel: str | None = "خط العرض",
                ax=None, width: float = 7, height: float = 7):
    """Places as points at (``df[lon]``, ``df[lat]``) with an equal-degree aspect, each
    annotated with ``df[label]`` (via :func:`ar`). *size*: column scaling the markers;
    *color*: column (alignments use :data:`ALIGNMENT_COLORS`) or one colour."""
    fig, ax = _axes(ax, width, height)
    data = df.sort_values([lat, lon], kind="mergesort")
    if size is not None:
        s = data[size].to_numpy(dtype=float)
        s = 20 + 280 * (s / s.max() if len(s) and s.max() > 0 else s)
    else:
        s = np.full(len(data), 40.0)
    if color is not None and color in data.columns:
        colors = [_color_of(c) for c in data[color]]
    else:
        colors = [_color_of(color)] * len(data)
    ax.scatter(data[lon], data[lat], s=s, c=colors, alpha=0.85, edgecolors="white",
               linewidths=0.5, zorder=3)
    if label is not None:
        for x, y, text in zip(data[lon], data[lat], data[label]):
            ax.annotate(ar(text), (x, y), xytext=(5, 4), textcoords="offset points", fontsize=8)
    ax.set_aspect("equal", adjustable="datalim")
    ax.grid(True, color="#dddddd", linewidth=0.5)
    if color is not None and color in data.columns:
        _alignment_legend(ax, data[color].dropna().unique())
    _decorate(ax, title, xlabel, ylabel)
    return fig, ax


def _as_graph(graph_or_edges):
    import networkx as nx

    if isinstance(graph_or_edges, nx.Graph):
        g = graph_or_edges
        h = g.__class__()
        h.add_nodes_from(sorted(g.nodes(data=True), key=lambda n: str(n[0])))
        h.add_edges_from(sorted(g.edges(data=True), key=lambda e: (str(e[0]), str(e[1]))))
        return h
    h = nx.Graph()
    if isinstance(graph_or_edges, pd.DataFrame):
        cols = list(graph_or_edges.columns)
        src, dst = ("source", "target") if {"source", "target"} <= set(cols) else cols[:2]
        wcol = "weight" if "weight" in cols else None
        rows = [(r[src], r[dst], {"weight": float(r[wcol])} if wcol else {})
                for _, r in graph_or_edges.iterrows()]
    else:
        rows = [(e[0], e[1], ({"weight": float(e[2])} if len(e) > 2 else {})) for e in graph_or_edges]
    h.add_nodes_from(sorted({n for r in rows for n in r[:2]}, key=str))
    for u, v, attrs in sorted(rows, key=lambda r: (str(r[0]), str(r[1]))):
        if h.has_edge(u, v):
            h[u][v]["weight"] = h[u][v].get("weight", 1.0) + attrs.get("weight", 1.0)
        else:
            h.add_edge(u, v, **attrs)
    return h


def network(graph_or_edges, node_labels: Mapping[Any, str] | None = None,
            node_colors: Mapping[Any, str] | Sequence[str] | None = None, *,
            title: str | None = None, seed: int = SEED, node_size: float = 600,
            legend: bool = True, ax=None, width: float = 9, height: float = 8):
    """Draw an actor network with a spring layout of FIXED *seed*.

    *graph_or_edges*: a networkx graph, a DataFrame with ``source``/``target`` (and optional
    ``weight``) columns, or ``(u, v[, weight])`` tuples. Nodes and edges are sorted before the
    layout so input order does not move anything. *node_labels* maps node → label (default the
    node itself), every label via :func:`ar`. *node_colors* maps node → alignment or colour (or
    is a list in sorted node order). Returns ``(fig, ax)``.
    """
    import networkx as nx

    g = _as_graph(graph_or_edges)
    fig, ax = _axes(ax, width, height)
    pos = nx.spring_layout(g, seed=seed)
    nodes = list(g.nodes)
    if node_colors is None:
        raw = [None] * len(nodes)
    elif isinstance(node_colors, Mapping):
        raw = [node_colors.get(n) for n in nodes]
    else:
        raw = list(node_colors)
    colors = [_color_of(c, ALIGNMENT_COLORS["other"]) for c in raw]
    weights = np.array([g[u][v].get("weight", 1.0) for u, v in g.edges], dtype=float)
    widths = 0.5 + 3.5 * (weights / weights.max()) if len(weights) else []
    nx.draw_networkx_edges(g, pos, ax=ax, width=widths, edge_color="#b0b0b0")
    nx.draw_networkx_nodes(g, pos, ax=ax, nodelist=nodes, node_color=colors,
                           node_size=node_size, edgecolors="white")
    for n in nodes:
        x, y = pos[n]
        text = (node_labels or {}).get(n, n)
        ax.text(x, y, ar(text), ha="center", va="center", fontsize=8, zorder=4,
                bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.7})
    ax.set_axis_off()
    if legend and node_colors is not None:
        _alignment_legend(ax, [c for c in raw if c is not None])
    _decorate(ax, title)
    return fig, ax


# --------------------------------------------------------------------------- saving
_ENCODER: concurrent.futures.ThreadPoolExecutor | None = None


def _encoder() -> concurrent.futures.ThreadPoolExecutor:
    global _ENCODER
    if _ENCODER is None:
        _ENCODER = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="iraqkit-png")
    return _ENCODER


class _BufferSink:
    """A write-only "file" for ``savefig(format="rgba")``: keeps the rendered RGBA buffer
    (the renderer's own memoryview, not a copy) instead of writing it anywhere."""

    buffer = None

    def write(self, data):
        self.buffer = data
        return memoryview(data).nbytes

    def seek(self, *args):  # matplotlib checks for it to accept a file-like object
        return 0

    def tell(self):
        return 0


def _rasterise(fig, dpi) -> tuple[memoryview, float] | None:
    """Draw *fig*'s PNG pixels into memory: ``(RGBA buffer, print dpi)``, or ``None`` when
    the canvas is not an Agg canvas (then nothing was done).

    ``fig.savefig(target, format="png", dpi=dpi, metadata=SAVE_METADATA["png"],
    pil_kwargs=PNG_OPTIONS)`` on the Agg canvas is a layout pass (none once
    :func:`_freeze_layout` ran), a draw into the canvas's RGBA buffer, then
    ``matplotlib.image.imsave`` of that buffer tagged with the print dpi (``print_png``).
    ``savefig(format="rgba")`` takes the same path up to the print method (same layout, same
    renderer, same pixels) and hands over the buffer; :func:`_encode_png_async` is the rest.
    The buffer is the renderer's own memory: nothing may draw on this canvas at this dpi
    until the encoding is done.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    if not isinstance(fig.canvas, FigureCanvasAgg):
        return None
    if dpi is None:
        dpi = matplotlib.rcParams["savefig.dpi"]
    if dpi == "figure":
        dpi = getattr(fig, "_original_dpi", fig.dpi)
    sink = _BufferSink()
    fig.savefig(sink, format="rgba", dpi=dpi)
    buf = sink.buffer
    if not (isinstance(buf, memoryview) and buf.format == "B" and buf.ndim == 3 and buf.shape[-1] == 4):
        raise RuntimeError("savefig(format='rgba') did not hand over the canvas's RGBA buffer")
    return buf, dpi


def _encode_png_async(raster: tuple[memoryview, float], target: Path) -> concurrent.futures.Future:
    """Write the PNG of a :func:`_rasterise` buffer in a worker thread (``print_png``'s
    ``imsave`` call, whose zlib compression releases the GIL and is the costliest step of the
    save) while the caller goes on (draws the SVG)."""
    from matplotlib import image as mimage

    buf, dpi = raster
    return _encoder().submit(mimage.imsave, target, buf, format="png", origin="upper",
                             dpi=dpi, metadata=SAVE_METADATA["png"], pil_kwargs=dict(PNG_OPTIONS))


def _lay_out(fig) -> None:
    """Place the axes as the first draw of *fig* would, without drawing anything.

    ``Figure.draw`` starts by applying each axes' aspect and running the layout engine
    (constrained layout) at the figure's dpi, then draws every artist. A first draw without
    output (``draw_without_rendering``) was how :func:`save_figure` got its layout; the
    drawing part of it is half its cost and changes nothing the files are drawn from, so this
    does the first two steps only, with the same renderer (drawing disabled), and
    :func:`save_figure` reads the tick labels after the PNG's full draw instead. The tests
    check that the files are the bytes of a full draw, the layout kept, then ``savefig``, and
    that the labels are those of a full draw.
    """
    engine = fig.get_layout_engine()
    if engine is None or not fig.axes:
        return
    from matplotlib.backend_bases import _get_renderer

    renderer = _get_renderer(fig)
    with renderer._draw_disabled():
        fig._get_draw_artists(renderer)  # applies each axes' aspect, as Figure.draw does first
        try:
            engine.execute(fig)
        except ValueError:  # as in Figure.draw
            pass


#: held while a figure is saved (see :func:`_text_layouts_reused`)
_SAVING = threading.RLock()


@contextlib.contextmanager
def _text_layouts_reused():
    """While :func:`save_figure` saves one figure, lay each text out once per renderer.

    matplotlib 3.11 lays a text out (``Text._get_layout``: its lines' metrics, the font's
    line height read from its tables, the aligned and rotated box) every time anything asks
    for its extent: a tick label is laid out three to five times in one draw (its axis's
    bounding boxes, the sibling axes', the axis label's position, the draw itself), and
    each result is the same. Here each text's layout is kept, keyed on the text, the
    renderer and everything ``_get_layout`` reads (string, font properties, dpi, line
    spacing, alignments, rotation), so a changed text is laid out again. Wrapped text is
    left alone (its lines depend on where it sits). The files come out byte-identical
    (tested); matplotlib's own text caching is being reworked upstream (matplotlib PR
    #32120), and without ``_get_layout`` this does nothing. Saves from several threads take
    turns (a lock), so each puts back the method it replaced.
    """
    with _SAVING:
        original = mtext.Text.__dict__.get("_get_layout")
        if original is None:
            yield
            return
        kept: dict[tuple, Any] = {}

        def _get_layout(text, renderer):
            if text.get_wrap():
                return original(text, renderer)
            key = (text, renderer, text.get_text(), hash(text._fontproperties), text.get_usetex(),
                   text.get_parse_math(), text.get_figure(root=True).dpi, text._linespacing,
                   text._get_multialignment(), text.get_rotation(), text.get_rotation_mode(),
                   text._horizontalalignment, text._verticalalignment)
            found = kept.get(key)
            if found is None:
                found = kept[key] = original(text, renderer)
            return found

        mtext.Text._get_layout = _get_layout
        try:
            yield
        finally:
            mtext.Text._get_layout = original


def _freeze_layout(fig) -> None:
    """Keep the positions the last draw laid out: switch *fig*'s layout engine (if any) to
    ``"none"``, which leaves every axes where it is, so later draws (the saves) do not lay
    the figure out again."""
    if fig.get_layout_engine() is not None:
        fig.set_layout_engine("none")


def labels_path(name: str, directory: str | os.PathLike | None = None) -> Path:
    """Where :func:`save_figure` writes the sidecar of figure *name*."""
    return Path(directory if directory is not None else paths.FIGURES) / f"{name}.labels.json"


def save_figure(fig, name: str, formats: Sequence[str] = ("png", "svg"), dpi: int = 300,
                directory: str | os.PathLike | None = None, *, caption: str = "",
                sources: Sequence[str] = ()) -> list[Path]:
    """Save *fig* as ``<name>.<fmt>`` for each format, byte-identically across runs.

    Files go to :data:`iraqkit.paths.FIGURES` (or *directory*). Metadata holds no date and no
    software version (PNG ``Software``, SVG ``Date``/``Creator``, PDF
    ``CreationDate``/``Creator``/``Producer`` removed); the SVG hash salt is fixed by
    :func:`setup`. A glyph missing from the fonts raises :class:`MissingGlyphError`,
    presentation forms in native mode raise :class:`DoubleShapingError`. Also writes
    ``<name>.labels.json`` (every label drawn, in logical order, plus the shaping mode and
    versions) for the shaping tests, and the *caption* and *sources* (tables and documents
    the figure was made from) that ``figures/README.md`` lists. The notebook a figure comes
    from is the part of *name* before the first ``_`` + slug (``01_ingest_timeline`` →
    ``01_ingest``). Closes the figure. Returns the image paths, in *formats* order.
    """
    _ensure_setup()
    if not name or Path(name).name != name or name.startswith("."):
        raise ValueError(f"figure name must be a plain file stem, got {name!r}")
    out_dir = Path(directory if directory is not None else paths.FIGURES)
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    pending: list[concurrent.futures.Future] = []
    try:
        with glyph_errors(), _text_layouts_reused():
            # One layout for every file: the axes are placed once, as the first draw would
            # place them, and the layout engine is then switched off (it would otherwise run
            # again in each savefig, to move the axes by a fraction of a pixel).
            _lay_out(fig)
            _freeze_layout(fig)
            fmts = [fmt.lower().lstrip(".") for fmt in formats]
            # The PNG's pixels are drawn into memory first: a full draw, after which the tick
            # labels exist. Without a PNG, a draw without output does that.
            raster = _rasterise(fig, dpi) if "png" in fmts else None
            if raster is None:
                fig.draw_without_rendering()
            # The labels are checked before any file is written.
            labels = figure_labels(fig)
            _check_coverage(fig)
            for fmt in fmts:
                target = out_dir / f"{name}.{fmt}"
                if fmt == "png" and raster is not None:
                    pending.append(_encode_png_async(raster, target))  # compressed while the next format is drawn
                else:
                    if fmt not in _VECTOR_FORMATS:  # an Agg draw would overwrite the PNG's buffer
                        while pending:
                            pending.pop(0).result()
                    fig.savefig(target, format=fmt, dpi=dpi, metadata=SAVE_METADATA.get(fmt),
                                **({"pil_kwargs": dict(PNG_OPTIONS)} if fmt == "png" else {}))
                written.append(target)
            while pending:  # every file is complete before the sidecar is written
                pending.pop(0).result()
        sidecar = {
            "figure": name,
            "mode": shaping_mode(),
            "matplotlib": matplotlib.__version__,
            "font": Path(_STATE.primary).name if _STATE.primary else "",
            "files": [p.name for p in written],
            "labels": labels,
            "caption": caption,
            "sources": list(sources),
            "notebook": "_".join(name.split("_")[:2]) if name[:2].isdigit() else "",
        }
        labels_path(name, out_dir).write_text(
            json.dumps(sidecar, ensure_ascii=False, indent=1, sort_keys=True) + "\n",
            encoding="utf-8", newline="\n")
    finally:
        for job in pending:  # only after an error: let the encoding finish, keep the first error
            with contextlib.suppress(Exception):
                job.result()
        plt.close(fig)
    return written


def show_saved(paths_: Sequence[str | os.PathLike] | str | os.PathLike):
    """Display the saved PNG (so the notebook shows exactly the file that is cited)."""
    from IPython.display import Image

    if isinstance(paths_, (str, os.PathLike)):
        paths_ = [paths_]
    pngs = [Path(p) for p in paths_ if str(p).lower().endswith(".png")]
    if not pngs:
        raise ValueError("no PNG among the saved files; save with formats including 'png'")
    return Image(filename=str(pngs[0]))


def _panel_rates(ax, rates: pd.DataFrame) -> None:
    for r in rates.itertuples():
        s, e = pd.Timestamp(r.date_start), pd.Timestamp(r.date_end)
        ax.hlines(r.per_month, s, e, color="#D55E00", linewidth=3)
        src = r.claimed_by_source or "بلا مصدر مسمّى"
        ax.annotate(ar(f"{src}: {r.per_month:g}"), (s + (e - s) / 2, r.per_month),
                    xytext=(0, 5), textcoords="offset points", ha="center", fontsize=8)
    ax.set_ylabel(ar("هجمات شهرياً (attacks/month)"))
    ax.set_ylim(bottom=0, top=max([1.0, *rates["per_month"].astype(float)]) * 1.3)


def _panel_incidents(ax, incidents: pd.DataFrame) -> None:
    cas = incidents["killed"].fillna(0).astype(float) + incidents["injured"].fillna(0).astype(float)
    ax.scatter(pd.to_datetime(incidents["date"], format="ISO8601"), np.zeros(len(incidents)),
               s=30 + 3 * cas, color="#0072B2", alpha=0.7, zorder=3)
    ax.set_yticks([0], [ar("حوادث (incidents)")])


def _panel_milestones(ax, milestones: pd.DataFrame, kind_labels: Mapping[str, str] | None) -> None:
    kinds = [k for k in (kind_labels or {}) if k in set(milestones["kind"])] or sorted(set(milestones["kind"]))
    lane = {k: i for i, k in enumerate(kinds)}
    for r in milestones.itertuples():
        if r.kind not in lane:
            continue
        planned = getattr(r, "status", "held") == "planned" or r.kind == "deadline"
        ax.scatter(pd.to_datetime(r.date, format="ISO8601"), lane[r.kind], s=45, zorder=3,
                   facecolors="none" if planned else "#009E73", edgecolors="#009E73")
    ax.set_yticks(range(len(kinds)), [ar((kind_labels or {}).get(k, k)) for k in kinds])
    ax.set_ylim(-0.7, len(kinds) - 0.3)


def _panel_troops(ax, troops: pd.DataFrame) -> None:
    ax.scatter(pd.to_datetime(troops["date"], format="ISO8601"), troops["value"].astype(float),
               color="#CC79A7", zorder=3)
    for r in troops.itertuples():
        ax.annotate(f"{r.value:,.0f}", (pd.to_datetime(r.date, format="ISO8601"), float(r.value)),
                    xytext=(4, 4), textcoords="offset points", fontsize=8)
    ax.set_ylabel(ar("جنود في العراق (troops)"))
    ax.set_ylim(bottom=0, top=max([1.0, *troops["value"].astype(float)]) * 1.3)


def _stacked(n: int, ratios, width, height):
    _ensure_setup()
    fig, axes = plt.subplots(n, 1, figsize=(width, height), sharex=True, layout="constrained",
                             gridspec_kw={"height_ratios": ratios}, squeeze=False)
    axes = list(axes[:, 0])
    for ax in axes:
        ax.spines[["top", "right"]].set_visible(False)
    return fig, axes


def attack_tempo(rates: pd.DataFrame, incidents: pd.DataFrame, *, title: str | None = None,
                 width: float = 11, height: float = 6):
    """Claimed attack rates (one segment per claim over its period, labelled with its source)
    above the dated incidents (marker size by casualties). Returns ``(fig, axes)``."""
    fig, (a1, a2) = _stacked(2, [2.2, 1], width, height)
    _panel_rates(a1, rates)
    _panel_incidents(a2, incidents)
    if title:
        fig.suptitle(ar(title))
    return fig, (a1, a2)


def troop_levels_chart(troops: pd.DataFrame, *, title: str | None = None, width: float = 9, height: float = 4):
    """Stated troop levels over time, each labelled with its value. Returns ``(fig, ax)``."""
    fig, (ax,) = _stacked(1, [1], width, height)
    _panel_troops(ax, troops)
    if title:
        ax.set_title(ar(title))
    return fig, ax


def synthesis_timeline(rates: pd.DataFrame, incidents: pd.DataFrame, milestones: pd.DataFrame,
                       troops: pd.DataFrame, *, kind_labels: Mapping[str, str] | None = None,
                       title: str | None = None, width: float = 12, height: float = 10):
    """Attack claims, incidents, milestones and troop levels on one shared time axis.

    Four stacked panels: (1) claimed attacks per month, one horizontal segment per claim over
    its period (``rates``: date_start, date_end, per_month, claimed_by_source); (2) incidents
    (``incidents``: date, killed, injured), marker size by casualties; (3) milestones on one
    lane per kind (``milestones``: date, kind, status; planned ones and deadlines hollow),
    lanes labelled with ``kind_labels``; (4) stated troop levels (``troops``: date, value).
    Dated milestones are also drawn as faint vertical lines across every panel. Returns
    ``(fig, axes)``.
    """
    fig, axes = _stacked(4, [2.2, 1, 1.8, 1.4], width, height)
    for d in pd.to_datetime(milestones["date"], format="ISO8601").dropna().unique():
        for ax in axes:
            ax.axvline(d, color="#bbbbbb", linewidth=0.6, zorder=0)
    _panel_rates(axes[0], rates)
    _panel_incidents(axes[1], incidents)
    _panel_milestones(axes[2], milestones, kind_labels)
    _panel_troops(axes[3], troops)
    if title:
        fig.suptitle(ar(title))
    return fig, axes
