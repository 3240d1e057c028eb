"""Quantities: every number form the Arabic press uses, with qualifier and counted noun."""
import pytest

from iraqkit.arabic import norm
from iraqkit.numbers import find_quantities, parse_number_words


def q1(text):
    qs = find_quantities(text)
    assert len(qs) == 1, [(q.surface, q.value) for q in qs]
    q = qs[0]
    assert text[q.start:q.end] == q.surface  # spans index the original text
    return q


def triples(text):
    return [(q.value, q.qualifier, q.noun) for q in find_quantities(text)]


# --- real corpus sentences ----------------------------------------------------------------
def test_corpus_aggregate_with_approx_qualifier():
    # 000: "… والتي بلغت نحو 50 هجوماً، حتى نهاية آذار (مارس) الماضي، بحسب التقديرات الأمريكية"
    q = q1("والتي بلغت نحو 50 هجوماً، حتى نهاية آذار (مارس) الماضي، بحسب التقديرات الأمريكية")
    assert (q.value, q.value_max, q.qualifier, q.noun) == (50, None, "approx", norm("هجوم"))
    assert q.surface == "نحو 50 هجوماً"


def test_corpus_count_with_sub_counts():
    # 004: "… إلى 63 هجوماً، منها 41 هجوماً صاروخياً، و22 هجوماً بالعبوات الناسفة"
    s = "تعرضت القواعد إلى 63 هجوماً، منها 41 هجوماً صاروخياً، و22 هجوماً بالعبوات الناسفة على آليات"
    assert triples(s) == [(63, "exact", "هجوم"), (41, "exact", "هجوم"), (22, "exact", "هجوم")]
    # the conjunction و is not part of the number's span
    assert find_quantities(s)[2].surface == "22 هجوماً"


def test_corpus_at_least_and_bare_noun():
    # 002#2: "شنت تلك الميليشيات أكثر من 200 هجوم على القوات الأمريكية"
    q = q1("شنت تلك الميليشيات أكثر من 200 هجوم على القوات الأمريكية")
    assert (q.value, q.qualifier, q.noun) == (200, "at_least", "هجوم")


def test_corpus_dual_after_a_date_is_two_and_the_day_is_not_a_count():
    # 001: "وقتل المسلحون يوم الثلاثاء 7 ديسمبر/كانون الأول جنديين في مدينة كركوك الشمالية."
    q = q1("وقتل المسلحون يوم الثلاثاء 7 ديسمبر/كانون الأول جنديين في مدينة كركوك الشمالية.")
    assert (q.value, q.noun, q.surface) == (2, "جندي", "جنديين")


def test_corpus_thousands_and_troop_levels():
    # 001: "القوات الأمريكية البالغ عددها آنذاك 5 آلاف جندي"; 000: "نحو 150 ألف جندياً"
    assert triples("البالغ عددها آنذاك 5 آلاف جندي من البلاد") == [(5000, "exact", "جندي")]
    assert triples("كان عددها في البداية نحو 150 ألف جندياً تمّ سحبهم") == [(150000, "approx", "جندي")]
    # 003: "وتحتفظ الولايات المتحدة بنحو 2500 جندي في العراق، و900 جندي في سوريا"
    assert triples("وتحتفظ الولايات المتحدة بنحو 2500 جندي في العراق، و900 جندي في سوريا") == [
        (2500, "approx", "جندي"), (900, "exact", "جندي")]


def test_corpus_casualty_counts():
    # 004: "مما أدى إلى إصابة نحو 110 جندياً"; 002: "قُتل 3 جنود أمريكيين"
    assert triples("مما أدى إلى إصابة نحو 110 جندياً اعترفت بإصابتهم") == [(110, "approx", "جندي")]
    assert triples("لكن بعد أقل من 24 ساعة، قُتل 3 جنود أمريكيين في هجوم بالأردن") == [
        (24, "at_most", "ساعه"), (3, "exact", "جندي")]
    # 001: "قتل التنظيم 13 جندياً ومدنياً كردياً في كمين"
    assert triples("قتل التنظيم 13 جندياً ومدنياً كردياً في كمين") == [(13, "exact", "جندي")]


