"""The actors stage's per-document code as it was before the speed-up (Nov 2026), kept as the
reference the faster definitions in :mod:`iraqkit.actors` are tested against
(``tests/test_actors.py``). Not used by the package.

:class:`OldDoc` is :class:`iraqkit.actors._Doc` with the old definitions of the methods that
were rewritten (copied verbatim); :func:`old_extract_doc` is the old ``extract_doc``.
"""
from __future__ import annotations

import re

import pandas as pd

from iraqkit.actors import (_AFTER_ORG, _LETTERS, _NAME_ARTICLE_OK, _OPENERS, _TOKEN, MENTION_COLUMNS,  # noqa: F401
                            QUOTE_COLUMNS, UNKNOWN_COLUMNS, Gazetteer, _cue_heads, _Doc, _Hit, _parse_published,
                            load_gazetteer, matching_view)
from iraqkit.arabic import fold_char, norm


def _prefix(text: str, start: int) -> str:
    """Letters glued before ``start`` (the clitic the matcher left out of the span)."""
    i = start
    while i > 0 and (text[i - 1] in "\"'“”«»\u0640" or norm(text[i - 1]) == '"'):
        i -= 1
    j = i
    while j > 0 and re.match(rf"[{_LETTERS}]", norm(text[j - 1]) or " "):
        j -= 1
    return norm(text[j:i])


def _prev_words(text: str, start: int, n: int = 2) -> list[str]:
    toks = [t for t in _TOKEN.findall(matching_view(text[:start]).text) if t]
    return toks[-n:]


def old_tokens(v) -> list[tuple[str, int, int]]:
    """The old body of ``_Doc._tokens`` for one matching view."""
    out = []
    for m in _TOKEN.finditer(v.text):
        s, e = v.span(m.start(), m.end())
        out.append((m.group(0), s, e))
    return out


def old_role_after(text: str, end: int) -> list[str]:
    """The old tokens after a role phrase ending at ``end`` (``_Doc.find_roles``)."""
    return [w for w in _TOKEN.findall(matching_view(text[end:end + 40]).text)]


def old_light(text: str) -> str:
    """The old stopword fold of ``unknowns``' ``stop``."""
    return "".join(c if c == "\u0649" else fold_char(c) for c in text)


