"""Ingest: decoding, quarantine, HTML/JSON, checksums, cleaning, segments, metadata."""
import json
import shutil

import pandas as pd
import pytest

from iraqkit.ingest import (IngestError, RawDataChanged, Rejected, decode_bytes, ingest, read_articles,
                            reconcile, reconcile_positions, write_checksums)

ARTICLE = ("الكاظمي يهدد الميليشيات\n\n"
           "قال رئيس الوزراء العراقي مصطفى الكاظمي اليوم الخميس إن الحوار هو الطريق السليم لحل الأزمات.\n"
           "وأضاف أن الشعب العراقي يستحق الحياة بازدهار واستقرار.\n")


# --- decoding --------------------------------------------------------------------------
@pytest.mark.parametrize("encoding,expected", [
    ("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("utf-16", "utf-16"), ("cp1256", "cp1256"),
])
def test_every_supported_encoding_decodes_to_the_same_text(encoding, expected):
    text, enc = decode_bytes(ARTICLE.encode(encoding))
    assert text == ARTICLE
    assert enc == expected


def test_valid_utf8_is_never_taken_for_cp1256():
    # these bytes are valid UTF-8 *and* valid cp1256; UTF-8 must win
    data = "عين الأسد".encode("utf-8")
    assert data.decode("cp1256") != "عين الأسد"
    assert decode_bytes(data) == ("عين الأسد", "utf-8")


def test_truncated_utf8_keeps_the_text_and_says_so():
    data = ARTICLE.encode("utf-8") + "ع".encode("utf-8")[:1]
    text, enc = decode_bytes(data)
    assert text == ARTICLE and enc == "utf-8-truncated"


@pytest.mark.parametrize("data,reason", [
    (b"", "empty"), (b"   \r\n\t ", "empty"), (b"%PDF-1.7 ...", "binary"),
    (b"\x89PNG\r\n\x1a\n\x00\x00", "binary"), (bytes(range(256)) * 4, "binary"),
    (b"Le caf\xe9 est tr\xe8s bon, d\xe9j\xe0 vu. " * 20, "undecodable"),  # Latin-1, not UTF-8, not Arabic
])
def test_bad_bytes_are_rejected_with_a_reason(data, reason):
    with pytest.raises(Rejected) as e:
        decode_bytes(data)
    assert e.value.reason == reason


def test_crlf_and_cr_files_give_the_same_sentences(tmp_path):
    for nl, name in (("\n", "lf.txt"), ("\r\n", "crlf.txt"), ("\r", "cr.txt")):
        d = tmp_path / name.split(".")[0]
        d.mkdir()
        (d / name).write_bytes(ARTICLE.replace("\n", nl).encode("utf-8"))
    texts = []
    for sub in ("lf", "crlf", "cr"):
        t = ingest(tmp_path / sub, verify=False, overrides=pd.DataFrame(columns=["doc_id", "field", "value", "reason"]))
        texts.append(list(t["sentences"]["text"]))
        assert t["documents"]["title"].tolist() == ["الكاظمي يهدد الميليشيات"]
    assert texts[0] == texts[1] == texts[2] and len(texts[0]) == 2


# --- formats ---------------------------------------------------------------------------
def test_html_markup_is_stripped_and_metadata_kept(tmp_path):
    page = ("<html><head><title>t</title><meta property='article:published_time' content='2021-04-08T10:00:00Z'>"
            "<script>var x = 'قال';</script></head><body><nav>الرئيسية</nav><article><h1>الكاظمي يهدد الميليشيات</h1>"
            "<p>قال رئيس الوزراء العراقي مصطفى الكاظمي إن الحوار هو الطريق السليم.</p>"
            "<p>وأضاف أن الشعب العراقي يستحق الحياة &amp; الاستقرار.</p></article><footer>حقوق النشر</footer></body></html>")
    f = tmp_path / "page.html"
    f.write_text(page, encoding="utf-8")
    [art] = read_articles(f)
    assert "<p>" not in art.text and "var x" not in art.text and "الرئيسية" not in art.text
    assert art.text.splitlines()[0] == "الكاظمي يهدد الميليشيات"
    assert "الحياة & الاستقرار" in art.text
    assert art.meta["published"] == "2021-04-08T10:00:00Z"


def test_json_objects_with_a_text_field_become_articles(tmp_path):
    items = [{"title": "عنوان أول", "text": "قال المتحدث باسم الجيش العراقي إن الاجتماعات ستستمر.", "date": "Thu, 01 Mar 2018 13:18:27 GMT"},
             {"headline": "عنوان ثان", "content": "أعلن وزير الدفاع الأمريكي لويد أوستن بدء الاجتماعات.", "source": "رويترز"}]
    f = tmp_path / "scraped.json"
    f.write_text(json.dumps(items, ensure_ascii=False), encoding="utf-8")
    t = ingest(tmp_path, verify=False, overrides=pd.DataFrame(columns=["doc_id", "field", "value", "reason"]))
    docs = t["documents"].set_index("doc_id")
    assert list(docs.index) == ["scraped@1", "scraped@2"]
    assert docs.loc["scraped@1", "published"] == "2018-03-01"
    assert docs.loc["scraped@1", "date_method"] == "file_metadata"
    assert docs.loc["scraped@2", "outlet"] == "رويترز"
    assert docs.loc["scraped@2", "title"] == "عنوان ثان"


def test_an_article_quoting_the_quran_in_ornate_parentheses_is_ingested(tmp_path):
    """﴿ … ﴾ (U+FD3F, U+FD3E) have no compatibility form: normalising them used to recurse
    until Python gave up, and the build failed on the article."""
    quote = " واستشهد الخطيب بقوله تعالى ﴿وَلَا تَقْتُلُوا أَنْفُسَكُمْ﴾ في كلمته."
    (tmp_path / "quran.txt").write_text(ARTICLE.replace("\n", quote + "\n", 3), encoding="utf-8")
    t = ingest(tmp_path, verify=False, overrides=pd.DataFrame(columns=["doc_id", "field", "value", "reason"]))
    assert t["quarantine"].empty and len(t["documents"]) == 1
    s = t["sentences"]
    hit = s[s["text"].str.contains("﴿ولا تقتلوا", regex=False) | s["text"].str.contains("﴿وَلَا", regex=False)]
    assert len(hit) == 1


# --- quarantine and reconciliation --------------------------------------------------------
def test_every_file_is_ingested_or_quarantined_with_its_reason(tmp_path):
    (tmp_path / "good.txt").write_text(ARTICLE, encoding="utf-8")
    (tmp_path / "good_cp1256.txt").write_bytes(ARTICLE.replace("اليوم الخميس", "أمس").encode("cp1256"))
    (tmp_path / "copy.txt").write_text(ARTICLE, encoding="utf-8")
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(200))
    (tmp_path / "english.txt").write_text("The US and Iraq held a third round of the strategic dialogue.\n", encoding="utf-8")
    (tmp_path / "notes.docx").write_bytes(b"PK\x03\x04xyz")
    (tmp_path / "empty.json").write_text('[{"title": "x"}]', encoding="utf-8")
    t = ingest(tmp_path, verify=False, overrides=pd.DataFrame(columns=["doc_id", "field", "value", "reason"]))
    q = dict(zip(t["quarantine"]["source_file"], t["quarantine"]["reason"]))
    # of two identical files the first in name order is kept
    assert q == {"good.txt": "duplicate", "empty.txt": "empty", "image.txt": "binary",
                 "english.txt": "not_arabic", "notes.docx": "unsupported", "empty.json": "no_text"}
    assert "copy.txt" in t["quarantine"].set_index("source_file").loc["good.txt", "detail"]
    assert sorted(t["documents"]["source_file"]) == ["copy.txt", "good_cp1256.txt"]
    assert t["documents"].set_index("source_file").loc["good_cp1256.txt", "encoding"] == "cp1256"
    counts = reconcile(tmp_path, t)
    assert counts["files"] == 8 == counts["ingested"] + counts["quarantined"]


