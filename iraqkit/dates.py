"""Arabic dates: finding and parsing explicit dates, resolving relative time against an
anchor, and inferring an article's publication date.

Everything works on normalised text (:func:`iraqkit.arabic.normalize`: Arabic-Indic
digits → ASCII, أإآ → ا, ى → ي, ة → ه, no diacritics/tatweel, ASCII lower case) and
reports ``start``/``end`` offsets into the ORIGINAL string, so ``text[start:end]`` is
always the evidence.

Three layers:

* :func:`find_dates` – explicit date mentions (numeric, ISO 8601, RFC 2822, English,
  Arabic with both month systems and the paired form ``ديسمبر/كانون الأول``, ordinal day
  words, day ranges, month/year with "early/mid/late", bare years after a cue word).
  Mentions without a year keep ``year=None`` and carry the relation word that follows
  them (``الماضي`` / ``الحالي`` / ``المقبل``) or a deadline cue before them (``بحلول``…).
* :func:`resolve_time_expressions` – turns explicit mentions (year filled from the
  anchor) and relative expressions (اليوم، أمس، يوم الثلاثاء، الأسبوع الماضي، قبل أيام،
  منذ شهور، منذ … حتى …) into date intervals.
* :func:`infer_publication_date` – a dateline in the header if there is one (ambiguous
  numeric datelines are settled by the body), otherwise the earliest date that satisfies
  the constraints the body gives (latest past event, ``الحالي`` month, ``اليوم الخميس``).

No corpus file, sentence or answer is special-cased; every rule is lexical and general.
"""
from __future__ import annotations

import calendar
import datetime as _dt
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable, Iterable

from .arabic import WORD_CHARS, Normalized, norm, normalize
from .regex_gate import gated

__all__ = [
    "MONTHS", "WEEKDAYS", "DateMention", "TimeExpression", "PublicationDate",
    "find_dates", "parse_date_string", "resolve_time_expressions",
    "infer_publication_date", "weekday_of", "month_of", "iso",
]

_W = WORD_CHARS
_B = rf"(?<![{_W}])"
_E = rf"(?![{_W}])"

#: First day of the week for "الأسبوع الماضي/هذا الأسبوع" (Python weekday; 5 = Saturday,
#: the CLDR first day for Iraq and most Arab locales).
WEEK_START = 5

# --- lexicon ---------------------------------------------------------------------------
_MONTH_SURFACES: dict[int, list[str]] = {
    1: ["يناير", "كانون الثاني", "كانون ثاني", "جانفي", "january", "jan"],
    2: ["فبراير", "شباط", "فيفري", "february", "feb"],
    3: ["مارس", "آذار", "march", "mar"],
    4: ["أبريل", "إبريل", "ابريل", "نيسان", "أفريل", "april", "apr"],
    5: ["مايو", "أيار", "may"],
    6: ["يونيو", "يونيه", "حزيران", "جوان", "june", "jun"],
    7: ["يوليو", "يوليه", "تموز", "جويلية", "يوليوز", "july", "jul"],
    8: ["أغسطس", "اغسطس", "آب", "أوت", "غشت", "august", "aug"],
    9: ["سبتمبر", "أيلول", "شتنبر", "september", "sept", "sep"],
    10: ["أكتوبر", "تشرين الأول", "تشرين أول", "october", "oct"],
    11: ["نوفمبر", "تشرين الثاني", "تشرين ثاني", "نونبر", "november", "nov"],
    12: ["ديسمبر", "كانون الأول", "كانون أول", "دجنبر", "december", "dec"],
}
#: normalised month name (Arabic, both systems, Maghrebi variants, English names and
#: abbreviations) → month number.
MONTHS: dict[str, int] = {norm(s): m for m, names in _MONTH_SURFACES.items() for s in names}
_EN_MONTHS = {k: v for k, v in MONTHS.items() if k.isascii()}
_AR_MONTHS = {k: v for k, v in MONTHS.items() if not k.isascii()}
#: Arabic month names that are also ordinary words (آب/أب "father", مارس "he practised",
#: أوت): alone (no day, no year) they need a cue.
_RISKY_MONTHS = {norm("آب"), norm("مارس"), norm("أوت")}

_WEEKDAY_SURFACES = {
    0: ["الاثنين", "الإثنين", "الأثنين", "monday", "mon"],
    1: ["الثلاثاء", "tuesday", "tue", "tues"],
    2: ["الأربعاء", "الاربعاء", "wednesday", "wed"],
    3: ["الخميس", "thursday", "thu", "thur", "thurs"],
    4: ["الجمعة", "friday", "fri"],
    5: ["السبت", "saturday", "sat"],
    6: ["الأحد", "الاحد", "sunday", "sun"],
}
#: normalised weekday name → Python weekday (Monday = 0).
WEEKDAYS: dict[str, int] = {norm(s): d for d, names in _WEEKDAY_SURFACES.items() for s in names}
_AR_WEEKDAYS = {k: v for k, v in WEEKDAYS.items() if not k.isascii()}
_EN_WEEKDAYS = {k: v for k, v in WEEKDAYS.items() if k.isascii()}

_REL_WORDS = {
    "past": ["الماضي", "الماضية", "الفائت", "الفائتة", "المنصرم", "المنصرمة", "المنقضي",
             "المنقضية", "السابق", "السابقة"],
    "current": ["الحالي", "الحالية", "الجاري", "الجارية"],
    "future": ["المقبل", "المقبلة", "القادم", "القادمة"],
}
_REL: dict[str, str] = {norm(w): r for r, ws in _REL_WORDS.items() for w in ws}

_PART_WORDS = {
    "early": ["مطلع", "أوائل", "بداية", "بدايات", "مستهل"],
    "mid": ["منتصف", "أواسط"],
    "late": ["أواخر", "نهاية", "ختام", "آخر"],
}
_PART: dict[str, str] = {norm(w): p for p, ws in _PART_WORDS.items() for w in ws}

_ORD_UNITS = {"الحادي": 1, "الواحد": 1, "الثاني": 2, "الثالث": 3, "الرابع": 4,
              "الخامس": 5, "السادس": 6, "السابع": 7, "الثامن": 8, "التاسع": 9}
_ORD_SIMPLE = {"الأول": 1, "الثاني": 2, "الثالث": 3, "الرابع": 4, "الخامس": 5,
               "السادس": 6, "السابع": 7, "الثامن": 8, "التاسع": 9, "العاشر": 10,
               "العشرين": 20, "الثلاثين": 30}
#: normalised ordinal day words (الأول … الحادي والثلاثين) → day number.
ORDINAL_DAYS: dict[str, int] = {norm(k): v for k, v in _ORD_SIMPLE.items()}
for _u, _n in _ORD_UNITS.items():
    ORDINAL_DAYS[norm(_u + " عشر")] = 10 + _n
    for _t, _tv in (("العشرين", 20), ("الثلاثين", 30)):
        if _tv + _n <= 31:
            ORDINAL_DAYS[norm(f"{_u} و{_t}")] = _tv + _n

_NUM_WORDS = {"واحد": 1, "اثنين": 2, "اثنتين": 2, "ثلاث": 3, "ثلاثة": 3, "أربع": 4,
              "أربعة": 4, "خمس": 5, "خمسة": 5, "ست": 6, "ستة": 6, "سبع": 7, "سبعة": 7,
              "ثماني": 8, "ثمانية": 8, "ثمان": 8, "تسع": 9, "تسعة": 9, "عشر": 10,
              "عشرة": 10, "عشرين": 20, "ثلاثين": 30, "مئة": 100, "مائة": 100}
_NUM = {norm(k): v for k, v in _NUM_WORDS.items()}
_FUZZY_NUM = {norm(w) for w in ("بضع", "بضعة", "عدة")}


def _alt(words: Iterable[str]) -> str:
    """Regex alternation of normalised phrases, longest first, spaces as \\s+."""
    ws = sorted(set(words), key=lambda w: (-len(w), w))
    return "(?:" + "|".join(r"\s+".join(re.escape(p) for p in w.split(" ")) for w in ws) + ")"


_AR_MN = _alt(_AR_MONTHS) + _E
_EN_MN = _alt(_EN_MONTHS) + r"(?![a-z])\.?"
_EN_MN_FULL = _alt(k for k in _EN_MONTHS if len(k) > 3 or k == "may") + r"(?![a-z])"
_AR_WD = _alt(_AR_WEEKDAYS) + _E
_EN_WD = _alt(_EN_WEEKDAYS) + r"(?![a-z])\.?"
_ORD = _alt(ORDINAL_DAYS).replace(r"\s+و", r"\s+و\s?") + _E
_RELX = _alt(_REL) + _E
_PARTX = _alt(_PART) + _E
_Y = r"(?P<y>(?:19|20)\d\d)(?!\d)"
_D = r"(?<![\d.:/,])(?P<d>[0-3]?\d)(?!\d)"


def _monthx(p: str = "") -> str:
    """An Arabic month name, optionally paired: ديسمبر/كانون الأول, آذار (مارس), أبريل- نيسان."""
    return (rf"(?P<{p}m1>{_AR_MN})(?:\s*[/\\]\s*(?P<{p}m2>{_AR_MN})|\s*-\s*(?P<{p}m3>{_AR_MN})"
            rf"|\s*\(\s*(?P<{p}m4>{_AR_MN})\s*\))?")


