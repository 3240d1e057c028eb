"""Attacks stage: incidents, aggregate claims and threats, extracted from sentences.

Each row of ``attacks`` is one **incident** (one attack on a day or in a stated window), one
**aggregate** claim (a count of attacks over a period, with its source; sub-counts point to
their parent with ``parent_event_id``) or one **threat** (a threat, demand, expectation,
hypothetical or denial about attacks — kept apart, never counted as an attack).

Everything comes out of the text with provenance: ``doc_id``, ``start``/``end`` into the
original file and the verbatim evidence sentence. Curated knowledge lives in data files:
``data/gazetteers/places.csv`` (places with coordinates, a source per row),
``data/lexicons/weapons.csv`` (weapon → ACLED event/sub-event type) and
``data/lexicons/attack_*.csv`` (triggers, threat/denial cues, source cues, target nouns,
place exclusions).

Rules (each tested in ``tests/test_attacks.py``):

1. A sentence is a candidate when it holds an attack trigger (``attack_triggers.csv``).
2. A trigger preceded (within a few words) by a threat/future/expectation/hypothetical/
   demand/denial cue (``attack_cues.csv``) — ``ستوجه ضربات``، ``هددت``، ``من المتوقع
   استئناف الهجمات``، ``لم تستهدف``، ``في حال`` — makes a ``threat`` row, not an incident.
   ``قد`` counts only before an imperfect verb (``قد تواجه``), not before a perfect one
   (``وقد تعرضت`` is a fact).
3. A count whose counted noun is an attack noun (``63 هجوماً``، ``أكثر من 200 هجوم``) is an
   ``aggregate``. Counts introduced by ``منها``/``من بينها`` are sub-counts of the count before.
4. Otherwise the sentence is an ``incident`` only if it is anchored: a casualty figure
   (a person count after a kill/injury word), a munition count (``15 صاروخ``), a named victim
   of a killing (``اغتيال … قاسم سليماني``), or a resolved date when the trigger is a single
   attack (singular noun or perfect verb). Plural mentions without a count (``الهجمات``،
   ``استهدافات القواعد``) are background, not rows.
5. Dates come from :mod:`iraqkit.dates` against the article's publication date, plus three
   sentence-context rules here: ``بعد N (ساعة|يوم) من <event>`` (the event is N before the
   date of the previous sentence), ``بعد (أقل من) N ساعة، <event>`` (N after it) and
   ``الشهر/العام نفسه`` (the month/year of the previous sentence's date).
6. Location: gazetteer places in the sentence; places after a locative (في، قرب، ب، على …)
   first, then the most specific kind (base > airport > embassy > zone > city > province >
   region > country), then the nearest to the trigger.
7. Perpetrator/target actors come from the ``mentions`` table of the same sentence when it
   exists (see :func:`_actors_for`); otherwise they stay null.
8. **At most one incident per clause, not per sentence** (:func:`_clauses`). A sentence is split
   at a clause connector — after a comma: فيما، بينما، كما، ثم، بعدما، في حين، رداً على، بعد أن or
   any و-word (``، وفي ظل …``); without a comma: فيما، بينما، في حين، ثم; and و + an attack verb
   (``… واستهدفت …``) — when the parts each hold a trigger of their own. A part without one
   joins the clause before it. Two incident clauses stay apart only if their own dates do not
   overlap, their own places differ (a country/region/province does not differ from a place in
   the same country) or their own weapons differ; otherwise they are one attack told twice
   (``قصفت … وأدى القصف إلى …``: القصف is anaphoric, so there is no second trigger;
   ``قُتل جندي، فيما أصيب ثلاثة آخرون في هجوم …``). No clause starts inside a killing's list of
   named victims (``اغتيال … سليماني، والقيادي … المهندس``). An incident clause next to a threat
   clause gives both rows (``…، ووعيد إيران بالرد``); two threat clauses stay one threat row.
   Threat/denial cues govern only triggers of their own clause.
   Each clause's date, weapon, place, casualties, munitions and victims come from that clause
   only. Fallback to the rest of the sentence is limited to the date: a clause silent on the date
   that opens with a connector of simultaneity (فيما، بينما، في حين، و) takes the date of the
   previous incident clause (``date_rule`` ends in ``+previous_clause``); after كما، ثم، بعدما،
   رداً على nothing is borrowed. A weapon, place or toll is never borrowed from another clause.
   ``evidence`` stays the whole sentence; ``clause_start``/``clause_end`` give the clause (for a
   sentence that is not split, the sentence's span).
9. Context rules used with clauses (they apply to every sentence): an attack noun after a
   demonstrative (``هذا هجوم``، ``وهذا أول هجوم``) refers back, like ``الهجوم``; a date inside a
   ``منذ`` phrase (``منذ تولي الرئيس منصبه في 20 كانون الثاني``) is a reference point, not the
   attack's date; ``بعد يومين من <event>`` counts from an earlier day-precision date of the same
   sentence when there is one (else the previous sentence's, rule 5), and ``بعد ساعات من`` is a
   window of that day and the day before; an indefinite plural (``غارات``، ``ضربات``) with a
   day-precision date of its own clause within 40 characters is one incident (a wave of strikes
   on that day); the verbal noun ``إطلاق`` is a weak verb (an attack only with a weapon named).
10. Casualties (:func:`_casualties`): a person count after a kill/injury word (digits, number
    words, ``ثلاثة من عناصر``، ``واثنان من مرافقيه``); a singular person noun right after the
    kill/injury word counts 1 (``قُتل متعاقد مدني``); counts after the same kill/injury word
    joined by و add up (``قُتل قيادي … واثنان من مرافقيه`` = 3); a subset (``بينهم``) and a
    coordinated bare singular after a number (``13 جندياً ومدنياً``) do not.

Cross-document merging (:func:`merge_events`) is documented there.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import re
import threading
from array import array
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Iterable, Iterator

import pandas as pd

from .arabic import WORD_CHARS, Normalized, TermMatcher, norm, normalize
from .grouping import Groups, collapse_classes, expand_groups, linked_groups, sweep_pairs
from .numbers import COUNTED_NOUNS, Quantity, find_quantities_normalized
from .paths import GAZETTEERS, LEXICONS
from .tables import frame_from_records, itertuples, sort_stable

ATTACK_COLUMNS = [
    "event_id", "doc_id", "sentence_id", "start", "end", "evidence", "kind", "n_attacks", "qualifier",
    "parent_event_id", "killed", "killed_qualifier", "injured", "injured_qualifier",
    "date_start", "date_end", "date_precision", "date_rule", "weapon", "event_type", "sub_event_type",
    "perpetrator_actor_id", "target", "target_actor_id", "location", "place_id", "place_ids",
    "latitude", "longitude", "geo_precision", "claimed_by_source", "victims", "munitions",
    "threat_cue", "n_sources", "clause_start", "clause_end",
]
SOURCE_COLUMNS = ["event_id", "doc_id", "start", "end", "evidence"]

KIND_RANK = {"base": 0, "airport": 1, "embassy": 2, "zone": 3, "city": 4, "province": 5,
             "region": 6, "country": 7}
GEO_PRECISION = {"base": "site", "airport": "site", "embassy": "site", "zone": "zone", "city": "city",
                 "province": "province", "region": "region", "country": "country"}
PRECISION_RANK = {"day": 0, "week": 1, "month": 2, "period": 3, "year": 4}

_WC = "[" + WORD_CHARS + "]"
_TOKEN_RE = re.compile(r"\d+(?:[.,]\d+)*|" + _WC + "+")

ATTACK_NOUN_LEMMAS = {norm(w) for w in ("هجوم", "ضربة", "غارة", "استهداف", "اعتداء")}
MUNITION_LEMMAS = {norm(w) for w in ("صاروخ", "قذيفة", "طائرة", "مسيرة", "عبوة")}
PERSON_LEMMAS = {norm(w) for w in ("جندي", "عسكري", "مدني", "شخص", "عنصر", "فرد", "مقاتل", "ضابط",
                                   "متعاقد", "موظف", "مستشار", "قتيل", "جريح", "مصاب", "أمريكي",
                                   "آخرون")}
KILL_WORDS = {norm(w) for w in ("قتل", "قتلت", "قتلوا", "مقتل", "مصرع", "قتيل", "قتلى", "قتلي", "يقتل",
                                "استشهاد", "اغتيال", "مقتلهم")}
INJURY_WORDS = {norm(w) for w in ("إصابة", "اصابة", "أصيب", "اصيب", "جرح", "جرحى", "إصابات", "اصابات",
                                  "جريح", "يصاب", "بإصابة", "مصابين", "أصيبوا", "أصيبت", "جرحوا")}
#: words that introduce a sub-count of the count before ("63 هجوماً، منها 41 …")
SUBCOUNT_WORDS = {norm(w) for w in ("منها", "منهم", "بينها", "بينهم")}
#: words after a killing trigger that start the description of a named person
TITLE_WORDS = {norm(w) for w in (
    "قائد", "القائد", "رئيس", "زعيم", "القيادي", "قيادي", "الأمين", "امين", "نائب", "مؤسس", "مسؤول",
    "المسؤول", "الجنرال", "اللواء", "العميد", "الشيخ", "أمير", "والقيادي", "وقائد", "ونائب",
    "المتحدث", "مستشار", "القادة", "قادة")}
#: tokens that are never part of a person's name (titles, function words, generic nouns)
NOT_NAME = TITLE_WORDS | {norm(w) for w in (
    "فيلق", "التابع", "في", "من", "على", "عن", "إلى", "الى", "مع", "حركة", "حركه", "المكتب", "السياسي",
    "الولايات", "المتحدة", "الأمريكية", "الحرس", "الثوري", "بضربة", "بضربه", "قرب", "بعد", "قبل",
    "عقب", "إثر", "جنود", "جندي", "جنديين", "عناصر", "العام", "الماضي", "يوم", "أمس", "اليوم",
    "التنظيم", "الميليشيات", "المسلحون", "كتائب", "حزب", "الله", "جماعة", "فصائل", "قوات",
    "الأمر", "بإصداره", "الإيراني", "العراقي", "البارز", "الشعبي", "الحشد", "العام", "لـ")}
LOCATIVES = {norm(w) for w in ("في", "قرب", "على", "داخل", "عند", "شمال", "جنوب", "شرق", "غرب",
                               "بمحافظة", "بمدينة", "مدينة", "محافظة", "قاعدة", "قاعدتي", "بقاعدة",
                               "شمالي", "جنوبي", "شرقي", "غربي", "بالقرب", "ضواحي", "أطراف")}
TEMPORAL_REF = {norm(w) for w in ("بعد", "عقب", "منذ", "إثر", "اثر", "قبل", "أعقاب", "اعقاب")}
SINGLE_ROLES = {"attack_noun", "attack_verb", "killing", "killing_named", "weak_verb"}
#: trigger roles that only ever make a threat row (a vow "توعد بالرد", a denial "نفت أي علاقة
#: بالهجوم"), never an incident or a new event
CUED_ONLY_ROLES = {"retaliation", "anaphor"}
#: denial verbs whose object clause may run further than a negation particle's
DENIAL_VERBS = {norm(w) for w in ("نفى", "نفت", "ينفي", "تنفي", "نفوا")}
DENIAL_VERB_WINDOW = 16
#: "أعلنت … مسؤوليتها عن استهداف …", "تبنت": a claim of responsibility points at one attack
RESPONSIBILITY_RE = re.compile(r"(?<![" + WORD_CHARS + r"])(?:مسووليتها|مسووليته|مسووليتهم|تبنت|تبني|تبنوا)"
                               r"(?![" + WORD_CHARS + r"])")
COUNT_NOUN_TRIGGERS = {norm(w) for w in ("هجوم", "هجوما", "ضربة", "غارة", "تفجير", "انفجار", "كمين")}
#: words that name a site's type at the start of a gazetteer match (قاعدة عين الأسد)
SITE_HEADS = ("قاعده", "مطار", "معسكر", "السفاره", "القنصليه", "حقل", "مدينه", "محافظه", "قضاء")


# --- curated data ----------------------------------------------------------------------------
def _read_csv(path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")


@lru_cache(maxsize=None)
def load_places() -> pd.DataFrame:
    """The place gazetteer (``data/gazetteers/places.csv``)."""
    df = _read_csv(GAZETTEERS / "places.csv")
    df["latitude"] = df["latitude"].astype(float)
    df["longitude"] = df["longitude"].astype(float)
    return df


@lru_cache(maxsize=None)
def _place_info() -> dict[str, dict]:
    """place_id -> the gazetteer row (column -> value): a dict look-up per place, no pandas."""
    df = load_places()
    return {str(r["place_id"]): r for r in df.to_dict("records")}


@lru_cache(maxsize=None)
def _place_matcher() -> TermMatcher:
    terms: list[tuple[str, str]] = []
    for r in _read_csv(LEXICONS / "attack_place_exclusions.csv").itertuples():
        terms.append((r.term, "__skip__"))
    for r in load_places().itertuples():
        for t in [r.name_ar, *r.aliases_ar.split("|")]:
            if t.strip():
                terms.append((t.strip(), r.place_id))
    return TermMatcher(terms)


@lru_cache(maxsize=None)
def load_weapons() -> pd.DataFrame:
    df = _read_csv(LEXICONS / "weapons.csv")
    df["specificity"] = df["specificity"].astype(int)
    return df


@lru_cache(maxsize=None)
def _weapon_matcher() -> TermMatcher:
    terms = []
    for r in load_weapons().itertuples():
        for t in r.aliases_ar.split("|"):
            terms.append((t.strip(), r.weapon))
    return TermMatcher(terms)


@lru_cache(maxsize=None)
def _weapon_info() -> dict[str, tuple[str, str, int]]:
    return {r.weapon: (r.event_type, r.sub_event_type, r.specificity) for r in load_weapons().itertuples()}


@lru_cache(maxsize=None)
def _trigger_matcher() -> TermMatcher:
    return TermMatcher([(r.term, r.role) for r in _read_csv(LEXICONS / "attack_triggers.csv").itertuples()])


@lru_cache(maxsize=None)
def _cues() -> dict[str, tuple[str, str]]:
    """normalised cue -> (category, scope)."""
    return {norm(r.cue): (r.category, r.scope) for r in _read_csv(LEXICONS / "attack_cues.csv").itertuples()}


@lru_cache(maxsize=None)
def _source_cues() -> list[str]:
    return sorted({norm(r.cue) for r in _read_csv(LEXICONS / "attack_sources.csv").itertuples()},
                  key=lambda s: -len(s))


@lru_cache(maxsize=None)
def _target_matcher() -> TermMatcher:
    """Target nouns; the key is the lexicon's own spelling (the matched span may drop a clitic)."""
    return TermMatcher([(r.term, r.term) for r in _read_csv(LEXICONS / "attack_targets.csv").itertuples()])


