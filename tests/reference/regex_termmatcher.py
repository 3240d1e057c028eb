"""The first TermMatcher (one regex alternation), kept as the reference the token-index
implementation in iraqkit.arabic is property-tested against. Not used by the package."""
import re
from typing import Iterable, Iterator, Mapping

from iraqkit.arabic import PROCLITIC_BARE, TermMatch, Normalized, normalize, norm, _B, _E


class RegexTermMatcher:
    """Find many terms at once, longest match first, clitics allowed.

    ``terms`` maps a surface term (any spelling; it is normalised) to a key. At each
    position the longest term wins; matches do not overlap; scanning is left to right.
    """

    def __init__(self, terms: Mapping[str, str] | Iterable[tuple[str, str]]):
        items = terms.items() if isinstance(terms, Mapping) else terms
        self._key: dict[str, str] = {}
        for term, key in items:
            t = norm(term)
            if t and t not in self._key:
                self._key[t] = key
        ordered = sorted(self._key, key=lambda s: (-len(s), s))
        # one alternation per term group: proclitic + body, body captured
        alts = []
        for t in ordered:
            words = t.split(" ")
            body = r"\s".join(re.escape(w) for w in words)
            if t.startswith("ال") and len(words[0]) > 2:
                alts.append(rf"(?:[وف]?[بك]?|[وف]?ل(?=ل))?{body}")
                rest = r"\s".join([re.escape(words[0][2:])] + [re.escape(w) for w in words[1:]])
                alts.append(rf"[وف]?لل{rest}")
                if words[0][2:].startswith("ل"):
                    # ل + اللجنة is written للجنة: the stem's own lam absorbs the article's
                    alts.append(rf"[وف]?ل{rest}")
            else:
                alts.append(rf"{PROCLITIC_BARE}{body}")
        self._ordered = ordered
        self._regex = re.compile(_B + "(?:" + "|".join(alts) + ")" + _E) if alts else None
        self._bodies = {t: t for t in ordered}

    def __len__(self) -> int:
        return len(self._key)

    def _resolve(self, matched: str) -> tuple[str, int]:
        """Return (normalised term, length of the clitic prefix) for a matched string."""
        if matched in self._key:
            return matched, 0
        for k in range(1, 4):
            head, tail = matched[:k], matched[k:]
            if not re.fullmatch(r"[وف]?[بلك]?", head):
                break
            if tail in self._key:
                return tail, k
            if head.endswith("ل") and tail.startswith("ل") and ("ا" + tail) in self._key:
                # لل + rest  ==  ل + ال + rest
                return "ا" + tail, k
            if head.endswith("ل") and tail.startswith("ل") and ("ال" + tail) in self._key:
                # للجنة == ل + اللجنة (the stem starts with ل)
                return "ال" + tail, k
        raise KeyError(matched)

    def finditer_normalized(self, nt: Normalized) -> Iterator[TermMatch]:
        if self._regex is None:
            return
        for m in self._regex.finditer(nt.text):
            try:
                term, k = self._resolve(m.group(0))
            except KeyError:  # pragma: no cover - defensive
                continue
            s, e = nt.span(m.start() + k, m.end())
            yield TermMatch(self._key[term], term, s, e, nt.original[s:e])

    def finditer(self, text: str) -> Iterator[TermMatch]:
        """Matches in ``text`` (original string); spans index ``text``."""
        yield from self.finditer_normalized(normalize(text))


