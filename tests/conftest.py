from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
RAW = ROOT / "data" / "raw"


@pytest.fixture(scope="session")
def corpus() -> dict[str, str]:
    """The five real articles, decoded: file stem -> text."""
    return {p.stem: p.read_text(encoding="utf-8") for p in sorted(RAW.glob("*.txt"))}


@pytest.fixture(scope="session")
def corpus_tables():
    """Ingest of the real corpus (documents, sentences, removed, quarantine)."""
    from iraqkit.ingest import ingest

    tables = ingest(RAW)
    tables.pop("_texts")
    return tables
