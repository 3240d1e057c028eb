"""Arabic text utilities: normalisation offset maps, clitics, sentence splitting."""
import string

from hypothesis import given, settings
from hypothesis import strategies as st

from iraqkit.arabic import TermMatcher, is_arabic_text, norm, normalize, split_sentences, to_ascii_digits


def test_normalisation_folds_variants_diacritics_tatweel_and_digits():
    assert norm("إِسْـــرائيل") == "اسراييل"  # ئ folds to ي like ى
    assert norm("الأمريكيّة") == "الامريكيه"
    assert norm("مُصطفى") == "مصطفي"
    assert norm("١١ شباط ٢٠٢٤") == "11 شباط 2024"
    assert norm("۲۰۲۱") == "2021"  # Persian digits
    assert norm("الدولی الولایات العسکریة") == "الدولي الولايات العسكريه"  # Persian ya/kaf in a real tag line
    assert to_ascii_digits("في ٣-٤-٢٠٢١") == "في 3-4-2021"


def test_offset_map_points_at_the_original_characters():
    text = "قال رئيسُ الوزراءِ العراقيّ مصطفى الكاظمي"
    n = normalize(text)
    i = n.text.index("الوزراء")
    s, e = n.span(i, i + len("الوزراء"))
    assert text[s:e] == "الوزراءِ"  # the kasra on the last letter stays with the word
    j = n.text.index("العراقي")
    assert text[slice(*n.span(j, j + len("العراقي")))] == "العراقيّ"


ARABIC_CHARS = "ابتثجحخدذرزسشصضطظعغفقكلمنهويءآأإؤئىة" + "ًٌٍَُِّْ" + "ـ" + "٠١٢٣٤٥٦٧٨٩" + " \n،؛؟" + string.ascii_letters + string.digits


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=ARABIC_CHARS, min_size=1, max_size=60), st.data())
def test_property_mapped_spans_always_point_at_the_right_original_characters(text, data):
    n = normalize(text)
    if not n.text:
        return
    a = data.draw(st.integers(0, len(n.text) - 1))
    b = data.draw(st.integers(a + 1, len(n.text)))
    s, e = n.span(a, b)
    # normalising the original span gives back exactly the normalised slice
    # (modulo white space collapsing at the edges)
    assert normalize(text[s:e]).text.strip() == n.text[a:b].strip()
    assert 0 <= s < e <= len(text)


def test_term_matcher_handles_clitics_and_longest_match():
    m = TermMatcher({"الحرس الثوري": "irgc", "حزب الله": "hezbollah", "كتائب حزب الله": "kh",
                     "حركة المقاومة الإسلامية": "hamas", "المقاومة الإسلامية في العراق": "iri", "داعش": "isis"})
    text = ("التابع للحرس الثوري الإيراني، وبحزب الله، وكتائب حزب الله، ورئيس المكتب السياسي "
            "لـ”حركة المقاومة الإسلامية” و“المقاومة الإسلامية في العراق” وبداعش")
    found = [(x.key, x.surface) for x in m.finditer(text)]
    assert found == [("irgc", "لحرس الثوري"), ("hezbollah", "حزب الله"), ("kh", "كتائب حزب الله"),
                     ("hamas", "حركة المقاومة الإسلامية"), ("iri", "المقاومة الإسلامية في العراق"),
                     ("isis", "داعش")]


def test_term_matcher_requires_word_boundaries():
    m = TermMatcher({"العراق": "iraq"})
    assert [x.surface for x in m.finditer("الحكومة العراقية في العراق والعراقيين")] == ["العراق"]


def test_sentence_splitting_on_real_text_keeps_abbreviations_and_decimals():
    text = ("وبسؤال عضو اللجنة، الدكتور أحمد أنور، أجاب: \"سوف تؤثر الأوضاع؟\" "
            "وقال د. أحمد إن النسبة 3.5 في المئة. قال قائد التحالف، الجنرال جون دبليو برينان، إن التحالف سيبقى")
    sents = split_sentences(text)
    assert [s.text for s in sents] == [
        "وبسؤال عضو اللجنة، الدكتور أحمد أنور، أجاب: \"سوف تؤثر الأوضاع؟\"",
        "وقال د. أحمد إن النسبة 3.5 في المئة.",
        "قال قائد التحالف، الجنرال جون دبليو برينان، إن التحالف سيبقى",
    ]
    assert all(text[s.start:s.end] == s.text for s in sents)


def test_sentence_splitting_accepts_crlf_and_cr_line_ends():
    for nl in ("\n", "\r\n", "\r"):
        text = f"السطر الأول{nl}{nl}السطر الثاني"
        assert [s.text for s in split_sentences(text)] == ["السطر الأول", "السطر الثاني"]


