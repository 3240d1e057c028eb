"""Actors stage: who is named, who speaks, who appears with whom.

Inputs are ``sentences`` (doc_id, sentence_id, start, end, text; ``text`` is
``raw_text[start:end]``) and ``documents`` (doc_id, published). Curated knowledge lives in
data files, never in this module:

* ``data/gazetteers/actors.csv`` – canonical actors with Arabic aliases, short forms
  (surnames, bare short names) and, for states, capitals used as metonyms;
* ``data/gazetteers/actor_roles.csv`` – dated office-holders with the Arabic role phrases;
* ``data/lexicons/speech_verbs.csv`` – reporting verbs;
* ``data/lexicons/actor_cues.csv`` – titles, attribution cues, rank words, "former"
  modifiers, locative prepositions … (one ``kind`` per row);
* ``data/lexicons/actor_name_stopwords.csv`` – words that never form an unknown name.

Resolution rules (the ``resolution`` column of ``mentions``):

``alias``      a full name or unambiguous alias (clitics و ف ب ل ك لل … allowed); longest
               match wins, so "حركة المقاومة الإسلامية" is Hamas, "كتائب حزب الله" /
               "حزب الله العراقي" Kata'ib Hezbollah and "حركة حزب الله النجباء" Nujaba,
               while bare "حزب الله" is the Lebanese party.
``metonym``    a capital standing for its state ("واشنطن" → United States).
``surname``    a person's surname / short form: resolves only after a full alias of that
               person appeared earlier in the same document (the most recent one wins when
               several actors share the surname); surnames flagged ``short_standalone`` in
               the gazetteer (distinctive: "الكاظمي", "سليماني") also resolve on their own.
``short``      the same rule for organisations ("التحالف" after "التحالف الدولي",
               "التنظيم" after "داعش", "الهيئة" after its full name).
``role``       a role phrase resolved by the document's publication date through the dated
               roles ("رئيس الوزراء العراقي" in 2021 → al-Kadhimi).
``role_short`` an unqualified role phrase ("رئيس الوزراء", "السفير الأمريكي"): resolved by
               date, and only if that office-holder is also named in the same document.
``role_context`` document without a date: the holder whose term best covers the period
               implied by the role+name pairs of the same document (e.g. "الرئيس الأمريكي
               جو بايدن" implies 2021-2025), or the only holder named in the document.

A role phrase immediately followed by a person's name ("وزير الدفاع الأمريكي لويد أوستن",
ranks such as اللواء/الجنرال and a short parenthesis may stand between) yields one mention,
on the name; a role mention is also dropped when the same actor is named in the same
sentence. A role phrase followed by "السابق/الراحل/المقبل…" is never resolved by date.

States are actors of type ``state``; a state or capital right after a locative word (في،
إلى، داخل، ب… — ``locative`` cues, or من unless an ``agentive`` cue precedes it:
"المدعومة من إيران" keeps Iran) is a place and is not reported.

Unknown candidates (``actor_unknown``): after a title ("الخبير الأمني", "الدكتور"), an
attribution cue ("القيادي في", "عضو", "المتحدث باسم") or a speech verb, 2-4 name-like tokens
(no function word, title, nationality adjective or known actor; later tokens only nisbas such
as "الكبيسي") are a person candidate; after an attribution cue, an ``org_head`` word ("اللجنة",
"معهد", "حركة" …) and up to five following words are an organisation candidate; "القيادي في
“X”، علي الطائي" gives the name after the known organisation. A later bare surname of a
candidate person is listed with cue ``surname``.

Quotes: a direct quote is a span in “…” / «…» / "…" of 3+ words (or after a colon) that is not
just an actor's name; reported speech is a speech verb (``speech_verbs.csv``) with its
complement (إن/أن/:/a quote). The speaker is, in order: the person (known, else an unknown
candidate) or organisation between the verb and the complement (a mention glued to ل is the
addressee: "قال لـ”رويترز”"); for an unnamed source ("قيادي في “كتائب حزب الله”", "مسؤول
بالحكومة العراقية") the organisation it belongs to; an anaphor ("الأخير" → the last person
named before; "الكاتب", "القيادي" → the current speaker); the subject right before the verb
(SVO: "رايدر اعتبر أن"); a person named earlier in the sentence; the previous sentence's speaker
("وتابع:"). "بحسب/وفق X" makes X the current speaker. A quote with no attributable speaker keeps
empty speaker columns.
"""
from __future__ import annotations

import datetime as dt
import re
from bisect import bisect_left
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import combinations
from pathlib import Path

import pandas as pd

from .arabic import DIACRITICS, TATWEEL, Normalized, TermMatcher, fold_char, normalize, norm, norm_text
from .paths import GAZETTEERS, LEXICONS
from .tables import frame_from_records, records, sort_stable

TYPES = ("person", "state", "government body", "armed forces", "armed faction", "international force",
         "international organisation", "political party", "media", "research")
ALIGNMENTS = ("US-led", "Iraqi government", "Iran-aligned", "Kurdish", "ISIS", "Israel", "other")

MENTION_COLUMNS = ["doc_id", "sentence_id", "start", "end", "surface", "actor_id", "actor_name_en",
                   "actor_name_ar", "actor_type", "alignment", "resolution"]
QUOTE_COLUMNS = ["doc_id", "sentence_id", "start", "end", "speaker_actor_id", "speaker_surface", "verb", "text"]
UNKNOWN_COLUMNS = ["doc_id", "sentence_id", "start", "end", "surface", "cue", "evidence"]
EDGE_COLUMNS = ["source", "target", "weight", "n_docs"]

ACTOR_COLUMNS = ["actor_id", "name_en", "name_ar", "aliases_ar", "short_ar", "short_standalone", "metonyms_ar",
                 "type", "alignment", "source"]
ROLE_COLUMNS = ["actor_id", "role_key", "role_ar", "role_short_ar", "start", "end", "source"]

#: the period the package covers: open-ended terms are cut here when a document has no date
PERIOD_END = dt.date(2026, 12, 31)

_LETTERS = "0-9a-z\u0621-\u064a\u0671-\u06d3"
_TOKEN = re.compile(rf"[{_LETTERS}]+(?:-[{_LETTERS}]+)*|[^\s{_LETTERS}]")
_LETTER = re.compile(rf"[{_LETTERS}]")
_ID = re.compile(r"^[a-z0-9_]+$")
_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
#: characters :meth:`Normalized.span` extends a span's end over (diacritics, tatweel)
_TRAILING_CHARS = frozenset(DIACRITICS | {TATWEEL})
_TRAILING = re.compile("[" + "".join(re.escape(c) for c in sorted(_TRAILING_CHARS)) + "]")
_TRAILING_RUN = re.compile(_TRAILING.pattern + "+")


class GazetteerError(ValueError):
    """The curated actor files are inconsistent (message says which row and why)."""


# --- curated data ------------------------------------------------------------------------
def _split(cell: str) -> list[str]:
    return [p.strip() for p in str(cell or "").split("|") if p.strip()]


@lru_cache(maxsize=1)
def _variant_pairs() -> tuple[tuple[str, str], ...]:
    df = _read_csv(LEXICONS / "actor_spelling_variants.csv")
    return tuple((norm(a), norm(b)) for a, b in zip(df["from"], df["to"]))


