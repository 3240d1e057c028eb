"""Milestones of the US presence in Iraq: dialogue rounds, commission meetings, committees,
votes, announcements, agreements and deadlines; stated troop levels; deadline status.

Everything is extracted from sentence text with provenance (``doc_id``, ``start``/``end``
into the raw file, verbatim ``evidence``). Curated knowledge is in
``data/lexicons/milestone_*.csv`` (one row per entry, a ``source`` column):

* ``milestone_triggers.csv`` — trigger phrases per kind and the helper word classes
  (round nouns, meeting verbs, formation verbs, legislature nouns, planned/demand markers,
  deadline markers);
* ``milestone_ordinals.csv`` — ordinal words (masculine and feminine) and tens;
* ``milestone_months.csv`` — both Arabic series of Gregorian month names;
* ``milestone_topics.csv`` — what a promise is about (combat mission end, withdrawal …);
* ``milestone_formats.csv`` — virtual / in-person wording and meeting places;
* ``milestone_troop_terms.csv`` — troop nouns, qualifiers, casualty exclusions, historical
  markers, force and country terms, attribution cues.

Pipeline
--------
``extract_doc(doc_id, published, sentences_df, mentions_df)`` reads one document and returns
``milestone_mentions`` (one row per milestone mention in a sentence) and ``troop_levels``.
``merge_milestones(mentions)`` clusters mentions into milestones (first inside each
document, then across documents) and returns ``milestones`` and ``milestone_sources``.
``deadline_status(milestones, ...)`` sets each deadline against the other milestones and
troop levels. ``run_stage(tables)`` glues the three together.

Rules that read beyond one trigger (each documented in its function):

* **Round phrases and their track** (:func:`_context_rounds`): a numbered round phrase that no
  named trigger of its sentence claims ('الجولة الثالثة من الحوار', 'انطلقت جولتها الأولى',
  'فيما عقدت الجولة الثانية في 11 شباط') is a round of the nearest named track — a track
  trigger it attaches to, else the nearest one before it in the sentence, else the nearest
  one in the document's earlier sentences (:func:`named_series`) — when it reads as an event
  (meeting word, planned marker, linked date, or 'من + talks noun'). Commission meetings get
  round numbers like dialogue rounds.
* **Several milestones per sentence**: deadlines always stand beside other kinds; several round
  phrases of one track give one mention each, each keeping the nearest date (a mention that
  loses a shared date takes the nearest free one); an announcement in its own clause with a
  topic and a completion word or posture plan stands beside a round (:func:`_own_clause`).
* **'حتى <date>'** (:func:`_until_deadline`): a deadline only when its clause is about the force
  staying/leaving or the mission ending.
* **Force-posture plans**: future verbs with a posture object ('ستقلص وجودها', 'ستنهي مهمتها')
  are announcements with status ``planned``, dated by the statement (a date before the verb).
* **Participants** (:func:`_refers_back`): the sentence's actors, plus those of the immediately
  preceding sentence when the milestone sentence refers back ('وخلال الجولة…', a dual subject
  'الجانبان', or no actor named at all).
* **Troop levels** (:func:`_troop_levels`, :func:`_carried_country`): a bare coordinated figure
  takes the previous figure's unit and force with its own country ('2500 جندي في العراق و900 في
  سوريا'); figures in words; counts of contractors, civilians or armed-group members, and
  casualties stated after the figure, are not force levels.

Merge rule (documented in :func:`merge_milestones`): same ``kind`` and ``series`` and
either the same round number, or compatible dates (the stated date intervals overlap,
day dates with a tolerance of ``DATE_TOLERANCE_DAYS``) and compatible topics. A mention
with neither a round nor a date only joins a milestone of the same kind/series in the same
document (nearest preceding, else nearest following); it never links documents.

Dates come from :mod:`iraqkit.dates` (``resolve_time_expressions``) when that module is
importable; expressions it does not cover are filled in by the small resolver in this
module (:func:`_fallback_time_expressions`). Troop figures likewise come from
:mod:`iraqkit.numbers` (``find_quantities``) when available, plus the fallback
:func:`_fallback_quantities` for spans it leaves uncovered.
"""
from __future__ import annotations

import bisect
import calendar
import csv
import datetime as dt
import hashlib
import re
import threading
from array import array
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Iterator

import pandas as pd

from .arabic import Normalized, TermMatcher, WORD_CHARS, norm, normalize
from .grouping import Groups, collapse_classes, expand_groups, linked_groups, sweep_pairs
from .paths import LEXICONS
from .tables import frame_from_records, itertuples, records, sort_stable

# ----------------------------------------------------------------------------------------
# constants and columns
# ----------------------------------------------------------------------------------------
KINDS = ("dialogue_round", "commission_meeting", "committee_formed", "vote",
         "announcement", "agreement", "deadline")
#: kinds that name an event themselves; when one is in a sentence, agreement/announcement
#: verbs in it only report that event (they do not make a separate milestone)
EVENT_KINDS = ("dialogue_round", "commission_meeting", "committee_formed", "vote")
DATE_TOLERANCE_DAYS = 3
#: a deadline counts as met by an announcement dated up to this many days after it
DEADLINE_GRACE_DAYS = 31
#: how far (characters) a date may follow its trigger and still be the event's date
DATE_AFTER_WINDOW = 120
ROUND_WINDOW = 40

MENTION_COLUMNS = [
    "doc_id", "sentence_id", "start", "end", "trigger_start", "trigger_end", "trigger",
    "kind", "series", "round_number", "status", "date", "date_end", "date_precision",
    "date_as_stated", "date_basis", "format", "participants", "outcome", "topic", "completed",
    "published", "evidence",
]
MILESTONE_COLUMNS = [
    "milestone_id", "kind", "series", "round_number", "status", "date", "date_end",
    "date_precision", "dates_reported", "date_disagreement", "format", "participants",
    "outcome", "topic", "completed", "n_sources", "doc_ids", "first_reported", "last_reported",
    "doc_id", "start", "end", "evidence",
]
SOURCE_COLUMNS = [
    "milestone_id", "doc_id", "sentence_id", "start", "end", "trigger", "kind", "status",
    "date_as_stated", "date", "date_precision", "published", "evidence",
]
TROOP_COLUMNS = [
    "troop_id", "doc_id", "sentence_id", "start", "end", "evidence", "surface", "value",
    "value_max", "qualifier", "unit", "country", "force", "date", "date_precision",
    "date_basis", "claimed_by_source",
]
STATUS_COLUMNS = [
    "milestone_id", "deadline_date", "date_precision", "topic", "status", "rule",
    "evidence_milestone_id", "evidence_doc_id", "evidence_start", "evidence_end",
    "evidence", "doc_id", "start", "end", "outcome",
]

_W = WORD_CHARS
_B = rf"(?<![{_W}])"
_E = rf"(?![{_W}])"


# ----------------------------------------------------------------------------------------
# lexicons
# ----------------------------------------------------------------------------------------
def _read_csv(name: str) -> list[dict]:
    path = Path(LEXICONS) / name
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _aliases(s: str) -> list[str]:
    """Split 'a|b|c' (clitic forms such as للجنة are derived by TermMatcher)."""
    return [a.strip() for a in (s or "").split("|") if a.strip()]


@dataclass
class Lexicon:
    triggers: TermMatcher
    trigger_info: dict[str, tuple[str, str, str]]   # key -> (kind, series, needs)
    classes: dict[str, TermMatcher]                 # role -> matcher (round, meeting, …)
    ordinals: dict[str, int]                        # normalised ordinal -> value
    months: dict[str, int]                          # normalised month name -> number
    topics: list[tuple[str, int, list[str]]]        # (topic, priority, normalised stems)
    formats: dict[str, TermMatcher]
    places: TermMatcher
    troop: dict[str, TermMatcher]                   # role -> matcher (key = value)


@lru_cache(maxsize=1)
def load_lexicon() -> Lexicon:
    trig_terms: list[tuple[str, str]] = []
    info: dict[str, tuple[str, str, str]] = {}
    class_terms: dict[str, list[tuple[str, str]]] = {}
    for i, row in enumerate(_read_csv("milestone_triggers.csv")):
        role = row["role"]
        if role in ("trigger", "exclude"):
            key = f"{role}:{i}"
            info[key] = (row["kind"], row["series"], row["needs"]) if role == "trigger" else ("", "", "")
            trig_terms += [(a, key) for a in _aliases(row["aliases"])]
        else:
            class_terms.setdefault(role, []).extend((a, role) for a in _aliases(row["aliases"]))
    ordinals: dict[str, int] = {}
    for row in _read_csv("milestone_ordinals.csv"):
        for a in _aliases(row["aliases"]):
            ordinals[norm(a)] = int(row["value"])
    months: dict[str, int] = {}
    for row in _read_csv("milestone_months.csv"):
        for a in _aliases(row["aliases"]):
            months[norm(a)] = int(row["month"])
    topics = [(r["topic"], int(r["priority"]), [norm(a) for a in _aliases(r["aliases"])])
              for r in _read_csv("milestone_topics.csv")]
    topics.sort(key=lambda t: t[1])
    fmt_terms: dict[str, list[tuple[str, str]]] = {}
    place_terms: list[tuple[str, str]] = []
    for row in _read_csv("milestone_formats.csv"):
        if row["format"] == "place":
            place_terms += [(a, a) for a in _aliases(row["aliases"])]
        else:
            fmt_terms.setdefault(row["format"], []).extend((a, row["format"]) for a in _aliases(row["aliases"]))
    troop_terms: dict[str, list[tuple[str, str]]] = {}
    for row in _read_csv("milestone_troop_terms.csv"):
        troop_terms.setdefault(row["role"], []).extend((a, row["value"]) for a in _aliases(row["aliases"]))
    return Lexicon(
        triggers=TermMatcher(trig_terms),
        trigger_info=info,
        classes={k: TermMatcher(v) for k, v in class_terms.items()},
        ordinals=ordinals,
        months=months,
        topics=topics,
        formats={k: TermMatcher(v) for k, v in fmt_terms.items()},
        places=TermMatcher(place_terms),
        troop={k: TermMatcher(v) for k, v in troop_terms.items()},
    )