_YEAR_TAIL = (r"(?:\s*,?\s*(?:من\s+)?(?:[وفل]?(?:عام|العام|سنه|السنه)\s+)?" + _Y
              + rf"(?:\s?م{_E})?)")
_PART_PRE = rf"(?:(?P<pcl>[وفب])?(?P<part>{_PARTX})\s+(?:(?:ال)?شهر\s+)?|(?P<shr>[وفبل]?(?:ال)?شهر)\s+)"

# --- dataclasses -----------------------------------------------------------------------


@dataclass(frozen=True)
class DateMention:
    """An explicit date found in text. ``start``/``end`` index the original string.

    ``year``/``month``/``day`` may be ``None`` (a month alone is to be resolved against an
    anchor). ``end_*`` are set for day ranges. ``precision`` is 'day', 'month' or 'year'.
    ``ambiguous`` numeric dates list both readings in ``alternatives`` as ``(y, m, d)``,
    day-first reading first (it is also the reading in ``year/month/day``).
    ``relation``: 'past' | 'current' | 'future' from a following الماضي/الحالي/المقبل…,
    or 'deadline' when introduced by بحلول/حتى/بنهاية/قبل… (a following الماضي wins).
    Extra fields: ``weekday`` named with the date, ``part`` ('early'|'mid'|'late' for
    مطلع/منتصف/نهاية…), ``year_offset`` (for "تموز من العام الماضي" = -1),
    ``month_offset`` (for "6 من الشهر الجاري" = 0), ``cue`` (normalised word just before
    the mention: منذ, حتى, في, بحلول…) and ``planned`` (the clause announces something
    scheduled or future: المزمع، المقرر، سوف، سيتم…).
    """

    start: int
    end: int
    surface: str
    year: int | None
    month: int | None
    day: int | None
    end_year: int | None = None
    end_month: int | None = None
    end_day: int | None = None
    precision: str = "day"
    form: str = ""
    ambiguous: bool = False
    alternatives: tuple[tuple[int, int, int], ...] = ()
    relation: str | None = None
    weekday: int | None = None
    part: str | None = None
    year_offset: int | None = None
    month_offset: int | None = None
    cue: str | None = None
    planned: bool = False

    @property
    def date(self) -> _dt.date | None:
        """The calendar date when year, month and day are all known, else ``None``."""
        if self.year and self.month and self.day:
            return _dt.date(self.year, self.month, self.day)
        return None


@dataclass(frozen=True)
class TimeExpression:
    """A resolved time expression: ``[date_start, date_end]`` (inclusive) for the span
    ``start:end`` of the original text. ``precision``: 'day' | 'week' | 'month' | 'year' |
    'period'; ``rule`` names the rule that fired; ``weekday_ok`` is ``False`` when a
    weekday named with the expression does not match the resolved date."""

    start: int
    end: int
    surface: str
    date_start: _dt.date
    date_end: _dt.date
    precision: str
    rule: str
    weekday_ok: bool | None = None
    mention: DateMention | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class PublicationDate:
    """Result of :func:`infer_publication_date`.

    ``method``: 'dateline' | 'dateline_disambiguated' | 'inferred' | 'none'. For the
    dateline methods ``evidence == text[start:end]`` (the dateline line); for 'inferred'
    ``evidence`` lists the constraints and their surfaces and ``start:end`` is the span of
    the main (pinning) evidence. ``explanation`` always says how the date was reached.
    """

    date: _dt.date | None
    precision: str | None
    confidence: float
    evidence: str
    method: str
    start: int | None = None
    end: int | None = None
    explanation: str = ""


# --- small helpers -------------------------------------------------------------------------

def iso(d: _dt.date | None) -> str:
    """ISO 8601 string of a date (``''`` for ``None``)."""
    return d.isoformat() if d is not None else ""


def weekday_of(name: str) -> int | None:
    """Python weekday (Monday = 0) of an Arabic or English weekday name
    ("الخميس", "يوم الإثنين", "والأحد", "Thu"), else ``None``."""
    t = norm(name)
    t = re.sub(r"^(?:[وف]?يوم\s+)", "", t)
    if t in WEEKDAYS:
        return WEEKDAYS[t]
    if t[:1] in "وف" and t[1:] in WEEKDAYS:
        return WEEKDAYS[t[1:]]
    return None


def month_of(name: str) -> int | None:
    """Month number of a month name of either Arabic system, English, or a paired form
    ("كانون الأول", "ديسمبر/كانون الأول", "آذار (مارس)", "Sept"), else ``None``."""
    t = norm(name).strip(" .")
    t = re.sub(r"^(?:ال)?شهر\s+", "", t)
    if t in MONTHS:
        return MONTHS[t]
    for piece in re.split(r"\s*[/\\()\-]\s*", t):
        piece = piece.strip()
        if piece in MONTHS:
            return MONTHS[piece]
    return None


@lru_cache(maxsize=4096)
def _last_day(y: int, m: int) -> int:
    return calendar.monthrange(y, m)[1]


def _add_months(y: int, m: int, k: int) -> tuple[int, int]:
    i = y * 12 + (m - 1) + k
    return i // 12, i % 12 + 1


def _shift_months(d: _dt.date, k: int) -> _dt.date:
    y, m = _add_months(d.year, d.month, k)
    return _dt.date(y, m, min(d.day, _last_day(y, m)))


def _valid(y: int | None, m: int | None, d: int | None) -> bool:
    if m is not None and not 1 <= m <= 12:
        return False
    if d is not None:
        if m is None:
            return 1 <= d <= 31
        last = _last_day(y, m) if y else (29 if m == 2 else _last_day(2001, m))
        if not 1 <= d <= last:
            return False
    if y is not None and not 1900 <= y <= 2099:
        return False
    return True


# --- finding explicit dates ------------------------------------------------------------------

def _mon(m: re.Match, p: str = "") -> tuple[int, str] | None:
    name = re.sub(r"\s+", " ", m.group(p + "m1"))
    return MONTHS[name], name


def _paired(m: re.Match, p: str = "") -> bool:
    return any(m.groupdict().get(p + k) for k in ("m2", "m3", "m4"))


#: the date patterns, in scanning order: (form, regex source, priority); compiled on first use
#: (:func:`_patterns`), not on import, so that a notebook that never reads a date does not pay
#: ~80 ms compiling them
_SPECS: list[tuple[str, str, int]] = []


def _pat(form: str, rx: str, prio: int = 0) -> None:
    _SPECS.append((form, rx, prio))


@lru_cache(maxsize=None)
def _patterns() -> tuple[tuple[str, re.Pattern, int], ...]:
    """The date patterns compiled (each behind its first-character gate), in scanning order."""
    return tuple((form, gated(re.compile(rx)), prio) for form, rx, prio in _SPECS)


_TIME = r"(?P<t>\d{1,2}:\d\d(?::\d\d(?:\.\d+)?)?)"
_pat("iso8601", r"(?<![\d./\-])" + _Y.replace("(?!\\d)", "") + r"-(?P<mo>\d\d)-(?P<d>\d\d)[t ]" + _TIME
     + r"(?:z|\s?[+-]\d\d:?\d\d)?(?![\d])", 5)
_pat("ymd", r"(?<![\d./\-])" + _Y.replace("(?!\\d)", "") + r"(?P<s>[-/.])(?P<mo>\d{1,2})(?P=s)(?P<d>\d{1,2})(?![\d])", 4)
_pat("dmy", r"(?<![\d./\-])(?P<d>\d{1,2})(?P<s>\s?[-/.]\s?)(?P<mo>\d{1,2})(?P=s)" + _Y + r"(?![./\-]\d)", 4)
_pat("rfc2822", rf"(?<![a-z])(?:(?P<wd>{_EN_WD}),?\s+)?(?P<d>\d{{1,2}})\s+(?P<mon>{_EN_MN})\s+{_Y}"
     rf"\s+{_TIME}(?:\s*(?:gmt|utc|ut|z|[+-]\d{{4}}|[a-z]{{2,4}}t)(?![a-z]))?", 6)
_pat("en_mdy", rf"(?<![a-z])(?P<mon>{_EN_MN})\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?(?!\d),?\s+{_Y}", 3)
_pat("en_dmy", rf"(?<![\d.:/])(?P<d>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?:of\s+)?(?P<mon>{_EN_MN}),?\s+{_Y}", 3)
_pat("en_my", rf"(?<![a-z])(?P<mon>{_EN_MN_FULL}),?\s+{_Y}", 1)
_pat("day_range", _D + r"\s*(?:-|و|الي|حتي)\s*(?P<d2>[0-3]?\d)\s*(?:من\s+)?(?:(?:ال)?شهر\s+)?" + _monthx()
     + _YEAR_TAIL + "?", 3)