def spelling_variants(term: str) -> list[str]:
    """Normalised spellings of ``term``: each alias is also registered in the other standard
    spelling listed in ``data/lexicons/actor_spelling_variants.csv`` (أمريكي/أميركي,
    البنتاغون/البنتاجون …)."""
    t = norm(term)
    out = [t]
    for a, b in _variant_pairs():
        if a in t:
            out.append(t.replace(a, b))
    return list(dict.fromkeys(out))


def parse_date(value: str, *, end: bool) -> dt.date:
    """Parse a (possibly coarse) gazetteer date; coarse dates cover their whole month/year.

    ``""`` means "before the period" for a start and "still in office" for an end.
    """
    value = str(value or "").strip()
    if not value:
        return dt.date.max if end else dt.date.min
    m = _DATE.match(value)
    if not m:
        raise ValueError(f"bad date {value!r} (use YYYY, YYYY-MM or YYYY-MM-DD)")
    y, mo, d = int(m.group(1)), m.group(2), m.group(3)
    if d:
        return dt.date(y, int(mo), int(d))
    if mo:
        mo = int(mo)
        if not end:
            return dt.date(y, mo, 1)
        nxt = dt.date(y + (mo == 12), mo % 12 + 1, 1)
        return nxt - dt.timedelta(days=1)
    return dt.date(y, 12, 31) if end else dt.date(y, 1, 1)


@dataclass(frozen=True)
class Term:
    actor_id: str
    role_key: str
    start: dt.date
    end: dt.date


@dataclass
class Gazetteer:
    actors: pd.DataFrame                       # indexed by actor_id
    roles: pd.DataFrame
    names: dict[str, list[tuple[str, str]]]    # normalised term -> [(actor_id, kind)]
    standalone: frozenset[str]
    role_phrases: dict[str, list[tuple[str, bool]]]   # normalised phrase -> [(role_key, is_short)]
    terms: dict[str, list[Term]]               # role_key -> terms
    name_matcher: TermMatcher = field(repr=False)
    role_matcher: TermMatcher = field(repr=False)
    cues: dict[str, frozenset[str]] = field(repr=False)
    speech: dict[str, tuple[str, str]] = field(repr=False)   # normalised form -> (lemma, kind)
    stopwords: frozenset[str] = field(repr=False)
    stopwords_light: frozenset[str] = field(repr=False, default=frozenset())
    #: actor_id -> the actor's row as a plain dict (built once; ``info`` is called per hit)
    _rows: dict[str, dict[str, str]] = field(repr=False, default_factory=dict)

    def __post_init__(self) -> None:
        if not self._rows:
            self._rows = {str(k): dict(zip(self.actors.columns, (str(v) for v in row)))
                          for k, row in zip(self.actors.index, self.actors.itertuples(index=False))}

    def info(self, actor_id: str) -> dict[str, str]:
        """The gazetteer row of ``actor_id`` (column -> value); KeyError when unknown."""
        return self._rows[actor_id]


def _read_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")


def validate_gazetteer(actors: pd.DataFrame, roles: pd.DataFrame) -> None:
    """Raise :class:`GazetteerError` on the first inconsistency (file, row, reason)."""
    missing = [c for c in ACTOR_COLUMNS if c not in actors.columns]
    if missing:
        raise GazetteerError(f"actors.csv: missing columns {missing}")
    missing = [c for c in ROLE_COLUMNS if c not in roles.columns]
    if missing:
        raise GazetteerError(f"actor_roles.csv: missing columns {missing}")
    seen: set[str] = set()
    for i, r in zip(actors.index, records(actors)):  # (iterrows: 10x slower)
        row = f"actors.csv row {i + 2} ({r['actor_id'] or '?'})"
        if not _ID.match(r["actor_id"]):
            raise GazetteerError(f"{row}: actor_id must be a lower-case slug")
        if r["actor_id"] in seen:
            raise GazetteerError(f"{row}: duplicate actor_id")
        seen.add(r["actor_id"])
        if r["type"] not in TYPES:
            raise GazetteerError(f"{row}: type {r['type']!r} not in {TYPES}")
        if r["alignment"] not in ALIGNMENTS:
            raise GazetteerError(f"{row}: alignment {r['alignment']!r} not in {ALIGNMENTS}")
        if not r["source"].strip():
            raise GazetteerError(f"{row}: empty source")
        if not r["name_ar"].strip() or not r["name_en"].strip():
            raise GazetteerError(f"{row}: name_ar and name_en are required")
        if r["short_standalone"] not in ("yes", "no", ""):
            raise GazetteerError(f"{row}: short_standalone must be yes/no")
    for i, r in zip(roles.index, records(roles)):
        row = f"actor_roles.csv row {i + 2} ({r['actor_id']}, {r['role_key']})"
        if r["actor_id"] not in seen:
            raise GazetteerError(f"{row}: unknown actor_id")
        if not r["source"].strip():
            raise GazetteerError(f"{row}: empty source")
        if not _split(r["role_ar"]):
            raise GazetteerError(f"{row}: empty role_ar")
        try:
            s, e = parse_date(r["start"], end=False), parse_date(r["end"], end=True)
        except ValueError as exc:
            raise GazetteerError(f"{row}: {exc}") from None
        if s > e:
            raise GazetteerError(f"{row}: start after end")


def _lexicon(name: str) -> pd.DataFrame:
    return _read_csv(LEXICONS / name)


@lru_cache(maxsize=4)
def _load(path: str | None) -> Gazetteer:
    folder = Path(path) if path else GAZETTEERS
    actors = _read_csv(folder / "actors.csv")
    roles = _read_csv(folder / "actor_roles.csv")
    validate_gazetteer(actors, roles)

    names: dict[str, list[tuple[str, str]]] = {}

    def add(term: str, aid: str, kind: str) -> None:
        for t in spelling_variants(term):
            lst = names.setdefault(t, [])
            if (aid, kind) not in lst:
                lst.append((aid, kind))

    for r in actors.itertuples(index=False):
        for a in [r.name_ar, *_split(r.aliases_ar)]:
            add(a, r.actor_id, "alias")
        for a in _split(r.metonyms_ar):
            add(a, r.actor_id, "metonym")
        for a in _split(r.short_ar):
            add(a, r.actor_id, "short")
    # a term that is somebody's full alias is never a short form of somebody else
    for t, lst in names.items():
        if any(k != "short" for _, k in lst):
            names[t] = [x for x in lst if x[1] != "short"]
    standalone = frozenset(actors.loc[actors["short_standalone"] == "yes", "actor_id"])

    role_phrases: dict[str, list[tuple[str, bool]]] = {}
    terms: dict[str, list[Term]] = {}
    for r in roles.itertuples(index=False):
        for p, short in [(p, False) for p in _split(r.role_ar)] + [(p, True) for p in _split(r.role_short_ar)]:
            for t in spelling_variants(p):
                lst = role_phrases.setdefault(t, [])
                if (r.role_key, short) not in lst:
                    lst.append((r.role_key, short))
        terms.setdefault(r.role_key, []).append(
            Term(r.actor_id, r.role_key, parse_date(r.start, end=False), parse_date(r.end, end=True)))

    cue_df = _lexicon("actor_cues.csv")
    cues = {k: frozenset(norm(c) for c in g["cue"]) for k, g in cue_df.groupby("kind")}
    sv = _lexicon("speech_verbs.csv")
    speech = {norm(f): (l, k) for f, l, k in zip(sv["form"], sv["lemma"], sv["kind"])}
    words = list(_lexicon("actor_name_stopwords.csv")["word"])
    stop = frozenset(norm(w) for w in words)
    light = frozenset("".join(c if c == "\u0649" else fold_char(c) for c in w) for w in words)
    return Gazetteer(actors.set_index("actor_id", drop=False), roles, names, standalone, role_phrases, terms,
                     TermMatcher([(t, t) for t in names]), TermMatcher([(t, t) for t in role_phrases]),
                     cues, speech, stop, light)


