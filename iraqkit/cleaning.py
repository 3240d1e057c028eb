"""Remove web chrome from a scraped article and split pages that carry several articles.

Nothing here rewrites text. :func:`clean` classifies spans of the raw text as *chrome*
(repeated title, photo captions, "read also" link blocks, embedded tweets, site footers,
bylines) and returns them as :class:`Removed` spans plus one or more :class:`Segment`
ranges (a page with a second, unrelated article after its main one gives two segments).
The kept text of a segment is its range minus the removed spans, so every later offset
still indexes the raw text.

The patterns live in ``data/lexicons/cleaning_patterns.tsv`` (one documented regex per
row, with the kind of chrome it catches and where it was seen); the structural rules
(title repeats, caption alt-lines, read-also link lines, tail footers, segment breaks)
are general and described on each function.
"""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from .arabic import is_arabic_text, norm_text
from .paths import LEXICONS

PATTERNS_FILE = LEXICONS / "cleaning_patterns.tsv"
KINDS = ("title_repeat", "dateline", "masthead", "caption", "read_also", "tweet",
         "footer", "source_line", "pull_quote")
#: Bilingual labels for the kinds of chrome, for tables and figures.
KIND_LABELS = {
    "title_repeat": "عنوان مكرر (repeated title)",
    "dateline": "سطر التاريخ (dateline)",
    "masthead": "اسم الموقع (masthead)",
    "caption": "تعليق صورة (caption)",
    "read_also": "اقرأ أيضاً (read also)",
    "tweet": "تغريدة مضمنة (tweet)",
    "footer": "تذييل الموقع (footer)",
    "source_line": "سطر المصدر (source line)",
    "pull_quote": "اقتباس مكرر (pull quote)",
}
_SENT_PUNCT = re.compile(r"[.!?؟…:؛\"”»]\s*$")
_CONTINUATION = re.compile(r"^\s*(?:و|ف)\S|^\s*(?:لكن|كما|ثم|إلا|غير أن|بينما|أما)\b")


@dataclass(frozen=True)
class Pattern:
    kind: str
    scope: str          # line | tail | header
    regex: re.Pattern
    description: str


@lru_cache(maxsize=4)
def load_patterns(path: Path | str = PATTERNS_FILE) -> tuple[Pattern, ...]:
    """Read the documented pattern file; a bad row raises a clear ValueError."""
    out = []
    with open(path, encoding="utf-8", newline="") as f:
        for i, row in enumerate(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE), start=2):
            try:
                rx = re.compile(row["pattern"], re.IGNORECASE)
            except re.error as e:  # pragma: no cover - data error
                raise ValueError(f"{path}:{i}: bad regex {row['pattern']!r}: {e}") from e
            if row["scope"] not in ("line", "tail", "header"):
                raise ValueError(f"{path}:{i}: scope must be line, tail or header, not {row['scope']!r}")
            if not row.get("source"):
                raise ValueError(f"{path}:{i}: every pattern needs a source")
            out.append(Pattern(row["kind"], row["scope"], rx, row["description"]))
    return tuple(out)


@dataclass(frozen=True)
class Line:
    start: int
    end: int          # end of content (line break excluded)
    text: str

    @property
    def blank(self) -> bool:
        return not self.text.strip()

    @property
    def n_words(self) -> int:
        return len(self.text.split())


@dataclass(frozen=True)
class Removed:
    start: int
    end: int
    kind: str
    rule: str


@dataclass
class Segment:
    start: int
    end: int
    title: Line | None = None
    header_end: int = 0          # offset where the body starts (after title/byline lines)
    removed: list[Removed] = field(default_factory=list)


def split_lines(text: str) -> list[Line]:
    """Lines with offsets; LF, CRLF and CR line ends are all accepted."""
    lines = []
    pos = 0
    for raw in text.splitlines(keepends=True):
        content = raw.rstrip("\r\n\u2028\u2029\x0b\x0c\x1c\x1d\x1e\x85")
        lines.append(Line(pos, pos + len(content), content))
        pos += len(raw)
    return lines


def _match(patterns, kind_scope, text):
    for p in patterns:
        if (p.kind, p.scope) in kind_scope or p.scope in kind_scope:
            m = p.regex.search(text)
            if m:
                return p, m
    return None, None


def _is_headline(line: Line) -> bool:
    """A headline: Arabic, 3–25 words, no sentence-final punctuation."""
    t = line.text.strip()
    return (3 <= line.n_words <= 25 and is_arabic_text(t, 0.5)
            and not _SENT_PUNCT.search(t))


