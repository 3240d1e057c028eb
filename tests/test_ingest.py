"""Ingest: decoding, quarantine, HTML/JSON, checksums, cleaning, segments, metadata."""
import json
import shutil

import pandas as pd
import pytest

from iraqkit.ingest import (IngestError, RawDataChanged, Rejected, decode_bytes, ingest, read_articles,
                            reconcile, write_checksums)

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