def test_is_arabic_text():
    assert is_arabic_text("تصاعدت وتيرة الهجمات المسلحة ضد القوات الأمريكية")
    assert not is_arabic_text("The government is helpless.. The dollar continues to destabilize")


def test_lam_preposition_before_a_stem_that_starts_with_lam():
    m = TermMatcher({"اللجنة العسكرية العليا": "hmc"})
    found = [(x.key, x.surface) for x in m.finditer("اجتماعات مجموعة العمل التابعة للجنة العسكرية العليا")]
    assert found == [("hmc", "لجنة العسكرية العليا")]


SPECIAL = ARABIC_CHARS + "\u00a0\u200f\u202b\u2066\ufeff\t\r\u2009ـــ" + "ﻻﷲﺍﺏ" + "“”«»٫٬،ABCxyz"


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=SPECIAL, max_size=80), st.booleans())
def test_property_fast_normalisation_equals_the_reference(text, collapse):
    from iraqkit.arabic import _normalize_slow

    fast, slow = normalize(text, collapse), _normalize_slow(text, collapse)
    assert fast.text == slow.text
    assert fast.offsets == slow.offsets


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=ARABIC_CHARS + " \u3000\u3001\u4e2d\uff21\U0001f600\u0640\u064b", max_size=40))
def test_property_fast_normalisation_beyond_the_translation_table(text):
    """Characters above the highest code point the fold table changes (CJK, full-width,
    emoji) are kept as they are, as by the reference."""
    from iraqkit.arabic import _normalize_slow

    assert normalize(text).text == _normalize_slow(text).text
    assert normalize(text).offsets == _normalize_slow(text).offsets


def test_fast_normalisation_of_every_character_equals_the_reference():
    """Each code point of the Basic Multilingual Plane (surrogates aside), alone and between
    two letters, normalises as :func:`fold_char` says."""
    from iraqkit.arabic import _normalize_fast, _normalize_slow

    for c in map(chr, range(0x10000)):
        if "\ud800" <= c <= "\udfff":
            continue
        for text in (c, "ب" + c + "ب"):
            slow = _normalize_slow(text, True)
            if "\ufb50" <= c <= "\ufdff" or "\ufe70" <= c <= "\ufeff":
                assert normalize(text) == slow        # presentation forms take the reference path
            elif _normalize_fast(text, True) != slow:
                raise AssertionError(f"U+{ord(c):04X}")


def test_characters_of_the_presentation_blocks_without_a_compatibility_form_are_kept():
    """The ornate parentheses of a Quran quotation (and ﷽, unassigned code points of those
    blocks) have no NFKC form of their own: they are kept, not folded for ever (they made
    normalisation recurse until Python gave up, and a build with such an article fail)."""
    nt = normalize("قال تعالى ﴿وَلَا تَقْتُلُوا﴾ ﷽ ﻻ")
    assert nt.text == "قال تعالي ﴿ولا تقتلوا﴾ ﷽ لا"
    assert nt.span(10, 11) == (10, 11) and nt.original[nt.span(10, 11)[0]] == "﴿"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=SPECIAL + "\ufd3e\ufdfc\ufe75\u00bd\u2460", max_size=60),
       st.sampled_from([0.0, 0.3, 0.5, 1.0]))
def test_property_is_arabic_text_equals_the_per_letter_definition(text, share):
    # the definition: among the characters with str.isalpha(), the share matching ARABIC_LETTER_RE
    # (presentation-form punctuation such as U+FD3E is in the regex range but is no letter)
    from iraqkit.arabic import ARABIC_LETTER_RE

    letters = [c for c in text if c.isalpha()]
    expected = bool(letters) and sum(1 for c in letters if ARABIC_LETTER_RE.match(c)) / len(letters) >= share
    assert is_arabic_text(text, share) == expected


def test_arabic_letter_runs_are_exactly_the_arabic_letters_that_are_letters():
    # is_arabic_text counts runs of _ARABIC_ALPHA_RUN_RE instead of testing every character:
    # over every code point, a character is in that class iff it matches ARABIC_LETTER_RE and
    # is a letter (str.isalpha), the per-letter definition above
    from iraqkit.arabic import _ARABIC_ALPHA_RUN_RE, ARABIC_LETTER_RE

    differ = [cp for cp in range(0x110000)
              if bool(_ARABIC_ALPHA_RUN_RE.fullmatch(chr(cp)))
              != (bool(ARABIC_LETTER_RE.fullmatch(chr(cp))) and chr(cp).isalpha())]
    assert differ == []
    assert not _ARABIC_ALPHA_RUN_RE.fullmatch("\ufd3e")  # ornate parenthesis: in the range, no letter
    assert [m.group() for m in _ARABIC_ALPHA_RUN_RE.finditer("قال: ﻻ ﷲ (x)")] == ["قال", "ﻻ", "ﷲ"]