def _headline_like(line: Line) -> bool:
    """A headline, allowing a closing quote at the end (a headline may end with a quoted name:
    ``… في «كتائب حزب الله»``)."""
    t = re.sub(r"[»\"”')\]]+\s*$", "", line.text.strip())
    n = len(t.split())
    return 3 <= n <= 25 and is_arabic_text(t, 0.5) and not _SENT_PUNCT.search(t)


def _is_latin_line(line: Line) -> bool:
    t = line.text.strip()
    return line.n_words >= 3 and not is_arabic_text(t, 0.2)


#: a first line longer than this is body text, not a title (headlines run to about 150
#: characters; the longest in the corpus is 96)
TITLE_MAX_CHARS = 300


def clean(text: str, patterns: tuple[Pattern, ...] | None = None) -> list[Segment]:
    """Classify chrome and split ``text`` into article segments.

    Rules, in order:

    * **header**: the first non-blank line is the title (unless it is longer than
      :data:`TITLE_MAX_CHARS`: then it is body text and the segment has no title); later lines equal to it
      (after normalisation) are ``title_repeat``; dateline lines in the first lines are
      ``dateline``; a short line (≤ 4 words, no digits) between the title and a dateline
      is the ``masthead`` (outlet name).
    * **pattern lines** (``cleaning_patterns.tsv``, scope ``line``): captions, tweets,
      read-also lines, footers, source lines, separators.
    * **read-also blocks**: a bare "اقرأ أيضاً" line removes itself and the linked
      headline after it. If that headline is followed by at least two lines of body
      text that do not continue the previous article (no leading و/ف/لكن…), and the
      previous article had already ended (a source/tag/footer line was seen) or the
      new body is long (≥ 1500 characters before the next chrome), a **new segment**
      starts at the headline, which becomes its title.
    * **caption alt-lines**: a short line (≤ 6 words, no final punctuation) directly
      before a caption is the image's alt text and goes with it.
    * **tweets**: besides the pattern lines, a Latin-script line of ≥ 3 words in an
      Arabic article is an embedded post; a signature "— Name (@handle) Month D, YYYY"
      at the start of a line removes only the signature.
    * **tail footers** (scope ``tail``): from a tail marker to the end of the segment
      everything is ``footer``.
    * **pull quotes**: a line of ≥ 6 words repeated inside a longer paragraph of the same
      segment (pull quotes, captions that repeat the body) is ``pull_quote``.
    """
    patterns = load_patterns() if patterns is None else patterns
    lines = split_lines(text)
    nonblank = [i for i, ln in enumerate(lines) if not ln.blank]
    if not nonblank:
        return [Segment(0, len(text))]

    segments: list[Segment] = []
    seg = Segment(lines[nonblank[0]].start, len(text))
    segments.append(seg)
    removed = seg.removed

    def start_header(idx: int) -> int:
        """Set the segment title from line ``idx``; return the index of the first body line."""
        if len(lines[idx].text.strip()) > TITLE_MAX_CHARS:
            # not a headline: a whole article on one line (or a paragraph with no title
            # above it) is body text, and the segment has no title
            seg.title = None
            seg.header_end = lines[idx].start
            return idx
        seg.title = lines[idx]
        seg.header_end = lines[idx].end
        title_key = norm_text(lines[idx].text)
        j = idx + 1
        seen_dateline = False
        pending_masthead: Line | None = None
        # scan the header: title repeats, masthead, datelines (at most 6 non-blank lines)
        k = 0
        while j < len(lines) and k < 6:
            ln = lines[j]
            if ln.blank:
                j += 1
                continue
            k += 1
            if norm_text(ln.text) == title_key:
                removed.append(Removed(ln.start, ln.end, "title_repeat", "same as title"))
                seg.header_end = ln.end
                j += 1
                continue
            p, _ = _match(patterns, {("dateline", "header")}, ln.text)
            if p is not None or _is_date_only(ln.text):
                removed.append(Removed(ln.start, ln.end, "dateline",
                                       p.description if p else "a line holding only a date"))
                if pending_masthead is not None:
                    removed.append(Removed(pending_masthead.start, pending_masthead.end, "masthead",
                                           "short line between title and dateline"))
                    pending_masthead = None
                seen_dateline = True
                seg.header_end = ln.end
                j += 1
                continue
            if (pending_masthead is None and not seen_dateline and ln.n_words <= 4
                    and not re.search(r"\d", ln.text) and not _SENT_PUNCT.search(ln.text)):
                pending_masthead = ln
                j += 1
                continue
            break
        if pending_masthead is not None:
            j = lines.index(pending_masthead)  # not a masthead after all: body starts there
        return j

    head, lead = _leading_masthead(lines, nonblank, patterns)
    for ln, kind in lead:
        removed.append(Removed(ln.start, ln.end, kind, "site name before the headline" if kind == "masthead"
                               else "a line holding only a date"))
    i = start_header(head)
    article_ended = False
    in_tail = False
    while i < len(lines):
        ln = lines[i]
        if ln.blank:
            i += 1
            continue
        t = ln.text
        if in_tail:
            # a new article may still start after a footer (read-also + headline + body)
            if _read_also_bare(patterns, t) and _new_article_follows(lines, i, patterns, True):
                removed.append(Removed(ln.start, ln.end, "read_also", "read-also heading before a new article"))
                seg.end = ln.end
                i = _next_nonblank(lines, i + 1)
                seg = Segment(lines[i].start, len(text))
                segments.append(seg)
                removed = seg.removed
                i = start_header(i)
                article_ended = in_tail = False
                continue
            removed.append(Removed(ln.start, ln.end, "footer", "after a tail footer marker"))
            i += 1
            continue
        if norm_text(t) == norm_text(seg.title.text) if seg.title else False:
            removed.append(Removed(ln.start, ln.end, "title_repeat", "same as title"))
            i += 1
            continue
        if _read_also_bare(patterns, t):
            removed.append(Removed(ln.start, ln.end, "read_also", "bare read-also heading"))
            nxt = _next_nonblank(lines, i + 1)
            if nxt < len(lines) and _new_article_follows(lines, i, patterns, article_ended):
                seg.end = ln.end
                seg = Segment(lines[nxt].start, len(text))
                segments.append(seg)
                removed = seg.removed
                i = start_header(nxt)
                article_ended = False
                continue
            if nxt < len(lines) and _is_headline(lines[nxt]):
                removed.append(Removed(lines[nxt].start, lines[nxt].end, "read_also",
                                       "headline linked from a read-also heading"))
                i = nxt + 1
            else:
                i += 1
            continue
        p, m = _match(patterns, {"tail"}, t)
        if p is not None:
            removed.append(Removed(ln.start, ln.end, p.kind, p.description))
            in_tail = True
            i += 1
            continue
        p, m = _match(patterns, {"line"}, t)
        if p is not None:
            if p.kind == "tweet" and m.start() == 0 and m.end() < len(t) and is_arabic_text(t[m.end():], 0.5):
                # signature glued to the article's next paragraph: remove the signature only
                removed.append(Removed(ln.start, ln.start + m.end(), "tweet", p.description))
                i += 1
                continue
            removed.append(Removed(ln.start, ln.end, p.kind, p.description))
            if p.kind in ("source_line", "footer"):
                article_ended = True
            if p.kind == "caption":
                prev = _prev_nonblank(lines, i - 1)
                if (prev is not None and lines[prev].n_words <= 6 and not _SENT_PUNCT.search(lines[prev].text)
                        and lines[prev].start >= seg.header_end
                        and not any(r.start == lines[prev].start for r in removed)):
                    removed.append(Removed(lines[prev].start, lines[prev].end, "caption",
                                           "alt text line before a caption"))
            i += 1
            continue
        if _is_latin_line(ln):
            removed.append(Removed(ln.start, ln.end, "tweet", "Latin-script line in an Arabic article (embedded post)"))
            i += 1
            continue
        i += 1
    for s in segments:
        _mark_pull_quotes(text, lines, s)
        s.removed.sort(key=lambda r: (r.start, r.end))
        # trim the segment end to its last non-blank character
        while s.end > s.start and text[s.end - 1].isspace():
            s.end -= 1
    return segments