_pat("day_month", _D + r"\s*(?:من\s+)?(?:(?:ال)?شهر\s+)?" + _monthx() + _YEAR_TAIL + "?", 2)
_pat("ordinal_day_month", _B + rf"(?P<ord>{_ORD})\s+من\s+(?:(?:ال)?شهر\s+)?" + _monthx() + _YEAR_TAIL + "?", 2)
_pat("day_rel_month", _B + rf"(?:(?P<d>[0-3]?\d)|(?P<ord>{_ORD}))\s+من\s+(?:هذا\s+)?(?P<shr>الشهر)(?:\s+(?P<rel>{_RELX}))?", 2)
_pat("month_year", _B + _PART_PRE + "?" + rf"(?P<mcl>[وفبل])?" + _monthx() + _YEAR_TAIL, 1)
_pat("month", _B + _PART_PRE + "?" + rf"(?P<mcl>[وفبل])?" + _monthx(), 0)
_pat("year", _B + rf"(?:(?P<pcl>[وفب])?(?P<part>{_PARTX})\s+)?(?:(?P<kw>[وف]?[بلك]?(?:ال|ل)?(?:عام|سنه))\s+)?"
     + _Y + rf"(?:\s?م{_E})?", 0)
_pat("part_of_year", _B + rf"(?P<pcl>[وفب])?(?P<part>{_PARTX})\s+(?:هذا\s+)?(?:[لو]?(?:ال)?(?:عام|سنه))"
     + rf"(?:\s+(?P<rel>{_RELX}))?" + _E, 0)

#: a word before a bare "YYYY" that makes it a year ("في 2014", "منذ 2003").
_YEAR_CUES = {norm(w) for w in ("في", "خلال", "منذ", "حتى", "بحلول", "قبل", "بعد", "عام", "العام",
                                "سنة", "السنة", "لعام", "مطلع", "نهاية", "بنهاية", "منتصف", "بداية",
                                "أوائل", "أواخر", "أواسط", "مع", "إلى", "الى", "حلول", "لغاية",
                                "ابتداء", "اعتبارا", "من", "بين", "وحتى", "ومنذ", "وفي", "ففي",
                                "وخلال", "وبعد", "وقبل", "ومع")}
#: nouns after "في YYYY" that show the number counts things ("في 2000 موقع").
_COUNT_NOUNS = {norm(w) for w in ("جندي", "جنديا", "عنصر", "عنصرا", "شخص", "شخصا", "مقاتل", "مقاتلا",
                                  "دولار", "قتيل", "هجوم", "هجوما", "صاروخ", "صاروخا", "موقع", "موقعا",
                                  "كم", "كيلومتر", "متر", "طن", "برميل", "مليون", "ألف", "آلاف",
                                  "مرة", "عسكري", "عسكريا", "مدني", "مدنيا", "منزل", "عائلة", "طائرة",
                                  "قطعة", "حالة", "ساعة", "دقيقة", "يوم", "يوما")}
#: words before a bare month that show it is a month ("خلال آب"، "في مارس").
_MONTH_CUES = _YEAR_CUES | {norm(w) for w in ("شهر", "الشهر", "لشهر", "بشهر", "وشهر")}

_DEADLINE_CUES = [norm(w) for w in ("بحلول", "حتى", "وحتى", "لغاية", "لحين", "قبل", "بنهاية", "أقصاه",
                                    "حلول", "يتجاوز", "تتجاوز")]
_FUTURE_CUES = {norm(w) for w in ("سوف", "سيتم", "ستتم", "المقرر", "مقرر", "مقررا", "المزمع", "مزمع",
                                  "المرتقب", "مرتقب", "المتوقع", "متوقع", "المنتظر", "يعتزم",
                                  "تعتزم", "ينوي", "تنوي", "يرتقب", "ستشهد", "سيشهد")}
#: words beginning like a future verb (س + ي/ت/ن) that are nouns.
_FUT_NOUN_PREFIXES = tuple(norm(w) for w in (
    "سياس", "سيطر", "سيار", "سيد", "سينا", "سيول", "سيف", "سيبر", "سيرة", "سير", "سيناريو",
    "ستار", "ستين", "ستون", "ستة", "ستراتيج", "ستوكهولم", "ستوديو", "ستاد", "سنة", "سنو",
    "سنين", "سني", "سنت", "سنغافور", "سنا", "سنج", "سند", "سنوات", "ستر", "سيم", "سيك", "سيج"))


_WAS = {norm(w) for w in ("كان", "كانت", "وكان", "وكانت", "فكان", "فكانت")}


def _planned_clause(clause: str) -> bool:
    """The clause announces something scheduled/future (المزمع، سيتم…), not "كان مقرراً"."""
    words = re.findall(rf"[{_W}]+", clause)
    for i, w in enumerate(words):
        if _is_future_word(w) and not any(x in _WAS for x in words[max(0, i - 3):i]):
            return True
    return False


def _is_future_word(w: str) -> bool:
    if w in _FUTURE_CUES:
        return True
    core = w[1:] if w[:1] in "وف" and len(w) > 4 else w
    if re.fullmatch(r"س[يتن][\u0621-\u064a]{3,}", core) and not core.startswith(_FUT_NOUN_PREFIXES):
        return True
    return False


_CLAUSE_BREAK = re.compile(r'[.;!?\n"():,]')


def _clause_before(t: str, s: int, limit: int = 90) -> str:
    lo = max(0, s - limit)
    seg = t[lo:s]
    cuts = list(_CLAUSE_BREAK.finditer(seg))
    if cuts:
        seg = seg[cuts[-1].end():]
    return seg


def _words_before(t: str, s: int, n: int = 3) -> list[str]:
    seg = t[max(0, s - 60):s]
    if re.search(r"[.;!?\n]\s*$", seg):
        return []
    return re.findall(rf"[{_W}]+", seg)[-n:]


def _strip_conj(w: str) -> str:
    return w[1:] if len(w) > 2 and w[0] in "وف" else w


_WD_PREFIX = re.compile(rf"(?:(?P<wd>{_AR_WD}|{_EN_WD})\s*,?\s*(?:الموافق\s+)?)$")
_REL_AFTER = re.compile(
    rf"^\s*,?\s*(?:من\s+)?(?:(?P<this>هذا\s+العام|هذه\s+السنه|العام\s+(?:نفسه|ذاته)|السنه\s+(?:نفسها|ذاتها))"
    rf"|(?:ال)?(?:عام|سنه)\s+(?P<yrel>{_RELX}))|^\s+(?P<rel>{_RELX})")


@dataclass
class _Cand:
    s: int
    e: int
    prio: int
    form: str
    f: dict


#: forms whose pattern cannot match without an ASCII digit (a year, a day number) or
#: without a Latin letter (an English month name): skipped on text without one
_NEEDS_DIGIT = frozenset({"iso8601", "ymd", "dmy", "rfc2822", "en_mdy", "en_dmy", "en_my",
                          "day_range", "day_month", "year", "month_year"})
_NEEDS_LATIN = frozenset({"rfc2822", "en_mdy", "en_dmy", "en_my"})
_ANY_DIGIT = re.compile(r"\d")
_ANY_LATIN = re.compile(r"[a-z]")
#: forms that need an Arabic month name (one search instead of one scan per form)
_NEEDS_MONTH = frozenset({"day_range", "day_month", "ordinal_day_month", "month_year", "month"})
_ANY_AR_MONTH = re.compile(_alt(_AR_MONTHS))


#: forms that cannot match without a four-digit year (``_Y``: 19xx/20xx, not followed by a digit)
_NEEDS_YEAR = frozenset({"iso8601", "ymd", "dmy", "rfc2822", "en_mdy", "en_dmy", "en_my", "year", "month_year"})
_ANY_YEAR = re.compile(r"(?:19|20)\d\d(?!\d)")
#: forms that cannot match without an English month name (``_EN_MN``; ``_EN_MN_FULL`` is a subset)
_NEEDS_EN_MONTH = frozenset({"rfc2822", "en_mdy", "en_dmy", "en_my"})
_ANY_EN_MONTH = re.compile(_EN_MN)
#: numeric dates need two digit groups joined by a separator (a necessary part of each pattern)
_NUMERIC_GATE = {
    "iso8601": re.compile(r"\d-\d\d-\d\d[t ]\d{1,2}:\d\d"),
    "ymd": re.compile(r"\d([-/.])\d{1,2}\1\d"),
    "dmy": re.compile(r"\d\s?[-/.]\s?\d{1,2}\s?[-/.]\s?\d"),
}


def _candidates(nt: Normalized) -> list[_Cand]:
    t = nt.text
    out: list[_Cand] = []
    digit = _ANY_DIGIT.search(t) is not None
    latin = _ANY_LATIN.search(t) is not None
    month = _ANY_AR_MONTH.search(t) is not None
    # each gate is a necessary condition of the forms it guards, so skipping a form whose
    # gate fails on the whole text changes nothing (one quick scan instead of a slow one)
    year = digit and _ANY_YEAR.search(t) is not None
    en_month = latin and _ANY_EN_MONTH.search(t) is not None
    for form, rx, prio in _patterns():
        if (not digit and form in _NEEDS_DIGIT) or (not latin and form in _NEEDS_LATIN) \
                or (not month and form in _NEEDS_MONTH) or (not year and form in _NEEDS_YEAR) \
                or (not en_month and form in _NEEDS_EN_MONTH):
            continue
        gate = _NUMERIC_GATE.get(form)
        if gate is not None and gate.search(t) is None:
            continue
        for m in rx.finditer(t):
            c = _build(form, m, nt)
            if c is not None:
                out.append(c)
    return out


