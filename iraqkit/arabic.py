"""Arabic text utilities: matching normalisation with an offset map, clitic-aware
term matching, number/digit folding and sentence splitting.

Everything here keeps a way back to the *original* characters: every extractor in
iraqkit works on normalised text but reports ``start``/``end`` offsets into the decoded
original file, so that ``raw_text[start:end]`` is always the evidence.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable, Iterator, Mapping

# --- character classes -----------------------------------------------------------
#: Arabic diacritics (harakat, tanween, shadda, sukun, dagger alef, Quranic marks).
DIACRITICS = set(
    [chr(c) for c in range(0x064B, 0x0660)]
    + ["\u0670"]
    + [chr(c) for c in range(0x06D6, 0x06EE)]
)
TATWEEL = "\u0640"
#: Invisible format characters that scrapers leave behind (ZWNJ/ZWJ, LRM/RLM, bidi
#: embeddings and isolates, BOM, soft hyphen).
INVISIBLE = set("\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
                "\u2066\u2067\u2068\u2069\ufeff\u00ad")
_FOLD = {
    # alef variants
    "\u0623": "\u0627", "\u0625": "\u0627", "\u0622": "\u0627", "\u0671": "\u0627",
    "\u0672": "\u0627", "\u0673": "\u0627",
    # ya / alef maksura and Persian ya; hamza carriers
    "\u0649": "\u064a", "\u06cc": "\u064a", "\u06d2": "\u064a", "\u0626": "\u064a",
    "\u0624": "\u0648",
    # ta marbuta -> ha
    "\u0629": "\u0647", "\u06c0": "\u0647", "\u06be": "\u0647", "\u06c1": "\u0647",
    # Persian/Urdu kaf, gaf, veh, peh, tcheh (common in scraped Iraqi/Kurdish pages)
    "\u06a9": "\u0643", "\u06af": "\u0643", "\u06a4": "\u0641", "\u067e": "\u0628",
    "\u0686": "\u062c",
    # punctuation to ASCII
    "\u060c": ",", "\u061b": ";", "\u061f": "?", "\u066a": "%", "\u066b": ".",
    "\u066c": ",", "\u06d4": ".",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u00ab": '"', "\u00bb": '"',
    "\u2018": "'", "\u2019": "'", "\u2013": "-", "\u2014": "-", "\u2212": "-",
    "\u00a0": " ", "\u2009": " ", "\u202f": " ", "\u2002": " ", "\u2003": " ",
}
for _i in range(10):
    _FOLD[chr(0x0660 + _i)] = str(_i)  # Arabic-Indic digits
    _FOLD[chr(0x06F0 + _i)] = str(_i)  # Extended Arabic-Indic (Persian/Urdu) digits

#: Code point ranges of the Arabic script's letters (base block and presentation forms).
ARABIC_LETTER_RANGES = ((0x0621, 0x064A), (0x0671, 0x06D3), (0xFB50, 0xFDFF), (0xFE70, 0xFEFC))


def _char_class(ranges) -> str:
    return "".join(f"\\u{a:04x}-\\u{b:04x}" if a != b else f"\\u{a:04x}" for a, b in ranges)


ARABIC_LETTER_RE = re.compile(f"[{_char_class(ARABIC_LETTER_RANGES)}]")


def _alpha_runs(ranges) -> list[tuple[int, int]]:
    """The code points in ``ranges`` for which ``str.isalpha`` is true, as ranges."""
    out: list[tuple[int, int]] = []
    for a, b in ranges:
        for cp in range(a, b + 1):
            if not chr(cp).isalpha():
                continue
            if out and out[-1][1] == cp - 1:
                out[-1] = (out[-1][0], cp)
            else:
                out.append((cp, cp))
    return out


#: Runs of the letters :data:`ARABIC_LETTER_RE` matches that are also ``str.isalpha``
#: (the range holds a few presentation-form signs that are not letters, e.g. U+FD3E).
_ARABIC_ALPHA_RUN_RE = re.compile(f"[{_char_class(_alpha_runs(ARABIC_LETTER_RANGES))}]+")


@dataclass(frozen=True)
class Normalized:
    """Normalised text plus a map back to the original string.

    ``offsets[i]`` is the index in ``original`` of the character that produced
    ``text[i]``; ``offsets[len(text)] == len(original)``.
    """

    original: str
    text: str
    offsets: tuple[int, ...]

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Map a half-open span of the normalised text to the original text.

        The returned span starts at the original character that produced
        ``text[start]`` and ends just after the one that produced ``text[end-1]``,
        so it includes the diacritics/tatweel inside the span and those attached to its
        last letter, but nothing before its first letter.
        """
        if not 0 <= start <= end <= len(self.text):
            raise ValueError(f"span {start}:{end} outside normalised text of length {len(self.text)}")
        if start == end:
            o = self.offsets[start]
            return o, o
        o_start = self.offsets[start]
        o_end = self.offsets[end - 1] + 1
        # keep the diacritics/tatweel that belong to the last letter ("اللهِ")
        orig = self.original
        while o_end < len(orig) and (orig[o_end] in DIACRITICS or orig[o_end] == TATWEEL):
            o_end += 1
        return o_start, o_end