class OldDoc(_Doc):
    def __init__(self, gaz: Gazetteer, doc_id: str, published, sentences: pd.DataFrame):
        self.g = gaz
        self.doc_id = doc_id
        self.date = _parse_published(published)
        s = sentences.sort_values("start", kind="stable")
        self.sids = list(s["sentence_id"])
        self.starts = [int(x) for x in s["start"]]
        self.texts = [str(x) for x in s["text"]]
        self.views = [matching_view(t) for t in self.texts]
        self.names: list[_Hit] = []
        self.roles: list[_Hit] = []

    def _state_is_place(self, k: int, h: _Hit, last_place: tuple | None) -> bool:
        text = self.texts[k]
        if "ب" in h.prefix:
            return True
        if h.prefix.startswith("و") and last_place and last_place[0] == k:
            gap = text[last_place[1]:h.start - len(h.prefix)]
            if re.fullmatch(r"[\s،,]*", gap):
                return True
        prev = _prev_words(text, h.start - len(h.prefix), 2)
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

    def find_roles(self) -> None:
        g = self.g
        former = g.cues.get("former", frozenset())
        for k, view in enumerate(self.views):
            for m in g.role_matcher.finditer_normalized(view):
                info = g.role_phrases[m.term]
                h = _Hit(k, m.start, m.end, m.term, _prefix(self.texts[k], m.start),
                         role_keys=tuple(dict.fromkeys(r for r, _ in info)),
                         short=all(s for _, s in info))
                after = [w for w in _TOKEN.findall(matching_view(self.texts[k][m.end:m.end + 40]).text)]
                h.former = bool(after) and after[0] in former
                self.roles.append(h)

    def _tokens(self, k: int) -> list[tuple[str, int, int]]:
        """(word, start, end) of sentence ``k``'s tokens (offsets in the sentence); computed
        once per sentence (callers only read it)."""
        cache = self.__dict__.setdefault("_token_cache", {})
        if k not in cache:
            v = self.views[k]
            out = []
            for m in _TOKEN.finditer(v.text):
                s, e = v.span(m.start(), m.end())
                out.append((m.group(0), s, e))
            cache[k] = out
        return cache[k]

    def _cue_at(self, toks, i) -> tuple[str, str, int] | None:
        """(kind, cue, n_tokens) of the longest cue starting at token ``i``."""
        first = toks[i][0] if i < len(toks) else ""
        heads = _cue_heads(self.g)
        w0s = [w for w in dict.fromkeys([first, first[1:] if first[:1] in "وف" else first]) if w in heads]
        if not w0s:   # no affiliation/title cue starts with this word
            return None
        for n in (4, 3, 2, 1):
            if i + n > len(toks):
                continue
            words = [t[0] for t in toks[i:i + n]]
            for w0 in w0s:
                phrase = " ".join([w0] + words[1:])
                for kind in ("affiliation", "title"):
                    if phrase in self.g.cues.get(kind, ()):
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
        self.unknown_spans = []

        known_by_sent: dict[int, list[tuple[int, int]]] = {}
        for ks, kstart, ke in known:
            known_by_sent.setdefault(ks, []).append((kstart, ke))

        def in_known(k, s, e):
            return any(s < ke and e > kstart for kstart, ke in known_by_sent.get(k, ()))

        def stop(k, tok) -> bool:
            w, s, e = tok
            # compare with ى kept, so the name علي is not the preposition على
            light = "".join(c if c == "\u0649" else fold_char(c) for c in self.texts[k][s:e])
            return light in g.stopwords_light

        def name_from(k, toks, j) -> int:
            n = 0
            while j + n < len(toks) and n < 4:
                tok = toks[j + n]
                w = tok[0]
                if not re.fullmatch(r"[\u0621-\u064a]{2,}", w) or stop(k, tok) or w in cue_words \
                        or w in g.speech or in_known(k, tok[1], tok[2]):
                    break
                if n == 0 and w.startswith("ال"):
                    break
                if n > 0 and (re.match(r"^(?:[وفبك]ال|لل)", w) or
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
                if not re.fullmatch(r"[\u0621-\u064a]{2,}", w2) or w2 in small or w2 in cue_words \
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

        for k in range(len(self.texts)):
            toks = self._tokens(k)
            i = 0
            while i < len(toks):
                w = toks[i][0]
                base = w[1:] if w[:1] in ("و", "ف") else w
                if (w in surnames or base in surnames) and not in_known(k, toks[i][1], toks[i][2]):
                    add(k, toks, i, 1, "surname")
                cue = self._cue_at(toks, i)
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
                    i = j + n
                    continue
                i += n_cue
        return [rows[k] for k in sorted(rows)]

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

        direct = []
        for q in self._direct_quotes():
            k, s, e, inner = q
            n_tok = len([t for t in _TOKEN.findall(norm(inner)) if re.match(rf"[{_LETTERS}]", t)])
            # a quoted actor name ("المقاومة الإسلامية في العراق") is not a quote
            covered = sum(max(0, min(h.end, e - 1) - max(h.start, s + 1)) for h in ments if h.sent == k)
            if covered >= 0.6 * len(inner.strip()):
                continue
            if n_tok >= 3 or self.texts[k][:s].rstrip().endswith(":"):
                direct.append(q)

        rows = []
        used: set[int] = set()
        last = None          # (sentence, actor_id, surface, set_by)
        ments_by_sent: dict[int, list[_Hit]] = {}
        for h in ments:
            ments_by_sent.setdefault(h.sent, []).append(h)
        for k, text in enumerate(self.texts):
            toks = self._tokens(k)
            sent_ments = ments_by_sent.get(k, [])
            inside = [(q[1], q[2]) for q in direct if q[0] == k]
            qstarts = sorted(q[1] for q in direct if q[0] == k)

            def in_quote(pos):
                return any(a <= pos < b for a, b in inside)

            acts = []
            for i, (w, s, e) in enumerate(toks):
                base = w[1:] if w[:1] in ("و", "ف") else w
                if in_quote(s):
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
                        mine = [qi for qi, q in enumerate(direct) if q[0] == k and e <= q[1] < nxt_pos and qi not in used]
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
                mine = [qi for qi, q in enumerate(direct) if q[0] == k and c_pos <= q[1] < nxt_pos and qi not in used]
                if mine:
                    for qi in mine:
                        used.add(qi)
                        q = direct[qi]
                        rows.append(self._quote_row(q[0], q[1], q[2], speaker, w, q[3]))
                else:
                    rows.append(self._quote_row(k, c_pos, nxt_pos, speaker, w, text[c_pos:nxt_pos]))
            # a quote after "وبحسب X؛" (the previous sentence) belongs to X
            for qi, q in enumerate(direct):
                if q[0] == k and qi not in used and last and last[0] == k - 1 and last[3] == "according":
                    used.add(qi)
                    rows.append(self._quote_row(q[0], q[1], q[2], last[1:3], last[4], q[3]))
            # a sentence with no speech act and no person goes on with the current speaker
            if not acts and last and last[0] == k - 1 and not any(
                    g.info(h.actor_id)["type"] == "person" for h in sent_ments):
                last = (k,) + last[1:]
        for qi, q in enumerate(direct):
            if qi not in used and len(_TOKEN.findall(norm(q[3]))) >= 4:
                rows.append(self._quote_row(q[0], q[1], q[2], ("", ""), "", q[3]))
        rows.sort(key=lambda r: (r["start"], r["end"], r["verb"]))
        return rows


def old_extract_doc(doc_id: str, published, sentences: pd.DataFrame, gazetteer: Gazetteer | None = None
                    ) -> dict[str, pd.DataFrame]:
    g = gazetteer or load_gazetteer()
    d = OldDoc(g, doc_id, published, sentences)
    d.find_names()
    d.find_roles()
    d.resolve_roles()
    d.resolve_short()
    unknown = d.unknowns()
    return {
        "mentions": pd.DataFrame(d.mention_rows(), columns=MENTION_COLUMNS),
        "quotes": pd.DataFrame(d.quotes(), columns=QUOTE_COLUMNS),
        "actor_unknown": pd.DataFrame(unknown, columns=UNKNOWN_COLUMNS),
    }


old_prev_words = _prev_words
old_prefix = _prefix