def load_gazetteer(path: str | Path | None = None) -> Gazetteer:
    """Load and validate ``actors.csv`` + ``actor_roles.csv`` (from ``path`` or the package data)."""
    return _load(str(path) if path else None)


def _cue_heads(g: Gazetteer) -> frozenset[str]:
    """First words of the affiliation and title cues (a token that is none of them starts no cue)."""
    heads = g.__dict__.get("_cue_heads")
    if heads is None:
        heads = frozenset(c.split(" ")[0] for kind in ("affiliation", "title") for c in g.cues.get(kind, ()))
        g.__dict__["_cue_heads"] = heads
    return heads


def _unknown_starters(g: Gazetteer) -> frozenset[str]:
    """Affiliation/title cue heads and speech verbs, bare and with و/ف glued before them (the
    tokens at which :meth:`_Doc.unknowns` may find a cue or a verb); built once per gazetteer."""
    words = g.__dict__.get("_unknown_starters")
    if words is None:
        bare = set(_cue_heads(g)) | set(g.speech)
        words = frozenset(bare | {p + w for w in bare for p in ("و", "ف")})
        g.__dict__["_unknown_starters"] = words
    return words


def _act_words(g: Gazetteer) -> frozenset[str]:
    """Speech verbs and ``according`` cues, bare and with و/ف glued before them: every token
    that :meth:`_Doc.quotes` may take for a speech act is one of them; built once per gazetteer."""
    words = g.__dict__.get("_act_words")
    if words is None:
        bare = set(g.speech) | set(g.cues.get("according", ()))
        words = frozenset(bare | {p + w for w in bare for p in ("و", "ف")})
        g.__dict__["_act_words"] = words
    return words


def _cue_kinds(g: Gazetteer) -> dict[str, str]:
    """Affiliation and title cue -> its kind (``affiliation`` when a cue is both, the order in
    which :meth:`_Doc._cue_at` tries them); built once per gazetteer."""
    kinds = g.__dict__.get("_cue_kinds")
    if kinds is None:
        kinds = {}
        for kind in ("affiliation", "title"):
            for c in g.cues.get(kind, ()):
                kinds.setdefault(c, kind)
        g.__dict__["_cue_kinds"] = kinds
    return kinds


# --- matching view ------------------------------------------------------------------------
@lru_cache(maxsize=4096)
def matching_view(text: str) -> Normalized:
    """``normalize(text)`` without quotation marks (so ``تنظيم “الدولة”`` and ``لـ”رويترز”``
    match like plain text); offsets still point into ``text``. Pure and cached."""
    n = normalize(text)
    if '"' not in n.text and " " not in n.text[:1] and "  " not in n.text:
        return n   # nothing to drop: the view is the normalised text itself
    out: list[str] = []
    offs: list[int] = []
    for ch, o in zip(n.text, n.offsets):
        if ch == '"':
            continue
        if ch == " " and (not out or out[-1] == " "):
            continue
        out.append(ch)
        offs.append(o)
    offs.append(len(text))
    return Normalized(text, "".join(out), tuple(offs))


# --- per-document extraction --------------------------------------------------------------
@dataclass
class _Hit:
    sent: int                 # index of the sentence in the document
    start: int                # sentence-local original offsets
    end: int
    term: str
    prefix: str               # clitic letters before the span
    actor_id: str = ""
    resolution: str = ""
    keep: bool = True
    role_keys: tuple = ()
    short: bool = False
    former: bool = False


def _prefix(text: str, start: int) -> str:
    """Letters glued before ``start`` (the clitic the matcher left out of the span)."""
    if start == 0 or text[start - 1] == " ":    # nothing glued (what the loops below find)
        return ""
    i = start
    while i > 0 and (text[i - 1] in "\"'“”«»\u0640" or norm(text[i - 1]) == '"'):
        i -= 1
    j = i
    while j > 0 and _LETTER.match(norm(text[j - 1]) or " "):
        j -= 1
    return norm(text[j:i])


def _view_text(view: Normalized, start: int, end: int) -> str:
    """The part of ``view.text`` produced by ``view.original[start:end]``.

    Normalising and dropping quotes go character by character, so this is
    ``matching_view(view.original[start:end]).text`` up to white space at its start (kept
    here, dropped there), which :data:`_TOKEN` ignores: both have the same tokens, and for
    ``start == 0`` the same text."""
    offs, n = view.offsets, len(view.text)
    return view.text[bisect_left(offs, start, 0, n):bisect_left(offs, end, 0, n)]


def _prev_words(view: Normalized, start: int, n: int = 2) -> list[str]:
    """The last ``n`` tokens of ``matching_view(view.original[:start])`` (``view`` is the
    sentence's matching view).

    No token holds a space, so a scan that starts at a space finds the same tokens after it as
    a scan of the whole prefix: the scan starts at the last space, then at the one before …
    until it finds ``n`` tokens (or at the start of the text)."""
    text = view.text
    end = bisect_left(view.offsets, start, 0, len(text))
    if n <= 0:
        return _TOKEN.findall(text, 0, end)[-n:]
    pos = end
    while True:
        pos = text.rfind(" ", 0, pos)
        if pos < 0:
            return _TOKEN.findall(text, 0, end)[-n:]
        toks = _TOKEN.findall(text, pos, end)
        if len(toks) >= n:
            return toks[-n:]


def _view_tokens(v: Normalized) -> list[tuple[str, int, int]]:
    """(word, start, end) of the :data:`_TOKEN` tokens of a matching view, with offsets in the
    original text: ``v.span`` of each token, inlined (a token is never empty)."""
    offs, orig = v.offsets, v.original
    if _TRAILING.search(orig) is None:      # no diacritic/tatweel to extend an end over
        return [(m.group(), offs[m.start()], offs[m.end() - 1] + 1) for m in _TOKEN.finditer(v.text)]
    # position inside a run of diacritics/tatweel -> end of the run
    ext = {p: r.end() for r in _TRAILING_RUN.finditer(orig) for p in range(r.start(), r.end())}
    return [(m.group(), offs[m.start()], ext.get(e := offs[m.end() - 1] + 1, e)) for m in _TOKEN.finditer(v.text)]


def _parse_published(value) -> dt.date | None:
    s = str(value or "").strip()
    if not s or s.lower() in ("nan", "nat", "none"):
        return None
    try:
        return dt.date.fromisoformat(s[:10])
    except ValueError:
        return None