def _alt(words: Iterable[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(set(words), key=lambda s: (-len(s), s)))


@lru_cache(maxsize=1)
def _ordinal_regex() -> tuple[re.Pattern, dict[str, int]]:
    """Ordinal words 1–39 (units, '<unit> عشر', '<unit> و<tens>', tens), normalised."""
    lex = load_lexicon()
    values = dict(lex.ordinals)
    units = {w: v for w, v in lex.ordinals.items() if v < 10}
    tens = {w: v for w, v in lex.ordinals.items() if v >= 20 and v % 10 == 0}
    # the day form of 1 in compounds is الحادي/الحادية
    compound_units = dict(units)
    compound_units.update({w.split(" ")[0]: 1 for w, v in lex.ordinals.items() if v == 11})
    for u, uv in compound_units.items():
        for t, tv in tens.items():
            values[f"{u} و{t}"] = uv + tv
    return re.compile(_B + "(" + _alt(values) + ")" + _E), values


# ----------------------------------------------------------------------------------------
# time expressions
# ----------------------------------------------------------------------------------------
@dataclass
class TimeExpr:
    start: int          # offsets into the text given to the finder
    end: int
    surface: str
    date_start: dt.date
    date_end: dt.date
    precision: str      # day | month | year
    relative: bool      # resolved against the anchor (deictic), not stated in full
    rule: str = ""

    def iso(self) -> str:
        return iso_date(self.date_start, self.precision)


def iso_date(d: dt.date | None, precision: str) -> str:
    if d is None:
        return ""
    if precision == "year":
        return f"{d.year:04d}"
    if precision == "month":
        return f"{d.year:04d}-{d.month:02d}"
    return d.isoformat()


def _blank_to_str(v) -> str:
    try:
        if v is None or pd.isna(v):
            return ""
    except (TypeError, ValueError):
        pass
    return str(v).strip()


def parse_anchor(published) -> tuple[dt.date | None, str]:
    """'2021-05-03' -> (date, 'day'); '2024-09' -> (2024-09-01, 'month'); '' -> (None, '')."""
    if published is None or (isinstance(published, float) and pd.isna(published)):
        return None, ""
    s = str(published).strip()
    m = re.match(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?", s)
    if not m:
        return None, ""
    y, mo, d = int(m.group(1)), m.group(2), m.group(3)
    if d:
        return dt.date(y, int(mo), int(d)), "day"
    if mo:
        return dt.date(y, int(mo), 1), "month"
    return dt.date(y, 1, 1), "year"


def _interval(y: int, m: int | None, d: int | None) -> tuple[dt.date, dt.date, str]:
    if d:
        x = dt.date(y, m, d)
        return x, x, "day"
    if m:
        return dt.date(y, m, 1), dt.date(y, m, calendar.monthrange(y, m)[1]), "month"
    return dt.date(y, 1, 1), dt.date(y, 12, 31), "year"


def _add_months(d: dt.date, n: int) -> dt.date:
    y, m = divmod(d.month - 1 + n, 12)
    y += d.year
    return dt.date(y, m + 1, min(d.day, calendar.monthrange(y, m + 1)[1]))


_WEEKDAYS = {"الاثنين": 0, "الثلاثاء": 1, "الاربعاء": 2, "الخميس": 3, "الجمعه": 4, "السبت": 5, "الاحد": 6}
_REL_MONTH = r"الماضي|الحالي|الجاري|المقبل|القادم|نفسه|ذاته"
_REL_YEAR = {"العام الماضي": -1, "السنه الماضيه": -1, "العام الحالي": 0, "العام الجاري": 0,
             "هذا العام": 0, "العام المقبل": 1, "العام القادم": 1, "السنه الحاليه": 0}


@lru_cache(maxsize=1)
def _date_regexes() -> dict[str, re.Pattern]:
    lex = load_lexicon()
    ordre, ordvals = _ordinal_regex()
    mon = "(?:" + _alt(lex.months) + ")"
    monpair = rf"(?P<mon>{mon})(?:\s*[/(\-]\s*(?P<mon2>{mon})\s*\)?)?"
    dayord = "(?P<dord>" + _alt(w for w, v in ordvals.items() if 1 <= v <= 31) + ")"
    relyear = _alt(_REL_YEAR)
    full = (
        rf"{_B}(?:(?:(?P<d>\d{{1,2}})(?:\s*-\s*(?P<d2>\d{{1,2}}))?|{dayord})\s*(?:من\s+)?(?:شهر\s+)?)?"
        rf"(?:شهر\s+)?{monpair}"
        rf"(?:\s*,?\s*(?:من\s+)?(?:عام|العام|سنه|لعام)?\s*(?P<y>\d{{4}})(?!\d))?"
        rf"(?:\s+من\s+(?P<yrel>{relyear}))?"
        rf"(?:\s+(?P<rel>{_REL_MONTH}))?{_E}"
    )
    return {
        "full": re.compile(full),
        "numeric_dmy": re.compile(r"(?<![\d/.\-])(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})(?![\d/.\-])"),
        "numeric_ymd": re.compile(r"(?<![\d/.\-])(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?![\d/.\-])"),
        "year": re.compile(rf"{_B}(?P<pre>نهايه|مطلع|بدايه|اواخر|اوائل|منتصف)?\s*(?:(?:في|عام|العام|سنه|منذ|بحلول|خلال|حتي|قبل|بعد|لعام)\s+)?(?:عام\s+)?(?P<y>(?:19|20)\d{{2}}){_E}"),
        "relyear": re.compile(rf"{_B}(?P<pre>نهايه|مطلع|بدايه|اواخر|اوائل|منتصف)?\s*(?P<ry>{relyear}){_E}"),
        "weekday": re.compile(rf"{_B}(?:(?P<today>اليوم)\s+|(?:يوم\s+)?(?P<yest>امس)\s+|يوم\s+)?(?P<wd>{_alt(_WEEKDAYS)}){_E}"),
        "yesterday": re.compile(rf"{_B}(?:يوم\s+)?امس{_E}"),
        "within": re.compile(rf"{_B}(?:في\s+)?غضون\s+(?:(?P<n>\d+)\s+)?(?P<unit>عامين|سنتين|عام|سنه|سنوات|اعوام|شهرين|شهر|اشهر|شهور){_E}"),
        "thismonth": re.compile(rf"{_B}(?P<which>هذا الشهر|الشهر الحالي|الشهر الجاري|الشهر الماضي|الشهر المقبل){_E}"),
    }


def _fallback_time_expressions(text: str, anchor: dt.date | None, anchor_precision: str = "day") -> list[TimeExpr]:
    """A small resolver for the date forms met in Arabic news (used where :mod:`iraqkit.dates`
    is missing or silent). Spans index ``text``."""
    nt = normalize(text)
    t = nt.text
    rx = _date_regexes()
    lex = load_lexicon()
    _, ordvals = _ordinal_regex()
    out: list[TimeExpr] = []
    taken: list[tuple[int, int]] = []

    def free(s, e):
        return all(e <= a or s >= b for a, b in taken)

    def add(s, e, ds, de, prec, rel, rule):
        if not free(s, e):
            return
        taken.append((s, e))
        os_, oe = nt.span(s, e)
        out.append(TimeExpr(os_, oe, text[os_:oe], ds, de, prec, rel, rule))

    for m in rx["numeric_ymd"].finditer(t):
        y, mo, d = map(int, m.groups())
        try:
            add(m.start(), m.end(), dt.date(y, mo, d), dt.date(y, mo, d), "day", False, "numeric_ymd")
        except ValueError:
            pass
    for m in rx["numeric_dmy"].finditer(t):
        d, mo, y = map(int, m.groups())
        try:
            add(m.start(), m.end(), dt.date(y, mo, d), dt.date(y, mo, d), "day", False, "numeric_dmy")
        except ValueError:
            pass
    for m in rx["full"].finditer(t):
        mo = lex.months[m.group("mon")]
        day = int(m.group("d")) if m.group("d") else (ordvals.get(m.group("dord")) if m.group("dord") else None)
        day2 = int(m.group("d2")) if m.group("d2") else None
        y = int(m.group("y")) if m.group("y") else None
        rel = m.group("rel")
        relative = y is None
        if y is None and m.group("yrel") and anchor:
            y = anchor.year + _REL_YEAR[m.group("yrel")]
        if y is None:
            # a bare month name needs support: a day, a relative word, or a preposition
            before = t[max(0, m.start() - 12):m.start()]
            if day is None and not rel and not re.search(r"(?:في|خلال|منذ|مطلع|نهايه|اواخر|اوائل|منتصف|حتي|بحلول|شهر)\s*$", before):
                continue
            if anchor is None:
                continue
            y = anchor.year
            if rel == "الماضي" and mo >= anchor.month:
                y -= 1
            elif rel in ("المقبل", "القادم") and mo <= anchor.month:
                y += 1
        try:
            ds, de, prec = _interval(y, mo, day)
            if day2:
                de = dt.date(y, mo, day2)
        except ValueError:
            continue
        add(m.start(), m.end(), ds, de, prec, relative, "month_name")
    for m in rx["within"].finditer(t):
        if anchor is None:
            continue
        unit, n = m.group("unit"), m.group("n")
        months = {"عامين": 24, "سنتين": 24, "عام": 12, "سنه": 12, "شهرين": 2, "شهر": 1}.get(unit)
        if months is None:
            months = int(n or 1) * (12 if unit in ("سنوات", "اعوام") else 1)
        d = _add_months(anchor, months)
        ds, de, _ = _interval(d.year, d.month, None)
        add(m.start(), m.end(), ds, de, "month", True, "within_duration")
    for m in rx["relyear"].finditer(t):
        if anchor is None:
            continue
        y = anchor.year + _REL_YEAR[m.group("ry")]
        ds, de, prec = _interval(y, None, None)
        if m.group("pre") == "نهايه":
            ds = dt.date(y, 12, 1)
        s = m.start("pre") if m.group("pre") else m.start("ry")
        add(s, m.end(), ds, de, prec, True, "relative_year")
    for m in rx["year"].finditer(t):
        nxt = re.match(rf"\s*([{WORD_CHARS}]+)", t[m.end():])
        if nxt and _is_counted_noun(nxt.group(1)):
            continue  # "أقل من 2000 جندي": a quantity, not the year 2000
        y = int(m.group("y"))
        ds, de, prec = _interval(y, None, None)
        if m.group("pre") == "نهايه":
            ds = dt.date(y, 12, 1)
        s = m.start("pre") if m.group("pre") else m.start("y")
        add(s, m.end(), ds, de, prec, False, "year")
    for m in rx["thismonth"].finditer(t):
        if anchor is None:
            continue
        off = {"الشهر الماضي": -1, "الشهر المقبل": 1}.get(m.group("which"), 0)
        d = _add_months(anchor.replace(day=1), off)
        ds, de, prec = _interval(d.year, d.month, None)
        add(m.start(), m.end(), ds, de, prec, True, "this_month")
    if anchor is not None and anchor_precision == "day":
        for m in rx["weekday"].finditer(t):
            # a weekday directly followed by a full date is part of that date
            nxt = [x for x in out if 0 <= x.start - nt.span(m.end(), m.end())[0] <= 3]
            if nxt:
                continue
            wd = _WEEKDAYS[m.group("wd")]
            if m.group("yest"):
                d = anchor - dt.timedelta(days=1)
            else:
                d = anchor - dt.timedelta(days=(anchor.weekday() - wd) % 7)
            add(m.start(), m.end(), d, d, "day", True, "weekday")
        for m in rx["yesterday"].finditer(t):
            d = anchor - dt.timedelta(days=1)
            add(m.start(), m.end(), d, d, "day", True, "yesterday")
    out.sort(key=lambda x: (x.start, x.end))
    return out


def _to_date(v) -> dt.date | None:
    if v is None or v == "":
        return None
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    try:
        a, _ = parse_anchor(str(v))
        return a
    except Exception:  # pragma: no cover - defensive
        return None


def _is_counted_noun(word: str) -> bool:
    """Is ``word`` (normalised) a noun that numbers count (جندي، جنود، هجوم، صاروخ…)?"""
    from .numbers import COUNTED_NOUNS, noun_lemma

    return word in COUNTED_NOUNS or noun_lemma(word) in set(COUNTED_NOUNS.values())


def time_expressions(text: str, anchor: dt.date | None, anchor_precision: str = "day") -> list[TimeExpr]:
    """Resolved time expressions in ``text``: :mod:`iraqkit.dates` first (when importable),
    then the fallback resolver for spans it did not cover (ADAPTER)."""
    out: list[TimeExpr] = []
    try:
        from . import dates as dates_mod  # type: ignore
        resolve = getattr(dates_mod, "resolve_time_expressions", None)
    except Exception:  # pragma: no cover - module not there yet
        resolve = None
    if resolve is not None and anchor is not None:
        try:
            for te in resolve(text, anchor):
                ds, de = _to_date(getattr(te, "date_start", None)), _to_date(getattr(te, "date_end", None))
                if ds is None:
                    continue
                prec = str(getattr(te, "precision", "") or "day")
                if prec not in ("day", "month", "year", "period"):
                    prec = "period"
                surf = getattr(te, "surface", text[te.start:te.end])
                rel = not re.search(r"\d{4}", to_ascii(surf))
                out.append(TimeExpr(te.start, te.end, surf, ds, de or ds, prec, rel,
                                    str(getattr(te, "rule", "dates"))))
        except Exception:  # pragma: no cover - never let a sibling module break this stage
            out = []
    for te in _fallback_time_expressions(text, anchor, anchor_precision):
        if all(te.end <= o.start or te.start >= o.end for o in out):
            out.append(te)
    out.sort(key=lambda x: (x.start, x.end))
    return out


def to_ascii(s: str) -> str:
    return normalize(s).text


# ----------------------------------------------------------------------------------------
# quantities (troop figures)
# ----------------------------------------------------------------------------------------
@dataclass
class Qty:
    start: int
    end: int
    value: float
    value_max: float | None
    qualifier: str
    noun: str
    surface: str


_NUM_WORDS = {
    # units (masculine/feminine), tens, hundreds; 'ألف' family is handled in _words_value
    "ثلاث": 3, "ثلاثه": 3, "اربع": 4, "اربعه": 4, "خمس": 5, "خمسه": 5, "ست": 6, "سته": 6,
    "سبع": 7, "سبعه": 7, "ثمان": 8, "ثماني": 8, "ثمانيه": 8, "تسع": 9, "تسعه": 9, "عشر": 10, "عشره": 10,
    "عشرون": 20, "عشرين": 20, "ثلاثون": 30, "ثلاثين": 30, "اربعون": 40, "اربعين": 40,
    "خمسون": 50, "خمسين": 50, "ستون": 60, "ستين": 60, "سبعون": 70, "سبعين": 70,
    "ثمانون": 80, "ثمانين": 80, "تسعون": 90, "تسعين": 90,
    "مايه": 100, "ميه": 100, "مايتان": 200, "مايتين": 200, "ميتان": 200, "ميتين": 200,
}
for _u, _v in (("ثلاث", 3), ("اربع", 4), ("خمس", 5), ("ست", 6), ("سبع", 7), ("ثمان", 8), ("تسع", 9)):
    _NUM_WORDS[_u + "مايه"] = _NUM_WORDS[_u + "ميه"] = _v * 100
_THOUSAND = {"الف": 1000, "الفا": 1000, "الفان": 2000, "الفين": 2000, "الاف": 1000}


def _num_word_key(w: str) -> str:
    return normalize(w).text.replace("ئ", "ي").replace("ء", "")


def _words_value(words: list[str]) -> int | None:
    """'ألفين وخمسمائة' -> 2500, 'ثلاثة آلاف' -> 3000, 'مئتين وخمسين' -> 250 (words normalised)."""
    total, cur = 0, 0
    for w in words:
        w = w[1:] if w.startswith("و") and w[1:] and (w[1:] in _NUM_WORDS or w[1:] in _THOUSAND) else w
        if w in _THOUSAND:
            if w in ("الفان", "الفين"):
                total += 2000
            else:
                total += (cur or 1) * 1000
            cur = 0
        elif w in _NUM_WORDS:
            cur += _NUM_WORDS[w]
        else:
            return None
    value = total + cur
    return value or None


@lru_cache(maxsize=1)
def _fallback_quantity_regex() -> tuple[re.Pattern, dict[str, str], dict[str, str], re.Pattern]:
    """(pattern, qualifier values, vague-amount values, qualifier-clitic pattern) of
    :func:`_fallback_quantities`, built once from the troop-term lexicon."""
    nouns = _alt(norm(a) for a in _troop_aliases("noun"))
    quals = {norm(a): v for a, v in _troop_alias_values("qualifier")}
    vague = {norm(a): v for a, v in _troop_alias_values("vague")}
    qalt = _alt(quals)
    wd = "(?:" + _alt(list(_NUM_WORDS) + list(_THOUSAND)) + ")"
    rx = re.compile(
        rf"{_B}(?:(?P<q>(?:[وف]?[بل]?)(?:{qalt}))\s+)?"
        rf"(?:(?P<num>\d{{1,3}}(?:[,.]\d{{3}})+|\d+(?:\.\d+)?)(?:\s*-\s*(?P<num2>\d+))?\s*(?P<mult>الف|الاف|مليون)?"
        rf"|(?P<words>{wd}(?:\s+و?{wd}){{0,4}})"
        rf"|(?P<vague>{_alt(vague)}))\s+(?:من\s+)?(?P<noun>(?:ال)?(?:{nouns})){_E}"
    )
    return rx, quals, vague, re.compile(r"^[وف]?[بل]?(?=" + qalt + ")")


def _fallback_quantities(text: str) -> list[Qty]:
    """'نحو 2500 جندي', '5 آلاف جندي', '150 ألف جندياً', 'مئات العسكريين', and figures in
    words: 'نحو ألفين وخمسمائة عسكري', 'ثلاثة آلاف جندي' (ADAPTER)."""
    nt = normalize(text)
    t = nt.text
    rx, quals, vague, q_prefix = _fallback_quantity_regex()
    out: list[Qty] = []
    for m in rx.finditer(t):
        q = ""
        if m.group("q"):
            qw = q_prefix.sub("", m.group("q"))
            q = quals.get(qw, quals.get(m.group("q"), ""))
        if m.group("vague"):
            lo, hi = vague[m.group("vague")].split("-")
            value, vmax = float(lo), float(hi)
            q = q or "approx"
        elif m.group("words"):
            wv = _words_value([_num_word_key(w) for w in m.group("words").split()])
            if wv is None:
                continue
            value, vmax = float(wv), None
        else:
            raw = m.group("num").replace(",", "")
            if re.fullmatch(r"\d{1,3}(\.\d{3})+", raw):
                raw = raw.replace(".", "")
            mult = {"الف": 1000, "الاف": 1000, "مليون": 1_000_000}.get(m.group("mult") or "", 1)
            value = float(raw) * mult
            vmax = float(m.group("num2")) * mult if m.group("num2") else None
        s, e = nt.span(m.start(), m.end())
        ns, ne = nt.span(m.start("noun"), m.end("noun"))
        out.append(Qty(s, e, value, vmax, q, text[ns:ne], text[s:e]))
    return out


def _troop_alias_values(role: str) -> list[tuple[str, str]]:
    return [(a, r["value"]) for r in _read_csv_cached("milestone_troop_terms.csv") if r["role"] == role
            for a in _aliases(r["aliases"])]


def _troop_aliases(role: str) -> list[str]:
    return [a for a, _ in _troop_alias_values(role)]


@lru_cache(maxsize=None)
def _read_csv_cached(name: str) -> tuple[dict, ...]:
    return tuple(_read_csv(name))


def quantities(text: str) -> list[Qty]:
    """Quantities from :mod:`iraqkit.numbers` when importable, plus fallback spans (ADAPTER)."""
    out: list[Qty] = []
    try:
        from . import numbers as numbers_mod  # type: ignore
        find = getattr(numbers_mod, "find_quantities", None)
    except Exception:  # pragma: no cover
        find = None
    if find is not None:
        try:
            for q in find(text):
                if q.value is None:
                    continue
                vmax = getattr(q, "value_max", None)
                out.append(Qty(q.start, q.end, float(q.value),
                               None if vmax in (None, "") or pd.isna(vmax) else float(vmax),
                               str(getattr(q, "qualifier", "") or ""), str(getattr(q, "noun", "") or ""),
                               getattr(q, "surface", text[q.start:q.end])))
        except Exception:  # pragma: no cover
            out = []
    for q in _fallback_quantities(text):
        overlapping = [o for o in out if not (q.end <= o.start or q.start >= o.end)]
        if not overlapping:
            out.append(q)
        elif all(q.start <= o.start and o.end <= q.end and (o.end - o.start) < (q.end - q.start)
                 and not o.noun for o in overlapping):
            # the sibling read only part of the figure ('ألفين' of 'ألفين وخمسمائة عسكري')
            out = [o for o in out if o not in overlapping] + [q]
        else:
            for o in overlapping:  # fill what the sibling module left out
                if not o.noun:
                    o.noun = q.noun
                if not o.qualifier and q.qualifier:
                    o.qualifier = q.qualifier
    out.sort(key=lambda x: (x.start, x.end))
    return out


# ----------------------------------------------------------------------------------------
# sentence analysis helpers
# ----------------------------------------------------------------------------------------
_QUOTE_CHARS = "\"“”«»„"


def _quote_regions(text: str) -> list[tuple[int, int]]:
    """Spans of quoted speech: between paired quote marks, and after ': "' to the end."""
    regions = []
    opens = None
    for i, ch in enumerate(text):
        if ch in _QUOTE_CHARS:
            if opens is None:
                opens = i
            else:
                regions.append((opens, i + 1))
                opens = None
    if opens is not None:
        regions.append((opens, len(text)))
    return regions


def _inside(pos: int, regions) -> bool:
    return any(a <= pos < b for a, b in regions)


def _barrier_between(text: str, a: int, b: int) -> bool:
    """Speech act and content are separated: a colon between the two positions, or one
    position inside quoted speech that the other is outside of ('قال اليوم: "… الجولة …"')."""
    lo, hi = min(a, b), max(a, b)
    if ":" in text[lo:hi]:
        return True
    for qa, qb in _quote_regions(text):
        if (qa <= lo < qb) != (qa <= hi - 1 < qb) and hi - lo > 1:
            inner = text[qa + 1:qb - 1]
            if len(inner) > 25:  # a quoted name ('“رويترز”') is not speech
                return True
    return False


def _matches(matcher: TermMatcher, text: str, nt: Normalized | None = None):
    return list(matcher.finditer_normalized(nt or normalize(text)))


@lru_cache(maxsize=None)
def _stem_regex(stem: str) -> re.Pattern:
    return re.compile(rf"{_B}(?:[وفبلك]{{0,3}}(?:ال)?)?{re.escape(stem)}")


def _stem_hits(text_norm: str, stems: list[str]) -> list[tuple[int, str]]:
    hits = []
    for s in stems:
        if s not in text_norm:   # the stem must occur verbatim for the pattern to match
            continue
        for m in _stem_regex(s).finditer(text_norm):
            hits.append((m.start(), s))
    return hits


def _topic(text: str) -> str:
    t = normalize(text).text
    for topic, _prio, stems in load_lexicon().topics:
        if _stem_hits(t, stems):
            return topic
    return ""


@lru_cache(maxsize=1)
def _round_regex() -> re.Pattern:
    _, ordvals = _ordinal_regex()
    round_words = _alt(norm(a) for a in _class_aliases("round"))
    return re.compile(rf"{_B}(?:[وفبل]{{0,2}})(?:{round_words})\s+(?:(?P<ord>{_alt(ordvals)})|(?P<num>\d{{1,2}})|(?P<last>الاخيره|الختاميه|النهائيه)){_E}")


def _round_phrases(text: str, nt: Normalized | None = None) -> list[tuple[int, int, int | None, str]]:
    """Every round phrase in ``text`` ('الجولة الثالثة', 'جولتها الأولى', 'الجولة 3',
    'الجولة الأخيرة') as (start, end, number, label); offsets index ``text``."""
    nt = nt or normalize(text)
    _, ordvals = _ordinal_regex()
    out = []
    for m in _round_regex().finditer(nt.text):
        s, e = nt.span(m.start(), m.end())
        n = ordvals.get(m.group("ord")) if m.group("ord") else (int(m.group("num")) if m.group("num") else None)
        out.append((s, e, n, "last" if m.group("last") else ""))
    return out


def _round_number(text: str, nt: Normalized, trig_s: int, trig_e: int) -> tuple[int | None, str]:
    """Round number near a trigger: 'الجولة الثالثة من/لـ الحوار', 'الجولة 3', 'في جولته الرابعة'.
    A round phrase after the trigger but past a clause break ('اللجنة العسكرية العليا، فيما
    عقدت الجولة الثانية') starts another clause and is not this trigger's round."""
    best = None
    for s, e, n, label in _round_phrases(text, nt):
        dist = trig_s - e if e <= trig_s else (s - trig_e if s >= trig_e else 0)
        if dist > ROUND_WINDOW:
            continue
        if s >= trig_e and re.search(r"[،,؛;:]", text[trig_e:s]):
            continue
        if best is None or dist < best[0]:
            best = (dist, n, label)
    if best is None:
        return None, ""
    return best[1], best[2]


@lru_cache(maxsize=None)
def _class_aliases(role: str) -> tuple[str, ...]:
    return tuple(a for r in _read_csv_cached("milestone_triggers.csv") if r["role"] == role
                 for a in _aliases(r["aliases"]))


def _has_class(role: str, text: str, s: int | None = None, e: int | None = None) -> list:
    m = load_lexicon().classes.get(role)
    if m is None:
        return []
    hits = list(m.finditer(text))
    if s is not None:
        hits = [h for h in hits if h.start >= s and h.end <= e]
    return hits


@lru_cache(maxsize=1)
def _meeting_regexes() -> tuple[re.Pattern, re.Pattern]:
    meet = _alt(norm(a) for a in _class_aliases("meeting"))
    return re.compile(rf"(?:{meet})\S*\s+(?:\S+\s+){{0,3}}(?:في\s*|ب)?$"), re.compile(rf"(?:{meet})")


def _format(text: str) -> str:
    lex = load_lexicon()
    for fmt in ("virtual", "in person"):
        if any(True for _ in lex.formats[fmt].finditer(text)):
            return fmt
    nt = normalize(text)
    meet_near, meet = _meeting_regexes()
    for p in lex.places.finditer_normalized(nt):
        # 'عقد بواشنطن', 'اجتماعاتها في بغداد': a meeting word shortly before the place
        pn = len(normalize(text[:p.start]).text)
        window = nt.text[max(0, pn - 30):pn + 2]
        if meet_near.search(window) or meet.search(window):
            return "in person"
    return ""


def _clause_end(text: str, pos: int) -> int:
    m = re.compile(r"[؛;.!?؟:\n]|،\s*(?:و|ف|لكن|بينما|حيث|مما|ما\s)").search(text, pos)
    end = m.start() if m else len(text)
    return end


def _outcome(text: str, kind: str, trig_s: int, trig_e: int, date_span: tuple[int, int] | None) -> str:
    """The commitment or result as stated: a verbatim clause of the sentence."""
    if kind == "deadline" and date_span:
        ds, de = date_span
        lo = max(text.rfind(c, 0, trig_s) for c in "،,:\"“”«»؛")
        lo = lo + 1 if lo >= 0 else 0
        return text[lo:de].strip(" \"“”«»،,")
    if kind == "committee_formed":
        return text[trig_s:_clause_end(text, trig_e)].strip(" \"“”«»،,")
    cue = re.compile(r"(?<![\w])(?:على|أن|إن|بأن|أنّ|إنّ|انه|أنه|إنه)(?![\w])\s*")
    if kind == "announcement":
        # 'قالت الحكومة … إن القوات الأمريكية أنهت مهمتها القتالية': the clause holding the verb
        prev = [c for c in cue.finditer(text, max(0, trig_s - 60), trig_s)]
        if prev:
            s = prev[-1].end()
            return text[s:_clause_end(text, trig_e)].strip(" \"“”«»،,")
    m = cue.search(text, trig_e)
    if m and m.start() - trig_e <= 150 and not _barrier_between(text, trig_e, m.start()):
        s = m.end()
        e = _clause_end(text, s)
        if e - s > 300:
            cut = text.rfind("،", s, s + 300)
            e = cut if cut > s else s + 300
        return text[s:e].strip(" \"“”«»،,")
    return ""


# ----------------------------------------------------------------------------------------
# per-document extraction
# ----------------------------------------------------------------------------------------
@dataclass
class _Mention:
    kind: str
    series: str
    trig_s: int
    trig_e: int
    trigger: str
    round_number: int | None = None
    round_label: str = ""
    status: str = "held"
    te: TimeExpr | None = None
    topic: str = ""
    outcome: str = ""
    completed: bool = False
    own_topic: str = ""     # topic of the mention's own clause (force-posture announcements)
    rule: str = ""          # the rule that made the mention, when not a plain trigger


def _pick_date(text: str, tes: list[TimeExpr], trig_s: int, trig_e: int, used: set[int],
               quotes, before_only: bool = False) -> TimeExpr | None:
    """The event's date: nearest linked date after the trigger (within a window), else the
    nearest linked date before it. Linked = not across a colon/quote boundary; dates used
    as deadlines are skipped; relative dates inside quoted speech are not resolvable."""
    after, before = [], []
    for i, te in enumerate(tes):
        if i in used:
            continue
        if te.relative and _inside(te.start, quotes):
            continue
        if te.start >= trig_e:
            if te.start - trig_e <= DATE_AFTER_WINDOW and not _barrier_between(text, trig_e, te.start) \
                    and not _in_other_relative_clause(text, trig_e, te.start):
                after.append((te.start - trig_e, te))
        elif te.end <= trig_s:
            if not _barrier_between(text, te.end, trig_s):
                before.append((trig_s - te.end, te))
        else:
            after.append((0, te))
    if after and not before_only:
        return min(after, key=lambda x: x[0])[1]
    if before:
        return min(before, key=lambda x: x[0])[1]
    return None


def _in_other_relative_clause(text: str, a: int, b: int) -> bool:
    """'اتفاق … عملية العزم الصلب، التي أطلقها التحالف في عام 2014': the date belongs to the
    relative clause's own verb, unless that verb is a meeting verb ('الذي عقد بواشنطن في …')."""
    rel = [h for h in _has_class("relative", text) if a <= h.start and h.end <= b]
    if not rel:
        return False
    last = rel[-1]
    return not [h for h in _has_class("meeting", text) if last.end <= h.start and h.end <= b]


@lru_cache(maxsize=1)
def _series_kinds() -> dict[str, str]:
    """Named tracks (series) of rounds and meetings and their kind; the generic 'dialogue'
    series (جولة الحوار) names no track."""
    lex = load_lexicon()
    return {series: kind for kind, series, _ in lex.trigger_info.values()
            if kind in ("dialogue_round", "commission_meeting") and series not in ("", "dialogue")}


def named_series(text: str) -> list[tuple[int, str]]:
    """(position, series) of every named track in ``text`` (a trigger of a named series,
    whether or not it makes a milestone there): the context a later round phrase refers to."""
    lex = load_lexicon()
    sk = _series_kinds()
    out = []
    for m in lex.triggers.finditer_normalized(normalize(text)):
        if m.key.startswith("exclude"):
            continue
        series = lex.trigger_info[m.key][1]
        if series in sk:
            out.append((m.start, series))
    return out


#: talk nouns that make 'الجولة الثالثة من الحوار' a round of talks (not, say, a tour)
_TALK_NOUN = r"\s*(?:من|ل|لـ)\s*(?:ال)?(?:حوار|محادثات|مباحثات|مفاوضات|اجتماعات|مشاورات|مناقشات|لقاءات)"


def _until_deadline(text: str, lo_mark: int, te: TimeExpr, nt_text: str | None = None) -> bool:
    """'حتى <date>' is a deadline only when its clause is about the force staying/leaving or
    the mission ending: a withdrawal/mission-end topic term, or a presence verb (تبقى، يواصل،
    تستمر …) together with a force/mission noun (قوة، القوات، التحالف، مهمة …). The clause
    is the text from the last clause break before the marker (a bare '، حتى …' reaches back
    one clause) to the date. A bare year followed by a counted noun ('حتى 2000 جندي') is a
    number, not a date."""
    rest = text[te.end:te.end + 20]
    if te.rule == "year" and re.match(r"\s*(?:%|\S*(?:جندي|جنود|عسكري|عنصر|فرد|مستشار|هجوم|هجمات|ألف|الف|آلاف|شخص))", rest):
        return False
    brk = re.compile(r"[.!?؟؛;:\n]")
    hard = max((m.end() for m in brk.finditer(text, 0, lo_mark)), default=0)
    commas = [m.end() for m in re.finditer(r"[،,]", text[hard:lo_mark])]
    lo = hard + commas[-1] if commas else hard
    if commas and not re.sub(r"[\sو]", "", text[lo:lo_mark]) and len(commas) > 1:
        lo = hard + commas[-2]
    elif commas and not re.sub(r"[\sو]", "", text[lo:lo_mark]):
        lo = hard
    clause = text[lo:te.end]
    t = normalize(clause).text
    lex = load_lexicon()
    for topic, _p, stems in lex.topics:
        if topic in ("withdrawal", "mission_end", "combat_mission_end") and _stem_hits(t, stems):
            return True
    return bool(_has_class("presence", clause)) and bool(_has_class("force_noun", clause))


def _posture_object(text: str, trig_e: int) -> bool:
    """A force-posture object within three words after a future verb ('ستقلص وجودها',
    'ستنهي مهمتها', 'ستنسحب من العراق')."""
    for h in _has_class("posture_object", text):
        gap = text[trig_e:h.start]
        if h.start >= trig_e and re.fullmatch(r"\s*(?:[^\s،,.؛:]+\s+){0,2}(?:من\s+)?", gap):
            return True
    return False


def analyse_sentence(text: str, anchor: dt.date | None, anchor_precision: str = "day",
                     context_series: str = "") -> list[_Mention]:
    """Milestone mentions in one sentence (offsets index ``text``).

    ``context_series``: the nearest named track (series) in the document's earlier sentences
    (see :func:`named_series`); a round phrase whose track is not named in its own sentence
    ('وكانت الجولة الثالثة من الحوار قد عقدت …', 'انطلقت جولتها الأولى') takes it."""
    lex = load_lexicon()
    nt = normalize(text)
    trig = [m for m in lex.triggers.finditer_normalized(nt) if not m.key.startswith("exclude")]
    deadline_marks = _has_class("deadline", text)
    until_marks = _has_class("until", text)
    if not trig and not deadline_marks and not until_marks and not _round_phrases(text, nt):
        return []   # nothing below can yield a mention without one of these
    tes = time_expressions(text, anchor, anchor_precision)
    quotes = _quote_regions(text)
    topic = _topic(text)
    planned_marks = _has_class("planned", text)
    demand_marks = _has_class("demand", text)
    meeting_marks = _has_class("meeting", text)
    out: list[_Mention] = []

    # deadlines: a deadline marker directly followed by a date, about a known topic
    used: set[int] = set()
    for dm in until_marks:
        for i, te in enumerate(tes):
            if i in used:
                continue
            gap = text[dm.end:te.start]
            if 0 <= te.start - dm.end <= 12 and re.fullmatch(r"[\s\u0640]*(?:نهاية\s*|نهايه\s*)?(?:يوم\s*)?", gap):
                if _until_deadline(text, dm.start, te):
                    used.add(i)
                    lo = max(0, dm.start - 80)
                    dtopic = _topic(text[lo:te.end]) or topic or "withdrawal"
                    out.append(_Mention("deadline", dtopic, dm.start, te.end, text[dm.start:te.end], te=te,
                                        topic=dtopic, rule="until"))
                break
    for dm in deadline_marks:
        for i, te in enumerate(tes):
            gap = text[dm.end:te.start]
            if (0 <= te.start - dm.end <= 12 and re.fullmatch(r"[\s\u0640]*(?:نهاية\s*|نهايه\s*)?(?:يوم\s*)?", gap)) \
                    or (te.start < dm.end and te.end > dm.start):
                used.add(i)
                if topic:
                    out.append(_Mention("deadline", topic, dm.start, te.end, text[dm.start:te.end], te=te, topic=topic))
                break

    seen: set[tuple[str, str]] = set()
    for m in trig:
        kind, series, needs = lex.trigger_info[m.key]
        # demands ('طالبت … بتشكيل لجنة') are not events
        if kind in ("committee_formed", "dialogue_round", "commission_meeting", "agreement") and any(
                0 <= m.start - d.end <= 25 and not _barrier_between(text, d.end, m.start) for d in demand_marks):
            continue
        rnd, rlabel = (None, "")
        if kind in ("dialogue_round", "commission_meeting"):
            rnd, rlabel = _round_number(text, nt, m.start, m.end)
        te = _pick_date(text, tes, m.start, m.end, used, quotes)
        ok = True
        if needs == "round_or_meeting_or_date":
            near_meeting = any(abs(mm.start - m.start) <= 60 for mm in meeting_marks)
            date_after = te is not None and te.start >= m.end
            ok = rnd is not None or bool(rlabel) or near_meeting or date_after or bool(
                _round_near_any(text, nt, m.start, m.end))
        elif needs == "meeting":
            ok = any(abs(mm.start - m.start) <= 40 for mm in meeting_marks)
        elif needs == "formation":
            ok = any(0 <= m.start - fm.end <= 20 for fm in _has_class("formation", text))
        elif needs == "vote_body":
            ok = bool(_has_class("vote_body", text))
        elif needs == "topic":
            ok = bool(topic) or kind in ("agreement", "announcement")  # topicless: resolved per doc
        elif needs == "posture":
            # 'أعلنت … أن الولايات المتحدة ستقلص وجودها': a stated plan about the force posture;
            # not a question ('هل ستنسحب …؟')
            ok = _posture_object(text, m.end) and not re.search(r"(?<![\w])هل\s", text[max(0, m.start - 25):m.start]) \
                and not text.rstrip(" \"”»").endswith("؟")
        if not ok:
            continue
        if needs == "posture":
            cut = re.compile(r"[،,.؛;:!?؟]").search(text, m.end)
            own = _topic(text[m.start:cut.start() if cut else len(text)]) or topic
            prev = next((x for x in out if x.kind == kind), None)
            if prev is not None:
                # the speech verb before it ('أعلنت … أن … ستقلص') reports this plan
                prev.status, prev.own_topic, prev.rule = "planned", own, "posture"
                continue
            seen.add((kind, series))
            te_b = _pick_date(text, tes, m.start, m.end, used, quotes, before_only=True)
            out.append(_Mention(kind, series, m.start, m.end, m.surface, None, "", "planned", te_b, own,
                                own_topic=own, rule="posture"))
            continue
        key = (kind, series)
        if key in seen:
            # one mention per kind/series per sentence; keep the first trigger but fill a round
            prev = next(x for x in out if (x.kind, x.series) == key)
            if prev.round_number is None and rnd is not None:
                prev.round_number, prev.trig_s, prev.trig_e, prev.trigger = rnd, m.start, m.end, m.surface
            if prev.te is None and te is not None:
                prev.te = te
            continue
        seen.add(key)
        status = "planned" if any(abs(p.start - m.start) <= 40 or (m.end <= p.start <= m.end + 35)
                                  for p in planned_marks) else "held"
        out.append(_Mention(kind, series, m.start, m.end, m.surface, rnd, rlabel, status, te, topic))

    out += _context_rounds(text, nt, trig, out, tes, used, quotes, meeting_marks, planned_marks, context_series)

    kinds = {x.kind for x in out}
    if kinds & set(EVENT_KINDS):
        events = [x for x in out if x.kind in EVENT_KINDS]
        out = [x for x in out if x.kind not in ("agreement", "announcement")
               or (x.kind == "announcement" and all(_own_clause(text, x, y) for y in events))]
        kinds = {x.kind for x in out}
    if "agreement" in kinds:
        out = [x for x in out if x.kind != "announcement" or x.status == "planned"]
    # 'الإعلان عن الصفقة كان مقررًا خلال آب': the agreement is only the announcement's object
    for x in out:
        if x.kind == "agreement" and any(
                y.kind == "announcement" and 0 <= x.trig_s - y.trig_e <= 16
                and re.search(r"\sعن\s", text[y.trig_e:x.trig_s] + " ") for y in out):
            x.te = None
    # one date, one event: a date shared by several mentions stays with the nearest trigger
    lost: list[_Mention] = []
    for x in out:
        if x.te is None or x.kind == "deadline":
            continue
        for y in out:
            if y is not x and y.te is x.te and y.kind != "deadline":
                dx = min(abs(x.te.start - x.trig_e), abs(x.trig_s - x.te.end))
                dy = min(abs(y.te.start - y.trig_e), abs(y.trig_s - y.te.end))
                if dy < dx or (dy == dx and y.trig_s < x.trig_s):
                    x.te = None
                    lost.append(x)
                    break
    # a mention that lost its date to a nearer event takes the nearest date no other mention holds
    # ('في 27 كانون الثاني الجولة الأولى من …، فيما عقدت الجولة الثانية في 11 شباط')
    for x in lost:
        held = {i for i, t in enumerate(tes) for y in out if y.te is t}
        x.te = _pick_date(text, tes, x.trig_s, x.trig_e, used | held, quotes)
    completed = bool(_has_class("completion", text))
    for x in out:
        x.completed = completed and x.status == "held"
        if x.kind in ("agreement", "announcement"):
            x.topic = x.own_topic or topic
        date_span = (x.te.start, x.te.end) if x.te else None
        x.outcome = _outcome(text, x.kind, x.trig_s, x.trig_e, date_span)
    return out


def _context_rounds(text, nt, trig, out, tes, used, quotes, meeting_marks, planned_marks,
                    context_series: str) -> list[_Mention]:
    """Round phrases that no named trigger of the sentence claims ('الجولة الثالثة من الحوار',
    'انطلقت جولتها الأولى', 'فيما عقدت الجولة الثانية في 11 شباط').

    Rule: a numbered round phrase is a milestone of the track it refers to when it reads as an
    event — a meeting word within 40 characters, a planned marker right after it, a linked date
    after it, or 'من/لـ + talks noun' right after it. Its track is, in order: a named track
    trigger of the sentence within ``ROUND_WINDOW`` characters it would attach to; the nearest
    named track before it in the sentence; the nearest named track in the document's earlier
    sentences (``context_series``). Without any, the phrase is left (nothing names the talks).
    A round number already carried by a mention of the sentence is not repeated."""
    lex = load_lexicon()
    sk = _series_kinds()
    named = [(m.start, m.end, lex.trigger_info[m.key][1]) for m in trig if lex.trigger_info[m.key][1] in sk]
    new: list[_Mention] = []
    for rs, re_, n, _label in _round_phrases(text, nt):
        if n is None:
            continue
        if any(x.kind in ("dialogue_round", "commission_meeting") and x.round_number == n for x in out + new):
            continue
        if any(m.start < re_ and rs < m.end for m in trig):
            continue  # inside a trigger phrase ('جولة الحوار …')
        near = [(ts - re_ if re_ <= ts else rs - te_, ser) for ts, te_, ser in named
                if (0 <= ts - re_ <= ROUND_WINDOW)
                or (0 <= rs - te_ <= ROUND_WINDOW and not re.search(r"[،,؛;:]", text[te_:rs]))]
        before = [ser for ts, _te, ser in named if ts < rs]
        series = min(near)[1] if near else (before[-1] if before else context_series)
        if not series:
            continue
        te = _pick_date(text, tes, rs, re_, used, quotes)
        cue = (any(abs(mm.start - rs) <= 40 or abs(mm.start - re_) <= 40 for mm in meeting_marks)
               or any(re_ <= p.start <= re_ + 35 for p in planned_marks)
               or (te is not None and te.start >= re_)
               or re.match(_TALK_NOUN, normalize(text[re_:re_ + 30]).text))
        if not cue:
            continue
        status = "planned" if any(abs(p.start - rs) <= 40 or (re_ <= p.start <= re_ + 35)
                                  for p in planned_marks) else "held"
        new.append(_Mention(sk[series], series, rs, re_, text[rs:re_], n, "", status, te, rule="context_round"))
    return new


def _own_clause(text: str, x: _Mention, y: _Mention) -> bool:
    """An announcement ``x`` is its own milestone next to the event ``y`` of the same sentence
    when a clause break separates them and ``x``'s own clause carries a topic term and a
    completion word or a force-posture plan ('أعلن … انتهاء المهمة القتالية …، تنفيذاً
    لمخرجات الجولة الرابعة'); otherwise it only reports that
    event ('أعلن … بدء اجتماعات اللجنة العسكرية العليا'). Agreements next to an event still
    yield to it (an agreement in a meeting sentence is mostly its expected outcome)."""
    if x.trig_e <= y.trig_s:
        between = text[x.trig_e:y.trig_s]
        cut = re.search(r"[،,؛;]", between)
        if not cut:
            return False
        own = text[x.trig_s:x.trig_e + cut.start()]
    elif y.trig_e <= x.trig_s:
        between = text[y.trig_e:x.trig_s]
        cuts = list(re.finditer(r"[،,؛;]", between))
        if not cuts:
            return False
        own = text[y.trig_e + cuts[-1].end():_clause_end(text, x.trig_e)]
    else:
        return False
    # a stated result ('انتهاء', 'أنهت') or a stated plan ('ستقلص وجودها'); an expected
    # announcement ('توقعات بالإعلان عن اتفاق …') is that event's outlook
    return bool(_topic(own)) and (x.rule == "posture" or bool(_has_class("completion", own)))


def _round_near_any(text, nt, s, e):
    n, label = _round_number(text, nt, s, e)
    return n is not None or label


#: actor types that take part in talks; media and research bodies in the same sentence are
#: the sources that report them, not participants
NON_PARTICIPANT_TYPES = frozenset({"media", "research"})


#: actor types carried over from the preceding sentence (armed factions named there are what
#: the talks are about, not parties to them)
CARRIED_PARTICIPANT_EXCLUDE = frozenset({"armed faction"})


def _mention_records(mentions_df: pd.DataFrame | None, doc_id: str) -> list[dict]:
    """One document's actor mentions as plain records (filtered once per document: the
    per-sentence look-ups below then cost no pandas operation)."""
    if mentions_df is None or len(mentions_df) == 0 or "actor_id" not in mentions_df:
        return []
    return [m for m in records(mentions_df) if m.get("doc_id") == doc_id]


def _participants(records: list[dict], sid, s0: int, s1: int, exclude_types: frozenset = frozenset()) -> str:
    """Actor ids mentioned in the milestone's sentence, sources (media, research) left out."""
    ids = sorted({str(m["actor_id"]) for m in _sentence_actors(records, sid, s0, s1, exclude_types)
                  if not pd.isna(m["actor_id"]) and str(m["actor_id"])})
    return "|".join(ids)


def _sentence_actors(records: list[dict], sid, s0: int, s1: int,
                     exclude_types: frozenset = frozenset()) -> list[dict]:
    """The mentions in one sentence: same ``sentence_id``, or inside ``[s0, s1)``."""
    skip = NON_PARTICIPANT_TYPES | exclude_types
    out = []
    for m in _records_near(records, sid, s0, s1):
        t = m.get("actor_type")
        if isinstance(t, str) and t in skip:
            continue
        same = sid is not None and "sentence_id" in m and m["sentence_id"] == sid
        if same or (int(m["start"]) >= s0 and int(m["end"]) <= s1):
            out.append(m)
    return out


class _RecordIndex:
    """A document's mention records indexed by ``sentence_id`` and by start offset, so a
    sentence's mentions are found without scanning the whole document for each sentence."""

    def __init__(self, records: list[dict]):
        self.by_sid: dict = {}
        for i, m in enumerate(records):
            if "sentence_id" in m:
                try:
                    self.by_sid.setdefault(m["sentence_id"], []).append(i)
                except TypeError:       # unhashable id: such records are always scanned
                    self.by_sid.setdefault(None, []).append(i)
        self.starts = sorted((int(m["start"]), i) for i, m in enumerate(records))


_RECORD_INDEX = threading.local()


def _records_near(records: list[dict], sid, s0: int, s1: int) -> list[dict]:
    """The records that can belong to the sentence: same ``sentence_id`` or starting in
    ``[s0, s1]`` (a superset of what :func:`_sentence_actors` keeps), in document order."""
    if len(records) < 16:
        return records
    cache = _RECORD_INDEX
    if getattr(cache, "records", None) is not records:
        cache.records, cache.index = records, _RecordIndex(records)
    idx: _RecordIndex = cache.index
    lo = bisect.bisect_left(idx.starts, (s0, -1))
    hi = bisect.bisect_right(idx.starts, (s1, len(records)))
    pos = {i for _, i in idx.starts[lo:hi]}
    if sid is not None:
        try:
            pos.update(idx.by_sid.get(sid, ()))
        except TypeError:
            return records
    pos.update(idx.by_sid.get(None, ()))
    return [records[i] for i in sorted(pos)]


@lru_cache(maxsize=1)
def _back_reference_regex() -> re.Pattern:
    nouns = _alt(norm(a) for a in _class_aliases("back_reference"))
    return re.compile(
        rf"^[\s\"«“(]*[وف]?(?:خلال|في|عقب|بعد|اثناء|لدي|مع|ختام)\s+"
        rf"(?:(?:ختام|نهايه|اعقاب|مستهل|بدايه|مطلع|اطار)\s+)?(?:(?:هذه|هذا|تلك|ذلك)\s+)?(?:{nouns}){_E}")


def _refers_back(text: str, actor_starts: list[int]) -> bool:
    """Does the sentence refer back to the preceding one for who took part?

    Rule: yes when it opens with a preposition and a definite event noun ('وخلال الجولة…',
    'وفي ختام الاجتماع…', 'وعقب اللقاء…'); when its subject is a dual that points back to two
    parties ('وأكد الجانبان…', 'التزم به الطرفان') and fewer than two actors are named before
    that dual in the sentence (else the dual points to them: 'اتفق المسؤولون العراقيون وإدارة
    بايدن … يقول الطرفان'); or when it names no actor at all and is a full sentence (ends with
    sentence punctuation — a pronoun-only subject: 'وأضاف البيان: …', 'وقالت: …'; a heading
    line refers to nothing). The milestone's participants are then the actors of the sentence
    and of the immediately preceding sentence (never further back), armed factions of the
    preceding sentence left out (``CARRIED_PARTICIPANT_EXCLUDE``)."""
    if not actor_starts:
        return bool(re.search(r"[.!?؟…][\s\"”»’)]*$", text))
    if _back_reference_regex().search(normalize(text).text):
        return True
    return any(sum(a < d.start for a in actor_starts) < 2 for d in _has_class("dual_subject", text))


def extract_doc(doc_id: str, published, sentences_df: pd.DataFrame,
                mentions_df: pd.DataFrame | None = None) -> dict[str, pd.DataFrame]:
    """Milestone mentions and troop levels of one document.

    ``sentences_df``: that document's rows of ``sentences`` (``text == raw[start:end]``).
    ``published``: ISO date (``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``) or empty; it anchors
    relative dates ("الخميس", "الماضي") and is the date of last resort for troop levels.
    Returns ``{"milestone_mentions": …, "troop_levels": …}``.
    """
    pub = _blank_to_str(published)
    anchor, aprec = parse_anchor(pub)
    rows, troops = [], []
    sents = sort_stable(sentences_df, ["start"])   # in text order (usually already: no sort)
    context_series = ""          # nearest named track in the earlier sentences
    prev_parts = ""              # participants carried from the preceding sentence
    records = _mention_records(mentions_df, doc_id)
    for r in itertuples(sents):
        text, s0 = str(r.text), int(r.start)
        sid = getattr(r, "sentence_id", None)
        own_parts = _participants(records, sid, s0, s0 + len(text))
        parts = own_parts
        if prev_parts:
            starts = [int(a["start"]) - s0 for a in _sentence_actors(records, sid, s0, s0 + len(text))]
            if _refers_back(text, starts):
                parts = "|".join(sorted(set(own_parts.split("|") + prev_parts.split("|")) - {""}))
        fmt = _format(text)
        found = analyse_sentence(text, anchor, aprec, context_series)
        named = named_series(text)
        if named:
            context_series = named[-1][1]
        prev_parts = _participants(records, sid, s0, s0 + len(text), CARRIED_PARTICIPANT_EXCLUDE)
        for x in found:
            te = x.te
            rows.append({
                "doc_id": doc_id, "sentence_id": sid, "start": s0, "end": int(r.end),
                "trigger_start": s0 + x.trig_s, "trigger_end": s0 + x.trig_e, "trigger": x.trigger,
                "kind": x.kind, "series": x.series,
                "round_number": x.round_number if x.round_number is not None else pd.NA,
                "status": x.status,
                "date": te.iso() if te else "",
                "date_end": iso_date(te.date_end, te.precision) if te and iso_date(te.date_end, te.precision) != te.iso() else "",
                "date_precision": te.precision if te else "",
                "date_as_stated": te.surface if te else "",
                "date_basis": _date_basis(te),
                "format": fmt if x.kind in ("dialogue_round", "commission_meeting") else "",
                "participants": parts, "outcome": x.outcome, "topic": x.topic,
                "completed": x.completed, "published": pub, "evidence": text,
            })
        troops += _troop_levels(doc_id, sid, s0, text, anchor, aprec, pub)
    keep = _resolve_topicless(rows)
    mentions = frame_from_records(rows, MENTION_COLUMNS)
    if len(keep) < len(rows):
        mentions = mentions.iloc[keep].reset_index(drop=True)
    tl = frame_from_records(troops, TROOP_COLUMNS)
    return {"milestone_mentions": mentions, "troop_levels": tl}


def _date_basis(te: TimeExpr | None) -> str:
    """stated in sentence | resolved relative ('الخميس', 'الماضي') | vague relative ('قبل أيام')."""
    if te is None:
        return ""
    if not te.relative:
        return "stated in sentence"
    surf = normalize(te.surface).text
    vague = re.search(r"(?:قبل|منذ|بعد|خلال)\s+(?:بضعه\s+|عده\s+)?(?:ايام|اسابيع|اشهر|شهور|سنوات|اعوام|فتره)", surf) \
        or surf in ("مؤخرا", "قريبا", "حاليا")
    named = not vague
    return "resolved relative" if named else "vague relative"


def _resolve_topicless(rows: list[dict]) -> list[int]:
    """Agreement/announcement mentions without a topic term ('توصلنا إلى اتفاق') are kept
    only if the same document has a topic-bearing mention of that kind (they refer back to
    it and take its topic); otherwise they are dropped. ``rows``: one document's mention
    rows, in order; the topics taken are written into them. Returns the positions of the
    rows kept (all of them, in order, when there is nothing to resolve). Done on the rows
    before they become a frame: the frame of the updated rows, cut to these positions, is
    the one the earlier version got by setting the column and cutting the frame (checked
    on the benchmark corpora, and by ``tests/test_milestones.py``)."""
    kinds = [r["kind"] for r in rows]
    topics = [r["topic"] for r in rows]
    starts = [r["start"] for r in rows]
    if not any(k in ("agreement", "announcement") and not t for k, t in zip(kinds, topics)):
        return list(range(len(rows)))    # nothing to resolve
    keep = []
    for i in range(len(rows)):
        if kinds[i] in ("agreement", "announcement") and not topics[i]:
            # nearest topic-bearing mention of the same kind (the first one on a tie); a
            # topic filled in here counts for later rows
            same = [j for j in range(len(rows)) if kinds[j] == kinds[i] and topics[j] != ""]
            if not same:
                continue
            j = min(same, key=lambda j: (abs(starts[j] - starts[i]), j))
            topics[i] = rows[i]["topic"] = topics[j]
        keep.append(i)
    return keep


# ----------------------------------------------------------------------------------------
# troop levels
# ----------------------------------------------------------------------------------------
@lru_cache(maxsize=1)
def _noun_units() -> dict[str, str]:
    return {norm(a): v for a, v in _troop_alias_values("noun")}


def _troop_levels(doc_id, sid, s0, text, anchor, aprec, pub) -> list[dict]:
    lex = load_lexicon()
    noun_units = _noun_units()
    out = []
    qs = quantities(text)
    if not qs:
        return out
    nt = normalize(text)
    excl = list(lex.troop["exclude"].finditer_normalized(nt))
    hist = list(lex.troop["historical"].finditer_normalized(nt))
    forces = list(lex.troop["force"].finditer_normalized(nt))
    countries = list(lex.troop["country"].finditer_normalized(nt))
    attrib = list(lex.troop["attribution"].finditer_normalized(nt))
    non_troop = list(lex.troop["non_troop"].finditer_normalized(nt)) if "non_troop" in lex.troop else []
    tes = None
    last = None   # (quantity, unit, force) of the previous troop figure of the sentence
    for qi, q in enumerate(qs):
        noun = norm(q.noun)
        unit = noun_units.get(noun) or noun_units.get(re.sub(r"^ال", "", noun))
        carried = None
        if not unit and not noun and last is not None and qs[qi - 1] is last[0]:
            carried = _carried_country(text, last[0].end, q, countries)
            if carried is None:
                continue
            unit = last[1]
        if not unit:
            continue
        # casualties: 'قتل 13 جندياً', 'إصابة نحو 110 جندياً', and after the figure in the
        # same clause: 'خمسة من أفراد الخدمة … أصيبوا في الهجوم'
        if any(0 <= q.start - x.end <= 60 and not re.search(r"[.؛،,]", text[x.end:q.start]) for x in excl):
            continue
        if any(0 <= x.start - q.end <= 60 and not re.search(r"[.؛،,:\"“”«»]", text[q.end:x.start]) for x in excl):
            continue
        # not US/coalition forces: 'عناصر الميليشيات', 'عنصراً من الفصائل', '… مدنيين'
        if any(0 <= x.start - q.end <= 6 and re.fullmatch(r"\s*(?:من\s*)?", text[q.end:x.start]) for x in non_troop):
            continue
        if carried is not None:
            force, country = last[2], carried
        else:
            # force: nearest force term before the figure, else after
            before = [f for f in forces if f.end <= q.start]
            after = [f for f in forces if f.start >= q.end and f.start - q.end <= 40]
            force = before[-1].key if before else (after[0].key if after else "")
            # country: 'في العراق' right after, else right before; a country past a clause
            # break ('… عسكري أميركي، وفي سوريا نحو 900') is another figure's
            country = ""
            aft = [c for c in countries if 0 <= c.start - q.end <= 40]
            bef = [c for c in countries if 0 <= q.start - c.end <= 40]
            brk = re.compile(r"[،,؛;]")
            aft_close = [c for c in aft if not brk.search(text[q.end:c.start])]
            bef_close = [c for c in bef if not brk.search(text[c.end:q.start])]
            if aft_close:
                country = aft_close[0].key
            elif bef_close:
                country = bef_close[-1].key
            elif aft:
                country = aft[0].key
            elif bef:
                country = bef[-1].key
        if tes is None:
            tes = time_expressions(text, anchor, aprec)
        # the figure's date: a date earlier in the sentence ('في يناير 2020 … آنذاك 5 آلاف')
        # or right after the figure ('… جندي بحلول أيلول 2025'); not one in a later clause
        near = [x for x in tes if x.end <= q.start or 0 <= x.start - q.end <= 25]
        near.sort(key=lambda x: min(abs(x.start - q.end), abs(q.start - x.end)))
        te = near[0] if near else None
        if hist:
            basis = "historical"
        elif te is not None:
            basis = "stated in sentence"
        else:
            basis = "article date"
        if te is not None and basis != "article date":
            date, prec = te.iso(), te.precision
        elif basis == "article date" and anchor is not None:
            date, prec = pub[:10], aprec
        else:
            date, prec = "", ""
        claimed = ""
        for a in attrib:  # 'حسب تقرير The Washington Post'
            tail = text[a.end:_clause_end(text, a.end)].strip(" :\"“”«»،,")
            claimed = tail[:80]
            break
        out.append({
            "troop_id": "", "doc_id": doc_id, "sentence_id": sid,
            "start": s0 + q.start, "end": s0 + q.end, "evidence": text, "surface": q.surface,
            "value": q.value, "value_max": q.value_max if q.value_max is not None else pd.NA,
            "qualifier": q.qualifier, "unit": unit, "country": country, "force": force,
            "date": date, "date_precision": prec, "date_basis": basis, "claimed_by_source": claimed,
        })
        last = (q, unit, force)
    return out


def _carried_country(text: str, prev_end: int, q: Qty, countries) -> str | None:
    """A bare figure coordinated with the previous troop figure takes its unit and force:
    '2500 جندي في العراق و900 في سوريا', '… ونحو 900 في سوريا', '… عسكري أميركي، وفي
    سوريا نحو 900'. The bare figure needs its own country (right after it: 'و900 في سوريا';
    or between the و and the figure: 'وفي سوريا نحو 900'); returns that country, or None when
    the figure is not such a coordinate. At most four words (the first figure's own
    complements) and one comma may separate the two figures."""
    m = re.search(r"[\d٠-٩]", q.surface)
    num_start = q.start + (m.start() if m else 0)
    pre = text[prev_end:num_start]
    if re.search(r"[.!?؟؛;:]", pre) or len(pre) > 70:
        return None
    word = r"[^\s\d٠-٩.،,؛;:!?؟]+"
    tail = text[q.end:q.end + 40]
    # 'و900 في سوريا' / 'ونحو 900 في سوريا'
    if re.fullmatch(rf"(?:\s+{word}){{0,4}}\s*[،,]?\s*و\s*(?:{word}\s+){{0,2}}", pre):
        mm = re.match(r"\s*(?:في|ب)\s*", tail)
        if mm:
            c = [x for x in countries if x.start == q.end + mm.end()]
            if c:
                return c[0].key
    # 'وفي سوريا نحو 900' (followed by a break or a preposition, not by another noun)
    mm = re.fullmatch(rf"(?:\s+{word}){{0,4}}\s*[،,]?\s*و\s*(?:في|ب)\s*(?P<c>{word}(?:\s+{word})?)\s+(?:{word}\s+){{0,2}}", pre)
    if mm and re.match(r"\s*(?:$|[.،,؛;:!?؟]|(?:في|ضمن|من)\s)", tail):
        cs, ce = prev_end + mm.start("c"), prev_end + mm.end("c")
        c = [x for x in countries if cs <= x.start < ce]
        if c:
            return c[0].key
    return None


# ----------------------------------------------------------------------------------------
# merging
# ----------------------------------------------------------------------------------------
@lru_cache(maxsize=65536)
def _bounds(date: str, date_end: str = "", precision: str = "") -> tuple[dt.date, dt.date] | None:
    """First and last day covered by an ISO date ('2021', '2021-04', '2021-04-07') and an
    optional ISO end ('2023-08-07' … '2023-08-08'; 'period' precision)."""
    def one(x: str):
        a, p = parse_anchor(x)
        if a is None:
            return None
        return _interval(a.year, a.month if p in ("month", "day") else None, a.day if p == "day" else None)[:2]
    if not date or (isinstance(date, float) and pd.isna(date)):
        return None
    x = one(str(date))
    if x is None:
        return None
    lo, hi = x
    if date_end and not (isinstance(date_end, float) and pd.isna(date_end)):
        y = one(str(date_end))
        if y is not None:
            hi = y[1]
    return lo, hi


def dates_compatible(a: tuple[str, str, str], b: tuple[str, str, str], tol: int = DATE_TOLERANCE_DAYS) -> bool:
    """Do two stated dates (date, date_end, precision) describe the same time? Their
    intervals overlap once widened by ``tol`` days ("April 2021" ~ "2021-04-07";
    "2021" ~ "2021-12-31"; "2021-04-03" !~ "2021-04-07")."""
    x, y = _bounds(*a), _bounds(*b)
    if x is None or y is None:
        return False
    t = dt.timedelta(days=tol if a[2] == "day" and b[2] == "day" else 0)
    return x[0] - t <= y[1] and y[0] - t <= x[1]


def _topics_ok(a: str, b: str) -> bool:
    return not a or not b or a == b


def _cluster_candidate_pairs(clusters: list[dict]) -> Iterator[tuple[int, int]]:
    """The pairs of clusters that can merge across documents, found without comparing every
    pair: same kind and series, and either the same round number (each cluster linked to one
    cluster of another document with that round: the same groups as all pairs, since such pairs
    always merge) or stated dates whose intervals (widened by the date tolerance) overlap.
    :func:`merge_milestones` still applies its exact test to each pair it needs. Pairs are
    yielded as found (a pair may come twice), never held all at once: a date window told by
    many documents gives many pairs."""
    tol = DATE_TOLERANCE_DAYS
    blocks: dict[tuple, array] = {}
    for i in range(len(clusters)):
        c = clusters[i]
        blocks.setdefault((c["kind"], c["series"]), array("i")).append(i)
    for members in blocks.values():
        by_round: dict[int, list[int]] = {}
        starts, ends, ids = array("q"), array("q"), array("q")   # widened date spans, day ordinals
        for i in members:
            c = clusters[i]
            if c["round"] is not None:
                by_round.setdefault(c["round"], []).append(i)
            bounds = [b for b in (_bounds(*d) for d in c["dates"]) if b is not None]
            if bounds:
                starts.append(min(b[0] for b in bounds).toordinal() - tol)
                ends.append(max(b[1] for b in bounds).toordinal() + tol)
                ids.append(i)
        for rids in by_round.values():
            # same round, different documents: always merged; a round told by two or more
            # documents is one connected group, so chaining every cluster to the first one of
            # another document gives the same groups as linking every pair
            for i in rids:
                other = next((j for j in rids if not clusters[j]["docs"] & clusters[i]["docs"]), None)
                if other is not None:
                    yield min(i, other), max(i, other)
        del by_round
        yield from sweep_pairs(starts, ends, ids)


def merge_milestones(mentions: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Cluster milestone mentions into milestones.

    Rule (general, no special cases):

    1. Inside a document, mentions are read in text order. A mention joins a cluster of the
       same ``kind`` and ``series`` when (a) both carry the same round number, or (b) its
       stated date is compatible with the cluster's (:func:`dates_compatible`) and topics do
       not conflict and round numbers do not conflict, or (c) it has neither a round nor a
       date: it then joins the nearest preceding cluster of that kind/series (else the
       nearest following one).
    2. Across documents, clusters of the same kind/series merge when they carry the same
       round number, or when neither round conflicts and both have stated dates that are
       compatible and topics that do not conflict. Clusters with neither round nor date stay
       separate (nothing links them safely).

    The milestone's date is the most precise stated date (ties: most frequent, then
    earliest); every distinct stated date is listed in ``dates_reported`` and
    ``date_disagreement`` is true when two of them are not compatible.
    """
    if mentions is None or mentions.empty:
        return {"milestones": pd.DataFrame(columns=MILESTONE_COLUMNS),
                "milestone_sources": pd.DataFrame(columns=SOURCE_COLUMNS)}
    m = mention_frame(mentions)
    m = m.sort_values(list(MENTION_ORDER)).reset_index(drop=True)
    # --- step 1: per document
    starts = m["start"].tolist()
    recs = records(m)                 # rows as dicts (recs[i] is m.loc[i]; NA -> None)
    by_doc: dict = {}                 # doc_id -> row positions, in order (groupby(sort=False))
    for i, doc in enumerate(m["doc_id"].tolist()):
        if not pd.isna(doc):          # groupby leaves out a missing key
            by_doc.setdefault(doc, []).append(i)
    clusters = doc_clusters(recs, starts, by_doc)
    # --- step 2: across documents
    groups = cluster_groups(clusters)
    ms_rows, src_rows = [], []
    rows = list(m.itertuples())      # one pass over the table; rows[j] is m.loc[j] (RangeIndex)
    for members in groups:
        idx = group_rows(clusters, members, lambda j: (rows[j].pubkey, rows[j].doc_id, rows[j].start))
        ms_row, srcs = milestone_row([rows[j] for j in idx])
        ms_rows.append(ms_row)
        src_rows += srcs
    return milestone_frames(ms_rows, src_rows)


#: order of the mentions before clustering (``sort_values``: a stable multi-key sort)
MENTION_ORDER = ("pubkey", "doc_id", "start", "trigger_start", "kind", "series")
#: the fields the clustering reads (the streamed merge keeps only these in memory)
CLUSTER_FIELDS = ("doc_id", "pubkey", "start", "round_number", "date", "date_end", "date_precision",
                  "date_basis", "kind", "series", "topic", "status")
#: final sort keys (ties keep group order)
MILESTONE_ORDER = ("_sort", "kind", "milestone_id")
MS_SOURCE_ORDER = ("milestone_id", "doc_id", "start", "trigger")


def mention_frame(mentions: pd.DataFrame) -> pd.DataFrame:
    """The mentions with the ``pubkey`` (and, if absent, ``completed``) column the merge uses."""
    m = mentions.copy().reset_index(drop=True)
    m["pubkey"] = m["published"].fillna("").astype(str)
    if "completed" not in m:
        m["completed"] = False
    return m


def _rnd(v):
    return None if v is None or pd.isna(v) else int(v)


def doc_clusters(recs, starts, by_doc: dict) -> list[dict]:
    """Step 1 of :func:`merge_milestones`: each document's mentions (row positions in
    order, ``by_doc``) clustered; ``recs[i]`` needs only :data:`CLUSTER_FIELDS`."""
    rnd = _rnd
    clusters: list[dict] = []
    for doc_id, positions in by_doc.items():
        local: list[dict] = []
        pending: list[int] = []
        for i in positions:
            row = recs[i]
            r, d = rnd(row["round_number"]), (row["date"], row["date_end"], row["date_precision"])
            if row.get("date_basis", "") == "vague relative":
                row = dict(row)
                row["date"] = ""  # 'قبل أيام' does not identify an event; clustered as undated
            target = None
            cands = [c for c in local if c["kind"] == row["kind"] and c["series"] == row["series"]]
            if r is not None:
                target = next((c for c in cands if c["round"] == r), None)
                if target is None:
                    target = next((c for c in cands if c["round"] is None and c["dates"]
                                   and any(dates_compatible(d, x) for x in c["dates"])
                                   and _topics_ok(c["topic"], row["topic"])), None)
            elif row["date"]:
                target = next((c for c in cands if c["dates"] and any(dates_compatible(d, x) for x in c["dates"])
                               and _topics_ok(c["topic"], row["topic"])), None)
                if target is None and row["status"] == "planned" and row["kind"] != "deadline":
                    # a rescheduled plan is still the same plan (its dates are all listed)
                    target = next((c for c in cands if c["planned"] and c["round"] is None), None)
            else:
                if cands:
                    ok = [c for c in cands if _topics_ok(c["topic"], row["topic"])] or cands
                    target = max(ok, key=lambda c: max(starts[j] for j in c["rows"]))
                else:
                    pending.append(i)
                    continue
            if target is None:
                target = {"kind": row["kind"], "series": row["series"], "round": r, "dates": [],
                          "topic": row["topic"], "rows": [], "docs": {doc_id}, "planned": False}
                local.append(target)
            _add(target, i, row)
        for i in pending:  # undated, unnumbered mentions before any cluster of their kind
            row = recs[i]
            cands = [c for c in local if c["kind"] == row["kind"] and c["series"] == row["series"]
                     and _topics_ok(c["topic"], row["topic"])]
            if cands:
                after = [c for c in cands if min(starts[j] for j in c["rows"]) > row["start"]]
                target = after[0] if after else cands[-1]
            else:
                target = {"kind": row["kind"], "series": row["series"], "round": None, "dates": [],
                          "topic": row["topic"], "rows": [], "docs": {doc_id}, "planned": False}
                local.append(target)
            _add(target, i, row)
        clusters += local
    return clusters


def _same_milestone(ca, cb) -> bool:
    """Two per-document clusters tell the same milestone (step 2 of :func:`merge_milestones`)."""
    if ca["docs"] & cb["docs"]:
        return False
    if ca["round"] is not None and cb["round"] is not None:
        return ca["round"] == cb["round"]
    return bool(ca["dates"] and cb["dates"] and _topics_ok(ca["topic"], cb["topic"])
                and any(dates_compatible(x, y) for x in ca["dates"] for y in cb["dates"]))


def _cluster_class(c) -> dict:
    """A cluster without its document: the fields :func:`_same_milestone` and
    :func:`_cluster_candidate_pairs` read, and no document to share."""
    return {"kind": c["kind"], "series": c["series"], "round": c["round"], "dates": c["dates"],
            "topic": c["topic"], "docs": frozenset()}


class _NodeClusters:
    """The clusters :func:`cluster_groups` links, one per node, made when read (a list of
    them would hold an object per node): a collapsed class's node reads as the class without
    its documents (:func:`_cluster_class`), any other node as its cluster."""

    __slots__ = ("clusters", "nodes", "members")

    def __init__(self, clusters, nodes: list[int], members: dict[int, list[int]]):
        self.clusters, self.nodes, self.members = clusters, nodes, members

    def __len__(self) -> int:
        return len(self.nodes)

    def __getitem__(self, k: int):
        i = self.nodes[k]
        return _cluster_class(self.clusters[i]) if i in self.members else self.clusters[i]


def cluster_groups(clusters: list[dict]) -> Groups:
    """Step 2 of :func:`merge_milestones`: clusters merged across documents.

    Clusters with the same kind, series, round, set of dates and topic answer
    :func:`_same_milestone` alike except for their documents. When such a class spans two
    or more documents and its fields match themselves, every member is linked to every
    member of another document, so the class is one milestone whatever else links; it is
    linked as one node without a document (a member of another document than any given
    cluster always exists), which gives the groups of linking every pair
    (:func:`iraqkit.grouping.collapse_classes`)."""
    def key(i):
        c = clusters[i]
        return (c["kind"], c["series"], c["round"], frozenset(c["dates"]), c["topic"])

    def connected(cls):
        docs = {d for i in cls for d in clusters[i]["docs"]}
        proxy = _cluster_class(clusters[cls[0]])
        return len(docs) > 1 and _same_milestone(proxy, proxy)

    nodes, members = collapse_classes(range(len(clusters)), key, connected)
    node_clusters = _NodeClusters(clusters, nodes, members)
    groups = linked_groups(len(nodes), _cluster_candidate_pairs(node_clusters),
                           lambda a, b: _same_milestone(node_clusters[a], node_clusters[b]))
    return expand_groups(len(clusters), ([nodes[k] for k in g] for g in groups), members)


def group_rows(clusters: list[dict], members: list[int], key) -> list[int]:
    """A milestone's row positions in source order (``key(j)``: pubkey, doc_id, start)."""
    return sorted({j for c in members for j in clusters[c]["rows"]}, key=key)


class MilestoneFold:
    """:func:`milestone_row` one mention at a time, in group order: ``add(row)`` (an
    ``itertuples`` row) returns the mention's ``milestone_sources`` row, ``row()`` the
    milestone. What the milestone needs of its mentions is kept as running choices, counts
    and sets of distinct values, not the mentions themselves (the largest milestone of the
    1 GB synthetic corpus is told by about 110,000 documents)."""

    _PREC_RANK = {"day": 0, "month": 1, "year": 2}

    def __init__(self):
        self.n = 0
        self.first = None
        self.mid = ""
        self.rounds: set[int] = set()
        self.date_counts: Counter = Counter()
        self.date_first: dict[tuple, tuple] = {}   # (date, precision) -> (first position, date_end)
        self.reported: set[tuple] = set()
        self.fmts: set = set()
        self.parts: set = set()
        self.outcome = None                       # [key, outcome] of the preferred mention
        self.topics: Counter = Counter()
        self.statuses: set = set()
        self.completed = False
        self.pub_min = self.pub_max = None
        self.docs: set = set()

    def add(self, r) -> dict:
        k = self.n
        if k == 0:
            self.first = r
            self.mid = "ms_" + hashlib.sha1(
                f"{r.doc_id}|{r.start}|{r.trigger_start}|{r.kind}|{r.series}".encode("utf-8")).hexdigest()[:10]
        self.n += 1
        no_round = pd.isna(r.round_number)
        if not no_round:
            self.rounds.add(int(r.round_number))
        if r.date != "":
            self.date_counts[r.date] += 1
            self.date_first.setdefault((r.date, r.date_precision), (k, r.date_end))
            self.reported.add((r.date, r.date_end, r.date_precision))
        if r.format:
            self.fmts.add(r.format)
        self.parts.update(p for p in str(r.participants).split("|") if p)
        if r.outcome:  # prefer a held mention that names the round, then text order
            key = (r.status != "held", no_round, r.pubkey, r.doc_id, r.start)
            if self.outcome is None or key < self.outcome[0]:
                self.outcome = [key, r.outcome]
        if r.topic:
            self.topics[r.topic] += 1
        self.statuses.add(r.status)
        self.completed = self.completed or bool(r.completed)
        if r.pubkey:
            self.pub_min = r.pubkey if self.pub_min is None else min(self.pub_min, r.pubkey)
            self.pub_max = r.pubkey if self.pub_max is None else max(self.pub_max, r.pubkey)
        self.docs.add(r.doc_id)
        return {
            "milestone_id": self.mid, "doc_id": r.doc_id, "sentence_id": r.sentence_id,
            "start": int(r.start), "end": int(r.end), "trigger": r.trigger, "kind": r.kind,
            "status": r.status, "date_as_stated": r.date_as_stated, "date": r.date,
            "date_precision": r.date_precision, "published": r.published, "evidence": r.evidence,
        }

    def row(self) -> dict:
        first = self.first
        if self.date_first:
            # the most precise date, then the most frequent, then the earliest; among equals
            # the first mention
            (date, prec), (_, date_end) = min(
                self.date_first.items(),
                key=lambda kv: (self._PREC_RANK.get(kv[0][1], 3), -self.date_counts[kv[0][0]], kv[0][0], kv[1][0]))
        else:
            date = date_end = prec = ""
        reported = sorted(self.reported)
        disagreement = any(not dates_compatible(x, y) for x in reported for y in reported)
        rounds = sorted(self.rounds)
        topics = self.topics
        return {
            "milestone_id": self.mid, "kind": first.kind, "series": first.series,
            "round_number": rounds[0] if len(rounds) == 1 else ("|".join(map(str, rounds)) if rounds else pd.NA),
            "status": "held" if "held" in self.statuses else "planned",
            "date": date, "date_end": date_end, "date_precision": prec,
            "dates_reported": "|".join(x[0] + (f"/{x[1]}" if x[1] else "") for x in reported),
            "date_disagreement": bool(disagreement),
            "format": "|".join(sorted(self.fmts)), "participants": "|".join(sorted(self.parts)),
            "outcome": self.outcome[1] if self.outcome else "",
            "topic": max(topics, key=lambda t: (topics[t], t)) if topics else "",
            "completed": self.completed,
            "n_sources": self.n, "doc_ids": "|".join(sorted(self.docs)),
            "first_reported": self.pub_min or "", "last_reported": self.pub_max or "",
            "doc_id": first.doc_id, "start": int(first.start), "end": int(first.end),
            "evidence": first.evidence,
        }


def milestone_row(sub: list) -> tuple[dict, list[dict]]:
    """One milestone and its ``milestone_sources`` rows from its mention rows (itertuples),
    merged by :class:`MilestoneFold`."""
    fold = MilestoneFold()
    srcs = [fold.add(r) for r in sub]
    return fold.row(), srcs


def milestone_frames(ms_rows: list[dict], src_rows: list[dict]) -> dict[str, pd.DataFrame]:
    """The two tables from the merged rows (in group order), sorted."""
    ms = pd.DataFrame(ms_rows, columns=MILESTONE_COLUMNS)
    ms["_sort"] = ms["date"].replace("", "9999")
    ms = ms.sort_values(list(MILESTONE_ORDER)).drop(columns="_sort").reset_index(drop=True)
    src = pd.DataFrame(src_rows, columns=SOURCE_COLUMNS).sort_values(list(MS_SOURCE_ORDER)).reset_index(drop=True)
    return {"milestones": ms, "milestone_sources": src}


def _add(cluster: dict, i: int, row) -> None:
    cluster["rows"].append(i)
    if row["status"] == "planned" and row["date"]:
        cluster["planned"] = True
    if row["date"]:
        cluster["dates"].append((row["date"], row["date_end"], row["date_precision"]))
    if cluster["round"] is None and row["round_number"] is not None and not pd.isna(row["round_number"]):
        cluster["round"] = int(row["round_number"])
    if not cluster["topic"] and row["topic"]:
        cluster["topic"] = row["topic"]


# ----------------------------------------------------------------------------------------
# deadline status
# ----------------------------------------------------------------------------------------
def deadline_status(milestones: pd.DataFrame, troop_levels: pd.DataFrame | None = None,
                    as_of: str | None = None) -> pd.DataFrame:
    """Set each deadline against what the other milestones (and troop levels) report.

    For a deadline with end date E (the last day of its stated interval), topic T, first
    reported on P:

    * **met** — a held (not planned) announcement on topic T whose sentence reports
      completion (``completion`` words: أنهت، انتهاء، انسحبت …), dated from a year before E
      up to E + ``DEADLINE_GRACE_DAYS``;
    * **moved** — another deadline on topic T whose end date differs from E by more than
      ``DEADLINE_GRACE_DAYS`` and that was first reported later than P (a newer date for the
      same promise);
    * **contradicted** — for a withdrawal promise: a troop level of the same force in Iraq
      dated (or reported) after E;
    * **pending** — no such evidence and E is after ``as_of`` (default: the latest
      publication date among the milestones' sources);
    * **unknown** — no such evidence and E has passed.

    Precedence: met, then contradicted, then moved, then pending/unknown. The row names the
    evidence milestone (or troop row) so a reader can check it.
    """
    cols = STATUS_COLUMNS
    if milestones is None or milestones.empty:
        return pd.DataFrame(columns=cols)
    ms = milestones.copy()
    if as_of is None:
        pubs = [p for p in ms.get("last_reported", pd.Series(dtype=str)).fillna("") if p]
        as_of = max(pubs) if pubs else max((d for d in ms["date"] if d), default="")
    as_of_d = _bounds(as_of, "", "day" if len(as_of) == 10 else ("month" if len(as_of) == 7 else "year"))
    as_of_end = as_of_d[1] if as_of_d else None
    rows = []
    deadlines = ms[ms["kind"] == "deadline"]
    for d in deadlines.itertuples():
        b = _bounds(d.date, d.date_end, d.date_precision)
        if b is None:
            continue
        E = b[1]
        grace = dt.timedelta(days=DEADLINE_GRACE_DAYS)
        status, rule, ev = "", "", None
        # met: an announcement that the thing was done, on the same topic, dated within the
        # year before the deadline or its grace period
        done = ms[(ms["kind"] == "announcement") & (ms["status"] == "held") & (ms["topic"] == d.topic)]
        if "completed" in done:
            done = done[done["completed"].astype(bool)]
        for a in done.itertuples():
            ab = _bounds(a.date, a.date_end, a.date_precision)
            if ab and E - dt.timedelta(days=365) <= ab[0] <= E + grace:
                status, rule, ev = "met", "announcement of completion on the same topic dated by the deadline", a
                break
        # contradicted
        if not status and d.topic == "withdrawal" and troop_levels is not None and len(troop_levels):
            for t in troop_levels.itertuples():
                tb = _bounds(str(t.date), "", str(t.date_precision)) if t.date else None
                if t.country == "Iraq" and tb and tb[0] > E:
                    status, rule = "contradicted", "troops reported in Iraq after the withdrawal deadline"
                    ev = t
                    break
        # moved
        if not status:
            for o in deadlines.itertuples():
                if o.milestone_id == d.milestone_id or o.topic != d.topic:
                    continue
                ob = _bounds(o.date, o.date_end, o.date_precision)
                if ob and abs((ob[1] - E).days) > DEADLINE_GRACE_DAYS and str(o.first_reported) > str(d.first_reported):
                    status, rule, ev = "moved", "a later-reported deadline on the same topic with another date", o
                    break
        if not status:
            if as_of_end is not None and E > as_of_end:
                status, rule = "pending", "deadline after the latest source date; no evidence yet"
            else:
                status, rule = "unknown", "deadline passed; no source reports the outcome"
        rows.append({
            "milestone_id": d.milestone_id, "deadline_date": E.isoformat() if d.date_precision in ("day", "period") else d.date, "date_precision": d.date_precision,
            "topic": d.topic, "status": status, "rule": rule,
            "evidence_milestone_id": getattr(ev, "milestone_id", getattr(ev, "troop_id", "")) if ev is not None else "",
            "evidence_doc_id": ev.doc_id if ev is not None else "",
            "evidence_start": int(ev.start) if ev is not None else pd.NA,
            "evidence_end": int(ev.end) if ev is not None else pd.NA,
            "evidence": ev.evidence if ev is not None else "",
            "doc_id": d.doc_id, "start": d.start, "end": d.end, "outcome": d.outcome,
        })
    return pd.DataFrame(rows, columns=cols).sort_values(["deadline_date", "milestone_id"]).reset_index(drop=True)


# ----------------------------------------------------------------------------------------
# stage
# ----------------------------------------------------------------------------------------
def run_stage(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Milestones stage: per-document extraction, cross-document merge, deadline status."""
    sentences = tables["sentences"]
    documents = tables.get("documents")
    mentions_df = tables.get("mentions")
    pub = {}
    if documents is not None and len(documents):
        for r in documents.itertuples(index=False):
            p = getattr(r, "published", "")
            pub[r.doc_id] = "" if p is None or (not isinstance(p, str) and pd.isna(p)) else str(p)
    mention_frames, troop_frames = [], []
    for doc_id in sorted(sentences["doc_id"].unique()):
        sdf = sentences[sentences["doc_id"] == doc_id]
        mdf = mentions_df[mentions_df["doc_id"] == doc_id] if mentions_df is not None and len(mentions_df) else None
        res = extract_doc(doc_id, pub.get(doc_id, ""), sdf, mdf)
        mention_frames.append(res["milestone_mentions"])
        troop_frames.append(res["troop_levels"])
    return finish(pd.concat(mention_frames, ignore_index=True) if mention_frames else None,
                  pd.concat(troop_frames, ignore_index=True) if troop_frames else None)


def troop_ids(troops: pd.DataFrame) -> list[str]:
    """The stable ``troop_id`` of each troop-level row (from ``doc_id``, ``start``, ``end``)."""
    return [f"tl_{hashlib.sha1(f'{r.doc_id}|{r.start}|{r.end}'.encode()).hexdigest()[:10]}"
            for r in troops.itertuples()]


def finish(mentions: pd.DataFrame | None, troops: pd.DataFrame | None) -> dict[str, pd.DataFrame]:
    """The cross-document step on the concatenated per-document results (None when there
    were none): merge milestones across articles, number the troop levels, set deadlines
    against the rest. Used by :func:`run_stage` and by the streaming engine."""
    merged = merge_milestones(pd.DataFrame(columns=MENTION_COLUMNS) if mentions is None else mentions)
    troops = pd.DataFrame(columns=TROOP_COLUMNS) if troops is None else troops
    troops = troops.sort_values(["doc_id", "start", "end"]).reset_index(drop=True)
    troops["troop_id"] = troop_ids(troops)
    status = deadline_status(merged["milestones"], troops)
    return {"milestones": merged["milestones"], "milestone_sources": merged["milestone_sources"],
            "troop_levels": troops, "deadline_status": status}