def test_is_arabic_text_on_a_long_line_counts_every_letter():
    # 2 million letters on one line (the synthetic corpus's enormous single line): the share is
    # exact at the boundary, without a string per letter
    text = "سلام " * 300_000 + "peace " * 240_000  # 1.2 M Arabic letters, 1.2 M Latin ones
    assert is_arabic_text(text, 0.5)
    assert not is_arabic_text(text + "x", 0.5)


def test_matching_view_drops_quotes_and_keeps_offsets():
    from iraqkit.actors import matching_view

    text = "أعلن تنظيم “الدولة”  مسؤوليته"
    v = matching_view(text)
    assert '"' not in v.text and "  " not in v.text
    assert v.text == "اعلن تنظيم الدوله مسووليته"
    start = v.text.index("الدوله")
    assert text[slice(*v.span(start, start + len("الدوله")))] == "الدولة"
    plain = "قصف قاعدة عين الأسد"
    assert matching_view(plain) == normalize(plain)


def _gazetteer_terms():
    import pandas as pd

    from iraqkit.paths import GAZETTEERS

    a = pd.read_csv(GAZETTEERS / "actors.csv", dtype=str, keep_default_na=False)
    p = pd.read_csv(GAZETTEERS / "places.csv", dtype=str, keep_default_na=False)
    terms = {}
    for df, col_id in ((a, "actor_id"), (p, "place_id")):
        for _, r in df.iterrows():
            for t in [r["name_ar"], *r["aliases_ar"].split("|")]:
                if t.strip():
                    terms.setdefault(t.strip(), r[col_id])
    return terms


def test_token_index_matcher_equals_the_regex_reference_on_the_real_corpus(corpus):
    from reference.regex_termmatcher import RegexTermMatcher

    terms = _gazetteer_terms()
    assert len(terms) > 900
    new, old = TermMatcher(terms), RegexTermMatcher(terms)
    n = 0
    for text in corpus.values():
        for s in split_sentences(text):
            got, want = list(new.finditer(s.text)), list(old.finditer(s.text))
            assert got == want, s.text
            n += len(got)
    assert n > 300


WORDS = ["الحرس", "الثوري", "حزب", "الله", "كتائب", "اللجنة", "العسكرية", "العليا", "داعش", "عين", "الأسد",
         "و", "ف", "ب", "ل", "لل", "وال", "بال", "قال", "في", "-", "(", ")", "،", ".", "أرض", "K1"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(WORDS), max_size=14), st.lists(st.sampled_from(["", " ", "  ", "\n"]), min_size=14, max_size=14))
def test_property_token_index_matcher_equals_the_regex_reference(words, seps):
    from reference.regex_termmatcher import RegexTermMatcher

    terms = {"الحرس الثوري": "irgc", "حزب الله": "hzb", "كتائب حزب الله": "kh", "اللجنة العسكرية العليا": "hmc",
             "داعش": "isis", "عين الأسد": "asad", "صاروخ أرض-أرض": "ssm", "(واع)": "ina", "K1": "k1", "الله": "allah"}
    text = "".join(w + s for w, s in zip(words, seps))
    assert list(TermMatcher(terms).finditer(text)) == list(RegexTermMatcher(terms).finditer(text))


def test_special_terms_are_only_scanned_for_in_texts_with_their_marks():
    # terms with punctuation go through a regex; a text without any of their non-word
    # characters (here "-" and ".") cannot match one, so the regex is not run on it
    m = TermMatcher({"صاروخ أرض-أرض": "ssm", "د.ب.أ": "dpa", "العراق": "iraq"})
    assert m._special_gate == frozenset("-.")

    class Boom:
        def finditer(self, text):
            raise AssertionError("scanned")
    real, m._special_re = m._special_re, Boom()
    assert [x.key for x in m.finditer("أطلق صاروخ أرض أرض على العراق")] == ["iraq"]
    m._special_re = real
    assert [x.key for x in m.finditer("أطلق صاروخ أرض-أرض على العراق، بحسب د.ب.أ")] == ["ssm", "iraq", "dpa"]
    u = TermMatcher({"عين_الأسد": "asad"})
    assert u._special_gate == frozenset("_") and [x.key for x in u.finditer("في عين_الأسد")] == ["asad"]