def _build(form: str, m: re.Match, nt: Normalized) -> _Cand | None:
    t = nt.text
    g = m.groupdict()
    s, e = m.start(), m.end()
    f: dict = {"year": None, "month": None, "day": None, "part": None, "weekday": None}
    if g.get("y"):
        f["year"] = int(g["y"])
    if g.get("part"):
        f["part"] = _PART[re.sub(r"\s+", " ", g["part"])]
        f["part_word"] = g["part"]
        if g.get("pcl") == "ب":
            f["pcl"] = "ب"
        s = m.start("part")
        if g.get("pcl") == "ب" and f["part"] == "late":
            f["deadline_clitic"] = True
    if form in ("iso8601", "ymd", "dmy"):
        d, mo, y = int(g["d"]), int(g["mo"]), int(g["y"])
        f["year"] = y
        if form == "dmy":
            if d <= 12 and mo <= 12 and d != mo:
                f["ambiguous"] = True
                f["alternatives"] = ((y, mo, d), (y, d, mo))
            elif mo > 12 and d <= 12:   # unambiguous month-first (US order)
                d, mo = mo, d
                form = "mdy"
        f["month"], f["day"] = mo, d
        if form == "ymd" and g.get("s") == "-" and len(g["mo"]) == 2 and len(g["d"]) == 2:
            form = "iso8601"
    elif form in ("rfc2822", "en_mdy", "en_dmy", "en_my"):
        f["month"] = MONTHS[g["mon"].rstrip(".")]
        f["day"] = int(g["d"]) if g.get("d") else None
        if g.get("wd"):
            f["weekday"] = WEEKDAYS[g["wd"].rstrip(".")]
    elif form in ("day_range", "day_month", "ordinal_day_month", "month_year", "month"):
        mo, name = _mon(m)
        f["month"] = mo
        f["paired"] = _paired(m)
        if form == "ordinal_day_month":
            f["day"] = ORDINAL_DAYS[re.sub(r"\s+", " ", g["ord"]).replace("و ", "و")]
        elif form in ("day_range", "day_month"):
            f["day"] = int(g["d"])
        if form == "day_range":
            f["end_day"] = int(g["d2"])
            if not f["day"] < f["end_day"]:
                return None
        if form in ("month_year", "month"):
            mcl = g.get("mcl")
            if mcl:
                if name in _RISKY_MONTHS:
                    return None
                if not g.get("part") and not g.get("shr"):
                    s = m.start("m1")
            if g.get("shr") and not g.get("part"):
                s = m.start("shr") + (1 if g["shr"][0] in "وفبل" and g["shr"][1:2] in ("ا", "ش") and
                                      not g["shr"].startswith("ال") else 0)
            if form == "month" and not _bare_month_ok(m, name, nt):
                return None
            if name == norm("آب") and nt.original[nt.offsets[m.start("m1")]] not in "آ" and not (
                    f["paired"] or f["year"]):
                return None
    elif form == "day_rel_month":
        f["day"] = int(g["d"]) if g.get("d") else ORDINAL_DAYS[re.sub(r"\s+", " ", g["ord"]).replace("و ", "و")]
        rel = _REL[re.sub(r"\s+", " ", g["rel"])] if g.get("rel") else "current"
        f["month_offset"] = {"past": -1, "current": 0, "future": 1}[rel]
        f["relation"] = rel
    elif form == "year":
        if not (g.get("part") or g.get("kw")):
            ws = _words_before(t, s, 1)
            if not ws or ws[-1] not in _YEAR_CUES:
                return None
            nxt = re.match(rf"\s*([{_W}]+)", t[e:])
            if nxt and nxt.group(1) in _COUNT_NOUNS:
                return None
        if g.get("kw") and not g.get("part"):
            kw = g["kw"]
            s = m.start("kw") + (1 if kw[0] in "وف" else 0)
    elif form == "part_of_year":
        rel = _REL[re.sub(r"\s+", " ", g["rel"])] if g.get("rel") else "current"
        f["year_offset"] = {"past": -1, "current": 0, "future": 1}[rel]
        if g.get("rel"):
            f["relation"] = rel
    if not _valid(f["year"], f["month"], f["day"]):
        return None
    if f.get("end_day") and not _valid(f["year"], f["month"], f["end_day"]):
        return None
    for y, mo, d in f.get("alternatives", ()):
        if not _valid(y, mo, d):
            f.pop("alternatives")
            f["ambiguous"] = False
            break
    if f["day"] is None and f["year"] is None and f["month"] is None and form not in ("part_of_year",):
        return None
    return _Cand(s, e, {"iso8601": 5}.get(form, 0), form, f)


def _bare_month_ok(m: re.Match, name: str, nt: Normalized) -> bool:
    """A month name without day or year: accept it unless it is a risky word without a cue."""
    if name.isascii():
        return False
    if name not in _RISKY_MONTHS:
        return True
    if m.groupdict().get("m2") or m.groupdict().get("m3") or m.groupdict().get("m4"):
        return True
    if m.group("part") or m.group("shr"):
        return True
    t = nt.text
    if name == norm("آب") and nt.original[nt.offsets[m.start("m1")]] != "آ":
        return False
    after = t[m.end():]
    if _REL_AFTER.match(after) or re.match(r"\s+(?:نفسه|ذاته)" + _E, after):
        return True
    ws = _words_before(t, m.start("m1"), 1)
    return bool(ws) and ws[-1] in _MONTH_CUES


def _select(cands: list[_Cand]) -> list[_Cand]:
    chosen: list[_Cand] = []
    for c in sorted(cands, key=lambda c: (-(c.e - c.s), -c.prio, c.s)):
        if all(c.e <= o.s or c.s >= o.e for o in chosen):
            chosen.append(c)
    return sorted(chosen, key=lambda c: c.s)


def _find(nt: Normalized) -> list[tuple[DateMention, int, int]]:
    """Mentions with their normalised spans (internal)."""
    t = nt.text
    out = []
    for c in _select(_candidates(nt)):
        f = c.f
        s, e = c.s, c.e
        # weekday named just before a dated mention ("الخميس 9 ديسمبر", "Thu, 01 Mar")
        if f["day"] is not None and f["weekday"] is None:
            pm = _WD_PREFIX.search(t[max(0, s - 30):s])
            if pm:
                f["weekday"] = WEEKDAYS[re.sub(r"\s+", " ", pm.group("wd")).rstrip(".")]
                s = s - len(pm.group(0))
                if t[s:s + 1] in "وف" and t[s + 1:s + 3] == "ال":
                    s += 1
        # relation word after a mention without a year
        relation = f.get("relation")
        year_offset = f.get("year_offset")
        if f["year"] is None and c.form not in ("day_rel_month", "part_of_year"):
            ra = _REL_AFTER.match(t[e:])
            if ra:
                if ra.group("this"):
                    year_offset = 0
                    relation = "current"
                elif ra.group("yrel"):
                    relation = _REL[re.sub(r"\s+", " ", ra.group("yrel"))]
                    year_offset = {"past": -1, "current": 0, "future": 1}[relation]
                else:
                    relation = _REL[re.sub(r"\s+", " ", ra.group("rel"))]
                e += ra.end()
        ws = [_strip_conj(w) for w in _words_before(t, s, 3)]
        cue = ws[-1] if ws else None
        if f.get("pcl") and f.get("part"):
            cue = f["pcl"] + f["part_word"]
        deadline = f.get("deadline_clitic", False)
        if ws:
            last = ws[-1]
            two = " ".join(ws[-2:])
            if last in _DEADLINE_CUES or two in ("قبل نهايه", "موعد اقصاه", "يتجاوز"):
                deadline = True
        if deadline and relation != "past":
            relation = "deadline"
        planned = _planned_clause(_clause_before(t, s))
        year, month, day = f["year"], f["month"], f["day"]
        precision = "day" if day is not None else ("month" if month is not None else "year")
        os_, oe = nt.span(s, e)
        mention = DateMention(
            start=os_, end=oe, surface=nt.original[os_:oe], year=year, month=month, day=day,
            end_year=year if f.get("end_day") else None,
            end_month=month if f.get("end_day") else None,
            end_day=f.get("end_day"), precision=precision, form=c.form,
            ambiguous=bool(f.get("ambiguous")), alternatives=tuple(f.get("alternatives", ())),
            relation=relation, weekday=f["weekday"], part=f["part"], year_offset=year_offset,
            month_offset=f.get("month_offset"), cue=cue, planned=planned)
        out.append((mention, s, e))
    return out


def find_dates(text: str) -> list[DateMention]:
    """Find explicit date mentions in ``text``; spans index ``text`` (the original string).

    Supported (Western or Arabic-Indic digits): ``DD/MM/YYYY``, ``D-M-YYYY``,
    ``YYYY/MM/DD``, ``YYYY-MM-DD``, ISO 8601 datetimes, RFC 2822, "12th, February 2024",
    "October 30, 2024", "9 ديسمبر/كانون الأول [2021]", "25 يناير/ كانون الثاني الماضي",
    "١١ شباط ٢٠٢٤", "6 من أيلول الحالي", "آذار (مارس) الماضي", "السابع من أبريل- نيسان",
    "الحادي والثلاثين من ديسمبر/كانون الأول عام 2021", "يناير/كانون الثاني 2020",
    "أكتوبر (تشرين الأول) 2023", "7-8 أغسطس/ آب 2023", "عام 2014", "في 2014",
    "نهاية 2026", "منتصف تشرين الأول 2023", "أوائل أكتوبر", "مطلع العام [الحالي]",
    "6 من الشهر الجاري". A bare number is never a date; years are 1900–2099; a month
    alone is kept with ``year=None``; risky month words (آب، مارس) alone need a cue.
    """
    return [m for m, _, _ in _find(normalize(text))]