def fold_char(ch: str) -> str:
    """Fold one character for matching ('' means: drop it)."""
    if ch in DIACRITICS or ch == TATWEEL or ch in INVISIBLE:
        return ""
    if ch in _FOLD:
        return _FOLD[ch]
    o = ord(ch)
    if 0xFB50 <= o <= 0xFDFF or 0xFE70 <= o <= 0xFEFF:
        # presentation forms -> base letters (may expand: U+FEFB -> لا); a character of
        # these blocks without a compatibility form (the ornate parentheses ﴾ ﴿ of a Quran
        # quotation, ﷽, unassigned code points) stays as it is
        dec = unicodedata.normalize("NFKC", ch)
        return ch if dec == ch else "".join(fold_char(c) for c in dec)
    if ch.isspace():
        return " "
    if "A" <= ch <= "Z":
        return ch.lower()
    return ch


def _normalize_slow(text: str, collapse_space: bool = True) -> Normalized:
    """Reference implementation of :func:`normalize`: one :func:`fold_char` per character.

    Used for text with presentation forms (which may expand to several letters) and as the
    specification the fast path is tested against."""
    out: list[str] = []
    offs: list[int] = []
    prev_space = False
    for i, ch in enumerate(text):
        f = fold_char(ch)
        if not f:
            continue
        if collapse_space and f == " ":
            if prev_space:
                continue
            prev_space = True
        else:
            prev_space = False
        for c in f:
            out.append(c)
            offs.append(i)
    offs.append(len(text))
    return Normalized(text, "".join(out), tuple(offs))