class _Doc:
    def __init__(self, gaz: Gazetteer, doc_id: str, published, sentences: pd.DataFrame):
        self.g = gaz
        self.doc_id = doc_id
        self.date = _parse_published(published)
        starts = list(sentences["start"])
        # rows are normally already in start order: then the stable sort would not move any
        # (a missing start compares False and takes the sort, as before)
        try:
            in_order = all(a <= b for a, b in zip(starts, starts[1:]))
        except TypeError:
            in_order = False
        if in_order:
            s = sentences
        else:
            s = sentences.sort_values("start", kind="stable")
            starts = list(s["start"])
        self.sids = list(s["sentence_id"])
        self.starts = [int(x) for x in starts]
        self.texts = [str(x) for x in s["text"]]
        self.views = [matching_view(t) for t in self.texts]
        self.names: list[_Hit] = []
        self.roles: list[_Hit] = []
        self._token_cache: dict[int, list[tuple[str, int, int]]] = {}

    # ---- names -------------------------------------------------------------------------
    def _state_is_place(self, k: int, h: _Hit, last_place: tuple | None) -> bool:
        text = self.texts[k]
        if "ب" in h.prefix:
            return True
        if h.prefix.startswith("و") and last_place and last_place[0] == k:
            gap = text[last_place[1]:h.start - len(h.prefix)]
            if re.fullmatch(r"[\s،,]*", gap):
                return True
        prev = _prev_words(self.views[k], h.start - len(h.prefix), 2)
        if not prev:
            return False
        if prev[-1] in self.g.cues.get("locative", ()):
            return True
        if prev[-1] == "من":
            return not (len(prev) > 1 and prev[-2] in self.g.cues.get("agentive", ()))
        return False

    def find_names(self) -> None:
        g = self.g
        seen: dict[str, tuple[int, int]] = {}
        pending: list[_Hit] = []
        for k, view in enumerate(self.views):
            last_place = None
            for m in g.name_matcher.finditer_normalized(view):
                h = _Hit(k, m.start, m.end, m.term, _prefix(self.texts[k], m.start))
                cands = g.names[m.term]
                full = [(a, kind) for a, kind in cands if kind != "short"]
                if full:
                    h.actor_id, kind = full[0]
                    h.resolution = kind
                    if g.info(h.actor_id)["type"] == "state":
                        if self._state_is_place(k, h, last_place):
                            h.keep = False
                            last_place = (k, h.end)
                    if h.keep:
                        seen[h.actor_id] = (k, h.start)
                else:
                    pending.append(h)
                self.names.append(h)
        self._seen_names = seen
        self._pending_short = pending

    def _resolve_short(self, h: _Hit, seen_pos: dict[str, list[tuple[int, int]]]) -> None:
        cands = [a for a, _ in self.g.names[h.term]]
        best, best_pos = "", (-1, -1)
        for a in cands:
            earlier = [p for p in seen_pos.get(a, []) if p < (h.sent, h.start)]
            if earlier and max(earlier) > best_pos:
                best, best_pos = a, max(earlier)
        if not best:
            alone = [a for a in cands if a in self.g.standalone]
            if len(alone) == 1:
                best = alone[0]
        if best:
            h.actor_id = best
            h.resolution = "surname" if self.g.info(best)["type"] == "person" else "short"
        else:
            h.keep = False

    # ---- roles -------------------------------------------------------------------------
    def _next_person(self, k: int, end: int) -> _Hit | None:
        """The person mention that directly follows a role phrase ending at ``end``."""
        text = self.texts[k]
        nxt = [h for h in self.names if h.sent == k and h.start >= end and h.keep and h.actor_id]
        if not nxt:
            return None
        h = min(nxt, key=lambda x: x.start)
        if self.g.info(h.actor_id)["type"] != "person":
            return None
        gap = matching_view(text[end:h.start]).text
        gap = re.sub(r"\([^()]{0,40}\)", " ", gap)
        words = [w for w in _TOKEN.findall(gap) if w not in ",،:-–"]
        ranks = self.g.cues.get("rank", frozenset()) | self.g.cues.get("former", frozenset())
        i = 0
        while i < len(words):
            two = " ".join(words[i:i + 2])
            if two in ranks:
                i += 2
            elif words[i] in ranks or words[i] in ("د", "."):
                i += 1
            else:
                return None
        return h

    def find_roles(self) -> None:
        g = self.g
        former = g.cues.get("former", frozenset())
        for k, view in enumerate(self.views):
            for m in g.role_matcher.finditer_normalized(view):
                info = g.role_phrases[m.term]
                h = _Hit(k, m.start, m.end, m.term, _prefix(self.texts[k], m.start),
                         role_keys=tuple(dict.fromkeys(r for r, _ in info)),
                         short=all(s for _, s in info))
                after = _TOKEN.findall(_view_text(view, m.end, m.end + 40))
                h.former = bool(after) and after[0] in former
                self.roles.append(h)

    def _window(self, pairs: list[tuple[tuple, str]]) -> tuple[dt.date, dt.date] | None:
        spans = []
        for keys, aid in pairs:
            ts = [t for key in keys for t in self.g.terms.get(key, []) if t.actor_id == aid]
            if ts:
                spans.append((min(t.start for t in ts), max(t.end for t in ts)))
        if not spans:
            return None
        lo = max(s for s, _ in spans)
        ends = [e for _, e in spans if e >= lo]
        hi = min(ends) if ends else dt.date.max
        hi = min(hi, PERIOD_END)
        return (lo, hi) if lo <= hi else None

    def resolve_roles(self) -> None:
        named = {h.actor_id for h in self.names if h.keep and h.actor_id}
        pairs = []
        for h in self.roles:
            p = self._next_person(h.sent, h.end)
            if p is not None:
                h.keep = False          # one mention, on the name
                if not h.former and any(t.actor_id == p.actor_id for key in h.role_keys
                                        for t in self.g.terms.get(key, [])):
                    pairs.append((h.role_keys, p.actor_id))
        window = self._window(pairs) if self.date is None else None
        for h in self.roles:
            if not h.keep:
                continue
            if h.former:
                h.keep = False
                continue
            terms = [t for key in h.role_keys for t in self.g.terms.get(key, [])]
            aid, how = "", ""
            if self.date is not None:
                cur = [t for t in terms if t.start <= self.date <= t.end]
                if h.short:
                    cur = [t for t in cur if t.actor_id in named]
                ids = {t.actor_id for t in cur}
                if len(ids) == 1 or (cur and not h.short):
                    aid = max(cur, key=lambda t: t.start).actor_id
                    how = "role_short" if h.short else "role"
            else:
                cands = [t for t in terms if (t.actor_id in named or not h.short)]
                if window is not None:
                    lo, hi = window
                    span = (hi - lo).days + 1
                    cover: dict[str, int] = {}
                    for t in cands:
                        ov = (min(hi, t.end) - max(lo, t.start)).days + 1
                        if ov > 0:
                            cover[t.actor_id] = cover.get(t.actor_id, 0) + ov
                    if cover:
                        best = sorted(cover.items(), key=lambda x: (-x[1], x[0]))
                        if best[0][1] * 2 >= span and (len(best) == 1 or best[1][1] < best[0][1]):
                            aid, how = best[0][0], "role_context"
                if not aid:
                    ids = {t.actor_id for t in cands if t.actor_id in named}
                    if len(ids) == 1:
                        aid, how = ids.pop(), "role_context"
            if aid:
                h.actor_id, h.resolution = aid, how
            else:
                h.keep = False
        # no double count: a role whose actor is named in the same sentence is dropped
        by_sent: dict[int, set[str]] = {}
        for n in self.names:
            if n.keep and n.actor_id:
                by_sent.setdefault(n.sent, set()).add(n.actor_id)
        for h in self.roles:
            if h.keep and h.actor_id in by_sent.get(h.sent, set()):
                h.keep = False

    def resolve_short(self) -> None:
        seen_pos: dict[str, list[tuple[int, int]]] = {}
        for h in self.names + self.roles:
            if h.keep and h.actor_id:
                seen_pos.setdefault(h.actor_id, []).append((h.sent, h.start))
        for h in sorted(self._pending_short, key=lambda x: (x.sent, x.start)):
            self._resolve_short(h, seen_pos)

    # ---- output ------------------------------------------------------------------------
    def mentions(self) -> list[_Hit]:
        hits = [h for h in self.names + self.roles if h.keep and h.actor_id]
        return sorted(hits, key=lambda h: (h.sent, h.start, h.end, h.actor_id))

    def mention_rows(self) -> list[dict]:
        rows = []
        for h in self.mentions():
            a = self.g.info(h.actor_id)
            off = self.starts[h.sent]
            rows.append(dict(doc_id=self.doc_id, sentence_id=self.sids[h.sent], start=off + h.start,
                             end=off + h.end, surface=self.texts[h.sent][h.start:h.end], actor_id=h.actor_id,
                             actor_name_en=a["name_en"], actor_name_ar=a["name_ar"], actor_type=a["type"],
                             alignment=a["alignment"], resolution=h.resolution))
        return rows

    # ---- unknown candidates --------------------------------------------------------------
    def _tokens(self, k: int) -> list[tuple[str, int, int]]:
        """(word, start, end) of sentence ``k``'s tokens (offsets in the sentence); computed
        once per sentence (callers only read it)."""
        cache = self._token_cache
        toks = cache.get(k)
        if toks is None:
            toks = cache[k] = _view_tokens(self.views[k])
        return toks

    def _cue_at(self, toks, i) -> tuple[str, str, int] | None:
        """(kind, cue, n_tokens) of the longest cue starting at token ``i``."""
        first = toks[i][0] if i < len(toks) else ""
        heads = _cue_heads(self.g)
        w0s = [w for w in dict.fromkeys([first, first[1:] if first[:1] in "وف" else first]) if w in heads]
        if not w0s:   # no affiliation/title cue starts with this word
            return None
        kinds = _cue_kinds(self.g)
        for n in (4, 3, 2, 1):
            if i + n > len(toks):
                continue
            rest = "".join(" " + t[0] for t in toks[i + 1:i + n])
            for w0 in w0s:
                phrase = w0 + rest
                kind = kinds.get(phrase)
                if kind is not None:
                    return kind, phrase, n
        return None

    def unknowns(self) -> list[dict]:
        """Name-like strings after a cue (title, attribution, speech verb) that are not known
        actors: person names (2-4 name tokens) or organisation names (an ``org_head`` word and
        up to five more words). A later bare surname of such a person is listed too (cue
        ``surname``)."""
        g = self.g
        rows: dict[tuple, dict] = {}
        known = [(h.sent, h.start, h.end) for h in self.mentions()] + [(h.sent, h.start, h.end) for h in self.roles]
        cue_words = set().union(*(g.cues.get(k, frozenset()) for k in ("title", "affiliation", "anaphor")))
        org_heads = g.cues.get("org_head", frozenset())
        small = {"في", "من", "علي", "الي", "عن", "مع"}
        surnames: dict[str, str] = {}
        heads = _cue_heads(g)
        self.unknown_spans = []

        known_by_sent: dict[int, list[tuple[int, int]]] = {}
        for ks, kstart, ke in known:
            known_by_sent.setdefault(ks, []).append((kstart, ke))

        def in_known(k, s, e):
            return any(s < ke and e > kstart for kstart, ke in known_by_sent.get(k, ()))

        def stop(k, tok) -> bool:
            w, s, e = tok
            # compare with ى kept, so the name علي is not the preposition على
            return _light_fold(self.texts[k][s:e]) in g.stopwords_light

        def name_from(k, toks, j) -> int:
            n = 0
            while j + n < len(toks) and n < 4:
                tok = toks[j + n]
                w = tok[0]
                if not _NAME_WORD.fullmatch(w) or stop(k, tok) or w in cue_words \
                        or w in g.speech or in_known(k, tok[1], tok[2]):
                    break
                if n == 0 and w.startswith("ال"):
                    break
                if n > 0 and (_CLITIC_ARTICLE.match(w) or
                              (w.startswith("ال") and not w.endswith("ي") and w not in _NAME_ARTICLE_OK) or
                              (w.endswith("ه") and w not in _NAME_ARTICLE_OK)):
                    break
                n += 1
            return n

        def org_from(k, toks, j) -> int:
            w = toks[j][0] if j < len(toks) else ""
            if w not in org_heads or in_known(k, toks[j][1], toks[j][2]):
                return 0
            n = 1
            while j + n < len(toks) and n < 6:
                w2, s, e = toks[j + n]
                if not _NAME_WORD.fullmatch(w2) or w2 in small or w2 in cue_words \
                        or w2 in g.speech or in_known(k, s, e):
                    break
                n += 1
            return n if n >= 2 else 0

        def add(k, toks, j, n, cue):
            s, e = toks[j][1], toks[j + n - 1][2]
            key = (k, s, e)
            if key not in rows:
                rows[key] = dict(doc_id=self.doc_id, sentence_id=self.sids[k], start=self.starts[k] + s,
                                 end=self.starts[k] + e, surface=self.texts[k][s:e], cue=cue,
                                 evidence=self.texts[k])
                self.unknown_spans.append((k, s, e, self.texts[k][s:e]))

        # a token that is none of these (cue heads, speech verbs, surnames found so far; bare
        # or after و/ف) starts nothing: skipped without the tests below
        starters = set(_unknown_starters(g))
        for k in range(len(self.texts)):
            toks = self._tokens(k)
            n_toks = len(toks)
            i = 0
            while i < n_toks:
                w = toks[i][0]
                if w not in starters:
                    i += 1
                    continue
                base = w[1:] if w[:1] in ("و", "ف") else w
                if (w in surnames or base in surnames) and not in_known(k, toks[i][1], toks[i][2]):
                    add(k, toks, i, 1, "surname")
                # only a word that starts a cue (bare or after و/ف) can start one
                cue = self._cue_at(toks, i) if w in heads or base in heads else None
                verb = w in g.speech or base in g.speech
                if cue is None and not verb:
                    i += 1
                    continue
                n_cue = cue[2] if cue else 1
                j = i + n_cue
                label = self.texts[k][toks[i][1]:toks[i + n_cue - 1][2]]
                if j < len(toks) and in_known(k, toks[j][1], toks[j][2]):
                    # "القيادي في “X”، علي الطائي": skip the known organisation, then a comma
                    m_end = max(e for s, e in known_by_sent.get(k, ()) if s < toks[j][2] and e > toks[j][1])
                    while j < len(toks) and toks[j][1] < m_end:
                        j += 1
                    while j < len(toks) and (toks[j][0] in ("(", ")") or toks[j][0] in _AFTER_ORG):
                        j += 1
                    if j < len(toks) and toks[j][0] in (",", "،"):
                        n = name_from(k, toks, j + 1)
                        if n >= 2:
                            add(k, toks, j + 1, n, label)
                    i += n_cue
                    continue
                if cue and cue[0] == "affiliation":
                    n = org_from(k, toks, j)
                    if n:
                        add(k, toks, j, n, label)
                        i = j + n
                        continue
                n = name_from(k, toks, j)
                if n >= 2:
                    add(k, toks, j, n, label)
                    last = toks[j + n - 1][0]
                    if last not in g.stopwords:
                        surnames.setdefault(last, label)
                        starters.update((last, "و" + last, "ف" + last))
                    i = j + n
                    continue
                i += n_cue
        return [rows[k] for k in sorted(rows)]

    # ---- quotes --------------------------------------------------------------------------
    def _direct_quotes(self) -> list[tuple[int, int, int, str]]:
        """Quoted spans (sentence index, start, end incl. marks, inner text); a quote may run
        over up to three sentence breaks. “ and « open, ” and » close (a stray closer opens),
        " toggles."""
        out = []
        open_at = None
        parts: list[str] = []
        for k, text in enumerate(self.texts):
            for qm in _QUOTE_RE.finditer(text):
                i, ch = qm.start(), qm.group()
                if open_at is not None and ch in _OPENERS:
                    open_at, parts = (k, i), []          # a new opener resets an unbalanced one
                    continue
                if open_at is None:
                    open_at, parts = (k, i), []
                    continue
                ok, oi = open_at
                inner = text[oi + 1:i] if ok == k else " ".join([self.texts[ok][oi + 1:], *parts, text[:i]])
                end = (self.starts[k] + i + 1) - self.starts[ok]
                out.append((ok, oi, end, inner))
                open_at = None
            if open_at is not None:
                if open_at[0] != k:
                    parts.append(text)
                if k - open_at[0] >= 3:
                    open_at = None
        return out

    def quotes(self) -> list[dict]:
        """Direct quotes and reported speech with their speaker (see module docstring)."""
        g = self.g
        ments = self.mentions()
        unknown_by_sent: dict[int, list[tuple[int, int, str]]] = {}
        for k, s, e, surf in getattr(self, "unknown_spans", []):
            unknown_by_sent.setdefault(k, []).append((s, e, surf))
        complements = g.cues.get("complement", frozenset())
        preps = g.cues.get("preposition", frozenset())
        anaphors = g.cues.get("anaphor", frozenset())
        anonymous = g.cues.get("anonymous", frozenset())
        according = g.cues.get("according", frozenset())

        ments_by_sent: dict[int, list[_Hit]] = {}
        for h in ments:
            ments_by_sent.setdefault(h.sent, []).append(h)
        direct = []
        for q in self._direct_quotes():
            k, s, e, inner = q
            n_tok = len([t for t in _TOKEN.findall(norm_text(inner)) if _LETTER.match(t)])
            # a quoted actor name ("المقاومة الإسلامية في العراق") is not a quote
            covered = sum(max(0, min(h.end, e - 1) - max(h.start, s + 1)) for h in ments_by_sent.get(k, ()))
            if covered >= 0.6 * len(inner.strip()):
                continue
            if n_tok >= 3 or self.texts[k][:s].rstrip().endswith(":"):
                direct.append(q)

        direct_by_sent: dict[int, list[tuple[int, tuple]]] = {}
        for qi, q in enumerate(direct):
            direct_by_sent.setdefault(q[0], []).append((qi, q))
        act_words = _act_words(g)
        rows = []
        used: set[int] = set()
        last = None          # (sentence, actor_id, surface, set_by)
        for k, text in enumerate(self.texts):
            toks = self._tokens(k)
            sent_ments = ments_by_sent.get(k, [])
            here = direct_by_sent.get(k, [])        # (index in direct, quote), in order
            inside = [(q[1], q[2]) for _, q in here]
            qstarts = sorted(q[1] for _, q in here)

            def in_quote(pos):
                return any(a <= pos < b for a, b in inside)

            acts = []
            # only a token in act_words (a speech verb or "according" word, bare or after و/ف)
            # can be an act; the tests below decide
            for i in [i for i, t in enumerate(toks) if t[0] in act_words]:
                w, s, e = toks[i]
                base = w[1:] if w[:1] in ("و", "ف") else w
                if inside and in_quote(s):
                    continue
                if w in g.speech or (base != w and base in g.speech):
                    acts.append(("verb", i))
                elif w in according or base in according:
                    acts.append(("according", i))
            for n_act, (what, i) in enumerate(acts):
                w, s, e = toks[i]
                nxt_pos = toks[acts[n_act + 1][1]][1] if n_act + 1 < len(acts) else len(text)
                if what == "according":
                    sp = self._speaker(k, e, min(nxt_pos, toks[min(i + 8, len(toks) - 1)][2]), sent_ments,
                                       unknown_by_sent, persons_only=True)
                    if sp:
                        last = (k, sp[0], sp[1], "according", text[s:e])
                        mine = [qi for qi, q in here if e <= q[1] < nxt_pos and qi not in used]
                        for qi in mine:
                            used.add(qi)
                            q = direct[qi]
                            rows.append(self._quote_row(q[0], q[1], q[2], sp, text[s:e], q[3]))
                    continue
                lemma, kind = g.speech[(w[1:] if w[:1] in ("و", "ف") else w) if w not in g.speech else w]
                c_pos = None
                for j in range(i + 1, min(len(toks), i + 30)):
                    tj = toks[j][0]
                    if toks[j][1] >= nxt_pos:
                        break
                    if tj in complements or tj == ":" or (tj == "الي" and j + 1 < len(toks) and toks[j + 1][0] in complements):
                        c_pos = toks[j][1]
                        break
                qs = [p for p in qstarts if p > e and p < nxt_pos]
                if qs and (c_pos is None or qs[0] < c_pos):
                    c_pos = qs[0]
                subj_s = e
                if kind == "report_from":
                    an = next((j for j in range(i + 1, len(toks)) if toks[j][0] == "عن"
                               and (c_pos is None or toks[j][1] < c_pos)), None)
                    if an is None:
                        continue
                    subj_s = toks[an][2]
                if c_pos is None:
                    # no reported content ("وقال المتحدث … يحيى رسول، الأحد، في ختام …"): the verb
                    # still tells who speaks now, if its subject follows it directly
                    sp = self._subject_after(k, i, toks, sent_ments, unknown_by_sent)
                    if sp:
                        last = (k, sp[0], sp[1], "verb", w)
                    continue
                subj_text = matching_view(text[subj_s:c_pos]).text
                subj_toks = [t for t in _TOKEN.findall(subj_text) if t not in (",", "،", "(", ")")]
                speaker = None
                if subj_toks and subj_toks[0] in anonymous:
                    speaker = self._anonymous(k, subj_s, c_pos, sent_ments)
                elif subj_toks and subj_toks[0] in anaphors and not self._speaker(k, subj_s, c_pos, sent_ments, unknown_by_sent):
                    speaker = self._anaphor(k, s, subj_toks[0], sent_ments, last)
                elif subj_toks and subj_toks[0] not in preps and not re.match(r"^ل", subj_toks[0]):
                    speaker = self._speaker(k, subj_s, c_pos, sent_ments, unknown_by_sent)
                    if speaker is None:
                        # an explicit subject that is no actor ("بعضهم", "المحور الموالي لإيران")
                        speaker = ("", " ".join(text[subj_s:c_pos].split()[:4]).strip(" ،,"))
                if speaker is None:
                    # empty subject ("وتابع:", "وأضاف أن"): the subject before the verb (SVO), else
                    # the previous sentence's speaker
                    speaker = self._before(k, s, sent_ments, unknown_by_sent)
                    if speaker is None:
                        # a person named earlier in the same sentence ("وبسؤال … أحمد أنور، عن …، أجاب:")
                        ppl = [(h.end, h.actor_id, text[h.start:h.end]) for h in sent_ments
                               if h.end <= s and "ل" not in h.prefix and g.info(h.actor_id)["type"] == "person"]
                        ppl += [(u[1], "", u[2]) for u in unknown_by_sent.get(k, []) if u[1] <= s]
                        if ppl:
                            speaker = max(ppl)[1:]
                    if speaker is None and last and last[0] >= k - 1:
                        speaker = last[1:3]
                speaker = speaker or ("", "")
                if speaker[0] or speaker[1]:
                    last = (k, speaker[0], speaker[1], "verb", w)
                mine = [qi for qi, q in here if c_pos <= q[1] < nxt_pos and qi not in used]
                if mine:
                    for qi in mine:
                        used.add(qi)
                        q = direct[qi]
                        rows.append(self._quote_row(q[0], q[1], q[2], speaker, w, q[3]))
                else:
                    rows.append(self._quote_row(k, c_pos, nxt_pos, speaker, w, text[c_pos:nxt_pos]))
            # a quote after "وبحسب X؛" (the previous sentence) belongs to X
            for qi, q in here:
                if qi not in used and last and last[0] == k - 1 and last[3] == "according":
                    used.add(qi)
                    rows.append(self._quote_row(q[0], q[1], q[2], last[1:3], last[4], q[3]))
            # a sentence with no speech act and no person goes on with the current speaker
            if not acts and last and last[0] == k - 1 and not any(
                    g.info(h.actor_id)["type"] == "person" for h in sent_ments):
                last = (k,) + last[1:]
        for qi, q in enumerate(direct):
            if qi not in used and len(_TOKEN.findall(norm_text(q[3]))) >= 4:
                rows.append(self._quote_row(q[0], q[1], q[2], ("", ""), "", q[3]))
        rows.sort(key=lambda r: (r["start"], r["end"], r["verb"]))
        return rows

    def _quote_row(self, k, s, e, speaker, verb, text) -> dict:
        off = self.starts[k]
        return dict(doc_id=self.doc_id, sentence_id=self.sids[k], start=off + s, end=off + e,
                    speaker_actor_id=speaker[0], speaker_surface=speaker[1], verb=verb,
                    text=text.strip().strip('"“”«»').strip())

    def _speaker(self, k, s, e, sent_ments, unknown_by_sent, persons_only=False):
        """First person (known, then unknown candidate), else first organisation in [s, e);
        mentions glued to ل (addressee: "قال لـ”رويترز”") are skipped."""
        g = self.g
        text = self.texts[k]
        inside = [h for h in sent_ments if s <= h.start < e and "ل" not in h.prefix
                  and g.info(h.actor_id)["type"] != "state"]
        ppl = [h for h in inside if g.info(h.actor_id)["type"] == "person"]
        unk = [u for u in unknown_by_sent.get(k, []) if s <= u[0] < e]
        if ppl and (not unk or ppl[0].start <= unk[0][0]):
            return ppl[0].actor_id, text[ppl[0].start:ppl[0].end]
        if unk:
            return "", unk[0][2]
        if inside and not persons_only:
            states = [h for h in sent_ments if s <= h.start < e and g.info(h.actor_id)["type"] == "state"]
            first = min(inside + states, key=lambda h: h.start)
            return first.actor_id, text[first.start:first.end]
        if not persons_only:
            states = [h for h in sent_ments if s <= h.start < e and "ل" not in h.prefix]
            if states:
                return states[0].actor_id, text[states[0].start:states[0].end]
        return None

    def _anonymous(self, k, s, e, sent_ments):
        """"قيادي في كتائب حزب الله", "مسؤول حكومي بالحكومة العراقية": the organisation the
        unnamed source belongs to (in/ب/من right before it, within the first words)."""
        g = self.g
        text = self.texts[k]
        for h in sent_ments:
            if not (s <= h.start < e) or g.info(h.actor_id)["type"] in ("person", "state"):
                continue
            head = matching_view(text[s:h.start]).text
            words = [t for t in _TOKEN.findall(head) if t not in (",", "،")]
            if len(words) <= 5 and (("ب" in h.prefix) or (words and words[-1] in ("في", "من"))):
                return h.actor_id, text[s:e].strip(" ،,")
            break
        return "", text[s:e].strip(" ،,")

    def _before(self, k, verb_start, sent_ments, unknown_by_sent):
        """Subject right before the verb (SVO: "رايدر اعتبر أن", "فرهاد علاء الدين، قال")."""
        text = self.texts[k]
        head = text[:verb_start].rstrip().rstrip("،,").rstrip()
        if not head:
            return None
        for h in sent_ments:
            if h.end == len(head) and "ل" not in h.prefix and self.g.info(h.actor_id)["type"] != "state":
                return h.actor_id, text[h.start:h.end]
        for s, e, surf in unknown_by_sent.get(k, []):
            if e == len(head):
                return "", surf
        words = _TOKEN.findall(matching_view(head).text)
        if words and words[-1] in self.g.cues.get("anonymous", frozenset()):
            return "", head.split()[-1]
        return None

    def _subject_after(self, k, i, toks, sent_ments, unknown_by_sent):
        """Person whose mention (or role phrase + name) starts right after verb token ``i``."""
        if i + 1 >= len(toks):
            return None
        pos = toks[i + 1][1]
        text = self.texts[k]
        role = [h for h in self.roles if h.sent == k and h.start <= pos < h.end + 1 and h.start >= toks[i][2]]
        if role:
            nxt = self._next_person(k, role[0].end)
            if nxt is not None:
                return nxt.actor_id, text[nxt.start:nxt.end]
        for h in sent_ments:
            if toks[i + 1][1] <= h.start < toks[i + 1][2] and self.g.info(h.actor_id)["type"] == "person":
                return h.actor_id, text[h.start:h.end]
        for s, e, surf in unknown_by_sent.get(k, []):
            if toks[i + 1][1] <= s < toks[i + 1][2]:
                return "", surf
        return None

    def _anaphor(self, k, verb_start, word, sent_ments, last):
        g = self.g
        if word in ("الاخير", "الاخيره"):
            before = [h for h in sent_ments if h.end <= verb_start and g.info(h.actor_id)["type"] == "person"]
            if before:
                h = max(before, key=lambda x: x.end)
                return h.actor_id, self.texts[k][h.start:h.end]
        if last:
            return last[1:3]
        return None