def _reconcile_outcome(fn, *args):
    try:
        return fn(*args)
    except IngestError as e:
        return str(e)


def test_reconcile_positions_equals_reconcile_on_names(tmp_path):
    """The build's reconcile (file positions in the planned listing, one byte per file) gives
    reconcile's counts, or its exact error, for files added, removed, in both tables or in none."""
    import random

    rng = random.Random(7)
    outcomes = set()
    for trial in range(300):
        raw = tmp_path / f"t{trial}"
        raw.mkdir()
        listing = sorted({f"{rng.choice('abمن')}{rng.randrange(60):02d}.txt" for _ in range(rng.randrange(1, 25))})
        state = {}
        for i in range(len(listing)):  # mostly reconciled; sometimes neither, or both
            r = rng.random()
            state[i] = "i" if r < 0.6 else "q" if r < 0.93 else "" if r < 0.97 else "iq"
        ing = [i for i in range(len(listing)) if "i" in state[i]]
        quar = [i for i in range(len(listing)) if "q" in state[i]]
        on_disk = [n for n in listing if rng.random() > 0.04]  # removed while the build ran
        on_disk += [f"new{k}.txt" for k in range(rng.random() < 0.05)]  # added while it ran
        for n in on_disk:
            (raw / n).write_bytes(b"x")
        (raw / ".hidden").write_bytes(b"x")
        (raw / "sub").mkdir()
        docs = pd.DataFrame({"source_file": [listing[i] for i in ing for _ in range(rng.randrange(1, 3))]})
        tables = {"documents": docs, "quarantine": pd.DataFrame({"source_file": [listing[i] for i in quar]}),
                  "sentences": pd.DataFrame(index=pd.RangeIndex(3))}
        old = _reconcile_outcome(reconcile, raw, tables)
        new = _reconcile_outcome(reconcile_positions, raw, listing, ing, quar)
        if isinstance(old, dict):
            assert new == {k: old[k] for k in ("files", "ingested", "quarantined")}
            outcomes.add("ok")
        else:
            assert new == old
            outcomes.update(k for k in ("in both [", "lost [", "unknown [") if k + "]" not in old)
    assert outcomes == {"ok", "in both [", "lost [", "unknown ["}  # every kind of failure was met
    with pytest.raises(ValueError, match="sorted"):
        reconcile_positions(tmp_path, ["b.txt", "a.txt"], [0], [1])


