"""regex_gate.gated: the same matches as the pattern it guards, on every date pattern and on
patterns built to stress the first-character analysis."""
import random
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from iraqkit import dates
from iraqkit.arabic import normalize
from iraqkit.regex_gate import first_chars, gated


def _matches(rx, text):
    return [(m.span(), m.groups(), m.groupdict()) for m in rx.finditer(text)]


def _plain(rx):
    """The pattern behind a gated one: ``(?=[set])(?:pattern)`` -> pattern."""
    m = re.match(r"\(\?=\[(?:\\.|[^\]\\])*\]\)\(\?:", rx.pattern)
    assert m, rx.pattern
    return re.compile(rx.pattern[m.end():-1], rx.flags)


STRESS = [
    r"(?<![\d.])(?P<d>[0-3]?\d)(?!\d)\s*(?:من\s+)?(?P<m>يناير|كانون\s+الثاني|ابريل)",
    r"(?:(?P<pcl>[وفب])?(?P<part>مطلع|اواخر)\s+)?(?P<m>اذار|مارس)(?:\s+(?P<y>20\d\d))?",
    r"(?:ال)?(?:شهر\s+)?(?:x|y)*z",
    r"\b(?=ا)(?:امس|اليوم)",
    r"(?i:abc)|d",                       # inline flags: left alone
    r"(\d)\1",
    r".x",
    r"[^ab]c",
    r"a?",                                # can match empty: left alone
    r"(?:a|b|)c",
    r"\s*-\s*\d+",
    r"(?>ab|a)c",
]


def test_every_date_pattern_is_gated():
    for form, rx, _prio in dates._patterns():
        assert rx.pattern.startswith("(?=[") and _plain(rx).pattern in rx.pattern, form


@pytest.mark.parametrize("pattern", STRESS)
def test_gated_stress_patterns_match_the_same(pattern):
    rx = re.compile(pattern)
    g = gated(rx)
    rng = random.Random(pattern)
    alphabet = ["ا", "ل", "و", "ف", "ب", "x", "y", "z", "a", "b", "c", "d", "A", "B", " ", "\n", "-", ".",
                "0", "3", "12", "٣", "20", "21", "من ", "شهر ", "يناير", "كانون الثاني", "اذار", "مطلع ", "امس"]
    for _ in range(400):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 25)))
        assert _matches(g, text) == _matches(rx, text), (pattern, text)


def test_patterns_that_already_scan_fast_are_returned_unchanged():
    # a literal, a set or an anchor first: re skips ahead (or tries one position) by itself;
    # a look-ahead in front of ^ would make a search try every position
    for p in (r"^abc", r"abc", r"[ab]c", r"(?:^x)", r"\Ax", r"(?P<g>a)b"):
        rx = re.compile(p)
        assert gated(rx) is rx, p
    rx = re.compile(r"(?<!a)b|c")
    assert gated(rx) is not rx and gated(rx).pattern == "(?=[bc])(?:(?<!a)b|c)"


def test_patterns_it_cannot_analyse_are_returned_unchanged():
    for p in (r"(?i:abc)|d", r"(a?)\1b", r".x", r"[^ab]c", r"a?", r"(?:a|)", r"(?<=x)"):
        rx = re.compile(p)
        assert first_chars(rx) is None and gated(rx) is rx, p
    assert first_chars(re.compile(r"(?<![\d])(?:ab|\d)")) == r"[\da]"
    assert first_chars(re.compile(r"(?:x?y*)+z|w")) == "[wxyz]"
    assert first_chars(re.compile(r"(?:a|b|)c")) == "[abc]"     # an empty branch: what follows
    assert first_chars(re.compile(r"(\d)\1")) == r"[\d]"      # a back-reference after the start


def test_date_patterns_match_the_same_on_the_real_corpus(corpus):
    n = 0
    for text in corpus.values():
        t = normalize(text).text
        for form, rx, _prio in dates._patterns():
            plain = _plain(rx)
            got, want = _matches(rx, t), _matches(plain, t)
            assert got == want, form
            n += len(want)
    assert n > 50


WORDS = ["في", "12", "3", "٢٠٢١", "2021", "-", "/", ".", "يناير", "كانون", "الثاني", "اذار", "من", "شهر",
         "مطلع", "اواخر", "العام", "الماضي", "الحادي", "والعشرين", "jan", "march", "1st", "2020-01-02", "ب", "و"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(WORDS), max_size=12), st.lists(st.sampled_from([" ", "", "  ", "\n", "،"]),
                                                                min_size=12, max_size=12))
def test_property_date_patterns_match_the_same(words, seps):
    text = normalize("".join(w + s for w, s in zip(words, seps))).text
    for form, rx, _prio in dates._patterns():
        plain = _plain(rx)
        assert _matches(rx, text) == _matches(plain, text), (form, text)