def _words(t: str) -> list[str]:
    return re.findall(r"\w+", norm_text(t))


def _mark_pull_quotes(text: str, lines: list[Line], seg: Segment) -> None:
    """A line (≥ 6 words) whose word trigrams stand, at least 70 % of them, inside one
    longer paragraph of the same segment is a pull quote or a photo caption that
    repeats the body: chrome."""
    taken = {(r.start, r.end) for r in seg.removed}
    body = [ln for ln in lines if seg.start <= ln.start and ln.end <= seg.end and not ln.blank
            and ln.start >= seg.header_end and (ln.start, ln.end) not in taken]
    grams = []
    for ln in body:
        w = _words(ln.text)
        grams.append((ln, len(w), {tuple(w[i:i + 3]) for i in range(len(w) - 2)}))
    for ln, n, g in grams:
        if n < 6 or not g:
            continue
        for other, on, og in grams:
            if other is not ln and on > n + 3 and len(g & og) >= 0.7 * len(g):
                seg.removed.append(Removed(ln.start, ln.end, "pull_quote",
                                           "line repeated inside a longer paragraph"))
                break


def _read_also_bare(patterns, t: str) -> bool:
    for p in patterns:
        if p.kind == "read_also" and p.scope == "line" and p.regex.pattern.endswith(r"\s*$") and p.regex.search(t):
            return True
    return False