def test_reconcile_positions_memory_does_not_hold_the_names(tmp_path):
    """What the old reconcile cost at the end of a 1 GB build (50 MB at 177,400 files): sets of
    names. On positions it is a byte per file."""
    import tracemalloc

    n = 20_000
    names = [f"article-{i:07d}-{'x' * 30}.txt" for i in range(n)]
    for name in names:
        (tmp_path / name).write_bytes(b"")
    ing, quar = range(0, n, 2), range(1, n, 2)
    tables = {"documents": pd.DataFrame({"source_file": names[::2]}),
              "quarantine": pd.DataFrame({"source_file": names[1::2]}), "sentences": pd.DataFrame()}
    peaks = {}
    for fn, args in ((reconcile, (tmp_path, tables)), (reconcile_positions, (tmp_path, names, ing, quar))):
        tracemalloc.start()
        counts = fn(*args)
        peaks[fn.__name__] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert (counts["files"], counts["ingested"], counts["quarantined"]) == (n, n // 2, n // 2)
    assert peaks["reconcile"] > 100 * n  # sets of 20,000 names and the listing
    assert peaks["reconcile_positions"] < 8 * n, peaks


def test_too_large_file_is_quarantined(tmp_path, monkeypatch):
    import iraqkit.ingest as ing
    monkeypatch.setattr(ing, "MAX_BYTES", 100)
    (tmp_path / "big.txt").write_text(ARTICLE * 5, encoding="utf-8")
    t = ingest(tmp_path, verify=False, overrides=pd.DataFrame(columns=["doc_id", "field", "value", "reason"]))
    assert t["quarantine"]["reason"].tolist() == ["too_large"]


def test_a_changed_raw_file_is_refused_with_a_clear_error(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "a.txt").write_text(ARTICLE, encoding="utf-8")
    write_checksums(raw)
    assert (tmp_path / "raw.sha256").read_text().endswith("  a.txt\n")
    ingest(raw, overrides=pd.DataFrame(columns=["doc_id", "field", "value", "reason"]))  # unchanged: fine
    (raw / "a.txt").write_text(ARTICLE + "وأضاف.\n", encoding="utf-8")
    with pytest.raises(RawDataChanged, match=r"a\.txt changed.*iraqkit checksums"):
        ingest(raw)


def test_missing_raw_folder_is_a_clear_error(tmp_path):
    with pytest.raises(IngestError, match="does not exist"):
        ingest(tmp_path / "nope")


def test_overrides_replace_a_field_and_are_recorded(tmp_path):
    (tmp_path / "a.txt").write_text(ARTICLE, encoding="utf-8")
    ov = pd.DataFrame([{"doc_id": "a", "field": "published", "value": "2021-04-08", "reason": "checked on the site"}])
    d = ingest(tmp_path, verify=False, overrides=ov)["documents"].iloc[0]
    assert d["published"] == "2021-04-08" and d["date_method"] == "override"
    assert d["overrides"] == "published=2021-04-08 (checked on the site)"


# --- the real corpus ---------------------------------------------------------------------------
def test_real_corpus_files_match_the_shared_corpus_byte_for_byte():
    from iraqkit.paths import RAW, SHARED_CORPUS
    if not SHARED_CORPUS.exists():
        pytest.skip("../shared/corpus is not beside the repo")
    shared = sorted(p.name for p in SHARED_CORPUS.glob("*.txt"))
    assert sorted(p.name for p in RAW.glob("*.txt")) == shared
    for name in shared:
        assert (RAW / name).read_bytes() == (SHARED_CORPUS / name).read_bytes()


def test_corpus_ingest_counts_reconcile(corpus_tables):
    docs = corpus_tables["documents"]
    assert len(corpus_tables["quarantine"]) == 0
    assert docs["source_file"].nunique() == 5
    assert len(docs) == 6  # one page carries a second article
    assert list(docs["doc_id"]).count("002_7679b3e3658cb47b#2") == 1


def test_offsets_index_the_original_file(corpus, corpus_tables):
    for row in corpus_tables["sentences"].itertuples():
        stem = row.doc_id.split("#")[0]
        assert corpus[stem][row.start:row.end] == row.text


def test_chrome_is_removed_by_kind(corpus_tables):
    rem = corpus_tables["removed"]
    kinds = rem.groupby("doc_id")["kind"].apply(set).to_dict()
    assert {"title_repeat", "dateline", "read_also", "footer"} <= kinds["000_619acb7bf2d5c641"]
    assert {"masthead", "dateline", "caption", "footer"} <= kinds["001_ef74772261834a6f"]
    assert {"tweet", "read_also", "source_line", "footer"} <= kinds["002_7679b3e3658cb47b"]
    assert "tweet" in kinds["002_7679b3e3658cb47b#2"]
    sents = " ".join(corpus_tables["sentences"]["text"])
    for chrome in ("انشر مقالك", "تحميل المزيد", "قد يعجبك ايضا", "pic.twitter.com", "ملفات تعريف الارتباط",
                   "كلمات دلالية", "/رويترز", "(@GulfStatesInst)", "تابعنا على", "إذا كنت تعتقد"):
        assert chrome not in sents, chrome
    # a glued tweet signature is removed but the article text after it stays
    assert any(s.startswith("سلطة العراق المحدودة ودعا رئيس الوزراء") for s in corpus_tables["sentences"]["text"])


def test_two_article_page_is_split_with_its_own_title(corpus_tables):
    docs = corpus_tables["documents"].set_index("doc_id")
    first, second = docs.loc["002_7679b3e3658cb47b"], docs.loc["002_7679b3e3658cb47b#2"]
    assert first["title"] == "العراق يبحث مع الولايات المتحدة صياغة جدول زمني لسحب قواتها"
    assert second["title"] == "الميليشيات العراقية تجر البلاد إلى الصراع بين إسرائيل وإيران"
    assert first["source_file"] == second["source_file"] and second["segment"] == 2
    assert first["seg_end"] <= second["seg_start"]
    s = corpus_tables["sentences"]
    assert s[s.doc_id == "002_7679b3e3658cb47b#2"]["text"].iloc[0].startswith("تناول المحلل السياسي محمد صالح")


def test_outlets_come_from_the_page_with_evidence(corpus_tables):
    docs = corpus_tables["documents"].set_index("doc_id")
    assert docs.loc["001_ef74772261834a6f", "outlet"] == "عربي بوست"
    assert docs.loc["001_ef74772261834a6f", "outlet_evidence"].startswith("masthead")
    assert docs.loc["002_7679b3e3658cb47b", "outlet"] == "الخليج الجديد"
    assert docs.loc["000_619acb7bf2d5c641", "outlet"] == "حفريات"
    assert docs.loc["003_765204c47648eeb1", "outlet"] == ""  # the page does not name itself


def test_publication_dates_with_evidence_and_confidence(corpus_tables):
    docs = corpus_tables["documents"].set_index("doc_id")
    assert docs.loc["001_ef74772261834a6f", "published"] == "2021-12-12"
    assert docs.loc["002_7679b3e3658cb47b", "published"] == "2024-02-12"
    # ambiguous dateline 03/05/2021 resolved by the body's evidence (April is in the past)
    assert docs.loc["000_619acb7bf2d5c641", "published"] == "2021-05-03"
    assert docs.loc["000_619acb7bf2d5c641", "date_method"] == "dateline_disambiguated"
    # no dateline: "اليوم الخميس" + the dialogue round "يوم أمس الأربعاء" after 3-4-2021
    assert docs.loc["004_a599bde84ebe1120", "published"] == "2021-04-08"
    assert docs.loc["004_a599bde84ebe1120", "date_method"] == "inferred"
    assert docs.loc["003_765204c47648eeb1", "published"].startswith("2024-09")
    for d in docs.itertuples():
        assert 0 < d.date_confidence <= 1 and d.date_evidence
    assert docs["date_confidence"].loc["001_ef74772261834a6f"] > docs["date_confidence"].loc["004_a599bde84ebe1120"]


# --- fixes from the held-out check (tests/heldout) ---------------------------------------------------
from iraqkit.cleaning import _is_date_only, clean  # noqa: E402
from iraqkit.ingest import find_outlet, html_to_text  # noqa: E402


@pytest.mark.parametrize("line,ok", [
    ("الخميس 8 شباط 2024", True),
    ("27 تموز/يوليو 2021 - 02:15 بتوقيت غرينتش", True),
    ("الأربعاء 1 تشرين الأول/أكتوبر 2025", True),
    ("16/2/2021 - 10:20", True),
    ("2024-08-06 09:15", True),
    ("03/05/2021", True),
    ("قتل 8 جنود في شباط 2024", False),
    ("8 شباط", False),
])
def test_date_only_lines_in_written_and_numeric_forms(line, ok):
    assert _is_date_only(line) is ok


def _header(text):
    seg = clean(text)[0]
    kinds = {(r.kind, text[r.start:r.end]) for r in seg.removed}
    return seg, kinds


def test_site_name_before_the_headline_is_the_masthead():
    text = ("الجزيرة نت\n\nمقتل 3 جنود أميركيين وإصابة العشرات بهجوم بمسيرة على قاعدة في الأردن\n\n"
            "نُشر في 2024/01/29\n\nواشنطن- قُتل 3 جنود أميركيين وأصيب 34 آخرون على الأقل في هجوم.\n"
            "وقال الرئيس الأميركي في بيان إن جماعات مسلحة تقف وراء الهجوم.\n")
    seg, kinds = _header(text)
    assert seg.title.text.startswith("مقتل 3 جنود")
    assert ("masthead", "الجزيرة نت") in kinds
    assert find_outlet(text, seg, seg.removed)[0] == "الجزيرة نت"


def test_masthead_with_place_and_dateline_before_the_headline():
    text = ("شفق نيوز/ الأنبار\n2024-08-06 09:15\n\n"
            "إصابة جنود أميركيين بقصف صاروخي على قاعدة عين الاسد غربي العراق\n\n"
            "أفاد مصدر أمني بسقوط صاروخين داخل القاعدة.\nوقال المصدر إن الصاروخين أطلقا من شاحنة.\n")
    seg, kinds = _header(text)
    assert seg.title.text.startswith("إصابة جنود")
    assert ("dateline", "2024-08-06 09:15") in kinds
    assert find_outlet(text, seg, seg.removed)[0] == "شفق نيوز"


def test_headline_ending_in_a_quote_and_outlet_byline():
    text = ("الشرق الأوسط\n\nضربة أميركية في بغداد تقتل قيادياً في «كتائب حزب الله»\n\n"
            "بغداد: «الشرق الأوسط»\nالخميس 8 شباط 2024\n\n"
            "قُتل قيادي بارز في «كتائب حزب الله» العراقية مساء الأربعاء.\nوأدانت الحكومة العراقية الضربة.\n")
    seg, kinds = _header(text)
    assert seg.title.text.startswith("ضربة أميركية")
    assert ("dateline", "بغداد: «الشرق الأوسط»") in kinds and ("dateline", "الخميس 8 شباط 2024") in kinds
    assert find_outlet(text, seg, seg.removed)[0] == "الشرق الأوسط"


def test_copyright_footer_names_the_outlet():
    text = ("البنتاغون يعلن تقليص الوجود العسكري في العراق\n\nأعلنت وزارة الدفاع الأمريكية تقليص وجودها.\n"
            "وقال المتحدث إن التحالف سينتقل إلى شراكة ثنائية.\n\n© 2025 المونيتور. جميع الحقوق محفوظة.\n")
    seg, kinds = _header(text)
    assert any(k == "footer" for k, _ in kinds)
    assert find_outlet(text, seg, seg.removed)[0] == "المونيتور"


def test_html_page_keeps_only_the_article_element():
    markup = ("<html><body><header class='nav'><a href='/'>الرئيسية</a> | <a href='/k'>كوردستان</a></header>"
              "<main><article><h1>مقتل متعاقد مدني بقصف صاروخي على مطار أربيل</h1>"
              "<p>قُتل متعاقد مدني أجنبي وأصيب تسعة آخرون.</p></article></main>"
              "<div>روابط أخرى</div></body></html>")
    text, _ = html_to_text(markup)
    assert "الرئيسية" not in text and "روابط أخرى" not in text
    assert text.startswith("مقتل متعاقد مدني")


def test_a_first_line_too_long_for_a_headline_is_body_text(tmp_path):
    """A whole article on one line (no title above it) keeps its sentences: the line is body
    text, not a two-thousand-character title."""
    from iraqkit.cleaning import TITLE_MAX_CHARS

    body = " ".join(ln.strip() for ln in ARTICLE.splitlines()[2:] if ln.strip())
    line = " ".join([body] * 12)
    assert len(line) > TITLE_MAX_CHARS
    seg, _ = _header(line + "\n")
    assert seg.title is None and seg.header_end == 0
    (tmp_path / "raw").mkdir()
    (tmp_path / "raw" / "one_line.txt").write_text(line + "\n", encoding="utf-8")
    t = ingest(tmp_path / "raw", verify=False)
    doc = t["documents"].iloc[0]
    assert doc["title"] == "" and doc["n_sentences"] == 24
    assert t["sentences"]["text"].iloc[0].startswith("قال رئيس الوزراء العراقي")
    # a headline of ordinary length is still the title
    seg, _ = _header(ARTICLE)
    assert seg.title.text == "الكاظمي يهدد الميليشيات"


def test_publication_date_evidence_is_read_from_the_start_of_a_long_segment(tmp_path, monkeypatch):
    """Past the first PUBDATE_SCAN_CHARS characters a segment's dates do not move its
    publication date (they belong to later articles of an archive dump)."""
    import iraqkit.ingest as ing

    head = ("الكاظمي يهدد الميليشيات\n\nقال مسؤول عراقي إن هجوما وقع في 3 آذار 2021 على قاعدة عين الأسد.\n"
            "وأضاف أن الحوار هو الطريق السليم لحل الأزمات.\n")
    later = "وفي 9 تشرين الأول 2024 جرت جولة جديدة من الحوار الاستراتيجي.\n"
    filler = "وأضاف أن الشعب العراقي يستحق الحياة بازدهار واستقرار.\n" * 40

    def published(text):
        (tmp_path / "raw").mkdir(exist_ok=True)
        (tmp_path / "raw" / "a.txt").write_text(text, encoding="utf-8")
        return ingest(tmp_path / "raw", verify=False)["documents"].iloc[0]["published"]

    monkeypatch.setattr(ing, "PUBDATE_SCAN_CHARS", len(head + filler) + 10)
    assert published(head + filler) == published(head + filler + filler + later) != published(head + later)
