"""A cheap first-character check in front of a regex that Python's engine cannot scan fast.

``re`` skips ahead quickly to where a match can begin only when a pattern starts with a
literal or a character set. Most of the package's patterns start with a word-boundary
look-behind (``(?<![…])``), so the engine tries the whole pattern, alternations of month
names and all, at every position of the text. :func:`gated` computes, from the parsed
pattern, every character a match can start with and puts a look-ahead on that set in
front: ``(?=[…])(?:pattern)``. The matches are the same (the look-ahead consumes nothing
and every match starts with a character of the set); most positions fail at one set test.

When the analysis cannot tell (back-references, ``.``, negated sets, inline flags, a
pattern that can match the empty string), or when the pattern already scans fast (it starts
with a literal, a set or an anchor), the pattern is returned unchanged.
"""
from __future__ import annotations

import re

try:                                   # Python 3.11+: the parser is private, the API stable
    from re import _constants as _C
    from re import _parser as _P
except ImportError:                    # pragma: no cover - older Pythons
    _C = _P = None


class _Unknown(Exception):
    pass


def _first_seq(items) -> tuple[list, bool]:
    """(set items a match of this sequence can start with, whether it can match empty)."""
    out: list = []
    for op, av in items:
        first, nullable = _first_op(op, av)
        out += first
        if not nullable:
            return out, False
    return out, True


def _first_op(op, av) -> tuple[list, bool]:
    if op is _C.LITERAL:
        return [(op, av)], False
    if op is _C.IN:
        if any(o is _C.NEGATE for o, _ in av):
            raise _Unknown("negated set")
        return list(av), False
    if op in (_C.AT, _C.ASSERT, _C.ASSERT_NOT):       # zero width: the next item starts the match
        return [], True
    if op is _C.SUBPATTERN:
        _group, add_flags, del_flags, sub = av
        if add_flags or del_flags:
            raise _Unknown("inline flags")
        return _first_seq(sub)
    if op is _C.BRANCH:
        out, nullable = [], False
        for alt in av[1]:
            first, n = _first_seq(alt)
            out += first
            nullable = nullable or n
        return out, nullable
    if op in (_C.MAX_REPEAT, _C.MIN_REPEAT, getattr(_C, "POSSESSIVE_REPEAT", None)):
        lo, _hi, sub = av
        first, nullable = _first_seq(sub)
        return first, nullable or lo == 0
    if op is getattr(_C, "ATOMIC_GROUP", None):
        return _first_seq(av)
    raise _Unknown(str(op))


_CATEGORIES = None


def _set(items) -> str:
    global _CATEGORIES
    if _CATEGORIES is None:
        _CATEGORIES = {_C.CATEGORY_DIGIT: r"\d", _C.CATEGORY_NOT_DIGIT: r"\D", _C.CATEGORY_SPACE: r"\s",
                       _C.CATEGORY_NOT_SPACE: r"\S", _C.CATEGORY_WORD: r"\w", _C.CATEGORY_NOT_WORD: r"\W"}
    parts = set()
    for op, av in items:
        if op is _C.LITERAL:
            parts.add(re.escape(chr(av)))
        elif op is _C.RANGE:
            parts.add(re.escape(chr(av[0])) + "-" + re.escape(chr(av[1])))
        elif op is _C.CATEGORY and av in _CATEGORIES:
            parts.add(_CATEGORIES[av])
        else:
            raise _Unknown(str(op))
    return "[" + "".join(sorted(parts)) + "]"


def _parse(pattern: re.Pattern):
    if _P is None or not isinstance(pattern.pattern, str):
        return None
    try:
        return _P.parse(pattern.pattern, pattern.flags)
    except (re.error, TypeError, AttributeError):     # pragma: no cover - a compiled pattern parses
        return None


def first_chars(pattern: re.Pattern) -> str | None:
    """A character set (regex syntax, under the pattern's flags) that holds the first
    character of every match of ``pattern``; None when the analysis cannot tell."""
    return _first_chars(_parse(pattern))


def _first_chars(parsed) -> str | None:
    """:func:`first_chars` of an already parsed pattern (None: not parsed)."""
    if parsed is None:
        return None
    try:
        items, nullable = _first_seq(parsed.data)
        if nullable or not items:
            return None
        return _set(items)
    except (_Unknown, TypeError, AttributeError):
        return None


def _scans_fast(parsed) -> bool:
    """True when ``re`` already skips to where a match can begin (the pattern starts with a
    literal or a set) or is anchored (``^``, ``\\A``): a look-ahead in front would only slow
    it down (in front of ``^`` it would make a search try every position)."""
    items = parsed
    while len(items):
        op, av = items[0]
        if op is _C.SUBPATTERN and not (av[1] or av[2]):
            items = av[3]
            continue
        return op in (_C.LITERAL, _C.IN, _C.AT)
    return False


def gated(pattern: re.Pattern) -> re.Pattern:
    """``pattern`` with a look-ahead on its first characters in front (same matches, same
    groups, faster scans), or ``pattern`` itself when it already scans fast (it starts with
    a literal, a set or an anchor) or :func:`first_chars` cannot tell."""
    parsed = _parse(pattern)
    if parsed is None or _scans_fast(parsed):
        return pattern
    chars = _first_chars(parsed)  # the same parse: gating a pattern parses it once
    if chars is None:
        return pattern
    return re.compile(f"(?={chars})(?:{pattern.pattern})", pattern.flags)
