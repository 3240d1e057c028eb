"""Held-out check on eight crafted articles (tests/heldout): every file ingested and decoded
correctly (cp1256, UTF-8 BOM + CRLF, HTML, JSON), and precision/recall floors a little under the
figures recorded in tests/heldout/RESULTS.md, so a regression fails. The set was used to find
general fixes, so these figures are no longer held-out estimates (see RESULTS.md)."""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent / "heldout"
ARTICLES = HERE / "articles"


@pytest.fixture(scope="module")
def ev():
    spec = importlib.util.spec_from_file_location("heldout_evaluate", HERE / "evaluate.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def result(ev, tmp_path_factory):
    return ev.evaluate(tmp_path_factory.mktemp("heldout"))


def test_every_file_is_ingested_not_quarantined(result):
    files = sorted(p.name for p in ARTICLES.iterdir() if p.is_file())
    assert len(files) == 8
    assert len(result["quarantine"]) == 0
    docs = result["documents"]
    assert sorted(set(docs.source_file)) == files
    assert (docs.segment.astype(int) == 1).all(), "no page is split into two articles"


def test_encodings_are_detected(result):
    enc = dict(zip(result["documents"].source_file, result["documents"].encoding))
    assert enc["h02_saadi_strike.txt"] == "cp1256"
    assert enc["h03_ain_al_asad.txt"] == "utf-8-sig"
    assert enc["h01_tower22.txt"] == "utf-8"


def test_offsets_index_the_decoded_text(result):
    """raw_text[start:end] == sentence text for every file: cp1256, BOM + CRLF (line ends kept),
    and the text taken from HTML / JSON (written to texts/<doc_id>.txt)."""
    import pandas as pd

    out = Path(result["out"])
    sents = pd.read_csv(out / "sentences.csv", keep_default_na=False)
    docs = result["documents"]
    for d in docs.itertuples():
        p = out / "texts" / f"{d.doc_id}.txt"
        if d.source_file.endswith((".html", ".json")):
            assert p.exists(), d.source_file
            raw = p.read_text(encoding="utf-8")
        else:
            raw = (ARTICLES / d.source_file).read_bytes().decode(d.encoding)
        ss = sents[sents.doc_id == d.doc_id]
        assert len(ss) >= 8, d.doc_id
        for s in ss.itertuples():
            assert raw[s.start:s.end] == s.text
            assert "\r" not in s.text and "<" not in s.text
        if d.source_file == "h03_ain_al_asad.txt":
            assert "\r\n" in raw and not raw.startswith("\ufeff")
        if d.source_file == "h02_saadi_strike.txt":
            assert "كتائب حزب الله" in raw


def test_html_and_json_metadata(result):
    docs = result["documents"].set_index("source_file")
    h = docs.loc["h04_erbil_rockets.html"]
    assert h.title == "مقتل متعاقد مدني وإصابة 9 بقصف صاروخي على مطار أربيل"
    assert h.published == "2021-02-16"
    j = docs.loc["h05_sudani_biden.json"]
    meta = json.loads((ARTICLES / "h05_sudani_biden.json").read_text(encoding="utf-8"))
    assert j.title == meta["title"]
    assert j.published == "2024-04-16"


#: floors a little under the "after" figures in tests/heldout/RESULTS.md
FLOORS = {
    "actors": (0.95, 0.93),
    "attacks (incident+aggregate)": (0.93, 0.97),
    "threats": (0.95, 0.75),
    "milestones": (0.95, 0.84),
    "troop_levels": (0.95, 0.95),
}


@pytest.mark.parametrize("table", list(FLOORS))
def test_precision_recall_floors(result, table):
    s = result["tables"][table]
    p, r = FLOORS[table]
    assert s["precision"] >= p and s["recall"] >= r, (table, s["precision"], s["recall"])


def test_document_fields(result):
    f = result["fields"]
    assert f["documents.ingested"][0] == 1.0
    assert f["documents.published"][0] == 1.0
    assert f["documents.outlet"][0] >= 0.85


def test_attack_field_accuracy_floor(result):
    f = result["fields"]
    assert f["attacks.n_attacks"][0] >= 0.95
    assert f["attacks.date_start"][0] >= 0.85
    assert f["attacks.place_id"][0] >= 0.9