_DROPPED = DIACRITICS | {TATWEEL} | INVISIBLE
_DROPPED_SET = "".join(re.escape(c) for c in sorted(_DROPPED))   # their regex character set
_DROP_RUNS = re.compile("[^" + _DROPPED_SET + "]+")
_PRESENTATION = re.compile("[\ufb50-\ufdff\ufe70-\ufeff]")
_SPACE_RUNS = re.compile(" {2,}")
#: one-to-one folds for str.translate (everything fold_char maps to exactly one character)
_TABLE: dict[int, str] = {ord(k): v for k, v in _FOLD.items() if len(v) == 1}
_TABLE.update({c: " " for c in range(0x3000 + 1) if chr(c).isspace()})
_TABLE.update({ord(c): c.lower() for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"})
_TABLE.update({ord(k): v for k, v in _FOLD.items() if len(v) == 1})  # _FOLD wins over isspace
#: the same table as a sequence indexed by code point (up to the highest one it changes; a
#: character beyond it is an IndexError, which ``str.translate`` reads as "unchanged", as it
#: reads a missing dict key): translating with it takes half the time of the dict
_TABLE_SEQ: tuple[str, ...] = tuple(_TABLE.get(c, chr(c)) for c in range(max(_TABLE) + 1))
_ANY_DROPPED = re.compile("[" + _DROPPED_SET + "]")


def _normalize_fast(text: str, collapse_space: bool) -> Normalized:
    # 1. drop diacritics/tatweel/invisibles, keeping the index of every kept character
    if _ANY_DROPPED.search(text):
        parts, offs = [], []
        for m in _DROP_RUNS.finditer(text):
            parts.append(m.group())
            offs.extend(range(m.start(), m.end()))
        kept = "".join(parts)
    else:
        kept, offs = text, range(len(text))
    # 2. fold one-to-one (alef/ya/ta-marbuta variants, digits, punctuation, case, spaces)
    folded = kept.translate(_TABLE_SEQ)
    # 3. collapse runs of spaces to the first one
    if collapse_space and "  " in folded:
        pieces, new_offs, pos = [], [], 0
        for m in _SPACE_RUNS.finditer(folded):
            pieces.append(folded[pos:m.start() + 1])
            new_offs.extend(offs[pos:m.start() + 1])
            pos = m.end()
        pieces.append(folded[pos:])
        new_offs.extend(offs[pos:])
        folded, offs = "".join(pieces), new_offs
    return Normalized(text, folded, (*offs, len(text)))


@lru_cache(maxsize=4096)
def normalize(text: str, collapse_space: bool = True) -> Normalized:
    """Normalise Arabic text for matching and keep an offset map.

    Removes diacritics, tatweel and invisible format characters; folds alef
    variants (أ إ آ ٱ → ا), alef maksura and Persian ya (ى ی → ي), hamza carriers
    (ؤ → و, ئ → ي), ta marbuta (ة → ه), Persian kaf (ک → ك); Arabic-Indic digits
    to ASCII; Arabic punctuation and typographic quotes to ASCII; ASCII letters to
    lower case; presentation forms to base letters. With ``collapse_space`` runs of
    white space become one space.

    Pure and cached (the same sentence is normalised by several extractors); the result
    is immutable. Text without presentation forms takes a ``str.translate`` fast path
    that is tested to equal :func:`_normalize_slow` character for character.
    """
    if _PRESENTATION.search(text):
        return _normalize_slow(text, collapse_space)
    return _normalize_fast(text, collapse_space)


@lru_cache(maxsize=65536)
def norm(text: str) -> str:
    """Just the normalised string (for keys, gazetteer aliases, lexicon entries, words and
    names). Cached for the whole build: for a line, a sentence or a quotation use
    :func:`norm_text`."""
    return normalize(text).text.strip()


def norm_text(text: str) -> str:
    """:func:`norm` of a line, a sentence or a quotation: the same string, without an entry
    in :func:`norm`'s build-long cache. That cache holds 65,536 entries; filled with lines of
    distinct articles it would hold about 75 MB by the end of a large build (measured with
    ``tracemalloc`` on lines of the real articles' average length, 237 characters), for hits
    that only come when articles repeat lines. What this reads is still cached within the
    file, by :func:`normalize` (emptied after every file)."""
    return normalize(text).text.strip()


def to_ascii_digits(text: str) -> str:
    """Replace Arabic-Indic and Extended Arabic-Indic digits by ASCII digits (1:1)."""
    return text.translate({0x0660 + i: str(i) for i in range(10)} | {0x06F0 + i: str(i) for i in range(10)})


def arabic_letter_share(text: str) -> float | None:
    """The share of the letters (``str.isalpha``) in ``text`` that are Arabic
    (:data:`ARABIC_LETTER_RE`); ``None`` when ``text`` has no letter."""
    letters = sum(map(str.isalpha, text))
    if not letters:
        return None
    # counted run by run: a list of one string per Arabic letter cost about 70 bytes a
    # letter (+133 MB and 2.5 s for a 2-million-character one-line file)
    arabic = sum(m.end() - m.start() for m in _ARABIC_ALPHA_RUN_RE.finditer(text))
    return arabic / letters


def is_arabic_text(text: str, min_share: float = 0.3) -> bool:
    """True if at least ``min_share`` of the letters in ``text`` are Arabic."""
    share = arabic_letter_share(text)
    return share is not None and share >= min_share


# --- clitic-aware term matching ----------------------------------------------------
#: Letters of an Arabic "word" in normalised text (after fold, Latin and digits too).
WORD_CHARS = r"0-9a-z\u0621-\u064a\u0671-\u06d3"
_B = rf"(?<![{WORD_CHARS}])"   # left word boundary
_E = rf"(?![{WORD_CHARS}])"    # right word boundary
#: Proclitics before a definite noun: و/ف + ب/ك + ال, or و/ف + لل (ل + ال, alef dropped).
PROCLITIC_DEF = r"(?:[وف]?(?:[بك]?ال|لل))"
#: Proclitics before an indefinite/proper noun: و/ف + ب/ل/ك.
PROCLITIC_BARE = r"(?:[وف]?[بلك]?)"


def clitic_pattern(term: str) -> str:
    """Regex source matching a *normalised* term with optional proclitics.

    Terms that begin with the article (``ال``) accept و ف ب ك before it and the
    ``لل`` contraction (``للحرس الثوري`` → ``الحرس الثوري``); other terms accept
    و ف ب ل ك. The clitic is captured in group ``pre`` (named groups are made unique
    by the caller) so the reported span can exclude it.
    """
    t = norm(term)
    words = t.split(" ")
    body = r"\s".join(re.escape(w) for w in words)
    if t.startswith("ال") and len(t) > 3:
        rest = r"\s".join([re.escape(words[0][2:])] + [re.escape(w) for w in words[1:]])
        return rf"(?:[وف]?[بك]?ال|[وف]?لل){rest}|{PROCLITIC_BARE}{body}"
    return rf"{PROCLITIC_BARE}{body}"


@dataclass(frozen=True)
class TermMatch:
    key: str          # the value the term maps to (e.g. an actor_id)
    term: str         # the normalised term that matched
    start: int        # span in the ORIGINAL text, clitics excluded
    end: int
    surface: str      # original[start:end]


_PREFIX_SPLIT = re.compile(r"^(?:[وف]?[بك]?(?=ال)|[وف]?ل(?=ل)|[وف]?[بلك]?)")


_TOKEN = re.compile(rf"[{WORD_CHARS}]+")
_WORD_CHAR = re.compile(rf"[{WORD_CHARS}]")
_WORD_ONLY = re.compile(rf"[{WORD_CHARS}]+(?: [{WORD_CHARS}]+)*")


def _tokens(s: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in _TOKEN.finditer(s)]


@lru_cache(maxsize=4096)
def _word_tokens(s: str) -> tuple[tuple[tuple[int, int], ...], tuple[str, ...]]:
    """(spans, words) of the word tokens of ``s``; cached, since every matcher of every stage
    scans the same normalised sentence."""
    spans = tuple((m.start(), m.end()) for m in _TOKEN.finditer(s))
    return spans, tuple(s[a:b] for a, b in spans)


class TermMatcher:
    """Find many terms at once, longest match first, clitics allowed.

    ``terms`` maps a surface term (any spelling; it is normalised) to a key. At each
    position the longest term wins; matches do not overlap; scanning is left to right.
    A term matches at a word boundary, whole words only, optionally with proclitics on its
    first word: و/ف + ب/ل/ك before a bare word; و/ف + ب/ك + ال, or و/ف + لل (ل + ال), before a
    definite one (``للحرس الثوري`` → ``الحرس الثوري``; ``للجنة`` → ``اللجنة``). The reported
    span excludes the proclitic (for ``لل`` it starts at the article's ل).

    Implementation: an index from every clitic variant of a term's first word to the term,
    so the text is scanned word by word with dictionary look-ups (a regex alternation of
    thousands of terms is ~10× slower). Terms with punctuation inside or at their edges go
    through a small regex instead. ``tests/reference/regex_termmatcher.py`` keeps the first
    (regex-only) implementation that this one is property-tested against.
    """

    def __init__(self, terms: Mapping[str, str] | Iterable[tuple[str, str]]):
        items = terms.items() if isinstance(terms, Mapping) else terms
        self._key: dict[str, str] = {}
        for term, key in items:
            t = norm(term)
            if t and t not in self._key:
                self._key[t] = key
        ordered = sorted(self._key, key=lambda s: (-len(s), s))
        self._rank = {t: i for i, t in enumerate(ordered)}
        self._index: dict[str, list[tuple[int, str, int, tuple[str, ...]]]] = {}
        special = []
        for t in ordered:
            if not _WORD_ONLY.fullmatch(t):
                special.append(t)
                continue
            first, *rest = t.split(" ")
            for variant, pre in self._variants(first, t):
                self._index.setdefault(variant, []).append((self._rank[t], t, pre, tuple(rest)))
        for cands in self._index.values():
            cands.sort()
        alts = []
        for k, t in enumerate(special):
            words = t.split(" ")
            body = r"\s".join(re.escape(w) for w in words)
            if t.startswith("ال") and len(words[0]) > 2:
                rest = r"\s".join([re.escape(words[0][2:])] + [re.escape(w) for w in words[1:]])
                alts.append(rf"(?P<a{k}>[وف]?[بك]?){body}")
                alts.append(rf"(?P<b{k}>[وف]?ل)ل{rest}")       # ل + ال: the article's ل stays
                if words[0][2:].startswith("ل"):
                    alts.append(rf"(?P<c{k}>[وف]?ل){rest}")   # ل + اللجنة written للجنة
            else:
                alts.append(rf"(?P<a{k}>{PROCLITIC_BARE}){body}")
        self._special = special
        self._special_re = re.compile(_B + "(?:" + "|".join(alts) + ")" + _E) if alts else None
        # a special term's characters other than spaces and word characters are matched as
        # written (re.escape; a space is \s), so a text without any of them cannot match:
        # the regex scan is skipped then (most sentences have no "-" or ".")
        marks = [{c for c in t if c != " " and not _WORD_CHAR.match(c)} for t in special]
        self._special_gate = frozenset().union(*marks) if marks and all(marks) else None

    @staticmethod
    def _variants(first: str, term: str) -> list[tuple[str, int]]:
        out = []
        if first.startswith("ال") and len(first) > 2:
            stem = first[2:]
            for p1 in ("", "و", "ف"):
                for p2 in ("", "ب", "ك"):
                    out.append((p1 + p2 + first, len(p1 + p2)))
                out.append((p1 + "لل" + stem, len(p1) + 1))
                if stem.startswith("ل"):
                    out.append((p1 + "ل" + stem, len(p1) + 1))
        else:
            for p1 in ("", "و", "ف"):
                for p2 in ("", "ب", "ل", "ك"):
                    out.append((p1 + p2 + first, len(p1 + p2)))
        return out

    def __len__(self) -> int:
        return len(self._key)

    def _candidates(self, text: str) -> list[tuple[int, int, int, str, int]]:
        """(match start incl. clitic, end, rank, term, clitic length) for the best term at each word."""
        toks, words = _word_tokens(text)
        index = self._index
        out = []
        hits = () if index.keys().isdisjoint(words) else [i for i, w in enumerate(words) if w in index]
        for i in hits:
            a, b = toks[i]
            for rank, term, pre, rest in index[words[i]]:
                end, ok = b, True
                for j, word in enumerate(rest, start=1):
                    if i + j >= len(toks):
                        ok = False
                        break
                    a2, b2 = toks[i + j]
                    if a2 != end + 1 or text[end] != " " or words[i + j] != word:
                        ok = False
                        break
                    end = b2
                if ok:
                    out.append((a, end, rank, term, pre))
                    break
        gate = self._special_gate
        if self._special_re is not None and (gate is None or any(c in text for c in gate)):
            for m in self._special_re.finditer(text):
                g = next(g for g, v in m.groupdict().items() if v is not None)
                term = self._special[int(g[1:])]
                out.append((m.start(), m.end(), self._rank[term], term, len(m.group(g))))
        return out

    def finditer_normalized(self, nt: Normalized) -> Iterator[TermMatch]:
        cands = sorted(self._candidates(nt.text), key=lambda c: (c[0], c[2]))
        last = -1
        for start, end, _rank, term, pre in cands:
            if start < last:
                continue
            last = end
            s, e = nt.span(start + pre, end)
            yield TermMatch(self._key[term], term, s, e, nt.original[s:e])

    def finditer(self, text: str) -> Iterator[TermMatch]:
        """Matches in ``text`` (original string); spans index ``text``."""
        yield from self.finditer_normalized(normalize(text))


# --- sentence splitting -------------------------------------------------------------
_SENT_END = re.compile(
    r"(?<!\b[A-Za-z])"          # not an initial like "W." in "John W. Brennan"
    r"(?<!\bد)(?<!\bم)(?<!\bت)"  # not د. (doctor), م. (engineer/AD), ت.
    r"(?<!\d(?=\.\d))"           # not a decimal point
    r"[.!?؟…]+[\"'”»)\]]*"       # terminal punctuation plus closing quotes/brackets
    r"|[؛;](?=\s)"              # Arabic semicolon ends a clause-sentence
    r"|(?:\r\n|\r|\n)+"           # line breaks (LF, CRLF or CR files)
)


@dataclass(frozen=True)
class Sentence:
    start: int
    end: int
    text: str


def split_sentences(text: str, start: int = 0, end: int | None = None) -> list[Sentence]:
    """Split ``text[start:end]`` into sentences; spans index ``text``.

    Boundaries: . ! ? ؟ … (with closing quotes/brackets kept on the left), the Arabic
    semicolon ؛ and line breaks. Decimal points, single Latin initials and the
    abbreviations د. / م. do not end a sentence. Leading/trailing white space is
    trimmed from each span; empty pieces are dropped.
    """
    end = len(text) if end is None else end
    out: list[Sentence] = []
    pos = start
    region = text[start:end]
    for m in _SENT_END.finditer(region):
        cut = start + m.end()
        _emit(text, pos, cut, out)
        pos = cut
    _emit(text, pos, end, out)
    return out


def _emit(text: str, s: int, e: int, out: list[Sentence]) -> None:
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    if e > s and any(c.isalnum() for c in text[s:e]):
        out.append(Sentence(s, e, text[s:e]))