def parse_date_string(s: str, day_first: bool = True, allow_partial: bool = False) -> _dt.date | None:
    """Parse one dateline string (any form :func:`find_dates` knows, e.g.
    ``"Thu, 01 Mar 2018 13:18:27 GMT"``, ``"2024-02-12T10:00:00Z"``, ``"03/05/2021"``,
    ``"١١ شباط ٢٠٢٤"``, ``"12th, February 2024"``) or a compact ``YYYYMMDD``.

    An ambiguous numeric date takes the day-first reading unless ``day_first=False``.
    Returns ``None`` when no full date (with year) is found; with ``allow_partial`` a
    month or year alone gives its first day.
    """
    if s is None:
        return None
    compact = re.fullmatch(r"\s*((?:19|20)\d\d)(\d\d)(\d\d)\s*", normalize(s).text)
    if compact:
        y, m, d = map(int, compact.groups())
        return _dt.date(y, m, d) if _valid(y, m, d) else None
    ms = [m for m in find_dates(s) if m.year is not None]
    full = [m for m in ms if m.day is not None]
    if full:
        m = full[0]
        if m.ambiguous and not day_first and len(m.alternatives) > 1:
            return _dt.date(*m.alternatives[1])
        return _dt.date(m.year, m.month, m.day)
    if allow_partial and ms:
        m = ms[0]
        return _dt.date(m.year, m.month or 1, 1)
    return None


# --- resolving against an anchor -------------------------------------------------------------

def _month_interval(y: int, mo: int, part: str | None) -> tuple[_dt.date, _dt.date]:
    last = _last_day(y, mo)
    lo, hi = {"early": (1, 10), "mid": (11, 20), "late": (21, last), None: (1, last)}[part]
    return _dt.date(y, mo, lo), _dt.date(y, mo, hi)


def _year_interval(y: int, part: str | None) -> tuple[_dt.date, _dt.date]:
    lo, hi = {"early": ((1, 1), (3, 31)), "mid": ((6, 1), (8, 31)),
              "late": ((10, 1), (12, 31)), None: ((1, 1), (12, 31))}[part]
    return _dt.date(y, *lo), _dt.date(y, *hi)


def _part_point(m: DateMention, lo: _dt.date, hi: _dt.date, since: bool) -> _dt.date:
    """The point a "since/until <part>" refers to: mid → the 15th (or 1 July)."""
    if m.part == "mid":
        return lo.replace(day=15) if m.month else _dt.date(lo.year, 7, 1)
    return lo if since else hi


def _fill_year(m: DateMention, anchor: _dt.date) -> int:
    """The year of a yearless month mention, given the anchor (publication date)."""
    y, am = anchor.year, anchor.month
    mo = m.month
    if m.year_offset is not None:
        return y + m.year_offset
    rel = m.relation
    if rel == "past":
        if mo < am:
            return y
        if mo > am:
            return y - 1
        return y if (m.day is not None and m.day < anchor.day) else y - 1
    if rel == "current":
        return y
    if rel in ("future", "deadline") or (rel is None and m.planned and m.weekday is None):
        return y if mo >= am else y + 1
    # no relation: news reports the past, so the latest occurrence up to the anchor's
    # month, unless the next one is much nearer (3x); a weekday narrows the choice
    years = _weekday_years(y, mo, m.day, m.weekday)
    day = m.day if m.day is not None else 15

    def dist(yy: int) -> tuple[int, int]:
        diff = (_month_day(yy, mo, day) - anchor).days
        return (3 * diff if diff > 0 else -diff), 0 if diff <= 0 else 1

    return min(years, key=dist)


@lru_cache(maxsize=4096)
def _weekday_years(y: int, mo: int, day: int | None, weekday: int | None) -> tuple[int, ...]:
    """The years around ``y`` (y-1, y, y+1) a yearless mention may fall in: those where its
    day falls on its weekday, when it names both and one does; else all three. Cached: the
    publication-date search asks for the same few years day after day."""
    years = (y - 1, y, y + 1)
    if weekday is not None and day is not None:
        ok = tuple(yy for yy in years if _valid(yy, mo, day) and _dt.date(yy, mo, day).weekday() == weekday)
        if ok:
            return ok
    return years


@lru_cache(maxsize=4096)
def _month_day(y: int, mo: int, day: int) -> _dt.date:
    """``day`` of month ``mo`` of ``y``, or the month's last day if it has fewer days."""
    return _dt.date(y, mo, min(day, _last_day(y, mo)))


def _interval(m: DateMention, anchor: _dt.date | None) -> tuple[_dt.date, _dt.date, str] | None:
    """``(start, end, precision)`` of a mention; ``None`` if it needs an anchor it lacks."""
    if m.month_offset is not None:                 # "6 من الشهر الجاري"
        if anchor is None:
            return None
        yy, mm = _add_months(anchor.year, anchor.month, m.month_offset)
        d = _dt.date(yy, mm, min(m.day, _last_day(yy, mm)))
        return d, d, "day"
    if m.month is None and m.year is None:         # "مطلع العام الحالي"
        if anchor is None:
            return None
        lo, hi = _year_interval(anchor.year + (m.year_offset or 0), m.part)
        return lo, hi, "period" if m.part else "year"
    y = m.year
    if y is None:
        if anchor is None:
            return None
        y = _fill_year(m, anchor)
    if m.month is None:
        lo, hi = _year_interval(y, m.part)
        return lo, hi, "period" if m.part else "year"
    if m.day is None:
        lo, hi = _month_interval(y, m.month, m.part)
        return lo, hi, "period" if m.part else "month"
    if not _valid(y, m.month, m.day):
        return None
    lo = _dt.date(y, m.month, m.day)
    if m.end_day:
        if not _valid(y, m.month, m.end_day):
            return None
        return lo, _dt.date(y, m.month, m.end_day), "period"
    return lo, lo, "day"


_TODAY_EXCL = {norm(w) for w in ("التالي", "السابق", "الذي", "التي", "نفسه", "ذاته", "الأول", "الثاني",
                                 "الثالث", "الأخير", "الوطني", "العالمي", "الدولي", "الموعود", "الواحد")}
_TODAY_RX = re.compile(
    _B + rf"(?:(?P<yom>[وف]?يوم)\s+)?[وف]?(?P<w>اليوم|امس|البارحه|غدا|الغد)(?:\s+(?P<w2>الاول))?"
    + _E + rf"(?:\s*,?\s*(?P<wd>{_AR_WD}))?")
_WD_RX = re.compile(_B + rf"(?:(?P<yom>[وف]?يوم)\s+)?[وف]?(?P<wd>{_AR_WD})(?:\s+(?P<rel>{_RELX}))?")
_UNIT_REL_RX = re.compile(
    _B + rf"(?:(?:[وف]?[بلك]?ال|[وف]?لل)(?P<u>اسبوع|شهر|عام|سنه|عقد)\s+(?P<rel>{_RELX})"
    rf"|[وف]?[بلك]?(?:هذا|هذه)\s+ال(?P<u2>اسبوع|شهر|عام|سنه))" + _E)
_PLURAL_REL_RX = re.compile(
    _B + r"(?:[وف]?[بلك]?ال|[وف]?لل)(?P<u>ايام|يومين|اسابيع|اسبوعين|اشهر|شهور|شهرين|اعوام|عامين|سنوات|سنين"
    r"|سنتين|عقود|عقدين)\s+(?P<rel>الماضيه|الماضيين|الماضي|الاخيره|الاخيرين|المنصرمه|الفائته|المقبله"
    r"|القادمه|المقبلين|القادمين)" + _E)
_NUMX = _alt(_NUM)
_FUZZX = _alt(_FUZZY_NUM)
_AGO_RX = re.compile(
    _B + rf"[وف]?(?P<cue>قبل|منذ)\s+(?:(?P<n>\d{{1,3}}|{_NUMX}|{_FUZZX})\s+)?(?P<u>ساعات|ساعتين|ساعه|يومين|ايام"
    r"|يوما|يوم|اسبوعين|اسابيع|اسبوع|شهرين|اشهر|شهور|شهرا|شهر|عامين|اعوام|عاما|عام|سنتين|سنوات|سنين|سنه"
    r"|عقدين|عقود|عقد)" + _E)
# unit → (kind, amount, fuzzy maximum count)
_UNITS = {
    "ساعه": ("hour", 1, None), "ساعتين": ("hour", 2, None), "ساعات": ("hour", None, 1),
    "يوم": ("day", 1, None), "يوما": ("day", 1, None), "يومين": ("day", 2, None), "ايام": ("day", None, 7),
    "اسبوع": ("week", 1, None), "اسبوعين": ("week", 2, None), "اسابيع": ("week", None, 6),
    "شهر": ("month", 1, None), "شهرا": ("month", 1, None), "شهرين": ("month", 2, None),
    "اشهر": ("month", None, 6), "شهور": ("month", None, 6),
    "عام": ("year", 1, None), "عاما": ("year", 1, None), "سنه": ("year", 1, None),
    "عامين": ("year", 2, None), "سنتين": ("year", 2, None), "اعوام": ("year", None, 5),
    "سنوات": ("year", None, 5), "سنين": ("year", None, 5),
    "عقد": ("decade", 1, None), "عقدين": ("decade", 2, None), "عقود": ("decade", None, 3),
}


