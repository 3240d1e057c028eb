"""Word frequencies for the corpus overview: content words, clitics folded.

Words are counted on normalised text (:func:`iraqkit.arabic.norm`), a leading و is
removed when the rest is a known word or starts with ال, and the article ال is
kept (so "الميليشيات" and "والميليشيات" count together). Function words come from
``data/lexicons/stopwords_ar.txt``. Each word is displayed in its most frequent
original spelling.
"""
from __future__ import annotations

import re
from collections import Counter, defaultdict
from functools import lru_cache

import pandas as pd

from .arabic import norm, normalize
from .paths import LEXICONS

_WORD = re.compile(r"[\u0621-\u064a]{2,}")


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    lines = (LEXICONS / "stopwords_ar.txt").read_text(encoding="utf-8").splitlines()
    return frozenset(norm(w) for w in lines if w.strip() and not w.startswith("#"))


def _key(word: str) -> str:
    if word.startswith("وال") or word.startswith("بال") or word.startswith("فال"):
        return word[1:]
    if word.startswith("لل") and len(word) > 4:
        return "ا" + word[1:]
    return word


def content_words(sentences: pd.DataFrame, top: int = 20, min_len: int = 3) -> pd.DataFrame:
    """Most frequent content words.

    Input: ``sentences`` (``text`` column). Output columns: ``word`` (most frequent
    original spelling), ``key`` (normalised, clitics folded), ``count``, ``n_docs``.
    Sorted by count (desc) then key, so ties are stable.
    """
    counts: Counter[str] = Counter()
    surfaces: dict[str, Counter[str]] = defaultdict(Counter)
    docs: dict[str, set] = defaultdict(set)
    stop = stopwords()
    for doc_id, text in zip(sentences["doc_id"], sentences["text"]):
        n = normalize(text)
        for m in _WORD.finditer(n.text):
            k = _key(m.group(0))
            if len(k) < min_len or k in stop or m.group(0) in stop:
                continue
            s, e = n.span(m.start(), m.end())
            counts[k] += 1
            surfaces[k][text[s:e]] += 1
            docs[k].add(doc_id)
    rows = [{"word": sorted(surfaces[k].items(), key=lambda x: (-x[1], x[0]))[0][0], "key": k,
             "count": c, "n_docs": len(docs[k])} for k, c in counts.items()]
    df = pd.DataFrame(rows, columns=["word", "key", "count", "n_docs"])
    return df.sort_values(["count", "key"], ascending=[False, True], kind="stable").head(top).reset_index(drop=True)