def test_corpus_munitions_with_hyphenated_type():
    # 004: "إذ تم قصف أكثر من 15 صاروخ أرض-أرض على قاعدتي عين الأسد"
    q = q1("إذ تم قصف أكثر من 15 صاروخ أرض-أرض على قاعدتي عين الأسد")
    assert (q.value, q.qualifier, q.noun) == (15, "at_least", "صاروخ")


def test_corpus_vague_hundreds():
    # 003: "وستجري مغادرة مئات عناصر القوات بحلول أيلول 2025"
    q = q1("وستجري مغادرة مئات عناصر القوات بحلول أيلول 2025")
    assert (q.value, q.value_max, q.qualifier, q.noun) == (200, 999, "approx", "عنصر")


# --- crafted: every form --------------------------------------------------------------------
@pytest.mark.parametrize("text,value", [
    ("٦٣ هجوماً", 63),                 # Arabic-Indic digits
    ("۶۳ هجوماً", 63),                 # Extended (Persian) digits
    ("2,500 جندي", 2500),              # thousands separator
    ("٢٬٥٠٠ جندي", 2500),              # Arabic thousands separator
    ("1.5 مليون دولار", 1500000),       # decimal + million
    ("ألف جندي", 1000),
    ("ألفين جندي", 2000),
    ("مئة يوم", 100),
    ("مائة صاروخ", 100),
    ("مئتي جندي", 200),
    ("ثلاثمائة جندي", 300),
    ("ثلاث مئة جندي", 300),
    ("خمسة آلاف جندي", 5000),
    ("واحد", None),                    # a lone small number word without a counted noun
    ("ثلاثة صواريخ", 3),
    ("عشرة هجمات", 10),
    ("أحد عشر جنديا", 11),
    ("اثنا عشر صاروخا", 12),
    ("ثلاثة عشر جنديا", 13),
    ("عشرون هجوماً", 20),
    ("عشرين صاروخاً", 20),
    ("خمسة وعشرون صاروخا", 25),
    ("تسعين جنديا", 90),
])
def test_number_forms(text, value):
    qs = find_quantities(text)
    if value is None:
        assert qs == []
    else:
        assert [q.value for q in qs] == [value]


@pytest.mark.parametrize("text,lo,hi,noun", [
    ("عشرات الهجمات", 20, 99, None),
    ("عشرات الجنود", 20, 99, None),
    ("مئات الجنود", 200, 999, None),
    ("آلاف المقاتلين", 2000, 9999, None),
    ("عشرات الآلاف من المقاتلين", 20000, 99999, "مقاتل"),
    ("مئات الآلاف", 200000, 999999, None),
    ("بضعة صواريخ", 3, 9, "صاروخ"),
    ("عدة هجمات", 3, 10, "هجوم"),
])
def test_vague_counts_have_a_documented_range(text, lo, hi, noun):
    q = q1(text)
    assert (q.value, q.value_max, q.qualifier) == (lo, hi, "approx")
    if noun:
        assert q.noun == noun


@pytest.mark.parametrize("text,noun", [
    ("جنديين", "جندي"), ("صاروخين", "صاروخ"), ("هجومين", "هجوم"), ("طائرتين", "طايره"),
    ("ضربتين", "ضربه"), ("يومين", "يوم"),
])
def test_duals_are_two(text, noun):
    q = q1(text)
    assert (q.value, q.noun) == (2, noun)