_NAME_WORD = re.compile(r"[\u0621-\u064a]{2,}")
_CLITIC_ARTICLE = re.compile(r"^(?:[وفبك]ال|لل)")


@lru_cache(maxsize=65536)
def _light_fold(text: str) -> str:
    """``text`` folded for the name stopword test, with ى kept (so the name علي is not the
    preposition على)."""
    return "".join(c if c == "\u0649" else fold_char(c) for c in text)


_NAME_ARTICLE_OK = frozenset({"الله", "الدين", "الرحمن", "الرحيم", "الامير", "الكريم", "الحسين", "الحسن", "الزهراء"})
_AFTER_ORG = frozenset({"العراقيه", "اللبنانيه", "الايرانيه", "الامريكيه", "الاميركيه", "العراقي", "اللبناني"})
_OPENERS = frozenset("“«")
_QUOTE_CHARS = frozenset('"“”«»')
_QUOTE_RE = re.compile('[' + "".join(sorted(_QUOTE_CHARS)) + ']')


def extract_doc(doc_id: str, published, sentences: pd.DataFrame, gazetteer: Gazetteer | None = None
                ) -> dict[str, pd.DataFrame]:
    """Mentions, quotes and unknown-name candidates of one document.

    ``sentences`` holds that document's rows (doc_id, sentence_id, start, end, text);
    ``published`` is an ISO date string (or empty: roles are then resolved from the
    document's own role+name pairs, see the module docstring).
    """
    g = gazetteer or load_gazetteer()
    d = _Doc(g, doc_id, published, sentences)
    d.find_names()
    d.find_roles()
    d.resolve_roles()
    d.resolve_short()
    unknown = d.unknowns()
    return {
        "mentions": frame_from_records(d.mention_rows(), MENTION_COLUMNS),
        "quotes": frame_from_records(d.quotes(), QUOTE_COLUMNS),
        "actor_unknown": frame_from_records(unknown, UNKNOWN_COLUMNS),
    }