def _next_nonblank(lines, i):
    while i < len(lines) and lines[i].blank:
        i += 1
    return i


def _prev_nonblank(lines, i):
    while i >= 0 and lines[i].blank:
        i -= 1
    return i if i >= 0 else None


_WEEKDAY = r"(?:ال)?(?:سبت|احد|اثنين|ثلاثاء|اربعاء|خميس|جمعه)"
_MONTH_WORD = (r"(?:يناير|فبراير|مارس|ابريل|مايو|يونيو|يونيه|يوليو|يوليه|اغسطس|سبتمبر|اكتوبر|نوفمبر|ديسمبر"
               r"|كانون|شباط|اذار|نيسان|ايار|حزيران|تموز|اب|ايلول|تشرين|الاول|الثاني)")
_MONTHS_RE = rf"{_MONTH_WORD}(?:\s+{_MONTH_WORD})?(?:\s*[/(]\s*{_MONTH_WORD}(?:\s+{_MONTH_WORD})?\s*\)?)?"
_DATE_PARTS = [
    rf"\d{{1,4}}\s*[/.\-]\s*\d{{1,2}}\s*[/.\-]\s*\d{{1,4}}",           # 2024/02/08, 16/2/2021, 2024-08-06
    rf"\d{{1,2}}\s+{_MONTHS_RE}\s+\d{{4}}",                             # 8 شباط 2024, 27 تموز/يوليو 2021
]
_DATE_EXTRA = [
    _WEEKDAY,
    r"\d{1,2}:\d{2}(?::\d{2})?(?:\s*(?:ص|م|am|pm))?",                    # 09:15, 10:20 م
    r"(?:ب|ب)?توقيت\s+\S+(?:\s+\S+)?",                                  # بتوقيت غرينتش / مكة المكرمة
    r"(?:الساعه|ساعه)",
]


def _is_date_only(t: str) -> bool:
    """A line holding only a date: numeric (``2024/02/08``) or written (``الخميس 8 شباط 2024``),
    optionally with a weekday, a time (``- 10:20``) and a time zone (``بتوقيت غرينتش``)."""
    s = norm_text(t)
    if not re.search(r"\d", s):
        return False
    rest, n = s, 0
    for rx in _DATE_PARTS:
        rest, k = re.subn(rx, " ", rest)
        n += k
    if n == 0:
        return False
    for rx in _DATE_EXTRA:
        rest = re.sub(rx, " ", rest)
    return not re.sub(r"[\s\-–—|,،:]+", "", rest)


def _leading_masthead(lines, nonblank, patterns) -> tuple[int, list]:
    """Pages often open with the site name (``الجزيرة نت``, ``شفق نيوز/ الأنبار``) and a dateline
    before the headline. When the first line is short (≤ 4 words, no digits, no final
    punctuation) and, after optional dateline lines, a longer headline follows, that first line
    is the masthead. Returns (index of the headline line, [(line, kind), …] to remove)."""
    if len(nonblank) < 3:
        return nonblank[0], []
    first = lines[nonblank[0]]
    if first.n_words > 4 or re.search(r"\d", first.text) or _SENT_PUNCT.search(first.text):
        return nonblank[0], []
    out = [(first, "masthead")]
    for idx in nonblank[1:4]:
        ln = lines[idx]
        p, _ = _match(patterns, {("dateline", "header")}, ln.text)
        if p is not None or _is_date_only(ln.text):
            out.append((ln, "dateline"))
            continue
        if _headline_like(ln) and ln.n_words > first.n_words and idx != nonblank[-1]:
            return idx, out
        break
    return nonblank[0], []


def _new_article_follows(lines, i, patterns, article_ended: bool) -> bool:
    """After a bare read-also line at ``i``: does a new article (headline + body) start?"""
    h = _next_nonblank(lines, i + 1)
    if h >= len(lines) or not _is_headline(lines[h]):
        return False
    body = []
    j = h + 1
    while j < len(lines):
        ln = lines[j]
        if ln.blank:
            j += 1
            continue
        p, _ = _match(patterns, {"line", "tail"}, ln.text)
        if p is not None or _read_also_bare(patterns, ln.text):
            break
        body.append(ln)
        j += 1
    if len(body) < 2:
        return False
    if _CONTINUATION.match(body[0].text):
        return False
    n_chars = sum(len(b.text) for b in body)
    return article_ended or n_chars >= 1500