# --- dates adapter -------------------------------------------------------------------------
def _to_date(v) -> dt.date | None:
    if v is None or v is pd.NA or (isinstance(v, float) and pd.isna(v)) or v == "":
        return None
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    try:
        return dt.date.fromisoformat(str(v)[:10])
    except ValueError:
        return None


@dataclass
class _Time:
    start: int          # sentence-local original offsets
    end: int
    surface: str
    date_start: dt.date | None
    date_end: dt.date | None
    precision: str
    rule: str


def _time_expressions(text: str, anchor: dt.date | None) -> list[_Time]:
    """Adapter over :func:`iraqkit.dates.resolve_time_expressions` (empty if the module is absent)."""
    try:
        from . import dates as dates_mod
    except ImportError:  # pragma: no cover - dates.py is written by another stage
        return []
    fn = getattr(dates_mod, "resolve_time_expressions", None)
    if fn is None:  # pragma: no cover
        return []
    out = []
    for te in fn(text, anchor):
        out.append(_Time(int(te.start), int(te.end), str(getattr(te, "surface", text[te.start:te.end])),
                         _to_date(getattr(te, "date_start", None)), _to_date(getattr(te, "date_end", None)),
                         str(getattr(te, "precision", "") or ""), str(getattr(te, "rule", "") or "")))
    return out


_SAME_PERIOD = re.compile(r"(?:في\s+)?(?:نفس\s+(الشهر|العام|السنه|اليوم|الاسبوع)|"
                          r"(الشهر|العام|السنه|اليوم|الاسبوع)\s+(?:نفسه|ذاته|نفسها|ذاتها))")
_UNIT_DAYS = {"ساعه": 1 / 24, "يوم": 1, "اسبوع": 7, "شهر": 30}


