"""Quantities in Arabic news text: digits, number words, multipliers, vague counts, duals.

``find_quantities(text)`` returns every count the press writes, each with its span in the
*original* text, its value (and an upper bound for ranges/vague counts), a qualifier and the
counted noun that follows it::

    >>> [ (q.value, q.qualifier, q.noun) for q in find_quantities("بلغت نحو 50 هجوماً") ]
    [(50, 'approx', 'هجوم')]

Forms handled (each is tested in ``tests/test_numbers.py``):

* digits, ASCII or Arabic-Indic (``٦٣``), with thousands separators (``2,500`` / ``٢٬٥٠٠``)
  and decimals (``1.5 مليون``);
* multipliers after a number: ``5 آلاف`` = 5000, ``150 ألف`` = 150000, ``مليون``, ``مليار``;
  a bare ``ألف`` / ``مئة`` / ``مائة`` / ``ألفين`` / ``مئتين`` is a number by itself;
* number words 1-10 (masculine/feminine, ``اثنان/اثنين``), 11-19 (``أحد عشر``, ``ثلاثة عشر``),
  tens (``عشرون/عشرين`` …), compounds (``خمسة وعشرون``), hundreds (``ثلاثمئة``, ``ثلاث مئة``,
  ``مئة وخمسون``), thousands with a smaller number joined by و (``ألفين وخمسمائة`` = 2500,
  ``ثلاثة آلاف وخمسمائة`` = 3500, ``ألف ومئتا`` = 1200);
* partitive counts: a number *word*, ``من`` and a counted plural (possessive suffix allowed):
  ``ثلاثة من عناصر`` → 3 عنصر, ``واثنان من مرافقيه`` → 2 مرافق (digits + من keep no noun);
* a vague count with an attached ب before a counted noun: ``بعدة صواريخ`` (``بعده`` alone is "after it");
* vague counts, qualifier ``approx`` and a documented range (value = lower bound,
  value_max = upper bound): ``بضعة`` 3-9, ``عدة`` 3-10, ``عشرات`` 20-99, ``مئات`` 200-999,
  ``آلاف`` 2000-9999, ``عشرات الآلاف`` 20000-99999, ``مئات الآلاف`` 200000-999999;
* duals of counted nouns: ``جنديين``, ``صاروخين``, ``هجومين``, ``طائرتين``, ``يومين`` = 2;
* qualifiers before the number: approx (نحو، قرابة، حوالي، زهاء، ما يقارب، ما يناهز،
  تقريبا after the noun), at_least (أكثر من، ما لا يقل عن، أزيد من، ما يزيد على/عن، ما فوق),
  at_most (أقل من، ما لا يزيد عن/على، ما يصل إلى).

Numbers that are parts of dates or clock times are *not* quantities: a number followed by a
month name (``7 ديسمبر``), ``d/m/y`` and ``d-m-y`` dates, ``15:10``, and four-digit years
1900-2100 unless a counted noun follows (``2500 جندي`` is a count, ``عام 2020`` is not).
Ordinals (``الثالثة``، ``السابع``) and definite number words (``الثلاثين``) are not counts.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from .arabic import WORD_CHARS, Normalized, norm, normalize

__all__ = ["Quantity", "find_quantities", "parse_number_words", "MONTHS", "COUNTED_NOUNS",
           "noun_lemma"]


@dataclass(frozen=True)
class Quantity:
    start: int            # span in the ORIGINAL text: qualifier + number (+ counted noun)
    end: int
    value: float | int    # the number (lower bound for vague counts)
    value_max: float | int | None  # upper bound for ranges/vague counts, else None
    qualifier: str        # exact | approx | at_least | at_most
    noun: str             # counted noun, normalised and reduced to a lemma ('' if none)
    surface: str          # original[start:end]
    number_start: int = 0  # span of the number itself (no qualifier, no noun)
    number_end: int = 0
    noun_surface: str = ""  # the counted noun as written (normalised), e.g. 'هجوما'

    @property
    def is_vague(self) -> bool:
        return self.value_max is not None


# --- vocabulary (normalised spellings: ة→ه, ى→ي, أإآ→ا) ----------------------------
_UNITS = {
    "واحد": 1, "واحده": 1, "احد": 1, "احدي": 1,
    "اثنان": 2, "اثنين": 2, "اثنتان": 2, "اثنتين": 2, "اثنا": 2, "اثني": 2, "اثنتا": 2, "اثنتي": 2,
    "ثلاث": 3, "ثلاثه": 3, "اربع": 4, "اربعه": 4, "خمس": 5, "خمسه": 5, "ست": 6, "سته": 6,
    "سبع": 7, "سبعه": 7, "ثمان": 8, "ثماني": 8, "ثمانيه": 8, "تسع": 9, "تسعه": 9,
}
_TEN = {"عشر": 10, "عشره": 10}
_TENS = {
    "عشرون": 20, "عشرين": 20, "ثلاثون": 30, "ثلاثين": 30, "اربعون": 40, "اربعين": 40,
    "خمسون": 50, "خمسين": 50, "ستون": 60, "ستين": 60, "سبعون": 70, "سبعين": 70,
    "ثمانون": 80, "ثمانين": 80, "تسعون": 90, "تسعين": 90,
}
_HUNDREDS = {"مئه": 100, "مائه": 100, "ميه": 100, "مئتان": 200, "مئتين": 200, "مئتا": 200, "مئتي": 200,
             "مائتان": 200, "مائتين": 200, "مائتا": 200, "مائتي": 200}
for _w, _v in [("ثلاث", 3), ("اربع", 4), ("خمس", 5), ("ست", 6), ("سبع", 7), ("ثمان", 8), ("تسع", 9)]:
    for _h in ("مئه", "مائه"):
        _HUNDREDS[_w + _h] = _v * 100
_THOUSAND_WORDS = {"الف": 1000, "الفا": 1000, "الاف": 1000, "الفين": 2000, "الفان": 2000,
                   "مليون": 10**6, "ملايين": 10**6, "مليونا": 10**6, "مليونين": 2 * 10**6,
                   "مليار": 10**9, "مليارات": 10**9, "مليارا": 10**9}
#: multipliers that may follow a number ("5 آلاف", "150 ألف", "1.5 مليون")
_MULT = {"الف": 1000, "الفا": 1000, "الاف": 1000, "مليون": 10**6, "ملايين": 10**6, "مليونا": 10**6,
         "مليار": 10**9, "مليارات": 10**9, "مليارا": 10**9}
#: vague counts: word -> (lower, upper); documented in the module docstring
_VAGUE = {"بضعة": (3, 9), "بضع": (3, 9), "عدة": (3, 10), "عشرات": (20, 99), "مئات": (200, 999),
          "مئات": (200, 999), "آلاف": (2000, 9999)}
_VAGUE_PLURAL_MULT = {"آلاف": 1000, "الآلاف": 1000, "ملايين": 10**6, "الملايين": 10**6}

#: Month names (normalised) — a number directly before one is a date, not a count.
MONTHS = {
    "يناير", "فبراير", "مارس", "ابريل", "مايو", "يونيو", "يونيه", "يوليو", "يوليه", "اغسطس",
    "سبتمبر", "اكتوبر", "نوفمبر", "ديسمبر",
    "كانون", "شباط", "اذار", "نيسان", "ايار", "حزيران", "تموز", "اب", "ايلول", "تشرين",
    "محرم", "صفر", "ربيع", "جمادي", "رجب", "شعبان", "رمضان", "شوال", "ذو", "ذي",
}

#: Counted nouns: normalised form -> lemma. Duals are derived from the lemma (see _DUALS).
COUNTED_NOUNS: dict[str, str] = {}


def _add(lemma: str, *forms: str) -> None:
    COUNTED_NOUNS[lemma] = lemma
    for f in forms:
        COUNTED_NOUNS[f] = lemma


_add("هجوم", "هجوما", "هجمات", "هجوم")
_add("ضربه", "ضربات")
_add("غاره", "غارات")
_add("استهداف", "استهدافات")
_add("عمليه", "عمليات")
_add("اعتداء", "اعتداءات", "اعتداءا")
_add("صاروخ", "صواريخ", "صاروخا")
_add("قذيفه", "قذائف")
_add("طائره", "طائرات")
_add("مسيره", "مسيرات")
_add("عبوه", "عبوات")
_add("جندي", "جنديا", "جنود", "جندى")
_add("عسكري", "عسكريا", "عسكريين", "عسكريون")
_add("مدني", "مدنيا", "مدنيين", "مدنيون")
_add("شخص", "شخصا", "اشخاص")
_add("عنصر", "عنصرا", "عناصر")
_add("فرد", "فردا", "افراد")
_add("مقاتل", "مقاتلا", "مقاتلين", "مقاتلون")
_add("ضابط", "ضابطا", "ضباط")
_add("متعاقد", "متعاقدا", "متعاقدين", "متعاقدون")
_add("موظف", "موظفا", "موظفين", "موظفون")
_add("مستشار", "مستشارا", "مستشارين", "مستشارون")
_add("مرافق", "مرافقا", "مرافقين", "مرافقون")  # "واثنان من مرافقيه": companions/bodyguards
_add("قتيل", "قتيلا", "قتلي")
_add("جريح", "جريحا", "جرحي")
_add("مصاب", "مصابا", "مصابين", "مصابون")
_add("امريكي", "امريكيا", "امريكيين", "امريكيون")
_add("اخرون", "اخرين")  # "أصيب 34 آخرون", "وإصابة 5 آخرين": the counted persons are "others"
_add("قاعده", "قواعد")
_add("يوم", "يوما", "ايام")
_add("ساعه", "ساعات")
_add("اسبوع", "اسبوعا", "اسابيع")
_add("شهر", "شهرا", "اشهر", "شهور")
_add("عام", "عاما", "اعوام")
_add("سنه", "سنوات", "سنين")
_add("دوله", "دول")
_add("مره", "مرات")



def _nk(d: dict) -> dict:
    return {norm(k): v for k, v in d.items()}


# all vocabulary is written as printed and normalised here (ئ→ي, ة→ه, ى→ي, أ→ا …)
_UNITS, _TEN, _TENS, _HUNDREDS = _nk(_UNITS), _nk(_TEN), _nk(_TENS), _nk(_HUNDREDS)
_THOUSAND_WORDS, _MULT, _VAGUE, _VAGUE_PLURAL_MULT = (_nk(_THOUSAND_WORDS), _nk(_MULT), _nk(_VAGUE),
                                                      _nk(_VAGUE_PLURAL_MULT))
COUNTED_NOUNS = {norm(k): norm(v) for k, v in COUNTED_NOUNS.items()}
MONTHS = {norm(m) for m in MONTHS}
_HUNDRED_ONE = {norm("مئة"), norm("مائة")}

_COUNTED_LEMMAS = frozenset(COUNTED_NOUNS.values())

#: dual form -> lemma (جنديين, صاروخين, طائرتين, ضربتين, يومين …)
_DUALS: dict[str, str] = {}
for _lemma in set(COUNTED_NOUNS.values()):
    stem = _lemma[:-1] + "ت" if _lemma.endswith("ه") else _lemma
    for suf in ("ين", "ان"):
        _DUALS[stem + suf] = _lemma
# not duals although they look like one
for _bad in ("امريكيين", "امريكيان", "عسكريين", "مدنيين", "مقاتلين", "متعاقدين", "موظفين",
             "مستشارين", "مصابين", "سنين"):
    _DUALS.pop(norm(_bad), None)


def noun_lemma(word: str) -> str:
    """Lemma of a (normalised) counted noun; tanween alef and clitic-free plural forms folded."""
    w = word.strip()
    if w in COUNTED_NOUNS:
        return COUNTED_NOUNS[w]
    if w in _DUALS:
        return _DUALS[w]
    if w.endswith("ا") and w[:-1] in COUNTED_NOUNS:
        return COUNTED_NOUNS[w[:-1]]
    if len(w) > 3 and w.endswith("ا"):
        return w[:-1]
    return w


# --- qualifiers ------------------------------------------------------------------
_QUALIFIERS = [
    # (regex on normalised text, qualifier); the regex must end right before the number
    (r"ما\s+لا\s+يزيد\s+(?:عن|علي)", "at_most"),
    (r"لا\s+يزيد\s+(?:عن|علي)", "at_most"),
    (r"ما\s+لا\s+يقل\s+(?:عن|علي)", "at_least"),
    (r"لا\s+يقل\s+(?:عن|علي)", "at_least"),
    (r"ما\s+يزيد\s+(?:عن|علي)", "at_least"),
    (r"يزيد\s+(?:عن|علي)", "at_least"),
    (r"[وبل]?[ال]?اكثر\s+من", "at_least"),
    (r"[وبل]?ازيد\s+من", "at_least"),
    (r"ما\s+فوق", "at_least"),
    (r"[وبل]?اقل\s+من", "at_most"),
    (r"ما\s+يصل\s+(?:الي|ل)", "at_most"),
    (r"يصل\s+(?:الي|ل)", "at_most"),
    (r"ما\s+يقارب", "approx"),
    (r"ما\s+يناهز", "approx"),
    (r"يقارب", "approx"),
    (r"يناهز", "approx"),
    (r"[وب]?نحو", "approx"),
    (r"[وب]?قرابه", "approx"),
    (r"[وب]?حوالي", "approx"),
    (r"[وب]?زهاء", "approx"),
    (r"[وب]?تقريبا", "approx"),
]
_QUAL_RE = [(re.compile(r"(?<![" + WORD_CHARS + r"])(?:" + p + r")\s+$"), q) for p, q in _QUALIFIERS]
_AFTER_APPROX = re.compile(r"^\s*(?:\S+\s+)?تقريبا(?![" + WORD_CHARS + "])")

# --- token scanning --------------------------------------------------------------
_W = "[" + WORD_CHARS + "]"
_TOKEN = re.compile(r"\d+(?:[.,]\d+)*|" + _W + "+")
_DATE_NUM = re.compile(r"\d{1,4}\s*[/\-.]\s*\d{1,2}\s*[/\-.]\s*\d{1,4}|\d{1,2}:\d{2}")


@dataclass
class _Tok:
    s: int
    e: int
    t: str


def _tokens(nt: str) -> list[_Tok]:
    return [_Tok(m.start(), m.end(), m.group(0)) for m in _TOKEN.finditer(nt)]


def _strip_w(tok: str) -> tuple[str, int]:
    """Drop a leading conjunction و (number words in compounds: وعشرون, و22)."""
    if len(tok) > 2 and tok.startswith("و") and (tok[1:] in _TENS or tok[1:] in _UNITS or tok[1:].isdigit()
                                                  or tok[1:] in _HUNDREDS or tok[1:] in _VAGUE
                                                  or tok[1:] in _THOUSAND_WORDS):
        return tok[1:], 1
    if len(tok) > 1 and tok[0] == "و" and tok[1].isdigit():
        return tok[1:], 1
    return tok, 0


_GROUPED = re.compile(r"\d{1,3}(?:,\d{3})+")
_INT = re.compile(r"\d+")
_DECIMAL = re.compile(r"\d+[.,]\d+")


def _digit_value(tok: str) -> float | int | None:
    t = tok
    if not t[:1].isdecimal():   # every form below starts with a digit (\d = category Nd)
        return None
    if _GROUPED.fullmatch(t):
        return int(t.replace(",", ""))
    if _INT.fullmatch(t):
        return int(t)
    if _DECIMAL.fullmatch(t):
        return float(t.replace(",", "."))
    return None


def parse_number_words(words: list[str]) -> tuple[int | None, int]:
    """Parse a run of normalised number words; returns (value, number of words used).

    ``["خمسه", "وعشرون"]`` → (25, 2); ``["احد", "عشر"]`` → (11, 2); ``["ثلاث", "مئه"]`` → (300, 2).
    """
    if not words:
        return None, 0
    i = 0
    total = 0
    used = 0
    w0 = words[0]
    # hundreds: "ثلاثمئة" or "ثلاث مئة" or "مئة"
    if w0 in _HUNDREDS:
        total, i = _HUNDREDS[w0], 1
    elif w0 in _UNITS and len(words) > 1 and words[1] in _HUNDRED_ONE:
        total, i = _UNITS[w0] * 100, 2
    if i:
        used = i
        if i < len(words) and words[i].startswith("و"):
            rest, k = parse_number_words([words[i][1:]] + words[i + 1:])
            if rest is not None and rest < 100:
                return total + rest, used + k
        return total, used
    # 11-19
    if w0 in _UNITS and len(words) > 1 and words[1] in _TEN:
        return _UNITS[w0] + 10, 2
    # units, possibly "خمسه وعشرون"
    if w0 in _UNITS:
        if len(words) > 1 and words[1].startswith("و") and words[1][1:] in _TENS:
            return _UNITS[w0] + _TENS[words[1][1:]], 2
        if w0 in ("احد", "احدي", "اثنا", "اثني", "اثنتا", "اثنتي"):
            return None, 0  # only valid as part of 11/12 or a compound
        return _UNITS[w0], 1
    if w0 in _TEN:
        return 10, 1
    if w0 in _TENS:
        return _TENS[w0], 1
    return None, 0


#: words a number in words can start with (see :func:`parse_number_words`)
_NUMBER_HEADS = frozenset(_HUNDREDS) | frozenset(_UNITS) | frozenset(_TEN) | frozenset(_TENS)


def find_quantities(text: str) -> list[Quantity]:
    """All quantities in ``text`` (spans index ``text``), left to right."""
    nt = normalize(text)
    return find_quantities_normalized(nt)


def find_quantities_normalized(nt: Normalized) -> list[Quantity]:
    """Quantities of a normalised text; cached (``Normalized`` is immutable), since the
    attacks and milestones stages read the same sentences (a new list each time; the
    quantities are immutable)."""
    return list(_find_quantities_cached(nt))


@lru_cache(maxsize=2048)
def _find_quantities_cached(nt: Normalized) -> tuple[Quantity, ...]:
    return tuple(_find_quantities(nt))


def _find_quantities(nt: Normalized) -> list[Quantity]:
    s = nt.text
    toks = _tokens(s)
    date_spans = [(m.start(), m.end()) for m in _DATE_NUM.finditer(s)]
    out: list[Quantity] = []
    i = 0
    n = len(toks)
    while i < n:
        tok = toks[i]
        word, skip = _strip_w(tok.t)
        # "بعدة صواريخ", "بعشرات الصواريخ": a vague count with a ب proclitic, before a counted noun
        # (بعده is also "after it": the counted noun decides)
        if skip == 0 and len(tok.t) > 3 and tok.t[0] == "ب" and tok.t[1:] in _VAGUE and i + 1 < n \
                and (noun_lemma(toks[i + 1].t) in _COUNTED_LEMMAS or toks[i + 1].t in _VAGUE_PLURAL_MULT
                     or (toks[i + 1].t.startswith("ال") and noun_lemma(toks[i + 1].t[2:]) in _COUNTED_LEMMAS)):
            word, skip = tok.t[1:], 1
        num_start = tok.s + skip
        value = None
        vmax = None
        qual = "exact"
        j = i + 1  # index after the number
        lemma_from_dual = None
        dv = _digit_value(word)
        if dv is not None:
            if any(a <= tok.s < b for a, b in date_spans):
                i += 1
                continue
            value = dv
            # multiplier: "5 آلاف", "150 ألف", "1.5 مليون"
            if j < n and toks[j].t in _MULT and toks[j].s - toks[j - 1].e <= 2:
                value = value * _MULT[toks[j].t]
                j += 1
            if isinstance(value, float) and value.is_integer():
                value = int(value)
        elif word in _VAGUE:
            lo, hi = _VAGUE[word]
            # "عشرات الآلاف", "مئات الآلاف"
            if j < n and toks[j].t in _VAGUE_PLURAL_MULT and word in (norm("عشرات"), norm("مئات")):
                m = _VAGUE_PLURAL_MULT[toks[j].t]
                lo, hi = lo * m, hi * m + (m - 1)
                j += 1
            value, vmax, qual = lo, hi, "approx"
        elif word in _THOUSAND_WORDS and not (i > 0 and _digit_value(toks[i - 1].t) is not None):
            value = _THOUSAND_WORDS[word]
            if j < n and toks[j].t in _MULT and word in _HUNDRED_ONE:
                value *= _MULT[toks[j].t]
                j += 1
            value, j = _compound_rest(toks, j, value, _THOUSAND_WORDS[word])
        elif word in _DUALS:
            value = 2
            lemma_from_dual = _DUALS[word]
        elif word not in _NUMBER_HEADS:   # parse_number_words needs one of these first
            i += 1
            continue
        else:
            words = [_strip_w(t.t)[0] if k == 0 else t.t for k, t in enumerate(toks[i:i + 4])]
            v, used = parse_number_words(words)
            if v is not None:
                # a word number that multiplies: "خمسة آلاف", "ثلاثمئة ألف"
                j = i + used
                if j < n and toks[j].t in _MULT:
                    unit = _MULT[toks[j].t]
                    v *= unit
                    j += 1
                    # "ثلاثة آلاف وخمسمائة" = 3500
                    v, j = _compound_rest(toks, j, v, unit)
                value = v
                # bare "ست"/"خمس" etc. (also verbs/other words) count only before a counted noun
                if used == 1 and v < 11 and not (j < n and noun_lemma(toks[j].t) in COUNTED_NOUNS) \
                        and not (j + 1 < n and toks[j].t == "من" and _partitive_noun(toks[j + 1].t)):
                    value = None
            elif word in _HUNDREDS:
                value = _HUNDREDS[word]
        if value is None:
            i += 1
            continue
        # dates: number followed by a month name; years
        nxt = toks[j].t if j < n else ""
        if dv is not None and j == i + 1:
            if nxt in MONTHS or (nxt.startswith("من") and j + 1 < n and toks[j + 1].t in MONTHS):
                i += 1
                continue
            if nxt == "من" and j + 1 < n and toks[j + 1].t in MONTHS:
                i += 1
                continue
        # counted noun
        noun = ""
        noun_surface = ""
        end_norm = toks[j - 1].e
        if lemma_from_dual:
            noun, noun_surface = lemma_from_dual, word
        elif j < n and toks[j].s - end_norm <= 2:
            cand = toks[j].t
            lem = noun_lemma(cand)
            # a following "من" (مئات من العناصر) introduces the noun
            if cand == "من" and j + 1 < n and value is not None and vmax is not None:
                cand = toks[j + 1].t
                lem = noun_lemma(cand[2:] if cand.startswith("ال") else cand)
                j += 1
            elif cand == "من" and j + 1 < n and value is not None and dv is None \
                    and toks[j + 1].s - toks[j].e <= 2 and _partitive_noun(toks[j + 1].t):
                # "ثلاثة من عناصر الحشد", "واثنان من مرافقيه": a number word, من, a counted plural
                cand = toks[j + 1].t
                lem = _partitive_noun(cand)
                j += 1
            if not (cand.isdigit() or cand in MONTHS or cand in _QUALIFIER_WORDS):
                noun, noun_surface = lem, cand
                end_norm = toks[j].e
        if dv is not None and isinstance(dv, int) and 1900 <= dv <= 2100 and j == i + 1 \
                and noun not in COUNTED_NOUNS.values():
            i += 1
            continue
        if dv is not None and noun in ("ساعه",) and False:
            pass
        # qualifier before the number
        start_norm = num_start
        before = s[max(0, num_start - 40):num_start]
        for rx, q in _QUAL_RE:
            m = rx.search(before)
            if m:
                qual = q if vmax is None else ("approx" if q == "approx" else q)
                start_norm = num_start - (len(before) - m.start())
                break
        if qual == "exact" and _AFTER_APPROX.match(s[end_norm:end_norm + 30] or ""):
            qual = "approx"
        o_s, o_e = nt.span(start_norm, end_norm)
        n_s, n_e = nt.span(num_start, toks[i].e if not lemma_from_dual else toks[i].e)
        out.append(Quantity(o_s, o_e, value, vmax, qual, noun, nt.original[o_s:o_e], n_s, n_e,
                            noun_surface))
        i = max(j, i + 1) if not noun else max(j, i + 1)
        if noun and not lemma_from_dual:
            i = j + 1
    return out


_QUALIFIER_WORDS = {"من", "الي", "في", "علي", "عن"}


def _compound_rest(toks: list[_Tok], j: int, value, unit: int):
    """'ألفين وخمسمائة' = 2500, 'ثلاثة آلاف وخمسمائة' = 3500, 'ألف ومئتا' = 1200: after a
    thousands (millions …) word, a word number joined by و that is smaller than the unit adds to it.
    Returns (value, index after the number)."""
    if j >= len(toks) or not toks[j].t.startswith("و") or len(toks[j].t) < 3 \
            or toks[j].s - toks[j - 1].e > 2:
        return value, j
    words = [toks[j].t[1:]] + [t.t for t in toks[j + 1:j + 4]]
    rest, used = parse_number_words(words)
    if rest is None and words[0] in _HUNDREDS:
        rest, used = _HUNDREDS[words[0]], 1
    if rest is None or rest >= unit:
        return value, j
    return value + rest, j + used


#: possessive suffixes dropped from a counted plural after "من" (مرافقيه → مرافقين)
_POSSESSIVE = re.compile(r"(?:يه|يها|يهم|يهما)$")


def _partitive_noun(tok: str) -> str:
    """Lemma of a counted noun after a partitive من ('من عناصر', 'من المتعاقدين', 'من مرافقيه'),
    '' if the word is not a counted noun."""
    w = tok[2:] if tok.startswith("ال") and len(tok) > 4 else tok
    cands = [w]
    if _POSSESSIVE.search(w):
        stem = _POSSESSIVE.sub("", w)
        cands += [stem + "ين", stem + "ون", stem]
    elif w.endswith(("ه", "ها", "هم")) and len(w) > 4:
        cands.append(re.sub(r"(?:ه|ها|هم)$", "", w))  # عناصره، أفرادها
    for c in cands:
        if c in COUNTED_NOUNS:
            return COUNTED_NOUNS[c]
    return ""