def _back(anchor: _dt.date, kind: str, n: int) -> _dt.date:
    if kind == "hour":
        return anchor
    if kind == "day":
        return anchor - _dt.timedelta(days=n)
    if kind == "week":
        return anchor - _dt.timedelta(days=7 * n)
    if kind == "month":
        return _shift_months(anchor, -n)
    if kind == "year":
        return _shift_months(anchor, -12 * n)
    return _shift_months(anchor, -120 * n)


def _week_start(d: _dt.date) -> _dt.date:
    return d - _dt.timedelta(days=(d.weekday() - WEEK_START) % 7)


def _unit_rel(anchor: _dt.date, unit: str, rel: str) -> tuple[_dt.date, _dt.date, str]:
    k = {"past": -1, "current": 0, "future": 1}[rel]
    if unit == "اسبوع":
        ws = _week_start(anchor) + _dt.timedelta(days=7 * k)
        return ws, ws + _dt.timedelta(days=6), "week"
    if unit == "شهر":
        y, m = _add_months(anchor.year, anchor.month, k)
        return _dt.date(y, m, 1), _dt.date(y, m, _last_day(y, m)), "month"
    if unit == "عقد":
        if k < 0:
            return _shift_months(anchor, -120), anchor, "period"
        if k > 0:
            return anchor, _shift_months(anchor, 120), "period"
        return _dt.date(anchor.year // 10 * 10, 1, 1), _dt.date(anchor.year // 10 * 10 + 9, 12, 31), "period"
    y = anchor.year + k
    return _dt.date(y, 1, 1), _dt.date(y, 12, 31), "year"


def _weekday_date(anchor: _dt.date, wd: int, rel: str | None, planned: bool) -> _dt.date:
    if rel == "future" or (rel is None and planned):
        delta = (wd - anchor.weekday()) % 7
        if rel == "future" and delta == 0:
            delta = 7
        return anchor + _dt.timedelta(days=delta)
    delta = (anchor.weekday() - wd) % 7
    if rel == "past" and delta == 0:
        delta = 7
    return anchor - _dt.timedelta(days=delta)


@dataclass
class _Raw:
    """An unresolved time expression over normalised text (internal)."""
    s: int
    e: int
    kind: str
    p: dict


def _raw_expressions(nt: Normalized, items: list[tuple[DateMention, int, int]]) -> list[_Raw]:
    """Explicit mentions plus relative expressions, non-overlapping, in text order."""
    t = nt.text
    raws: list[_Raw] = [_Raw(s, e, "explicit", {"m": m}) for m, s, e in items]
    taken = [(r.s, r.e) for r in raws]

    def free(s: int, e: int) -> bool:
        return all(e <= a or s >= b for a, b in taken)

    def add(r: _Raw) -> None:
        raws.append(r)
        taken.append((r.s, r.e))

    for m in _TODAY_RX.finditer(t):
        w = m.group("w")
        s, e = m.start(), m.end()
        if m.group("yom") is None and t[s] in "وف" and t[s + 1:s + 2] != "ي":
            s += 1
        elif m.group("yom") and t[s] in "وف":
            s += 1
        if w == "اليوم" and not m.group("wd"):
            nxt = re.match(rf"\s*([{_W}]+)", t[m.end():])
            if nxt and nxt.group(1) in _TODAY_EXCL:
                continue
            prev = _words_before(t, m.start("w"), 1)
            if prev and prev[-1] in ("ذلك", "هذا", "نفس"):
                continue
        if w in ("غدا", "الغد") and not (m.group("wd") or m.group("yom")):
            continue
        off = {"اليوم": 0, "امس": -1, "البارحه": -1, "غدا": 1, "الغد": 1}[w]
        if m.group("w2") and off == -1:
            off = -2
        elif m.group("w2"):
            e = m.start("w2") - 1
            while e > s and t[e - 1] == " ":
                e -= 1
        wd = WEEKDAYS[re.sub(r"\s+", " ", m.group("wd"))] if m.group("wd") else None
        # "اليوم الخميس 9 ديسمبر": the explicit date that follows says which day
        follow = None
        for mm, ms, me in items:
            if 0 <= ms - e <= 3 and mm.day is not None:
                follow = (mm, ms, me)
                break
        if follow is not None:
            raws[:] = [r for r in raws if not (r.kind == "explicit" and r.s == follow[1])]
            taken[:] = [(a, b) for a, b in taken if a != follow[1]]
            if free(s, follow[2]):
                add(_Raw(s, follow[2], "deictic_date", {"offset": off, "m": follow[0], "wd": wd}))
            continue
        if free(s, e):
            add(_Raw(s, e, "deictic", {"offset": off, "wd": wd}))
    for m in _WD_RX.finditer(t):
        s, e = m.start(), m.end()
        if t[s] in "وف" and not t[s:].startswith("وم"):
            if m.group("yom") or t[s + 1:s + 3] == "ال":
                s += 1
        if not free(s, e):
            continue
        rel = _REL[re.sub(r"\s+", " ", m.group("rel"))] if m.group("rel") else None
        planned = _planned_clause(_clause_before(t, s))
        add(_Raw(s, e, "weekday", {"wd": WEEKDAYS[m.group("wd")], "rel": rel, "planned": planned}))
    for rx, kind in ((_PLURAL_REL_RX, "plural_rel"), (_UNIT_REL_RX, "unit_rel"), (_AGO_RX, "ago")):
        for m in rx.finditer(t):
            s, e = m.start(), m.end()
            if t[s] in "وف" and kind != "ago":
                s += 1
            elif kind == "ago" and t[s] in "وف":
                s += 1
            if not free(s, e):
                continue
            add(_Raw(s, e, kind, m.groupdict()))
    return sorted(raws, key=lambda r: r.s)


def _resolve_raw(r: _Raw, anchor: _dt.date | None) -> tuple[_dt.date, _dt.date, str, str, bool | None] | None:
    """``(start, end, precision, rule, weekday_ok)`` for one raw expression."""
    if r.kind == "explicit":
        m: DateMention = r.p["m"]
        iv = _interval(m, anchor)
        if iv is None:
            return None
        lo, hi, prec = iv
        ok = None
        if m.weekday is not None and prec == "day":
            ok = lo.weekday() == m.weekday
        rule = "explicit" if m.year is not None else ("explicit_relative" if m.relation or m.year_offset is not None
                                                      or m.month_offset is not None else "explicit_year_from_anchor")
        return lo, hi, prec, rule, ok
    if anchor is None:
        return None
    if r.kind in ("deictic", "deictic_date"):
        d = anchor + _dt.timedelta(days=r.p["offset"])
        wd = r.p.get("wd")
        ok = None if wd is None else d.weekday() == wd
        name = {0: "today", -1: "yesterday", -2: "day_before_yesterday", 1: "tomorrow"}[r.p["offset"]]
        if r.kind == "deictic_date":
            iv = _interval(r.p["m"], anchor)
            if iv is not None:
                ok = (iv[0] == d) and (ok is not False)
            return d, d, "day", name + "_date", ok
        return d, d, "day", name + ("_weekday" if wd is not None else ""), ok
    if r.kind == "weekday":
        d = _weekday_date(anchor, r.p["wd"], r.p["rel"], r.p["planned"])
        return d, d, "day", "weekday" + ("_" + r.p["rel"] if r.p["rel"] else ""), None
    if r.kind == "unit_rel":
        unit = r.p.get("u") or r.p.get("u2")
        rel = _REL[re.sub(r"\s+", " ", r.p["rel"])] if r.p.get("rel") else "current"
        lo, hi, prec = _unit_rel(anchor, unit, rel)
        return lo, hi, prec, f"{ {'اسبوع': 'week', 'شهر': 'month', 'عقد': 'decade'}.get(unit, 'year')}_{rel}", None
    if r.kind == "plural_rel":
        unit = r.p["u"]
        kind, n, fuzzy = _UNITS.get(unit, ("day", None, 7))
        n = n or fuzzy
        if r.p["rel"].startswith(("المقبل", "القادم")):
            fwd = anchor + (anchor - _back(anchor, kind, n))
            return anchor, fwd, "period", "next_n_" + kind, None
        return _back(anchor, kind, n), anchor, "period", "last_n_" + kind, None
    if r.kind == "ago":
        kind, n, fuzzy = _UNITS[r.p["u"]]
        q = r.p.get("n")
        if q:
            n = int(q) if q.isdigit() else _NUM.get(re.sub(r"\s+", " ", q))
        if n is None:
            n = fuzzy or 1
            lo = _back(anchor, kind, n)
            return lo, anchor, "period", ("ago_fuzzy" if r.p["cue"] == "قبل" else "since_fuzzy"), None
        lo = _back(anchor, kind, n)
        if r.p["cue"] == "منذ":
            return lo, anchor, "period", "since_quantity", None
        prec = {"hour": "day", "decade": "year"}.get(kind, kind)
        return lo, lo, prec, "ago_quantity", None
    return None  # pragma: no cover


_SINCE_CUES = {"منذ", norm("ابتداء"), norm("اعتبارا")}
_FROM_CUES = {"من"}
_UNTIL_CUES = {norm(w) for w in ("حتى", "إلى", "لغاية", "لحين")}


def _cue_before(t: str, s: int) -> tuple[str | None, int]:
    """The cue word right before ``s`` (conjunction stripped) and where it starts."""
    m = re.search(rf"([{_W}]+)\s*$", t[max(0, s - 40):s])
    if not m:
        return None, s
    w = m.group(1)
    start = s - (len(t[max(0, s - 40):s]) - m.start(1))
    if w in ("من",):
        m2 = re.search(rf"([{_W}]+)\s+من\s*$", t[max(0, s - 40):s])
        if m2 and _strip_conj(m2.group(1)) in (norm("ابتداء"), norm("اعتبارا")):
            return "منذ", s - (len(t[max(0, s - 40):s]) - m2.start(1))
    core = _strip_conj(w)
    if core != w:
        start += 1
    return core, start


def _combine(t: str, raws: list[_Raw]) -> list[tuple[str, int, int, list[_Raw]]]:
    """Group raw expressions into ('since', s, e, [r]), ('range', s, e, [r1, r2]) and
    ('single', s, e, [r]) by the cue words منذ/من … حتى/إلى in the same sentence."""
    out = []
    i = 0
    while i < len(raws):
        r = raws[i]
        cue, cs = _cue_before(t, r.s)
        if cue in _SINCE_CUES | _FROM_CUES:
            partner = None
            for j in range(i + 1, min(i + 4, len(raws))):
                r2 = raws[j]
                between = t[r.e:r2.s]
                if re.search(r"[.;!?\n]", between) or len(between) > 250:
                    break
                cue2, _ = _cue_before(t, r2.s)
                if cue2 in _UNTIL_CUES:
                    partner = j
                    break
                if cue in _FROM_CUES:
                    break
            if partner is not None:
                out.append(("range", cs, raws[partner].e, [r, raws[partner]]))
                i = partner + 1
                continue
            if cue in _SINCE_CUES:
                out.append(("since", cs, r.e, [r]))
                i += 1
                continue
        out.append(("single", r.s, r.e, [r]))
        i += 1
    return out


def _since_point(r: _Raw, lo: _dt.date, hi: _dt.date, since: bool) -> _dt.date:
    if r.kind == "explicit":
        return _part_point(r.p["m"], lo, hi, since)
    return lo if since else hi


def resolve_time_expressions(text: str, anchor: _dt.date | None) -> list[TimeExpression]:
    """See :func:`_resolve_time_expressions`; cached (the attacks and milestones stages
    resolve the same sentences against the same anchor). Returns a new list each time; the
    items are immutable."""
    return list(_resolve_time_expressions_cached(text, anchor))


@lru_cache(maxsize=2048)
def _resolve_time_expressions_cached(text: str, anchor: _dt.date | None) -> tuple[TimeExpression, ...]:
    return tuple(_resolve_time_expressions(text, anchor))


def _resolve_time_expressions(text: str, anchor: _dt.date | None) -> list[TimeExpression]:
    """Resolve the time expressions of ``text`` against ``anchor`` (the publication date).

    Explicit dates come from :func:`find_dates`; a missing year is filled from the anchor
    (``الماضي`` → the latest such month before the anchor's month, ``الحالي`` → the
    anchor's year, ``المقبل``/deadline → the next such month, none → the nearest one).
    Relative expressions: اليوم [الخميس] (= anchor, weekday checked), أمس/يوم أمس
    [الأربعاء] (anchor − 1), أمس الأول, غداً; يوم الثلاثاء / الثلاثاء الماضي / المقبل;
    الأسبوع/الشهر/العام/السنة الماضي(ة)/الحالي/الجاري/المقبل, هذا الأسبوع/الشهر/العام;
    الأيام/الأشهر/العامين/العقدين الماضية; قبل/منذ [N] يوم/أيام/أسابيع/شهور/سنوات;
    "منذ X" (X … anchor), "منذ/من X … حتى/إلى Y" (one period). Rules are named in
    ``rule``. Without an anchor only fully explicit dates are returned.
    """
    nt = normalize(text)
    t = nt.text
    items = _find(nt)
    raws = _raw_expressions(nt, items)
    out: list[TimeExpression] = []
    for kind, s, e, rs in _combine(t, raws):
        res = [_resolve_raw(r, anchor) for r in rs]
        if kind != "single" and all(x is not None for x in res) and anchor is not None:
            a = _since_point(rs[0], res[0][0], res[0][1], True)
            b = anchor if kind == "since" else _since_point(rs[1], res[1][0], res[1][1], False)
            if a > b:   # an inverted period: report the parts on their own
                res = res + [None]
        if any(x is None for x in res):
            if kind != "single":   # fall back to the parts that resolve
                for r, x in zip(rs, res):
                    if x is not None:
                        os_, oe = nt.span(r.s, r.e)
                        out.append(TimeExpression(os_, oe, text[os_:oe], x[0], x[1], x[2], x[3], x[4],
                                                  r.p.get("m")))
            continue
        if kind == "single":
            lo, hi, prec, rule, ok = res[0]
        elif kind == "since":
            if anchor is None:
                lo, hi, prec, rule, ok = res[0]
                s = rs[0].s
            else:
                lo = _since_point(rs[0], res[0][0], res[0][1], True)
                hi, prec, rule, ok = anchor, "period", "since", res[0][4]
        else:
            lo = _since_point(rs[0], res[0][0], res[0][1], True)
            hi = _since_point(rs[1], res[1][0], res[1][1], False)
            prec, rule, ok = "period", "since_until", None
        os_, oe = nt.span(s, e)
        m = rs[0].p.get("m") if len(rs) == 1 else None
        out.append(TimeExpression(os_, oe, text[os_:oe], lo, hi, prec, rule, ok, m))
    return sorted(out, key=lambda x: (x.start, x.end))


# --- publication date ------------------------------------------------------------------------

_PUB_LABEL = re.compile(r"(?:تاريخ\s+(?:ال)?نشر|تم\s+(?:ال)?نشر|نشر\s+(?:في|بتاريخ|يوم)|نشر\s*:|بتاريخ|"
                        r"published|publication\s+date|date\s+published|posted|pub(?:lish)?\s*date|^\W*date\b)")
_UPD_LABEL = re.compile(r"(?:تحديث|التحديث|updated|modified|last\s+update)")
_LINE_REST = re.compile(
    r"(?:\d{1,2}:\d\d(?::\d\d)?|الساعه|بتوقيت|غرينتش|غرينيتش|جرينتش|مكه|بغداد|المكرمه|gmt|utc|am|pm|ص|م|مساء|صباحا"
    r"|يوم|الموافق|" + _alt(WEEKDAYS) + r"|[\s,.:;\-/|()\[\]]|\+\d\d:?\d\d)", re.I)


@dataclass
class _Constraint:
    kind: str
    hard: bool
    weight: float
    check: Callable[[_dt.date], bool]
    surface: str
    start: int
    end: int
    describe: str
    pins: str | None = None      # 'day' | 'month' when it fixes that much of the date
    bound: _dt.date | None = None  # for lower bounds


def _header_lines(text: str, header_end: int | None, max_lines: int = 8) -> list[tuple[int, int]]:
    spans = []
    pos = 0
    for line in text.splitlines(keepends=True):
        s, e = pos, pos + len(line.rstrip("\r\n"))
        pos += len(line)
        if header_end is not None:
            if s >= header_end:
                break
            e = min(e, header_end)
        if text[s:e].strip():
            spans.append((s, e))
            if header_end is None and len(spans) >= max_lines:
                break
    return spans


def _find_dateline(text: str, header_end: int | None) -> tuple[DateMention, int, int, int] | None:
    """Best dateline in the header: ``(mention, line_start, line_end, rank)``."""
    best = None
    for ls, le in _header_lines(text, header_end):
        line = text[ls:le]
        nline = normalize(line)
        for m, ns, ne in _find(nline):
            if m.day is None or m.year is None or m.end_day:
                continue
            before = nline.text[:ns]
            if _PUB_LABEL.search(before):
                rank = 0
            elif _UPD_LABEL.search(before):
                rank = 2
            else:
                rest = nline.text[:ns] + " " + nline.text[ne:]
                if _LINE_REST.sub("", rest).strip():
                    continue
                rank = 1
            # trim the line to its visible text
            s_off = len(line) - len(line.lstrip())
            e_off = len(line.rstrip())
            cand = (rank, ls + s_off)
            if best is None or cand < (best[3], best[1]):
                mm = DateMention(**{**m.__dict__, "start": m.start + ls, "end": m.end + ls})
                best = (mm, ls + s_off, ls + e_off, rank)
        if best is not None and best[3] == 0:
            break
    return best


def _mention_constraints(nt: Normalized, items, skip: tuple[int, int] | None) -> list[_Constraint]:
    """Constraints on the publication date from the body's explicit mentions."""
    cons: list[_Constraint] = []
    for m, s, e in items:
        if skip and not (m.end <= skip[0] or m.start >= skip[1]):
            continue
        sf, st, en = m.surface, m.start, m.end
        if m.relation in ("deadline", "future") or m.planned:
            continue
        if m.year is not None and m.month_offset is None:
            iv = _interval(m, None)
            if iv is None:
                continue
            lo = iv[0]
            cons.append(_Constraint("lower_bound", True, 1.0, lambda c, lo=lo: c >= lo, sf, st, en,
                                    f"on or after {iso(lo)} (reported: '{sf}')", bound=lo))
            continue
        if m.relation == "current" and m.month is not None and m.month_offset is None:
            cons.append(_Constraint("current_month", True, 1.0, lambda c, mo=m.month: c.month == mo, sf, st, en,
                                    f"month {m.month:02d} ('{sf}')", pins="month"))
        if m.weekday is not None and m.day is not None:
            def wd_ok(c, m=m):
                iv = _interval(m, c)
                return iv is not None and iv[0].weekday() == m.weekday
            cons.append(_Constraint("weekday_date", True, 1.0, wd_ok, sf, st, en,
                                    f"weekday matches the date ('{sf}')"))
        w = 1.0 if m.relation in ("past", "current") or m.month_offset is not None else 0.5

        def past_ok(c, m=m):
            iv = _interval(m, c)
            if iv is None:
                return True
            if m.relation == "past" and m.month == c.month and m.year_offset is None and (
                    m.day is None or m.day >= c.day):
                return False           # "آذار الماضي" is not written in March
            return iv[0] <= c
        cons.append(_Constraint("past_relative", False, w, past_ok, sf, st, en, f"after '{sf}'"))
    return cons


def _constraints(text: str, skip: tuple[int, int] | None = None) -> list[_Constraint]:
    nt = normalize(text)
    t = nt.text
    items = _find(nt)
    cons = _mention_constraints(nt, items, skip)
    raws = _raw_expressions(nt, items)
    for r in raws:
        if r.kind not in ("deictic", "deictic_date"):
            continue
        os_, oe = nt.span(r.s, r.e)
        if skip and not (oe <= skip[0] or os_ >= skip[1]):
            continue
        sf = text[os_:oe]
        off = r.p["offset"]
        if r.kind == "deictic_date":
            def eq(c, m=r.p["m"], off=off):
                iv = _interval(m, c)
                return iv is not None and iv[0] == c + _dt.timedelta(days=off)
            cons.append(_Constraint("deictic_date", True, 1.0, eq, sf, os_, oe,
                                    f"'{sf}' gives the day", pins="day"))
        if r.p.get("wd") is not None:
            wd = r.p["wd"]
            name = calendar.day_abbr[wd]
            desc = (f"publication is a {name} ('{sf}')" if off == 0 else
                    f"publication {-off if off < 0 else off} day(s) {'after' if off < 0 else 'before'} a {name} ('{sf}')")
            cons.append(_Constraint("deictic_weekday", True, 1.0,
                                    lambda c, wd=wd, off=off: (c + _dt.timedelta(days=off)).weekday() == wd,
                                    sf, os_, oe, desc, pins="day"))
    # since … until periods must run forwards
    for kind, s, e, rs in _combine(t, raws):
        if kind != "range" or not all(r.kind == "explicit" for r in rs):
            continue
        os_, oe = nt.span(s, e)
        if skip and not (oe <= skip[0] or os_ >= skip[1]):
            continue

        def ordered(c, rs=rs):
            a, b = _interval(rs[0].p["m"], c), _interval(rs[1].p["m"], c)
            if a is None or b is None:
                return True
            return _since_point(rs[0], a[0], a[1], True) <= _since_point(rs[1], b[0], b[1], False)
        sf = text[os_:oe]
        cons.append(_Constraint("period_order", True, 1.0, ordered, sf, os_, oe,
                                f"period runs forwards ('{sf}')"))
    return cons


#: constraint kind -> rank of the cost of its check (the cheap ones first)
_CHECK_COST = {"current_month": 0, "deictic_weekday": 1, "weekday_date": 2, "deictic_date": 3, "period_order": 4}


def _score(cons: list[_Constraint], c: _dt.date, below: tuple[int, float] | None = None
           ) -> tuple[int, float] | None:
    """(hard constraints failed, weight of soft ones failed) for the date ``c``. With
    ``below``, ``None`` as soon as the score cannot end below it (the partial score only
    grows: every weight is positive), which spares checking the remaining constraints."""
    hard = soft = 0
    for k in cons:
        if not k.check(c):
            if k.hard:
                hard += 1
            else:
                soft += k.weight
            if below is not None and (hard, soft) >= below:
                return None
    return hard, soft


def infer_publication_date(text: str, header_end: int | None = None) -> PublicationDate:
    """Infer the publication date of an article.

    (a) A dateline in the header (``header_end`` or the first 8 non-empty lines):
    a labelled one ("تاريخ النشر:", "تم النشر:", "نشر في", "Published") or a line that is
    only a date (plus time/weekday/time zone). Unambiguous → method 'dateline', ~0.95.
    (b) An ambiguous numeric dateline (03/05/2021) is settled by the body: past-reported
    dates must not lie after publication, a month marked الحالي must be the publication
    month, "اليوم الخميس" must be the publication weekday, منذ … حتى periods must run
    forwards. If the body does not decide, the day-first reading is kept (confidence 0.6).
    (c) No dateline: the latest date the body reports as past (deadlines after
    بحلول/حتى/قبل and scheduled/future clauses are ignored) is a lower bound; the earliest
    date from there that satisfies the hard constraints (الحالي month, weekday of اليوم/أمس,
    a date given for اليوم) and best satisfies the soft ones (past months before
    publication) is chosen. Precision 'day' if a weekday/day pins it, 'month' if a month
    does, else 'year' (a bare lower bound, confidence 0.3).
    """
    dl = _find_dateline(text, header_end)
    if dl is not None:
        m, ls, le, rank = dl
        cons = _constraints(text, skip=(ls, le))
        line = text[ls:le]
        if m.ambiguous and len(m.alternatives) > 1:
            opts = [_dt.date(*a) for a in m.alternatives]
            scored = [(_score(cons, d), i, d) for i, d in enumerate(opts)]
            scored.sort()
            (best_s, _, best), (second_s, _, _) = scored[0], scored[1]
            failed = [k.describe for k in cons if not k.check(scored[1][2])]
            if best_s < second_s:
                conf = 0.85 if best_s[0] < second_s[0] else 0.75
                expl = (f"ambiguous dateline '{m.surface}': {iso(best)} chosen over {iso(scored[1][2])}; "
                        f"the other reading violates: " + "; ".join(failed))
                return PublicationDate(best, "day", conf, line, "dateline_disambiguated", ls, le, expl)
            expl = (f"ambiguous dateline '{m.surface}': the body does not decide; day-first reading "
                    f"{iso(opts[0])} kept")
            return PublicationDate(opts[0], "day", 0.6, line, "dateline", ls, le, expl)
        d = m.date
        hard, _ = _score(cons, d)
        conf = {0: 0.95, 1: 0.95, 2: 0.85}[rank] - (0.05 if hard else 0.0)
        bad = [k.describe for k in cons if k.hard and not k.check(d)]
        expl = f"dateline '{m.surface}'" + (f"; disagreeing body evidence: {'; '.join(bad)}" if bad else "")
        return PublicationDate(d, "day", round(conf, 2), line, "dateline", ls, le, expl)

    cons = _constraints(text)
    lbs = [k for k in cons if k.kind == "lower_bound"]
    if not lbs:
        expl = "no dateline and no dated past event to anchor the year"
        if cons:
            expl += "; constraints: " + "; ".join(k.describe for k in cons)
        return PublicationDate(None, None, 0.0, expl, "none", None, None, expl)
    lb = max(lbs, key=lambda k: k.bound)
    lo = lb.bound
    # every day searched is on or after every lower bound, so those always hold and are left
    # out; the other hard constraints are checked first, the cheap ones before those that
    # work out a mention's date, so a day that cannot beat the best fails early; the soft
    # ones keep their order (their weights are summed in the same order: the same score)
    search = sorted((k for k in cons if k.kind != "lower_bound"),
                    key=lambda k: (not k.hard, _CHECK_COST.get(k.kind, len(_CHECK_COST))))
    best = None
    for i in range(0, 366 * 3):
        c = lo + _dt.timedelta(days=i)
        sc = _score(search, c, None if best is None else best[0])
        if sc is not None and (best is None or sc < best[0]):
            best = (sc, c)
            if sc == (0, 0):
                break
    (hard, soft), chosen = best
    sat = [k for k in cons if k.check(chosen) and k.kind != "lower_bound"]
    pins = {k.pins for k in sat if k.pins and k.hard}
    precision = "day" if "day" in pins else ("month" if "month" in pins else "year")
    informative = [k for k in sat if k.hard]
    if precision == "year":
        conf = 0.3
    else:
        conf = 0.5 + 0.05 * min(3, len(informative)) + (0.05 if (chosen - lo).days <= 31 else 0.0)
        conf = min(conf, 0.7)
    if hard:
        conf = min(conf, 0.4)
    main = next((k for k in sat if k.pins == "day"), None) or next((k for k in sat if k.pins), None) or lb
    parts = [lb.describe] + [k.describe for k in sat if k.hard] + [
        f"soft: {k.describe}" for k in sat if not k.hard and k.kind != "lower_bound"]
    if hard or soft:
        parts.append(f"unsatisfied: {hard} hard, {soft:g} soft")
    expl = "; ".join(dict.fromkeys(parts))
    return PublicationDate(chosen, precision, round(conf, 2), expl, "inferred", main.start, main.end, expl)