def _same_period(nt: Normalized, prev: _Time | None) -> list[_Time]:
    """'في الشهر نفسه' → the month (year, day …) of the previous sentence's date."""
    out = []
    if prev is None or prev.date_start is None:
        return out
    for m in _SAME_PERIOD.finditer(nt.text):
        unit = m.group(1) or m.group(2)
        d = prev.date_start
        if unit == "الشهر":
            s = d.replace(day=1)
            e = (s + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
            prec = "month"
        elif unit in ("العام", "السنه"):
            s, e, prec = dt.date(d.year, 1, 1), dt.date(d.year, 12, 31), "year"
        elif unit == "الاسبوع":
            s, e, prec = d, d + dt.timedelta(days=6), "week"
        else:
            s, e, prec = d, d, "day"
        a, b = nt.span(m.start(), m.end())
        out.append(_Time(a, b, nt.original[a:b], s, e, prec, "same_period_as_previous_sentence"))
    return out


# --- helpers -------------------------------------------------------------------------------
@dataclass
class _Tok:
    s: int  # normalised offsets
    e: int
    t: str


def _tokens(nt: Normalized) -> list[_Tok]:
    return [_Tok(m.start(), m.end(), m.group(0)) for m in _TOKEN_RE.finditer(nt.text)]


def _norm_index(nt: Normalized, orig_pos: int) -> int:
    """Index in the normalised text of the first character at or after an original offset."""
    lo, hi = 0, len(nt.offsets) - 1
    while lo < hi:
        mid = (lo + hi) // 2
        if nt.offsets[mid] < orig_pos:
            lo = mid + 1
        else:
            hi = mid
    return lo


def _tok_index(toks: list[_Tok], npos: int) -> int:
    for i, t in enumerate(toks):
        if t.e > npos:
            return i
    return len(toks)


def _strip_proclitic(t: str) -> str:
    return re.sub(r"^(?:[وف]?[بلك]?ال|[وف]?لل|[وف])(?=..)", "", t)


def _strip_all_clitics(t: str) -> str:
    """Also drop a bare ب/ل/ك (باستمرار → استمرار); at least three letters must remain."""
    return re.sub(r"^(?:[وف]?[بلك]?ال|[وف]?لل|[وف]?[بلك]|[وف])(?=...)", "", t)


@dataclass
class _Trigger:
    start: int  # sentence-local original offsets
    end: int
    role: str
    term: str
    ti: int     # token index
    cue: str = ""
    cue_category: str = ""


def _cue_for(toks: list[_Tok], ti: int, sent_cues: list[tuple[str, str]], lo: int = 0) -> tuple[str, str]:
    """The threat/denial cue governing the trigger at token ``ti`` ('' if none); ``lo``: the
    first token of the trigger's clause (a cue in another clause does not govern it)."""
    cues = _cues()
    # multi-word cues are matched on the joined window
    lo = max(lo, ti - DENIAL_VERB_WINDOW)
    window = [t.t for t in toks[lo:ti]]
    for k in range(len(window) - 1, -1, -1):
        dist = len(window) - k
        w = window[k]
        two = " ".join(window[k:k + 2])
        for cand in (two, w, _strip_all_clitics(w)):
            if cand in cues:
                cat, scope = cues[cand]
                if scope != "before":
                    continue
                # a denial verb (نفى، نفت) governs its object clause ("نفت الوزارة أي علاقة
                # لطهران بالهجوم"); a negation particle (لم، لا، لن) only the next words
                if cat == "denial" and dist > (DENIAL_VERB_WINDOW if cand in DENIAL_VERBS else 3):
                    continue
                if cat != "denial" and dist > 10:
                    continue
                if cat == "hypothetical_qad":
                    nxt = window[k + 1] if k + 1 < len(window) else toks[ti].t
                    prev = window[k - 1] if k > 0 else ""
                    if prev in ("كان", "كانت") or not _imperfect(nxt):
                        continue
                    cat = "hypothetical"
                return cand, cat
    for cand, cat in sent_cues:
        return cand, cat
    return "", ""


def _imperfect(word: str) -> bool:
    """A rough test for an imperfect (present/future) verb after قد: يفعل، تفعل، نفعل."""
    if not word or word[0] not in "يتن":
        return False
    if word[0] == "ت" and (word.endswith("ت") or word.endswith("وا")):
        return False  # perfect tafa''ala forms: تعرضت، تحولت
    return True


def _sentence_scope_cues(nt: Normalized) -> list[tuple[str, str]]:
    out = []
    for cue, (cat, scope) in _cues().items():
        if scope == "sentence" and re.search(r"(?<!" + _WC + ")" + re.escape(cue) + r"(?!" + _WC + ")", nt.text):
            out.append((cue, cat))
    return out


# --- places, weapons, sources ---------------------------------------------------------------
@dataclass
class _Place:
    place_id: str
    start: int
    end: int
    locative: bool


def _places(nt: Normalized, toks: list[_Tok]) -> list[_Place]:
    out = []
    for m in _place_matcher().finditer_normalized(nt):
        if m.key == "__skip__":
            continue
        ns = _norm_index(nt, m.start)
        ti = _tok_index(toks, ns)
        attached = nt.text[toks[ti].s:ns] if ti < len(toks) else ""
        prev = toks[ti - 1].t if ti > 0 else ""
        loc = ("ب" in attached) or prev in LOCATIVES or _strip_proclitic(prev) in LOCATIVES \
            or norm(m.surface).startswith(SITE_HEADS)
        # "على قاعدتي عين الأسد في الأنبار، وحرير": a coordinated place shares the locative
        if not loc and attached.startswith("و") and out and out[-1].locative \
                and ti - _tok_index(toks, _norm_index(nt, out[-1].end)) <= 5:
            loc = True
        out.append(_Place(m.key, m.start, m.end, loc))
    return out


def _best_place(places: list[_Place], pos: int) -> tuple[_Place | None, list[str]]:
    if not places:
        return None, []
    info = _place_info()

    def key(p: _Place):
        after = p.start >= pos
        first = 0 if (p.locative and after) else 1 if p.locative else 2 if after else 3
        return (first, KIND_RANK.get(info[p.place_id]["kind"], 9), abs(p.start - pos))
    ranked = sorted(places, key=key)
    best = ranked[0]
    # a country/region/province first in line yields to a more specific place inside it
    # ("قاعدة عين الأسد الجوية غربي العراق")
    bk = info[best.place_id]["kind"]
    if bk in ("country", "region", "province"):
        inner = [p for p in ranked if KIND_RANK[info[p.place_id]["kind"]] < KIND_RANK[bk]
                 and info[p.place_id]["country"] == info[best.place_id]["country"]]
        if inner:
            best = min(inner, key=lambda p: (KIND_RANK[info[p.place_id]["kind"]], key(p)))
            ranked = [best] + [p for p in ranked if p is not best]
    same = [p.place_id for p in ranked if key(p)[:2] == key(best)[:2]] or [best.place_id]
    if best.place_id not in same:
        same = [best.place_id] + same
    return best, list(dict.fromkeys(same))


def _set_weapon(r: dict, weapon: str | None) -> None:
    """Fill the weapon and its ACLED event type and sub-type (nothing when no weapon)."""
    if weapon:
        et, st, _ = _weapon_info()[weapon]
        r.update(weapon=weapon, event_type=et, sub_event_type=st)


def _weapon_in(nt: Normalized, a: int, b: int) -> str | None:
    """Most specific weapon named in the original span [a, b) of the sentence."""
    best = None
    info = _weapon_info()
    for m in _weapon_matcher().finditer_normalized(nt):
        if m.start >= a and m.end <= b:
            if best is None or info[m.key][2] > info[best][2]:
                best = m.key
    return best


_SOURCE_HEADS = {norm(w) for w in ("وكالة", "صحيفة", "موقع", "قناة", "مصادر", "مصدر", "مسؤول", "مسؤولون",
                                   "مسؤولين", "رويترز", "وزارة", "وزير", "بيان", "تقرير", "البنتاغون",
                                   "البنتاجون", "واشنطن", "بغداد", "طهران", "أسوشيتد", "أسوشيتيد")}
_SRC_STOP = {norm(w) for w in ("ان", "إن", "أن", "انه", "إنه", "أنه", "في", "على", "عن", "الى", "إلى")}


@lru_cache(maxsize=None)
def _claim_cue_index() -> tuple[tuple[bool, dict[str, int], tuple[tuple[int, str, str], ...]], ...]:
    """The source cues in two groups (prepositions like بحسب first, then verbs), each as
    (is_prep, one-word forms -> rank, two-word cues as (rank, first word, second word)).
    A one-word cue matches as itself or with و/ف; the first word of a two-word cue as
    itself or with و. Rank is the cue's place in its group (the first matching cue wins)."""
    cues = _source_cues()
    prep = [c for c in cues if c in {norm(x) for x in ("بحسب", "حسب", "وفق", "وفقا ل", "طبقا ل", "نقلا عن")}]
    out = []
    for is_prep, group in ((True, prep), (False, [c for c in cues if c not in prep])):
        singles: dict[str, int] = {}
        doubles = []
        for rank, c in enumerate(group):
            cw = c.split(" ")
            if len(cw) == 1:
                for form in (c, "و" + c, "ف" + c):
                    singles.setdefault(form, rank)
            elif len(cw) == 2:
                doubles.append((rank, cw[0], cw[1]))
        out.append((is_prep, singles, tuple(doubles)))
    return tuple(out)


def _claim_hit(toks: list[_Tok], i: int, singles: dict[str, int], doubles) -> int | None:
    """Tokens taken by the first cue (in group order) that matches at token ``i``."""
    word = toks[i].t
    best = (singles[word], 1) if word in singles else None
    if i + 1 < len(toks):
        for rank, w0, w1 in doubles:
            if best is not None and rank > best[0]:
                break
            if word in (w0, "و" + w0) and toks[i + 1].t.startswith(w1):
                best = (rank, 2)
                break
    return best[1] if best else None


def _claimed_by(nt: Normalized, toks: list[_Tok]) -> str | None:
    for is_prep, singles, doubles in _claim_cue_index():
        for i, t in enumerate(toks):
            hit = _claim_hit(toks, i, singles, doubles)
            if not hit:
                continue
            j = i + hit
            after_cue = nt.text[toks[j - 1].e:toks[j].s] if j < len(toks) else ""
            if re.search(r"[:\"']", after_cue):
                continue  # 'وقال: "…"' — the speaker is not in this sentence
            if j < len(toks) and not is_prep and toks[j].t.startswith("ب") and toks[j].t.endswith(("هم", "ه", "ها")):
                j += 1  # "اعترفت بإصابتهم الولايات المتحدة": skip the complement
            words = []
            k = j
            while k < len(toks) and len(words) < 4:
                w = toks[k].t
                if w in _SRC_STOP:
                    break
                gap = nt.text[toks[k - 1].e:toks[k].s] if k > j else ""
                if k > j and re.search(r"[,;:.!?\"()]", gap):
                    break
                a, b = nt.span(toks[k].s, toks[k].e)
                if nt.original[b - 1:b] == "\u064b" or nt.original[a:b].endswith("اً"):
                    break  # an adverb (تباعاً) ends the source phrase
                words.append(k)
                k += 1
            if words and not is_prep and not (toks[words[0]].t.startswith("ال")
                                                   or toks[words[0]].t in _SOURCE_HEADS):
                continue  # after a verb cue the subject must look like one (الولايات المتحدة، وكالة …)
            if words:
                a, _ = nt.span(toks[words[0]].s, toks[words[0]].e)
                _, b = nt.span(toks[words[-1]].s, toks[words[-1]].e)
                return nt.original[a:b]
    return None


def _target_text(nt: Normalized, pos: int) -> str | None:
    ms = list(_target_matcher().finditer_normalized(nt))
    if not ms:
        return None
    m = min(ms, key=lambda m: (min(abs(m.start - pos), abs(m.end - pos)), m.start))
    return m.key


# --- victims -------------------------------------------------------------------------------
def _victims(nt: Normalized, toks: list[_Tok], ti: int, role: str) -> list[tuple[str, int]]:
    """Named victims after a killing trigger: [(surname key, original end offset)].

    After the trigger comes either a name directly (``اغتيال سليماني``، ``اغتيال قاسم
    سليماني``) or a title phrase (``قائد فيلق القدس التابع للحرس الثوري الإيراني``: a title
    word then words with the article, prepositions, organisation words) followed by the name.
    A name is two tokens without the article that are neither titles, function words, places
    nor generic nouns (``قاسم سليماني``، ``إسماعيل هنية``), or a kunya ``أبو/أبي X [الY]``;
    a single such token counts only right after the trigger and before punctuation. After a
    name, ``، والقيادي … <name>`` adds a second victim. The key is the name's last token.
    Generic victims (``مقتل جنديين``، ``مقتل قيادي بحزب الله``) give no name.
    """
    out: list[tuple[str, int]] = []
    n = len(toks)

    def gap(i: int) -> str:  # the characters between token i-1 and token i
        return nt.text[toks[i - 1].e:toks[i].s] if i > 0 else ""

    def end_of(i: int) -> int:
        return nt.span(toks[i].s, toks[i].e)[1]

    def name_at(k: int, allow_single: bool) -> int | None:
        """Index of the last token of a name starting at k, else None."""
        if k >= n:
            return None
        t = toks[k].t
        if re.match(r"^(?:ابو|ابي|ابا)$", t) and k + 1 < n and not re.search(r"[^\s]", gap(k + 1)):
            last = k + 1
            if k + 2 < n and toks[k + 2].t.startswith("ال") and not re.search(r"[^\s]", gap(k + 2)) \
                    and toks[k + 2].t not in NOT_NAME:
                last = k + 2
            return last
        if not _is_name_token(t):
            return None
        if k + 1 < n and _is_name_token(toks[k + 1].t) and not re.search(r"[^\s]", gap(k + 1)):
            return k + 1
        if allow_single and (k + 1 >= n or re.search(r"[,;:.!?()\"]", gap(k + 1))
                             or toks[k + 1].t in ("في", "قرب", "عقب", "بعد") or toks[k + 1].t.startswith("ب")):
            return k
        return None

    k = ti + 1
    first = True
    while k < n:
        last = name_at(k, allow_single=first)
        if last is None:
            t = toks[k].t
            is_title = t in TITLE_WORDS or _strip_proclitic(t) in TITLE_WORDS
            if first and role != "killing_named" and not is_title:
                return out
            # skip the title phrase, up to 14 tokens, never across . ! ? : ;
            j = k + 1
            found = None
            while j < min(n, k + 15):
                if re.search(r"[.!?:;]", gap(j)):
                    break
                if toks[j].t in TITLE_WORDS:
                    j += 1
                    continue
                cand = name_at(j, allow_single=False)
                if cand is not None:
                    found = (j, cand)
                    break
                j += 1
            if found is None:
                return out
            last = found[1]
        out.append((toks[last].t, end_of(last)))
        first = False
        # "، والقيادي البارز … أبي مهدي المهندس": a second victim
        k = last + 1
        if k < n and "," in gap(k) and (toks[k].t.startswith("و") and _strip_proclitic(toks[k].t) in TITLE_WORDS
                                        or toks[k].t in TITLE_WORDS):
            continue
        break
    return out


@lru_cache(maxsize=None)
def _place_tokens() -> frozenset:
    out = set()
    for r in load_places().itertuples():
        for t in [r.name_ar, *r.aliases_ar.split("|")]:
            out.update(norm(t).split(" "))
    return frozenset(out)


_FUNCTION_WORDS = {norm(w) for w in (
    "ما", "هو", "هي", "وهو", "وهي", "التي", "الذي", "ان", "أن", "إن", "كان", "كانت", "قد", "لم", "لا",
    "لن", "مع", "عن", "إلى", "على", "من", "في", "هذا", "هذه", "ذلك", "تلك", "بين", "ضد", "حيث", "كما",
    "أي", "كل", "بعض", "عبر", "نحو", "حتى", "أو", "ثم", "سبب", "أدى", "ادى", "رد", "يوم", "أمس")}


def _is_name_token(t: str) -> bool:
    if len(t) < 2 or t.isdigit() or t in NOT_NAME or t in _FUNCTION_WORDS:
        return False
    base = _strip_proclitic(t)
    if base in NOT_NAME or t in _place_tokens() or base in _place_tokens():
        return False
    if t.startswith(("ال", "وال", "بال", "لل", "و")) or t.endswith(("ين", "ون", "ات")):
        return False
    if t in COUNTED_NOUNS or t in MONTHS_NORM:
        return False
    return True


MONTHS_NORM = {norm(m) for m in ("يناير", "فبراير", "مارس", "أبريل", "مايو", "يونيو", "يوليو", "أغسطس",
                                 "سبتمبر", "أكتوبر", "نوفمبر", "ديسمبر", "كانون", "شباط", "آذار", "نيسان",
                                 "أيار", "حزيران", "تموز", "آب", "أيلول", "تشرين")}


# --- casualties ----------------------------------------------------------------------------
#: singular person nouns read as one casualty right after a kill/injury word ("قُتل متعاقد مدني",
#: "مقتل قيادي بحزب الله", "إصابة جندي")
SINGULAR_PERSONS = {norm(w) for w in ("جندي", "عسكري", "مدني", "شخص", "عنصر", "فرد", "مقاتل", "ضابط",
                                      "متعاقد", "موظف", "مستشار", "قيادي", "مرافق")}


def _casualties(nt: Normalized, toks: list[_Tok], qs: list[Quantity], lo: int = 0,
                hi: int | None = None) -> tuple[list, list]:
    """Person counts after a kill or injury word (within ten tokens): (killed, injured).

    ``lo``/``hi`` bound the token range (a clause); a kill word before ``lo`` does not govern.
    A singular person noun right after the kill/injury word counts 1 ("قُتل متعاقد مدني"). Counts
    after the same kill/injury word joined by و add up ("قُتل قيادي … واثنان من مرافقيه" = 3,
    "خمسة من أفراد الخدمة واثنين من المتعاقدين" = 7); counts joined otherwise ("بينهم") do not.
    """
    hi = len(toks) if hi is None else hi
    found: list[tuple[str, int, int, Quantity]] = []   # (kind, governing token, order, quantity)

    def governing(qi: int) -> tuple[str | None, int]:
        for k in range(qi - 1, max(lo - 1, qi - 11), -1):
            w = toks[k].t
            ws = _strip_proclitic(w) if w[0] in "وفب" else w
            if w in KILL_WORDS or ws in KILL_WORDS:
                return "killed", k
            if w in INJURY_WORDS or ws in INJURY_WORDS:
                return "injured", k
        return None, -1

    for q in qs:
        if q.noun not in PERSON_LEMMAS and q.noun != norm("مرافق"):
            continue
        ns = _norm_index(nt, q.number_start if q.number_end else q.start)
        qi = _tok_index(toks, ns)
        if q.noun in {norm("قتيل")}:
            kind, k = "killed", qi
        elif q.noun in {norm("جريح"), norm("مصاب")}:
            kind, k = "injured", qi
        else:
            kind, k = governing(qi)
        if kind:
            found.append((kind, k, qi, q))
    for k in range(lo, min(hi, len(toks)) - 1):
        w = toks[k].t
        ws = _strip_proclitic(w) if w[0] in "وفب" else w
        kind = "killed" if (w in KILL_WORDS or ws in KILL_WORDS) else \
            "injured" if (w in INJURY_WORDS or ws in INJURY_WORDS) else None
        if kind is None or w in ("قتلي", "جرحي", "قتيل", "جريح") or ws in ("قتلي", "جرحي"):
            continue
        nxt = toks[k + 1]
        if nxt.t in SINGULAR_PERSONS and not re.search(r"[^\s]", nt.text[toks[k].e:nxt.s]) \
                and not any(f[2] == k + 1 for f in found):
            a, b = nt.span(nxt.s, nxt.e)
            found.append((kind, k, k + 1, Quantity(a, b, 1, None, "exact", nxt.t, nt.original[a:b], a, b,
                                                   nxt.t)))
    found.sort(key=lambda f: (f[2], f[3].start))
    killed: list[Quantity] = []
    injured: list[Quantity] = []
    last: dict[tuple[str, int], Quantity] = {}
    for kind, k, qi, q in found:
        dest = killed if kind == "killed" else injured
        ns = _norm_index(nt, q.number_start if q.number_end else q.start)
        joined = (qi < len(toks) and toks[qi].t.startswith("و") and toks[qi].s < ns) or \
            (0 < qi < len(toks) and toks[qi - 1].t == "و" and toks[qi].s <= ns)
        prev = last.get((kind, k))
        if prev is not None and joined and prev in dest:
            qual = prev.qualifier if prev.qualifier == q.qualifier else (
                "approx" if "approx" in (prev.qualifier, q.qualifier) else "at_least")
            summed = Quantity(prev.start, q.end, prev.value + q.value, None, qual, prev.noun,
                              nt.original[prev.start:q.end], prev.number_start, q.number_end, prev.noun_surface)
            dest[dest.index(prev)] = summed
            last[(kind, k)] = summed
            continue
        dest.append(q)
        last[(kind, k)] = q
    return killed, injured


# --- clauses: several incidents in one sentence -----------------------------------------------
#: clause connectors after a comma ("، فيما", "، كما", "، بعدما", "، رداً على"); "، و<word>" too
_CONNECTORS = {norm(w) for w in ("فيما", "وفيما", "بينما", "وبينما", "كما", "وكما", "ثم", "بعدما",
                                 "وبعدما", "حين")}
#: connectors that open a clause even without a comma
_BARE_CONNECTORS = {norm(w) for w in ("فيما", "وفيما", "بينما", "وبينما", "ثم")}
_TWO_WORD_CONNECTORS = {(norm(a), norm(b)) for a, b in (("في", "حين"), ("وفي", "حين"), ("رداً", "على"),
                                                        ("ردا", "على"), ("بعد", "أن"))}
#: "فيما يتعلق", "فيما بعد" are not connectors
_NOT_AFTER_FIMA = {norm(w) for w in ("يتعلق", "يخص", "بعد", "بينها", "بينهم", "بينهما", "يلي", "يبدو",
                                     "يتصل", "إذا", "اذا")}
#: connectors of simultaneity: a clause silent on the date takes the previous clause's date
_SIMULTANEOUS = {norm(w) for w in ("فيما", "وفيما", "بينما", "وبينما", "في حين", "وفي حين", "و")}
#: demonstratives that make a following attack noun refer back ("وهذا أول هجوم …")
_DEMONSTRATIVES = {norm(w) for w in ("هذا", "هذه", "وهذا", "وهذه")}
_DEMONSTRATIVES_ORD = _DEMONSTRATIVES | {norm(w) for w in ("ذلك", "تلك", "وذلك", "وتلك", "هو", "هي", "وهو",
                                                           "وهي")}
_ORDINALS = {norm(w) for w in ("أول", "ثاني", "ثالث", "آخر", "أبرز", "أكبر", "أعنف", "أحدث", "أخطر",
                               "أوسع")}


@dataclass
class _Clause:
    a: int              # sentence-local original offsets
    b: int
    k0: int             # token range [k0, k1)
    k1: int
    triggers: list
    simultaneous: bool = False   # opened by فيما/بينما/في حين/و
    connector: str = ""
    status: str = "none"         # incident | threat | none


def _demonstrative_anaphor(t: "_Trigger", toks: list[_Tok]) -> "_Trigger":
    """'وهذا أول هجوم يستهدف …', 'هذه ضربة …': an attack noun after a demonstrative (directly, or
    with an ordinal/superlative between: أول، آخر، أكبر …) refers back to a told attack, like a
    definite الهجوم (role ``anaphor``)."""
    if t.role != "attack_noun" or t.ti == 0:
        return t
    p1 = toks[t.ti - 1].t
    p2 = toks[t.ti - 2].t if t.ti >= 2 else ""
    if p1 in _DEMONSTRATIVES or (p1 in _ORDINALS and p2 in _DEMONSTRATIVES_ORD):
        return _Trigger(t.start, t.end, "anaphor", t.term, t.ti, t.cue, t.cue_category)
    return t


def _main_trigger(free: list, toks: list[_Tok], victims_by_trigger: dict, anchored_other: bool):
    """The first single-attack trigger, skipping a killing used as a time reference."""
    for t in free:
        if t.role not in SINGLE_ROLES:
            continue
        is_ref = t.ti > 0 and (toks[t.ti - 1].t in TEMPORAL_REF or toks[t.ti - 1].t == "من")
        if victims_by_trigger.get(id(t)) and is_ref and anchored_other:
            continue  # "عقب مقتل سليماني": a time reference inside another incident's sentence
        return t
    return None


def _day_wave(free: list, times: list[_Time], nt: Normalized):
    """'غارات أميركية واسعة طالت في 2 شباط': an indefinite plural attack noun (غارات، ضربات، هجمات)
    with a day-precision date of its own clause within 40 characters is one incident (a wave of
    strikes on one day). Returns (trigger, time) or None."""
    for t in free:
        if t.role != "attack_plural" or norm(t.term).startswith("ال"):
            continue
        days = [tm for tm in times if tm.date_start is not None and tm.precision == "day"
                and 0 <= tm.start - t.end <= 40 and not _in_since_phrase(nt, tm)
                and not norm(tm.surface).startswith(("منذ", "حتي"))]
        if days:
            return t, days[0]
    return None


def _earlier_day(times: list[_Time], pos: int) -> _Time | None:
    """The last day-precision date of the sentence before ``pos`` (reference of 'بعد يومين من …')."""
    cands = [t for t in times if t.date_start is not None and t.precision == "day" and t.end <= pos]
    return cands[-1] if cands else None


def _in_since_phrase(nt: Normalized, tm: _Time) -> bool:
    """'منذ تولي الرئيس منصبه في 20 كانون الثاني': a date inside a منذ phrase dates the reference
    point, not the attack (no punctuation between منذ and the date, at most 8 words)."""
    ns = _norm_index(nt, tm.start)
    before = nt.text[max(0, ns - 60):ns]
    m = None
    for m in re.finditer(r"(?<![" + WORD_CHARS + r"])و?منذ(?![" + WORD_CHARS + r"])", before):
        pass
    if m is None:
        return False
    tail = before[m.end():]
    return not re.search(r"[,;:.!?()\"«»]", tail) and len(_TOKEN_RE.findall(tail)) <= 8


def _scope_cues_in(text_norm: str) -> list[tuple[str, str]]:
    out = []
    for cue, (cat, scope) in _cues().items():
        if scope == "sentence" and re.search(r"(?<!" + _WC + ")" + re.escape(cue) + r"(?!" + _WC + ")", text_norm):
            out.append((cue, cat))
    return out


def _clause_bounds(nt: Normalized, toks: list[_Tok], triggers: list) -> dict[int, str]:
    """Token indices where a clause may start, with the connector: a comma then فيما/بينما/كما/ثم/
    بعدما/في حين/رداً على/بعد أن or any و-word; فيما/بينما/في حين/ثم without a comma; و + an attack
    verb ("… واستهدفت …")."""
    n = len(toks)
    verb_at = {t.ti for t in triggers if t.role in ("attack_verb", "weak_verb")}
    out: dict[int, str] = {}
    for k in range(1, n):
        gap = nt.text[toks[k - 1].e:toks[k].s]
        if re.search(r"[.!?;:]", gap):
            continue
        comma = "," in gap
        t = toks[k].t
        nxt = toks[k + 1].t if k + 1 < n else ""
        if (t, nxt) in _TWO_WORD_CONNECTORS and (comma or t in (norm("في"), norm("وفي"))):
            out[k] = f"{t} {nxt}"
        elif t in _CONNECTORS and (comma or t in _BARE_CONNECTORS):
            if t in (norm("فيما"), norm("وفيما")) and nxt in _NOT_AFTER_FIMA:
                continue
            out[k] = t
        elif comma and t.startswith("و") and len(t) > 1:
            out[k] = "و"
        elif k in verb_at and t.startswith("و") and len(t) > 2:
            out[k] = "و"
    return out


def _clauses(nt: Normalized, toks: list[_Tok], text: str, triggers: list, times: list[_Time],
             places: list, prev_day: _Time | None) -> list[_Clause]:
    """Split a sentence into clauses that each tell one incident (or one threat).

    A sentence is split at a connector (:func:`_clause_bounds`) only where the parts have a
    trigger of their own: a part without an attack trigger joins the clause before it (the first
    part joins the next). Two incident clauses stay split only when the text tells them apart — their
    own dates do not overlap, their own places differ (a country/region/province does not differ from
    a place in it), or their own weapons differ; otherwise they are one attack told in two clauses
    ("قصفت … وأدى القصف إلى …": القصف refers back; "قُتل جندي، فيما أصيب آخرون في هجوم على قاعدة
    عين الأسد"). Two threat clauses stay one (one threat row, as before). An incident clause next to a
    threat clause ("…، ووعيد إيران بالرد") gives both rows. Cues are looked up inside the clause.
    One clause: the whole sentence, exactly as without splitting.
    """
    n = len(toks)
    whole = [_Clause(0, len(text), 0, n, triggers)]
    if n < 4 or len(triggers) < 2:
        return whole
    bounds = _clause_bounds(nt, toks, triggers)
    # a connector inside a killing's list of named victims ("اغتيال … قاسم سليماني، والقيادي البارز
    # … أبي مهدي المهندس بضربة جوية") continues the killing: no clause starts there or before the
    # end of the list's sentence part that follows it without a comma
    for t in triggers:
        if t.role in ("killing", "killing_named") and not t.cue:
            vic = _victims(nt, toks, t.ti, t.role)
            if len(vic) > 1:
                vend = _tok_index(toks, _norm_index(nt, vic[-1][1] - 1))
                for k in [k for k in bounds if t.ti < k <= vend]:
                    del bounds[k]
    if not bounds:
        return whole
    info = _place_info()

    def make(k0: int, k1: int, conn: str) -> _Clause:
        a = 0 if k0 == 0 else nt.span(toks[k0].s, toks[k0].e)[0]
        b = len(text) if k1 >= n else nt.span(toks[k1].s, toks[k1].e)[0]
        scope = _scope_cues_in(nt.text[toks[k0].s:toks[k1 - 1].e])
        trigs = []
        for t in triggers:
            if k0 <= t.ti < k1:
                cue, cat = _cue_for(toks, t.ti, scope, lo=k0)
                t2 = _Trigger(t.start, t.end, t.role, t.term, t.ti, cue, cat)
                if t2.cue or t2.role not in CUED_ONLY_ROLES:
                    trigs.append(t2)
        cl = _Clause(a, b, k0, k1, trigs, conn in _SIMULTANEOUS, conn)
        free = [t for t in trigs if not t.cue]
        c_times = [t for t in times if a <= t.start < b]
        if any(t.role in SINGLE_ROLES for t in free) or _day_wave(free, c_times, nt):
            cl.status = "incident"
        elif any(t.cue for t in trigs):
            cl.status = "threat"
        return cl

    def profile(cl: _Clause):
        free = [t for t in cl.triggers if not t.cue]
        main = next((t for t in free if t.role in SINGLE_ROLES), None)
        c_times = [t for t in times if cl.a <= t.start < cl.b]
        if main is None:
            wave = _day_wave(free, c_times, nt)
            main, tm = wave if wave else (free[0], None)
        else:
            tm = _relative_to_previous(nt, _norm_index(nt, main.start),
                                       _earlier_day(times, main.start) or prev_day) \
                or _pick_time(c_times, main.start, nt=nt)
        best, _ = _best_place([p for p in places if cl.a <= p.start < cl.b], main.start)
        return tm, (best.place_id if best else None), _weapon_in(nt, cl.a, cl.b)

    def distinct(x: _Clause, y: _Clause) -> bool:
        (tx, px, wx), (ty, py, wy) = profile(x), profile(y)
        if tx is not None and ty is not None:
            ex, ey = tx.date_end or tx.date_start, ty.date_end or ty.date_start
            if ex < ty.date_start or ey < tx.date_start:
                return True
        if px and py and px != py:
            kx, ky = info[px]["kind"], info[py]["kind"]
            broad = ("country", "region", "province")
            if not ((kx in broad or ky in broad) and info[px]["country"] == info[py]["country"]):
                return True
        return bool(wx and wy and wx != wy)

    starts = [0] + sorted(bounds)
    cls = [make(k0, starts[i + 1] if i + 1 < len(starts) else n, bounds.get(k0, ""))
           for i, k0 in enumerate(starts)]

    def merge(i: int, j: int) -> None:
        x, y = cls[min(i, j)], cls[max(i, j)]
        cls[min(i, j)] = make(x.k0, y.k1, x.connector)
        del cls[max(i, j)]

    changed = True
    while changed and len(cls) > 1:
        changed = False
        for i, c in enumerate(cls):
            if c.status == "none":
                merge(i, i - 1 if i > 0 else i + 1)
                changed = True
                break
        if changed:
            continue
        for i in range(len(cls) - 1):
            x, y = cls[i], cls[i + 1]
            if (x.status == y.status == "threat") or (x.status == y.status == "incident" and not distinct(x, y)):
                merge(i, i + 1)
                changed = True
                break
    if len(cls) <= 1:
        return whole
    return cls


# --- per document ---------------------------------------------------------------------------
_AFTER_REF = re.compile(r"بعد\s+(?:(اقل|اكثر)\s+من\s+)?(\d+|يومين|ساعتين|اسبوعين|يوم|ساعه|اسبوع|ساعات)\s*"
                        r"(ساعه|ساعات|يوم|ايام|اسبوع|اسابيع)?\s*(من\s+)?")


def _relative_to_previous(nt: Normalized, trig_norm: int, ref: _Time | None) -> _Time | None:
    """'بعد يومين من اغتيال …' (event = ref − 2 days); 'بعد أقل من 24 ساعة، قُتل' (ref … ref+1)."""
    if ref is None or ref.date_start is None or ref.precision != "day":
        return None
    for m in _AFTER_REF.finditer(nt.text):
        if not (0 <= trig_norm - m.end() <= 25):
            continue
        qual, num, unit, of = m.group(1), m.group(2), m.group(3), m.group(4)
        # "بعد ساعات من …": a few hours, less than a day (a window of the day before and the day)
        duals = {"يومين": (2, "يوم"), "ساعتين": (2, "ساعه"), "اسبوعين": (2, "اسبوع"), "ساعات": (3, "ساعه"),
                 "يوم": (1, "يوم"), "ساعه": (1, "ساعه"), "اسبوع": (1, "اسبوع")}
        if num in duals:
            n, u = duals[num]
        elif unit:
            n, u = int(num), {"ساعات": "ساعه", "ايام": "يوم", "اسابيع": "اسبوع"}.get(unit, unit)
        else:
            continue
        days = n * _UNIT_DAYS[u]
        a, b = nt.span(m.start(), m.end())
        if of:  # the event is the reference point: it happened `days` before the main clause
            d = ref.date_start - dt.timedelta(days=round(days))
            if qual or days < 1:
                return _Time(a, b, nt.original[a:b], d - dt.timedelta(days=1), d, "period", "before_previous_date")
            return _Time(a, b, nt.original[a:b], d, d, "day", "before_previous_date")
        lo = ref.date_start
        hi = ref.date_start + dt.timedelta(days=max(1, int(-(-days // 1))))
        if qual == "اقل" or days < 1:
            return _Time(a, b, nt.original[a:b], lo, hi, "period", "after_previous_date")
        d = ref.date_start + dt.timedelta(days=round(days))
        return _Time(a, b, nt.original[a:b], d, d, "day", "after_previous_date")
    return None


def _event_id(doc_id: str, start: int, end: int, kind: str) -> str:
    return "atk_" + hashlib.sha1(f"{doc_id}|{start}|{end}|{kind}".encode("utf-8")).hexdigest()[:12]


def _empty_row() -> dict:
    return {c: None for c in ATTACK_COLUMNS}


def extract_doc(doc_id: str, published, sentences_df: pd.DataFrame,
                mentions_df: pd.DataFrame | None = None) -> pd.DataFrame:
    """Incidents, aggregate claims and threats in one document.

    ``sentences_df``: that document's rows of ``sentences`` (doc_id, sentence_id, start, end,
    text; offsets file-relative). ``published``: ISO date string (may be empty) — the anchor for
    relative dates. ``mentions_df``: that document's actor mentions (optional).
    """
    anchor = _to_date(published)
    rows: list[dict] = []
    prev_time: _Time | None = None       # last resolved date in the previous sentences
    prev_day: _Time | None = None        # last day-precision date in the previous sentences
    # in text order (sentences come in order: then nothing is sorted); starts are distinct
    sents = sort_stable(sentences_df, ["start"])
    for srow in itertuples(sents):
        text = str(srow.text)
        s0 = int(srow.start)
        sid = int(srow.sentence_id)
        nt = normalize(text)
        times = _time_expressions(text, anchor)
        times += _same_period(nt, prev_time)
        trig = [m for m in _trigger_matcher().finditer_normalized(nt)]
        if trig:
            rows.extend(_extract_sentence(doc_id, sid, s0, text, nt, times, anchor, prev_day,
                                          mentions_df))
        # context for the next sentence
        dated = [t for t in times if t.date_start is not None]
        if dated:
            prev_time = dated[-1]
            days = [t for t in dated if t.precision == "day"]
            if days:
                prev_day = days[-1]
    return frame_from_records(rows, ATTACK_COLUMNS)


def _pick_time(times: list[_Time], pos: int, exclude_since: bool = True,
               nt: Normalized | None = None) -> _Time | None:
    """The date nearest to ``pos``; 'منذ …'/'حتى …' dates, and (given ``nt``) dates inside a منذ
    phrase ('منذ تولي الرئيس منصبه في 20 كانون الثاني'), are reference points, not the attack's."""
    cands = [t for t in times if t.date_start is not None]
    if exclude_since:
        cands = [t for t in cands if not norm(t.surface).startswith(("منذ", "حتي"))]
        if nt is not None:
            cands = [t for t in cands if not _in_since_phrase(nt, t)]
    if not cands:
        return None
    return min(cands, key=lambda t: (min(abs(t.start - pos), abs(t.end - pos)), t.start))


def _period(times: list[_Time], anchor: dt.date | None, nt: Normalized | None = None) -> tuple:
    """Date window of an aggregate claim: the union of the sentence's time expressions
    (:mod:`iraqkit.dates` already turns 'منذ X … حتى Y' and 'منذ X' into periods). A window
    taken from the previous sentence ('منذ … في الشهر نفسه') after 'منذ' runs to the
    publication date (open if there is none)."""
    cands = [t for t in times if t.date_start is not None]
    if not cands:
        return None, None, None, None
    s = min(t.date_start for t in cands)
    e = max((t.date_end or t.date_start) for t in cands)
    rule = "+".join(sorted({t.rule for t in cands if t.rule}))
    for t in cands:
        if t.rule.startswith("same_period") and nt is not None:
            before = nt.text[max(0, _norm_index(nt, t.start) - 60):_norm_index(nt, t.start)]
            if re.search(r"(?<![" + WORD_CHARS + r"])و?منذ(?![" + WORD_CHARS + r"])", before):
                if anchor is None:
                    return s, None, "period", rule + "+open_end"
                return s, max(e, anchor), "period", rule + "+until_published"
    if len(cands) == 1:
        return s, e, cands[0].precision or None, rule
    return s, e, "period", rule


def _extract_sentence(doc_id, sid, s0, text, nt, times, anchor, prev_day, mentions_df) -> list[dict]:
    toks = _tokens(nt)
    sent_cues = _sentence_scope_cues(nt)
    triggers: list[_Trigger] = []
    for m in _trigger_matcher().finditer_normalized(nt):
        ti = _tok_index(toks, _norm_index(nt, m.start))
        cue, cat = _cue_for(toks, ti, sent_cues)
        triggers.append(_Trigger(m.start, m.end, m.key, m.term, ti, cue, cat))
    qs = find_quantities_normalized(nt)
    places = _places(nt, toks)
    source = _claimed_by(nt, toks)
    out: list[dict] = []

    def base(kind: str, a: int, b: int) -> dict:
        r = _empty_row()
        r.update(doc_id=doc_id, sentence_id=sid, start=s0 + a, end=s0 + b, evidence=text, kind=kind,
                 claimed_by_source=source, n_sources=1, clause_start=s0, clause_end=s0 + len(text))
        return r

    def locate(r: dict, pos: int, plist: list | None = None) -> None:
        best, same = _best_place(places if plist is None else plist, pos)
        if best is None:
            return
        info = _place_info()
        r.update(location=info[best.place_id]["name_en"], place_id=best.place_id,
                 place_ids="|".join(same), latitude=float(info[best.place_id]["latitude"]),
                 longitude=float(info[best.place_id]["longitude"]),
                 geo_precision=GEO_PRECISION.get(info[best.place_id]["kind"]))

    def actors(r: dict, pos: int) -> None:
        perp, tgt = _actors_for(mentions_df, doc_id, sid, s0, pos, text)
        r.update(perpetrator_actor_id=perp, target_actor_id=tgt, target=_target_text(nt, pos))

    # (3) aggregate claims: counts of attacks
    agg_qs = [q for q in qs if q.noun in ATTACK_NOUN_LEMMAS and (q.value >= 2 or q.value_max)]
    if agg_qs:
        parent_id = None
        last_top = None
        prev_end = 0
        for qi, q in enumerate(agg_qs):
            gap = nt.text[_norm_index(nt, prev_end):_norm_index(nt, q.start)]
            gap_words = set(_TOKEN_RE.findall(gap))
            if "," in gap or ";" in gap:
                gap_words |= {","} if "," in gap else set()
            r = base("aggregate", q.start, q.end)
            ti = _tok_index(toks, _norm_index(nt, q.start))
            cue, cat = _cue_for(toks, ti, sent_cues)
            if cue:
                r.update(kind="threat", threat_cue=f"{cat}:{cue}")
            r["event_id"] = _event_id(doc_id, s0 + q.start, s0 + q.end, r["kind"])
            if last_top is not None and (gap_words & SUBCOUNT_WORDS):
                parent_id = last_top
            elif last_top is not None and parent_id is not None and len(gap_words) <= 4 \
                    and ("و" in gap_words or "," in gap or any(w.startswith("و") for w in gap_words)):
                pass  # "منها 41 …، و22 …": the chain of sub-counts goes on
            else:
                parent_id = None
            r["parent_event_id"] = parent_id
            if parent_id is None:
                last_top = r["event_id"]
            nxt = agg_qs[qi + 1].start if qi + 1 < len(agg_qs) else len(text)
            seg_end = min(nxt, q.end + 60)
            w = _weapon_in(nt, q.start, seg_end)
            if w is None and qi + 1 < len(agg_qs) and SUBCOUNT_WORDS & set(_TOKEN_RE.findall(
                    nt.text[_norm_index(nt, q.end):_norm_index(nt, nxt)])):
                w = None  # the parent of typed sub-counts is mixed
            r["n_attacks"] = int(q.value)
            r["qualifier"] = q.qualifier
            _set_weapon(r, w)
            ds, de, prec, rule = _period(times, anchor, nt)
            r.update(date_start=_iso(ds), date_end=_iso(de), date_precision=prec, date_rule=rule or None)
            locate(r, q.start)
            actors(r, q.start)
            out.append(r)
            prev_end = q.end
        return out

    triggers = [t for t in triggers if t.cue or t.role not in CUED_ONLY_ROLES]
    triggers = [_demonstrative_anaphor(t, toks) for t in triggers]
    triggers = [t for t in triggers if t.cue or t.role not in CUED_ONLY_ROLES]
    clauses = _clauses(nt, toks, text, triggers, times, places, prev_day)
    multi = len(clauses) > 1

    def clause_rows(cl: _Clause, inherited: _Time | None) -> tuple[list[dict], _Time | None]:
        """Rows of one clause (the whole sentence when it is not split); fields from the clause."""
        a_c, b_c = cl.a, cl.b
        c_trigs = cl.triggers
        c_qs = [q for q in qs if a_c <= q.start < b_c]
        c_places = [p for p in places if a_c <= p.start < b_c]
        c_times = [t for t in times if a_c <= t.start < b_c]
        free = [t for t in c_trigs if not t.cue]
        cued = [t for t in c_trigs if t.cue]

        def complete(r: dict, pos: int, kind: str) -> None:
            """Place, actors and clause span of a threat or incident row, then its id."""
            locate(r, pos, c_places)
            actors(r, pos)
            r.update(clause_start=s0 + a_c, clause_end=s0 + b_c)
            r["event_id"] = _event_id(doc_id, r["start"], r["end"], kind)

        def threat_row() -> list[dict]:
            if not cued:
                return []
            t = cued[0]
            r = base("threat", t.start, t.end)
            r.update(threat_cue=f"{t.cue_category}:{t.cue}")
            _set_weapon(r, _weapon_in(nt, a_c, b_c))
            complete(r, t.start, "threat")
            return [r]

        if not free:
            return threat_row(), None

        # (4) incidents: anchored single attacks
        killed, injured = _casualties(nt, toks, c_qs, cl.k0, cl.k1)
        munitions = [q for q in c_qs if q.noun in MUNITION_LEMMAS]
        c_toks = toks[:cl.k1]  # a victim's name never runs into the next clause
        victims_by_trigger = {id(t): _victims(nt, c_toks, t.ti, t.role) for t in free
                              if t.role in ("killing", "killing_named")}
        anchored_other = bool(killed or injured or munitions)
        main = _main_trigger(free, toks, victims_by_trigger, anchored_other)
        wave = None
        if main is None and anchored_other:
            main = free[0]
        elif main is None:
            wave = _day_wave(free, c_times, nt)
            if wave is None:
                return threat_row(), None  # plural mentions without a count: background, not a row
            main = wave[0]
        victims = victims_by_trigger.get(id(main), [])
        if main.role not in ("killing", "killing_named") or (anchored_other and not victims):
            victims = []
        weapon_named = _weapon_in(nt, a_c, b_c)
        if main.role == "weak_verb" and not (weapon_named or munitions):
            return threat_row(), None  # "سقط"/"انفجر" without a weapon is not an attack
        info = _place_info()
        site_named = any(info[p.place_id]["kind"] in ("base", "airport", "embassy") for p in c_places)
        responsibility = bool(RESPONSIBILITY_RE.search(nt.text[_norm_index(nt, a_c):_norm_index(nt, b_c)]))
        # date: the clause's own; a relative "بعد يومين من" counts from an earlier date of the same
        # sentence, else the previous sentence's; a silent clause after فيما/بينما/في حين/و takes
        # the previous clause's date (rule suffix +previous_clause)
        main_n = _norm_index(nt, main.start)
        ref_rule = _relative_to_previous(nt, main_n, _earlier_day(times, main.start) or prev_day)
        tm = wave[1] if wave is not None else (ref_rule or _pick_time(c_times, main.start, nt=nt))
        if tm is None and inherited is not None:
            tm = _Time(inherited.start, inherited.end, inherited.surface, inherited.date_start,
                       inherited.date_end, inherited.precision,
                       (inherited.rule + "+" if inherited.rule else "") + "previous_clause")
        singular = main.role in SINGLE_ROLES
        has_date = tm is not None and (tm.precision in ("day", "week") or singular)
        # a named site anchors a perfect verb ("استهدفت قاعدة حرير") or a count noun ("هجوم على قاعدة
        # عين الأسد"), not a verbal noun ("عمدت إلى استهداف المنطقة … السفارة": habitual)
        concrete = main.role in ("attack_verb", "weak_verb") or main.term in COUNT_NOUN_TRIGGERS
        if not (anchored_other or victims or has_date or (concrete and site_named)
                or (singular and responsibility)):
            return threat_row(), None
        a, b = main.start, main.end
        for q in killed + injured + munitions:
            a, b = min(a, q.start), max(b, q.end)
        for _, vend in victims:
            b = max(b, vend)
        r = base("incident", a, b)
        r["n_attacks"] = 1
        r["qualifier"] = "exact"
        if killed:
            k = max(killed, key=lambda q: q.value)
            r.update(killed=int(k.value), killed_qualifier=k.qualifier)
        elif victims:
            r.update(killed=len(victims), killed_qualifier="at_least")
        if injured:
            k = max(injured, key=lambda q: q.value)
            r.update(injured=int(k.value), injured_qualifier=k.qualifier)
        if munitions:
            r["munitions"] = int(max(q.value for q in munitions))
        if victims:
            r["victims"] = "|".join(dict.fromkeys(v for v, _ in victims))
        if tm is not None:
            r.update(date_start=_iso(tm.date_start), date_end=_iso(tm.date_end or tm.date_start),
                     date_precision=tm.precision or None, date_rule=tm.rule or None)
        _set_weapon(r, weapon_named)
        complete(r, main.start, "incident")
        return [r], tm

    prev_incident_time: _Time | None = None
    for cl in clauses:
        rows_c, tm_c = clause_rows(cl, prev_incident_time if (multi and cl.simultaneous) else None)
        out.extend(rows_c)
        if any(r["kind"] == "incident" for r in rows_c):
            prev_incident_time = tm_c
    return out


def _iso(d) -> str | None:
    return d.isoformat() if isinstance(d, dt.date) else None


# --- actors --------------------------------------------------------------------------------
_US_SIDE = re.compile(r"(^|[_\W])(us|usa|united_states|america|american|coalition|us_aligned|western|"
                      r"centcom|pentagon|us_forces|us_gov|us_government|us_military|nato)($|[_\W])", re.I)


def _is_us_side(row) -> bool:
    for col in ("alignment", "actor_id", "actor_name_en"):
        v = getattr(row, col, None)
        if isinstance(v, str) and _US_SIDE.search(v):
            return True
    return False


#: actor types that can carry out an attack (a person is a victim or a commander far more
#: often than the attacker in news prose; media, research, parties and offices never are)
PERPETRATOR_TYPES = frozenset({"armed faction", "armed forces", "state", "international force"})
#: words that put an actor in an affiliation phrase ("المدعومة من إيران", "الموالية لإيران",
#: "المتحالفة مع إيران", "وكلاء إيران"): the actor backs the attackers, it is not named as one
_AFFILIATION = re.compile(r"(ترعا\w*|ترعى|يرعى|تدعم\w*|يدعم\w*|مدعوم\w*|موالي\w*|متحالف\w*|حليف\w*|وكلاء|وكيل\w*|تابع\w*|مرتبط\w*|مقرب\w*)"
                          r"\s+(?:من|مع|ل|لـ)?\s*$")
#: prepositions that make the next actor the object/target of the attack
_TARGET_PREP = re.compile(r"(?:على|ضد|استهداف|باتجاه|نحو)\s*$")
#: an actor right after a preposition (or an attached ل/ب) is not the agent ("التوترات مع
#: إيران", "الدعم الأمريكي لإسرائيل"); "من قبل X" (by X) is, so "من" alone is not listed
_NON_AGENT_PREP = re.compile(r"(?:(?:^|\s)(?:مع|في|إلى|الى|عن|بين|لدى|عند)\s*|[لب]ـ?)$")


#: per thread (Dask workers may run several tasks at once): the last frame grouped
_MENTION_GROUPS = threading.local()


def _sentence_mention_rows(mentions_df: pd.DataFrame, doc_id, sid) -> list:
    """The mentions (``itertuples`` rows, table order) of one sentence (``sentence_id ==
    sid``; of the document when the table has no ``sentence_id``). The table is grouped once
    and the groups kept for the next call with the same frame (one call per clause)."""
    cache = _MENTION_GROUPS
    if getattr(cache, "frame", None) is not mentions_df:
        groups: dict = {}
        has_sid = "sentence_id" in mentions_df.columns
        for r in itertuples(mentions_df):
            k = (r.doc_id, r.sentence_id) if has_sid else (r.doc_id,)
            groups.setdefault(k, []).append(r)
        cache.frame, cache.groups, cache.has_sid = mentions_df, groups, has_sid
    groups = cache.groups
    key = (doc_id, sid) if cache.has_sid else (doc_id,)
    try:
        return groups.get(key, [])
    except TypeError:   # an unhashable id: compare one by one
        return [r for k, rs in groups.items() if k == key for r in rs]


def _actors_for(mentions_df, doc_id, sid, s0, pos, text: str = "") -> tuple[str | None, str | None]:
    """(perpetrator_actor_id, target_actor_id) from the actor mentions of the same sentence.

    Targets are US/coalition actors (alignment or id naming the US/coalition), nearest first.
    The perpetrator is a group or state (:data:`PERPETRATOR_TYPES`) that is not on the US side,
    not in an affiliation phrase (``المدعومة من إيران``) and not after a target preposition
    (``على``، ``ضد``) or another preposition (``مع إيران``، ``لإسرائيل``). Before the trigger it is the subject; after a verb trigger (Arabic is
    verb-first: ``قتل مسلحو داعش``) it is the agent within 40 characters; after a killing noun
    (``مقتل``، ``اغتيال``: what follows is the victim) only a state can be the agent
    (``اغتيال الولايات المتحدة …``), in which case a US-side agent is the perpetrator and
    the other side the target. Nothing found: null, never a guess.
    """
    if mentions_df is None or len(mentions_df) == 0:
        return None, None
    rows = _sentence_mention_rows(mentions_df, doc_id, sid)
    if not rows:
        return None, None
    trig = s0 + pos

    def before(r) -> str:
        return text[max(0, int(r.start) - s0 - 25):int(r.start) - s0] if text else ""

    def kind_ok(r) -> bool:
        t = getattr(r, "actor_type", None)
        return not isinstance(t, str) or t in PERPETRATOR_TYPES

    trigger_word = norm(text[pos:pos + 12]) if text else ""
    killing_noun = bool(re.match(r"(مقتل|اغتيال|استشهاد|مصرع|تصفيه)", trigger_word))
    rows = sorted(rows, key=lambda r: (abs(int(r.start) - trig), int(r.start)))
    agent_after = [r for r in rows if 0 <= int(r.start) - trig <= 40 and kind_ok(r)
                   and (not killing_noun or getattr(r, "actor_type", "state") == "state")
                   and not _TARGET_PREP.search(before(r)) and not _AFFILIATION.search(before(r))]
    if agent_after and _is_us_side(agent_after[0]):
        others = [r for r in rows if not _is_us_side(r) and r is not agent_after[0]]
        return str(agent_after[0].actor_id), (str(others[0].actor_id) if others else None)
    us = [r for r in rows if _is_us_side(r)]
    cands = [r for r in rows if not _is_us_side(r) and kind_ok(r)
             and not _AFFILIATION.search(before(r)) and not _TARGET_PREP.search(before(r))
             and not _NON_AGENT_PREP.search(before(r))
             and (int(r.start) < trig or r in agent_after)]
    perp = str(cands[0].actor_id) if cands else None
    tgt = str(us[0].actor_id) if us else None
    return perp, tgt


# --- cross-document merging ----------------------------------------------------------------
def _compatible(a: dict, b: dict) -> bool:
    """Two incident rows tell the same event (see :func:`merge_events`)."""
    va = set(str(a.get("victims") or "").split("|")) - {""}
    vb = set(str(b.get("victims") or "").split("|")) - {""}
    if va and vb:
        return bool(va & vb)
    da, db = _to_date(a.get("date_start")), _to_date(b.get("date_start"))
    if da is None or db is None:
        return False
    if a.get("date_precision") not in ("day", "period") or b.get("date_precision") not in ("day", "period"):
        return False
    ea, eb = _to_date(a.get("date_end")) or da, _to_date(b.get("date_end")) or db
    if (db - ea).days > 1 or (da - eb).days > 1:
        return False
    wa, wb = a.get("weapon"), b.get("weapon")
    if wa and wb and wa != wb:
        ta, tb = a.get("sub_event_type"), b.get("sub_event_type")
        if ta != tb:
            return False
    pa, pb = a.get("place_id"), b.get("place_id")
    if pa and pb and pa != pb:
        places = _place_info()
        if places[pa]["country"] != places[pb]["country"]:
            return False
        ka, kb = places[pa]["kind"], places[pb]["kind"]
        if ka != "country" and kb != "country" and KIND_RANK[ka] == KIND_RANK[kb]:
            return False
    ka_, kb_ = a.get("killed"), b.get("killed")
    if _num(ka_) is not None and _num(kb_) is not None and a.get("killed_qualifier") == "exact" \
            and b.get("killed_qualifier") == "exact" and _num(ka_) != _num(kb_):
        return False
    return True


def _num(v):
    if v is None or v is pd.NA:
        return None
    try:
        if pd.isna(v):
            return None
    except (TypeError, ValueError):
        pass
    return v


def _candidate_pairs(recs: list[dict], inc: list[int]) -> Iterator[tuple[int, int]]:
    """Incident pairs that can be compatible, found without comparing every pair: incidents
    that share a named victim (always compatible, so each is chained to the next one with that
    victim: the same groups as linking every pair), and pairs whose day/period windows lie
    within a day of each other (a sweep over windows sorted by start). Every compatible pair
    is connected through these, and :func:`_compatible` still checks each one the grouping
    needs, so merging stays exactly as with all pairs. Pairs are yielded as found (a pair may
    come twice), never held all at once."""
    by_victim: dict[str, list[int]] = {}
    starts, ends, ids = array("q"), array("q"), array("q")   # day/period windows, as day ordinals
    for i in inc:
        r = recs[i]
        for v in set(str(r.get("victims") or "").split("|")) - {""}:
            by_victim.setdefault(v, []).append(i)
        d = _to_date(r.get("date_start"))
        if d is not None and r.get("date_precision") in ("day", "period"):
            starts.append(d.toordinal())
            ends.append((_to_date(r.get("date_end")) or d).toordinal() + 1)  # within a day
            ids.append(i)
    for vids in by_victim.values():
        yield from zip(vids, vids[1:])
    del by_victim
    yield from sweep_pairs(starts, ends, ids)


def merge_events(df: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Merge incident rows that tell the same event; return (attacks, events_sources).

    Merge rule (incidents only; aggregate claims and threats are never merged — two outlets'
    counts are two claims): two incidents are one event when

    * they name a common victim (surname key, ``victims``), or
    * neither names victims, both have day- or window-precision dates at most one day apart,
      their weapons agree (or one is unstated), their places agree (same place, or one is a
      country containing the other, or one is unstated) and their exact death tolls agree.

    Rows are grouped transitively (union-find). The merged row keeps the first source (by
    ``doc_id``, ``start``) for ``event_id``/``doc_id``/``start``/``end``/``evidence`` and takes
    the most precise date, the most specific place and weapon, the largest stated tolls and
    the union of victims; ``n_sources`` counts the evidence rows, all listed in
    ``events_sources``.
    """
    if df is None or len(df) == 0:
        return (pd.DataFrame(columns=ATTACK_COLUMNS), pd.DataFrame(columns=SOURCE_COLUMNS))
    df = df.sort_values(list(EVENT_ORDER), kind="mergesort").reset_index(drop=True)
    recs = [event_record(r) for r in df.to_dict("records")]
    groups = event_groups(recs)
    out_rows, src_rows = [], []
    for group in groups:
        rep, srcs = merge_group([recs[i] for i in group])
        out_rows.append(rep)
        src_rows += srcs
    return event_frames(out_rows, src_rows)


#: order of the incident rows before grouping (a stable sort of the concatenated rows)
EVENT_ORDER = ("doc_id", "start", "end", "kind")
#: the fields :func:`_compatible` and :func:`_candidate_pairs` read (the streamed merge
#: keeps only these in memory)
LINK_FIELDS = ("kind", "victims", "date_start", "date_end", "date_precision", "weapon", "sub_event_type",
               "place_id", "killed", "killed_qualifier")
#: final sort keys of the two tables (ties keep group order)
ATTACK_ORDER = ("doc_id", "start", "end", "event_id")
SOURCE_ORDER = ("event_id", "doc_id", "start")
INT_COLUMNS = ("n_attacks", "killed", "injured", "munitions", "n_sources", "start", "end", "sentence_id",
               "clause_start", "clause_end")


def event_record(r: dict) -> dict:
    """One row of ``to_dict("records")`` with every missing value as None."""
    return {k: (None if _num(v) is None else v) for k, v in r.items()}


def _link_key(r: dict) -> tuple:
    """Every field :func:`_compatible` and :func:`_candidate_pairs` read, with its type
    (``1`` and ``1.0`` stay apart: a class never mixes values the test could tell apart)."""
    return tuple((v.__class__, v) for v in (r[f] for f in LINK_FIELDS))


def event_groups(recs) -> Groups:
    """The events: groups of row positions (``recs[i]`` needs only :data:`LINK_FIELDS`).

    Incidents with the same linking fields answer :func:`_compatible` alike; when they are
    compatible with each other (a named victim, or a day/period date) they are one event
    whatever else links, so each such class is linked as one node
    (:func:`iraqkit.grouping.collapse_classes`): the groups are those of linking every row."""
    n = len(recs)
    inc = [i for i in range(n) if recs[i]["kind"] == "incident"]
    nodes, members = collapse_classes(inc, lambda i: _link_key(recs[i]),
                                      lambda cls: _compatible(recs[cls[0]], recs[cls[0]]))
    pos = array("i", [-1]) * n          # a node's row position -> its node number
    for k, i in enumerate(nodes):
        pos[i] = k
    groups = linked_groups(len(nodes), ((pos[a], pos[b]) for a, b in _candidate_pairs(recs, nodes)),
                           lambda a, b: _compatible(recs[nodes[a]], recs[nodes[b]]))
    return expand_groups(n, ([nodes[k] for k in g] for g in groups), members)


class EventFold:
    """:func:`merge_group` one member at a time, in row order: ``add(member)`` returns the
    member's ``events_sources`` row, ``row()`` the merged event. Every choice is a running
    first-best (the first member among equals, as ``min``/``max`` over the whole list pick),
    so a group of any size is merged in memory that does not grow with it (the largest
    event of the 1 GB synthetic corpus has about 85,000 sources); only the victims' names
    are kept, once each."""

    _FILL = ("perpetrator_actor_id", "target", "target_actor_id", "claimed_by_source", "munitions")

    def __init__(self):
        self.n = 0
        self.event_id = None
        self.best = None      # [key, member] per choice
        self.dated = self.located = self.armed = None
        self.stated: dict[str, list] = {}
        self.vic: dict[str, None] = {}
        self.fill: dict[str, object] = {}

    def add(self, m: dict) -> dict:
        k = self.n
        if k == 0:
            self.event_id = m["event_id"]
        self.n += 1
        key = (_informative(m), -k)
        if self.best is None or key > self.best[0]:
            self.best = [key, m]
        if m.get("date_start"):
            key = (PRECISION_RANK.get(m.get("date_precision"), 9), _span_days(m), m["doc_id"], m["start"])
            if self.dated is None or key < self.dated[0]:
                self.dated = [key, m]
        if m.get("place_id"):
            key = (KIND_RANK.get(_place_info()[m["place_id"]]["kind"], 9), m["doc_id"], m["start"])
            if self.located is None or key < self.located[0]:
                self.located = [key, m]
        if m.get("weapon"):
            key = (_weapon_info()[m["weapon"]][2], -k)
            if self.armed is None or key > self.armed[0]:
                self.armed = [key, m]
        for c, q in (("killed", "killed_qualifier"), ("injured", "injured_qualifier")):
            v = _num(m.get(c))
            if v is not None:
                key = (v, m[q] == "exact")
                s = self.stated.get(c)
                if s is None or key > s[0]:
                    self.stated[c] = [key, m]
        for v in str(m.get("victims") or "").split("|"):
            if v:
                self.vic[v] = None
        for c in self._FILL:
            if c not in self.fill and m.get(c):
                self.fill[c] = m[c]
        return {"event_id": self.event_id, "doc_id": m["doc_id"], "start": m["start"],
                "end": m["end"], "evidence": m["evidence"]}

    def row(self) -> dict:
        rep = dict(self.best[1])
        rep["event_id"] = self.event_id
        if self.n > 1:
            if self.dated:
                for c in ("date_start", "date_end", "date_precision", "date_rule"):
                    rep[c] = self.dated[1][c]
            if self.located:
                for c in ("location", "place_id", "place_ids", "latitude", "longitude", "geo_precision"):
                    rep[c] = self.located[1][c]
            if self.armed:
                for c in ("weapon", "event_type", "sub_event_type"):
                    rep[c] = self.armed[1][c]
            for c, q in (("killed", "killed_qualifier"), ("injured", "injured_qualifier")):
                if c in self.stated:
                    best = self.stated[c][1]
                    rep[c], rep[q] = best[c], best[q]
            vic = list(self.vic)
            rep["victims"] = "|".join(vic) or None
            if rep.get("killed_qualifier") == "at_least" and vic:
                rep["killed"] = max(int(_num(rep.get("killed")) or 0), len(vic))
            for c in self._FILL:
                if not rep.get(c):
                    rep[c] = self.fill.get(c)
        rep["n_sources"] = self.n
        return rep


def merge_group(members: list[dict]) -> tuple[dict, list[dict]]:
    """One event's merged row and its ``events_sources`` rows (members in row order); the
    evidence shown is the most informative source's, the id the earliest one's.
    :class:`EventFold` does the merging."""
    fold = EventFold()
    srcs = [fold.add(m) for m in members]
    return fold.row(), srcs


def event_frames(out_rows: list[dict], src_rows: list[dict], *, sort: bool = True
                 ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The two tables from the merged rows (in group order): sorted, integer columns as Int64."""
    attacks = pd.DataFrame(out_rows, columns=ATTACK_COLUMNS)
    sources = pd.DataFrame(src_rows, columns=SOURCE_COLUMNS)
    if sort:
        attacks = attacks.sort_values(list(ATTACK_ORDER), kind="mergesort").reset_index(drop=True)
        sources = sources.sort_values(list(SOURCE_ORDER), kind="mergesort").reset_index(drop=True)
    for c in INT_COLUMNS:
        attacks[c] = attacks[c].astype("Int64")
    return attacks, sources


def _informative(m: dict) -> int:
    """How much a source row says: stated fields plus named victims."""
    keys = ("date_start", "place_id", "weapon", "killed", "injured", "munitions")
    return sum(1 for k in keys if m.get(k) is not None) + len(str(m.get("victims") or "").split("|"))


def _span_days(m: dict) -> int:
    a, b = _to_date(m.get("date_start")), _to_date(m.get("date_end"))
    return (b - a).days if a and b else 10**6


# --- stage ----------------------------------------------------------------------------------
def run_stage(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """``{"attacks": …, "events_sources": …}`` from ``sentences`` (+ ``documents``, ``mentions``)."""
    sentences = tables.get("sentences")
    if sentences is None or len(sentences) == 0:
        return merge_events_dict(pd.DataFrame(columns=ATTACK_COLUMNS))
    docs = tables.get("documents")
    published = {}
    if docs is not None and "published" in docs.columns:
        for r in docs.itertuples(index=False):
            v = r.published
            published[str(r.doc_id)] = "" if v is None or v is pd.NA or (isinstance(v, float) and pd.isna(v)) else str(v)
    mentions = tables.get("mentions")
    frames = []
    for doc_id, sdf in sentences.groupby("doc_id", sort=True):
        mdf = mentions[mentions["doc_id"] == doc_id] if mentions is not None and len(mentions) else None
        frames.append(extract_doc(str(doc_id), published.get(str(doc_id), ""), sdf, mdf))
    frames = [f for f in frames if len(f)]
    df = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=ATTACK_COLUMNS)
    return merge_events_dict(df)


def merge_events_dict(df: pd.DataFrame) -> dict[str, pd.DataFrame]:
    attacks, sources = merge_events(df)
    return {"attacks": attacks, "events_sources": sources}