def cooccurrence(mentions: pd.DataFrame) -> pd.DataFrame:
    """Actor pairs named in the same sentence: ``weight`` = sentences, ``n_docs`` = documents
    (segments ``#2`` … count with their file). ``source < target``; sorted by source, target."""
    pairs: dict[tuple[str, str], set] = {}
    weights: dict[tuple[str, str], int] = {}
    if len(mentions):
        # actors per (document, sentence); rows with a missing key are left out, as by groupby
        sents: dict[tuple, set] = {}
        for doc, sid, aid in zip(mentions["doc_id"].tolist(), mentions["sentence_id"].tolist(),
                                 mentions["actor_id"].tolist()):
            if pd.isna(doc) or pd.isna(sid):
                continue
            sents.setdefault((doc, sid), set()).add(aid)
        for (doc, sid), actors_in in sents.items():
            for a, b in combinations(sorted(actors_in), 2):
                weights[(a, b)] = weights.get((a, b), 0) + 1
                pairs.setdefault((a, b), set()).add(str(doc).split("#")[0])
    rows = [dict(source=a, target=b, weight=w, n_docs=len(pairs[(a, b)])) for (a, b), w in sorted(weights.items())]
    return pd.DataFrame(rows, columns=EDGE_COLUMNS)


def run_stage(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Actors stage: ``sentences`` + ``documents`` in; mentions, quotes, actor_unknown and
    actor_edges out (deterministic row order)."""
    g = load_gazetteer()
    sentences = tables["sentences"]
    docs = tables.get("documents")
    published = {}
    if docs is not None and "published" in docs.columns:
        published = dict(zip(docs["doc_id"], docs["published"]))
    out: dict[str, list[pd.DataFrame]] = {"mentions": [], "quotes": [], "actor_unknown": []}
    for doc_id, grp in sentences.groupby("doc_id", sort=True):
        res = extract_doc(doc_id, published.get(doc_id, ""), grp, g)
        for k in out:
            out[k].append(res[k])
    return finish({k: _concat(frames) for k, frames in out.items()})


#: the per-document tables of the stage, with their columns and row order
DOC_PARTS = {"mentions": (MENTION_COLUMNS, ["doc_id", "start", "end", "actor_id"]),
             "quotes": (QUOTE_COLUMNS, ["doc_id", "start", "end"]),
             "actor_unknown": (UNKNOWN_COLUMNS, ["doc_id", "start", "end"])}


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame | None:
    frames = [f for f in frames if len(f)]
    return pd.concat(frames, ignore_index=True) if frames else None


def sort_part(name: str, df: pd.DataFrame | None) -> pd.DataFrame:
    """One per-document table in its final column set and row order."""
    cols, order = DOC_PARTS[name]
    df = pd.DataFrame(columns=cols) if df is None else df
    df = sort_stable(df, order)
    # already in the final columns (every extracted frame): selecting them would only copy
    return df if df.columns.tolist() == cols else df[cols]


def finish(parts: dict[str, pd.DataFrame | None]) -> dict[str, pd.DataFrame]:
    """The cross-document step: the per-document tables concatenated (None when no document
    had rows) become the stage's tables, plus the co-occurrence edges. Used by
    :func:`run_stage` and by the streaming engine (:mod:`iraqkit.pipeline`)."""
    result = {k: sort_part(k, parts.get(k)) for k in DOC_PARTS}
    result["actor_edges"] = cooccurrence(result["mentions"])
    return result


def sentences_from_text(doc_id: str, text: str) -> pd.DataFrame:
    """Sentences of a raw text with :func:`iraqkit.arabic.split_sentences` (for trying the stage
    without the ingest stage)."""
    from .arabic import split_sentences
    rows = [dict(doc_id=doc_id, sentence_id=i, start=s.start, end=s.end, text=s.text)
            for i, s in enumerate(split_sentences(text))]
    return pd.DataFrame(rows, columns=["doc_id", "sentence_id", "start", "end", "text"])


# --- summaries for the report ---------------------------------------------------------------
def top_actors(mentions: pd.DataFrame, n: int = 20, exclude_types: tuple[str, ...] = ("state",)) -> pd.DataFrame:
    """The ``n`` most-mentioned actors. Columns: ``actor_id, actor_name_en, actor_name_ar,
    actor_type, alignment, mentions, n_docs``; states (metonyms like واشنطن included) are left
    out by default because every article names them. Sorted by mentions then id."""
    m = mentions[~mentions["actor_type"].isin(exclude_types)]
    g = (m.groupby(["actor_id", "actor_name_en", "actor_name_ar", "actor_type", "alignment"], as_index=False)
         .agg(mentions=("start", "count"), n_docs=("doc_id", lambda s: s.str.split("#").str[0].nunique())))
    return g.sort_values(["mentions", "actor_id"], ascending=[False, True], kind="stable").head(n).reset_index(drop=True)


def mentions_by_date(mentions: pd.DataFrame, documents: pd.DataFrame) -> pd.DataFrame:
    """Mentions per article date and alignment: ``published, doc_id, alignment, mentions``
    (documents without a date are left out), sorted by date."""
    m = mentions.merge(documents[["doc_id", "published"]], on="doc_id", how="left")
    m = m[m["published"].notna() & (m["published"] != "")]
    g = m.groupby(["published", "doc_id", "alignment"], as_index=False).agg(mentions=("start", "count"))
    return g.sort_values(["published", "doc_id", "alignment"], kind="stable").reset_index(drop=True)


def network_edges(edges: pd.DataFrame, mentions: pd.DataFrame, top: int = 25, min_weight: int = 2) -> pd.DataFrame:
    """Co-occurrence edges among the ``top`` most-mentioned non-state actors with at least
    ``min_weight`` shared sentences (``source, target, weight, n_docs``)."""
    keep = set(top_actors(mentions, top)["actor_id"])
    e = edges[edges["source"].isin(keep) & edges["target"].isin(keep) & (edges["weight"] >= min_weight)]
    return e.sort_values(["source", "target"], kind="stable").reset_index(drop=True)


def quotes_by_side(quotes: pd.DataFrame, mentions: pd.DataFrame) -> pd.DataFrame:
    """Who is quoted: ``speaker_actor_id, actor_name_en, actor_name_ar, alignment, quotes``
    per attributed speaker (unattributed quotes as ``speaker_actor_id`` = '(unknown)'), sorted
    by quotes then id."""
    info = mentions.drop_duplicates("actor_id").set_index("actor_id")[["actor_name_en", "actor_name_ar", "alignment"]]
    q = quotes.assign(speaker_actor_id=quotes["speaker_actor_id"].fillna("(unknown)").replace("", "(unknown)"))
    g = q.groupby("speaker_actor_id", as_index=False).agg(quotes=("start", "count"))
    g = g.join(info, on="speaker_actor_id")
    g["alignment"] = g["alignment"].fillna("other")
    g["actor_name_ar"] = g["actor_name_ar"].fillna("غير معروف")
    g["actor_name_en"] = g["actor_name_en"].fillna("unattributed")
    cols = ["speaker_actor_id", "actor_name_en", "actor_name_ar", "alignment", "quotes"]
    return g.sort_values(["quotes", "speaker_actor_id"], ascending=[False, True], kind="stable")[cols].reset_index(drop=True)