@pytest.mark.parametrize("text,qual", [
    ("نحو 50 هجوماً", "approx"), ("قرابة 50 هجوماً", "approx"), ("حوالي 50 هجوماً", "approx"),
    ("حوالى 50 هجوماً", "approx"), ("زهاء 50 هجوماً", "approx"), ("ما يقارب 50 هجوماً", "approx"),
    ("ما يناهز 50 هجوماً", "approx"), ("50 هجوماً تقريباً", "approx"),
    ("أكثر من 50 هجوماً", "at_least"), ("ما لا يقل عن 50 هجوماً", "at_least"),
    ("أزيد من 50 هجوماً", "at_least"), ("ما يزيد على 50 هجوماً", "at_least"),
    ("لأكثر من 50 هجوماً", "at_least"),
    ("أقل من 50 هجوماً", "at_most"), ("ما لا يزيد عن 50 هجوماً", "at_most"),
    ("ما يصل إلى 50 هجوماً", "at_most"), ("50 هجوماً", "exact"),
])
def test_qualifiers(text, qual):
    q = q1(text)
    assert (q.value, q.qualifier) == (50, qual)
    assert q.start == 0  # the qualifier is part of the span


@pytest.mark.parametrize("text", [
    "في 5 يناير/كانون الثاني 2020", "في 3-4-2021 المفاوض", "تم النشر: 2021/12/12 الساعة 15:10",
    "خلال عام 2020", "في 6 من أيلول الحالي", "الجولة الثالثة", "الحادي والثلاثين من ديسمبر",
    "في السابع من أبريل", "لأكثر من دولة خليجية",
])
def test_dates_times_ordinals_are_not_quantities(text):
    assert find_quantities(text) == []


def test_parse_number_words():
    assert parse_number_words([norm("خمسة"), norm("وعشرون")]) == (25, 2)
    assert parse_number_words([norm("أحد"), norm("عشر")]) == (11, 2)
    assert parse_number_words([norm("ثلاث"), norm("مئة")]) == (300, 2)
    assert parse_number_words([norm("مئة"), norm("وخمسون")]) == (150, 2)
    assert parse_number_words([norm("هجوم")]) == (None, 0)


# --- compound number words, partitive counts, ب + vague count --------------------------------------
@pytest.mark.parametrize("text,value,noun", [
    ("نحو ألفين وخمسمائة عسكري", 2500, "عسكري"),
    ("ثلاثة آلاف وخمسمائة جندي", 3500, "جندي"),
    ("ألف ومئتا جندي", 1200, "جندي"),
    ("خمسة وعشرون جندياً", 25, "جندي"),
    ("مئة وخمسون صاروخاً", 150, "صاروخ"),
    ("مائتان وخمسون جندياً", 250, "جندي"),
    ("خمسة وعشرين ألف جندي", 25000, "جندي"),
])
def test_compound_number_words(text, value, noun):
    q = q1(text)
    assert (q.value, q.noun) == (value, norm(noun))
    assert q.surface.endswith(text.split()[-1])  # the counted noun is in the span, not swallowed


def test_thousands_word_not_followed_by_a_smaller_number_is_unchanged():
    assert [q.value for q in find_quantities("ألف جندي وخمسة آلاف مدني")] == [1000, 5000]


@pytest.mark.parametrize("text,value,noun", [
    ("ثلاثة من عناصر الحشد", 3, "عنصر"),
    ("واثنان من مرافقيه", 2, "مرافق"),
    ("خمسة من أفراد الخدمة", 5, "فرد"),
    ("اثنين من المتعاقدين", 2, "متعاقد"),
    ("أربعة من جنوده", 4, "جندي"),
])
def test_partitive_counts_of_persons(text, value, noun):
    q = q1(text)
    assert (q.value, q.qualifier, q.noun) == (value, "exact", norm(noun))


@pytest.mark.parametrize("text", ["واحد من أهم القادة", "ثلاثة من أصل خمسة", "وصل بعده الوفد", "بعدة طرق"])
def test_not_partitive_or_vague_counts(text):
    # "من" + a word that is not a counted noun; "بعده" (after it) is a count only before a counted noun
    assert [q for q in find_quantities(text) if q.noun] == []
    assert not [q for q in find_quantities(text) if q.value in (1, 3) and q.number_start == 0]


def test_vague_count_with_attached_ba():
    q = q1("استهدفت القاعدة بعدة صواريخ")
    assert (q.value, q.value_max, q.noun, q.surface) == (3, 10, norm("صاروخ"), "عدة صواريخ")
