"""Ingest a folder of articles: decode, quarantine, clean, segment, date and split.

Every input file ends in exactly one of two places: ``documents`` (one row per article
segment) or ``quarantine`` (one row per file, with a human-readable reason). The counts
reconcile: ``files == ingested files + quarantined files`` (:func:`reconcile`).

Tables (columns in ``docs/codebook.md``):

* ``documents``: doc_id, source_file, sha256, encoding, segment, seg_start, seg_end,
  title, title_start, title_end, outlet, outlet_evidence, published, published_precision,
  date_confidence, date_method, date_evidence, date_evidence_start, date_evidence_end,
  n_chars, n_sentences, n_removed, overrides
* ``sentences``: doc_id, sentence_id, start, end, text
* ``removed``: doc_id, start, end, kind, rule, text  (what cleaning took out)
* ``quarantine``: source_file, sha256, reason, detail

Offsets index the decoded text of the file (for ``.txt``) or the article text taken
from the file (``.html``/``.json``: written to ``<out>/texts/`` so the evidence can be
checked there).
"""
from __future__ import annotations

import bisect
import codecs
import csv
import hashlib
import html
import itertools
import json
import os
import re
import warnings
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Iterable, Iterator

import pandas as pd

from . import dates as dates_mod
from .arabic import is_arabic_text, split_sentences
from .cleaning import clean
from .paths import DATA
from .tables import frame_from_records, sort_stable

SUPPORTED = (".txt", ".text", ".html", ".htm", ".json", ".jsonl")
MAX_BYTES = 20 * 1024 * 1024  # a news article is never 20 MB; such a file is quarantined
OVERRIDES_FILE = DATA / "overrides.csv"

DOCUMENT_COLUMNS = [
    "doc_id", "source_file", "sha256", "encoding", "segment", "seg_start", "seg_end",
    "title", "title_start", "title_end", "outlet", "outlet_evidence",
    "published", "published_precision", "date_confidence", "date_method", "date_evidence",
    "date_evidence_start", "date_evidence_end", "n_chars", "n_sentences", "n_removed", "overrides",
]
SENTENCE_COLUMNS = ["doc_id", "sentence_id", "start", "end", "text"]
REMOVED_COLUMNS = ["doc_id", "start", "end", "kind", "rule", "text"]
QUARANTINE_COLUMNS = ["source_file", "sha256", "reason", "detail"]


class IngestError(Exception):
    """A problem that stops the build (as opposed to a file that is quarantined)."""


class RawDataChanged(IngestError):
    """A raw file no longer matches the checksum recorded for it."""


class Rejected(Exception):
    """A file that goes to quarantine; ``reason`` is one of QUARANTINE_REASONS."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


QUARANTINE_REASONS = {
    "empty": "the file is empty or holds only white space",
    "binary": "the file is binary (not text)",
    "undecodable": "the bytes are not valid UTF-8, UTF-16 or Windows-1256 text",
    "not_arabic": "the text is not Arabic",
    "duplicate": "the same article text as another file",
    "too_large": f"larger than {MAX_BYTES // (1024 * 1024)} MB",
    "unsupported": "not a supported file type (.txt, .html, .htm, .json, .jsonl)",
    "no_text": "no article text found in the file (HTML without text, JSON without a text field)",
}


# --- checksums ---------------------------------------------------------------------
def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def checksum_file_for(raw_dir: Path) -> Path:
    """The checksum file of a raw folder: ``<folder>.sha256`` beside it."""
    raw_dir = Path(raw_dir)
    return raw_dir.parent / f"{raw_dir.name}.sha256"


def read_checksums(path: Path) -> dict[str, str]:
    out = {}
    if not Path(path).exists():
        return out
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        m = re.fullmatch(r"([0-9a-f]{64}) [ *](.+)", line.strip())
        if not m:
            raise IngestError(f"{path}:{n}: not a sha256sum line: {line!r}")
        out[m.group(2)] = m.group(1)
    return out


def write_checksums(raw_dir: Path, path: Path | None = None) -> Path:
    """Record the sha256 of every file in ``raw_dir`` (sha256sum format, sorted)."""
    raw_dir = Path(raw_dir)
    path = checksum_file_for(raw_dir) if path is None else Path(path)
    lines = [f"{sha256_bytes(f.read_bytes())}  {f.name}" for f in list_inputs(raw_dir)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def verify_checksums(raw_dir: Path, files: Iterable[Path], path: Path | None = None) -> None:
    """Refuse a recorded raw file whose bytes changed (new files are accepted)."""
    raw_dir = Path(raw_dir)
    path = checksum_file_for(raw_dir) if path is None else Path(path)
    recorded = read_checksums(path)
    for f in files:
        want = recorded.get(f.name)
        if want is None:
            continue
        got = sha256_bytes(f.read_bytes())
        if got != want:
            raise RawDataChanged(
                f"raw file {f} changed: its sha256 is {got[:12]}…, but {path} records {want[:12]}…. "
                "Raw data is read-only: restore the original file, or if the change is intended "
                f"record it with `iraqkit checksums --raw {raw_dir}`."
            )


# --- decoding ----------------------------------------------------------------------
_BINARY_MAGIC = {
    b"%PDF": "PDF", b"\x89PNG": "PNG image", b"\xff\xd8\xff": "JPEG image", b"GIF8": "GIF image",
    b"PK\x03\x04": "ZIP/Office document", b"\x1f\x8b": "gzip archive", b"\x7fELF": "executable",
    b"Rar!": "RAR archive", b"7z\xbc\xaf": "7-Zip archive",
}


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Decode article bytes; return ``(text, encoding)`` or raise :class:`Rejected`.

    Order: BOMs (UTF-8, UTF-16 LE/BE, UTF-32) decide; then strict UTF-8 (so valid
    UTF-8 is never mis-decoded); then UTF-8 whose only fault is a multi-byte character
    cut at the very end (``utf-8-truncated``: the partial character is dropped); then
    Windows-1256, accepted only if the result reads as Arabic text.
    """
    if not data.strip(b" \t\r\n\x00\xef\xbb\xbf\xff\xfe"):
        raise Rejected("empty")
    for magic, what in _BINARY_MAGIC.items():
        if data.startswith(magic):
            raise Rejected("binary", what)
    boms = [(codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
            (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")]
    for bom, enc in boms:
        if data.startswith(bom):
            try:
                text = data.decode(enc)
            except UnicodeDecodeError as e:
                raise Rejected("undecodable", f"{enc} BOM but invalid {enc} at byte {e.start}") from e
            return _check_text(text), enc
    if b"\x00" in data[:4096]:
        raise Rejected("binary", "NUL bytes and no UTF-16 byte-order mark")
    try:
        return _check_text(data.decode("utf-8")), "utf-8"
    except UnicodeDecodeError as e:
        if e.reason == "unexpected end of data" and e.start >= len(data) - 3:
            return _check_text(data[:e.start].decode("utf-8")), "utf-8-truncated"
        utf8_error = e
    try:
        text = data.decode("cp1256")
    except UnicodeDecodeError as e:
        raise Rejected("undecodable", f"invalid UTF-8 at byte {utf8_error.start} and not Windows-1256") from e
    if not is_arabic_text(text, 0.5) or _control_share(text) > 0.01:
        raise Rejected("undecodable", f"invalid UTF-8 at byte {utf8_error.start}; as Windows-1256 it does not read as Arabic")
    return _check_text(text), "cp1256"


#: control characters other than tab, CR, LF and form feed (C0), DEL and C1
_CONTROL = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")


def _control_share(text: str) -> float:
    bad = len(_CONTROL.findall(text))
    return bad / max(1, len(text))


def _check_text(text: str) -> str:
    if not text.strip():
        raise Rejected("empty")
    if _control_share(text) > 0.01:
        raise Rejected("binary", "control characters in the decoded text")
    return text


# --- file formats --------------------------------------------------------------------
@dataclass
class Article:
    """One article taken from an input file, before cleaning."""

    doc_id: str
    source_file: str
    sha256: str
    encoding: str
    text: str
    meta: dict
    text_is_file: bool  # True when offsets index the decoded file itself


class _TextExtractor(HTMLParser):
    """Visible text of an HTML page: block elements become line breaks; script, style,
    nav, header, footer, aside and form content is dropped; title and meta dates kept."""

    SKIP = {"script", "style", "noscript", "nav", "footer", "aside", "form", "svg", "iframe", "button"}
    BLOCK = {"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "section", "article",
             "blockquote", "figcaption", "header", "time", "ul", "ol", "table"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0
        self.meta: dict = {}
        self._in_title = False
        self._title: list[str] = []
        #: text inside <article>/<main>: when the page has one, the site header and
        #: navigation outside it are not article text
        self.main_depth = 0
        self.main_parts: list[str] = []

    def _add(self, s: str) -> None:
        self.parts.append(s)
        if self.main_depth:
            self.main_parts.append(s)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in ("article", "main"):
            self.main_depth += 1
        if tag in self.SKIP:
            self.skip += 1
        if tag == "title":
            self._in_title = True
        if tag == "meta":
            key = (a.get("property") or a.get("name") or a.get("itemprop") or "").lower()
            if key in ("article:published_time", "datepublished", "pubdate", "date", "og:published_time",
                       "publish-date", "dc.date"):
                self.meta.setdefault("published", a.get("content", ""))
            if key in ("og:site_name", "application-name"):
                self.meta.setdefault("outlet", a.get("content", ""))
        if tag == "time" and a.get("datetime"):
            self.meta.setdefault("published", a["datetime"])
        if tag in self.BLOCK:
            self._add("\n")

    def handle_endtag(self, tag):
        if tag in self.SKIP and self.skip:
            self.skip -= 1
        if tag == "title":
            self._in_title = False
        if tag in self.BLOCK:
            self._add("\n")
        if tag in ("article", "main") and self.main_depth:
            self.main_depth -= 1

    def handle_data(self, data):
        if self._in_title:
            self._title.append(data)
            return
        if not self.skip:
            self._add(data)

    def text(self) -> str:
        main = "".join(self.main_parts)
        raw = main if main.strip() else "".join(self.parts)
        lines = [re.sub(r"[ \t\u00a0]+", " ", ln).strip() for ln in raw.split("\n")]
        out, blank = [], False
        for ln in lines:
            if ln:
                out.append(ln)
                blank = False
            elif not blank and out:
                out.append("")
                blank = True
        return "\n".join(out).strip() + "\n"


def html_to_text(markup: str) -> tuple[str, dict]:
    """Visible article text of an HTML page and the metadata found in its head."""
    p = _TextExtractor()
    p.feed(markup)
    p.close()
    meta = dict(p.meta)
    title = html.unescape("".join(p._title)).strip()
    if title:
        meta["html_title"] = title
    return p.text(), meta


TEXT_FIELDS = ("text", "content", "body", "article", "article_text", "full_text", "النص")
TITLE_FIELDS = ("title", "headline", "العنوان")
DATE_FIELDS = ("published", "date", "pubDate", "pub_date", "datePublished", "published_at", "time", "التاريخ")
OUTLET_FIELDS = ("outlet", "source", "site", "publisher", "site_name", "المصدر")


def _json_items(obj) -> list[dict]:
    if isinstance(obj, dict):
        for key in ("articles", "items", "data", "results"):
            if isinstance(obj.get(key), list):
                return [o for o in obj[key] if isinstance(o, dict)]
        return [obj]
    if isinstance(obj, list):
        return [o for o in obj if isinstance(o, dict)]
    return []


def _first(d: dict, keys) -> str:
    for k in keys:
        v = d.get(k)
        if isinstance(v, dict):  # {"source": {"name": ...}}
            v = v.get("name") or v.get("title")
        if isinstance(v, str) and v.strip():
            return v.strip()
    return ""


def read_articles(path: Path, data: bytes | None = None) -> list[Article]:
    """Turn one input file into articles, or raise :class:`Rejected`."""
    path = Path(path)
    data = path.read_bytes() if data is None else data
    digest = sha256_bytes(data)
    ext = path.suffix.lower()
    if ext not in SUPPORTED:
        raise Rejected("unsupported", f"extension {path.suffix or '(none)'}")
    if len(data) > MAX_BYTES:
        raise Rejected("too_large", f"{len(data):,} bytes")
    text, enc = decode_bytes(data)
    stem = path.stem
    if ext in (".txt", ".text"):
        return [Article(stem, path.name, digest, enc, text, {}, True)]
    if ext in (".html", ".htm"):
        body, meta = html_to_text(text)
        if not body.strip():
            raise Rejected("no_text", "HTML page without visible text")
        return [Article(stem, path.name, digest, enc, body, meta, False)]
    # JSON: an object, a list of objects, {"articles": [...]}, or JSON lines
    try:
        items = _json_items(json.loads(text))
    except json.JSONDecodeError:
        items = []
        for n, line in enumerate(text.splitlines(), 1):
            if line.strip():
                try:
                    items.extend(_json_items(json.loads(line)))
                except json.JSONDecodeError as e:
                    raise Rejected("no_text", f"invalid JSON at line {n}: {e.msg}") from e
    arts = []
    for i, it in enumerate(items, 1):
        body = _first(it, TEXT_FIELDS)
        if not body:
            continue
        if re.search(r"<(p|div|br)\b", body, re.I):
            body, _ = html_to_text(body)
        title = _first(it, TITLE_FIELDS)
        if title and not body.lstrip().startswith(title):
            body = title + "\n\n" + body  # the title is part of the article text
        meta = {"published": _first(it, DATE_FIELDS), "outlet": _first(it, OUTLET_FIELDS),
                "json_title": title}
        doc_id = stem if len(items) == 1 else f"{stem}@{i}"
        arts.append(Article(doc_id, path.name, digest, enc, body, meta, False))
    if not arts:
        raise Rejected("no_text", f"no object with a text field ({', '.join(TEXT_FIELDS[:4])}, …)")
    return arts


def list_inputs(raw_dir: Path) -> list[Path]:
    """Every regular, non-hidden file in ``raw_dir`` (sorted by name)."""
    return [Path(raw_dir) / name for name in list_input_names(raw_dir)]


def list_input_names(raw_dir: Path) -> list[str]:
    """The names of the files :func:`list_inputs` lists, in the same order, without a
    ``Path`` object per file (a 1 GB archive has about 180,000 files)."""
    names = list(_scan_input_names(raw_dir))
    names.sort()
    return names


def _scan_input_names(raw_dir: Path) -> Iterator[str]:
    """The input files' names in directory order: regular files, not hidden ones. Checks
    that the folder exists before the first name."""
    raw_dir = Path(raw_dir)
    if not raw_dir.is_dir():
        raise IngestError(f"raw folder {raw_dir} does not exist (or is not a folder)")
    with os.scandir(raw_dir) as it:
        for e in it:
            if not e.name.startswith(".") and e.is_file():
                yield e.name


# --- metadata ------------------------------------------------------------------------
_OUTLET_RULES = [
    (re.compile(r"^\s*المصدر\s*[|:：]\s*(?P<o>[^|:：\n]{2,40}?)(?=المصدر|$|\n|\s*[|:])"), "source line"),
    (re.compile(r"للنشر\s+في\s+(?P<o>\S+(?:\s+\S+)?)\s+اضغط"), "footer: publish with"),
    (re.compile(r"(?:حقوق\s+النشر|جميع\s+الحقوق\s+محفوظة)\s*(?:©|لـ?)?\s*(?:\d{4}\s*)?(?P<o>[^\n.|©0-9]{2,40})"),
     "copyright line"),
    (re.compile(r"©\s*(?:\d{4}\s*)?(?P<o>[^\n.|0-9]{2,40})"), "copyright line"),
]


def find_outlet(text: str, segment, removed) -> tuple[str, str]:
    """The outlet named by the page itself: masthead line, "المصدر |" line, footer
    ("للنشر في …"), copyright line. Returns ``(outlet, evidence)``; empty when the page
    does not name it."""
    for r in removed:
        if r.kind == "masthead":
            line = text[r.start:r.end].strip()
            # "شفق نيوز/ الأنبار", "الحرة / واشنطن", "روداو - أربيل": the outlet is before the place
            name = re.split(r"\s*/\s*|\s+[-–—|]\s*", line)[0].strip(" .،,|") or line
            return name, f"masthead: {line}"
    for r in removed:
        chunk = text[r.start:r.end]
        for rx, rule in _OUTLET_RULES:
            m = rx.search(chunk)
            if m:
                return m.group("o").strip(" .،,|"), f"{rule}: {chunk.strip()[:120]}"
    return "", ""


def load_overrides(path: Path | None = None) -> pd.DataFrame:
    """Researcher overrides: ``doc_id, field, value, reason`` (empty if no file)."""
    path = OVERRIDES_FILE if path is None else Path(path)
    cols = ["doc_id", "field", "value", "reason"]
    if not path.exists():
        return pd.DataFrame(columns=cols)
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = set(cols) - set(df.columns)
    if missing:
        raise IngestError(f"{path}: missing columns {sorted(missing)} (need {cols})")
    bad = set(df["field"]) - set(DOCUMENT_COLUMNS)
    if bad:
        raise IngestError(f"{path}: unknown field(s) {sorted(bad)}; overridable fields are documents columns")
    return df[cols]


# --- the stage -----------------------------------------------------------------------
def process_article(art: Article) -> tuple[list[dict], list[dict], list[dict]]:
    """Clean, segment, date and split one article; returns documents, sentences, removed rows."""
    text = art.text
    docs, sents, rems = [], [], []
    segments = clean(text)
    for n, seg in enumerate(segments, 1):
        doc_id = art.doc_id if n == 1 else f"{art.doc_id}#{n}"
        removed = sorted(seg.removed, key=lambda r: (r.start, r.end))
        # kept regions = segment range minus removed spans
        pieces, pos = [], seg.start
        for r in removed:
            if r.start > pos:
                pieces.append((pos, r.start))
            pos = max(pos, r.end)
        if pos < seg.end:
            pieces.append((pos, seg.end))
        title_line = seg.title
        body_sents = []
        for a, b in pieces:
            for s in split_sentences(text, a, b):
                if title_line is not None and s.start >= title_line.start and s.end <= title_line.end:
                    continue  # the title is metadata, not a sentence of the body
                body_sents.append(s)
        for k, s in enumerate(body_sents, 1):
            sents.append({"doc_id": doc_id, "sentence_id": k, "start": s.start, "end": s.end, "text": s.text})
        for r in removed:
            rems.append({"doc_id": doc_id, "start": r.start, "end": r.end, "kind": r.kind, "rule": r.rule,
                         "text": text[r.start:r.end]})
        pub = _publication_date(text, seg, art.meta)
        outlet, outlet_ev = find_outlet(text, seg, removed)
        if not outlet and art.meta.get("outlet"):
            outlet, outlet_ev = art.meta["outlet"], "file metadata"
        docs.append({
            "doc_id": doc_id, "source_file": art.source_file, "sha256": art.sha256, "encoding": art.encoding,
            "segment": n, "seg_start": seg.start, "seg_end": seg.end,
            "title": title_line.text.strip() if title_line else "",
            "title_start": title_line.start if title_line else None,
            "title_end": title_line.end if title_line else None,
            "outlet": outlet, "outlet_evidence": outlet_ev,
            **pub,
            "n_chars": sum(b - a for a, b in pieces), "n_sentences": len(body_sents),
            "n_removed": len(removed), "overrides": "",
        })
    return docs, sents, rems


#: the publication date is inferred from the first this many characters of a segment: a news
#: article (the longest in the corpus has about 7,000) is read whole; a much longer segment
#: (a whole archive on one line) would otherwise cost seconds and hundreds of MB for dates
#: that tell the time of its later articles, not its own
PUBDATE_SCAN_CHARS = 50_000


def _publication_date(text: str, seg, meta: dict) -> dict:
    """Date of one segment: the scraper's metadata if parseable, else the text's own evidence
    (read from its first :data:`PUBDATE_SCAN_CHARS` characters)."""
    if meta.get("published"):
        d = dates_mod.parse_date_string(meta["published"])
        if d is not None:
            return {"published": d.isoformat(), "published_precision": "day", "date_confidence": 0.95,
                    "date_method": "file_metadata", "date_evidence": meta["published"],
                    "date_evidence_start": None, "date_evidence_end": None}
    seg_text = text[seg.start:seg.end]
    if len(seg_text) > PUBDATE_SCAN_CHARS:  # read the evidence from the start, cut at a space
        cut = seg_text.rfind(" ", 0, PUBDATE_SCAN_CHARS)
        seg_text = seg_text[:cut if cut > 0 else PUBDATE_SCAN_CHARS]
    res = dates_mod.infer_publication_date(seg_text, header_end=seg.header_end - seg.start)
    return {
        "published": res.date.isoformat() if res.date else "",
        "published_precision": res.precision or "",
        "date_confidence": round(float(res.confidence), 2),
        "date_method": res.method,
        "date_evidence": res.evidence,
        "date_evidence_start": None if res.start is None else res.start + seg.start,
        "date_evidence_end": None if res.end is None else res.end + seg.start,
    }


def apply_overrides(documents: pd.DataFrame, overrides: pd.DataFrame) -> pd.DataFrame:
    """Apply researcher overrides; each overridden field is listed in ``overrides``."""
    documents = documents.copy()
    unknown = sorted(set(overrides["doc_id"]) - set(documents["doc_id"]))
    if unknown:  # the overrides file belongs to another corpus, or has a typo: say so
        warnings.warn(f"overrides for doc_id(s) not in this corpus ignored: {unknown}", stacklevel=2)
    for row in overrides[overrides["doc_id"].isin(documents["doc_id"])].itertuples(index=False):
        i = documents.index[documents["doc_id"] == row.doc_id][0]
        documents.at[i, row.field] = row.value
        prev = documents.at[i, "overrides"]
        note = f"{row.field}={row.value} ({row.reason})"
        documents.at[i, "overrides"] = f"{prev}; {note}" if prev else note
        if row.field == "published":
            documents.at[i, "date_method"] = "override"
            documents.at[i, "date_confidence"] = 1.0
    return documents


def iter_ingest(raw_dir: Path, verify: bool = True, progress: bool | None = None) -> Iterator[tuple[str, object]]:
    """Yield ``("article", (Article, docs, sents, removed))`` or ``("quarantine", row)`` per input,
    in file order. Duplicates (same article text as an earlier file) are quarantined."""
    from .progress import progress_bar

    files = list_inputs(raw_dir)
    if verify:
        verify_checksums(raw_dir, files)
    seen: dict[str, str] = {}
    for f in progress_bar(files, desc="ingest", unit="file", enabled=progress):
        data = f.read_bytes()
        try:
            arts = read_articles(f, data)
            for a in arts:
                if not is_arabic_text(a.text, 0.3):
                    raise Rejected("not_arabic", "less than 30 % of the letters are Arabic")
            key = sha256_bytes("\n".join(" ".join(a.text.split()) for a in arts).encode("utf-8"))
            if key in seen:
                raise Rejected("duplicate", f"same article text as {seen[key]}")
            seen[key] = f.name
        except Rejected as r:
            yield "quarantine", {"source_file": f.name, "sha256": sha256_bytes(data), "reason": r.reason,
                                 "detail": r.detail or QUARANTINE_REASONS.get(r.reason, "")}
            continue
        for a in arts:
            yield "article", (a, *process_article(a))


def ingest(raw_dir: Path, verify: bool = True, overrides: pd.DataFrame | None = None,
           progress: bool | None = None) -> dict[str, pd.DataFrame]:
    """Run ingest over a folder; returns documents, sentences, removed, quarantine, texts."""
    docs, sents, rems, quar, texts = [], [], [], [], {}
    for kind, item in iter_ingest(raw_dir, verify=verify, progress=progress):
        if kind == "quarantine":
            quar.append(item)
            continue
        art, d, s, r = item
        docs += d
        sents += s
        rems += r
        if not art.text_is_file:
            texts[art.doc_id] = art.text
    tables = {
        "documents": _frame(docs, DOCUMENT_COLUMNS, ["source_file", "segment", "doc_id"]),
        "sentences": _frame(sents, SENTENCE_COLUMNS, None),
        "removed": _frame(rems, REMOVED_COLUMNS, None),
        "quarantine": _frame(quar, QUARANTINE_COLUMNS, ["source_file"]),
    }
    ov = load_overrides() if overrides is None else overrides
    if len(ov):
        tables["documents"] = apply_overrides(tables["documents"], ov)
    reconcile(raw_dir, tables)
    tables["_texts"] = texts  # type: ignore[assignment]
    return tables


def _frame(rows, columns, sort_by) -> pd.DataFrame:
    df = frame_from_records(rows, columns)
    if sort_by and len(df):
        df = sort_stable(df, sort_by)
    for c in ("title_start", "title_end", "date_evidence_start", "date_evidence_end"):
        if c in df.columns:
            df[c] = df[c].astype("Int64")
    return df


def reconcile(raw_dir: Path, tables: dict[str, pd.DataFrame]) -> dict[str, int]:
    """Check that every input file is either ingested or quarantined, exactly once."""
    files = set(list_input_names(raw_dir))
    ingested = set(tables["documents"]["source_file"])
    quarantined = set(tables["quarantine"]["source_file"])
    both = ingested & quarantined
    lost = files - ingested - quarantined
    extra = (ingested | quarantined) - files
    if both or lost or extra:
        _not_reconciled(both, lost, extra)
    return {"files": len(files), "ingested": len(ingested), "quarantined": len(quarantined),
            "documents": len(tables["documents"]), "sentences": len(tables["sentences"])}


def _not_reconciled(both: Iterable[str], lost: Iterable[str], extra: Iterable[str]):
    raise IngestError(f"counts do not reconcile: in both {sorted(both)}, lost {sorted(lost)}, "
                      f"unknown {sorted(extra)}")


def reconcile_positions(raw_dir: Path, names: list[str], ingested: Iterable[int],
                        quarantined: Iterable[int]) -> dict[str, int]:
    """:func:`reconcile` for a build that names files by their position in ``names``, the
    listing it was planned from (:func:`list_input_names`: sorted, as ``str`` sorts).

    The same checks and the same error: every file now in ``raw_dir`` is ingested or
    quarantined, none is both, and none of those is gone from ``raw_dir``. A file added or
    removed while the build ran is caught here. Returns ``{"files", "ingested",
    "quarantined"}``.

    Memory: one byte per file (and the names of files the listing lacks). :func:`reconcile`
    builds sets of names: at 177,400 files (the 1 GB benchmark corpus) it took 50 MB for a
    moment, at the end of the batches, within 2 MB of the build's peak.
    """
    n = len(names)
    if any(a >= b for a, b in zip(names, itertools.islice(names, 1, None))):
        raise ValueError("names must be sorted and distinct (as list_input_names returns them)")
    state = bytearray(n)  # bit 1: ingested, bit 2: quarantined, bit 4: in raw_dir now
    for i in ingested:
        state[i] |= 1
    for i in quarantined:
        state[i] |= 2
    unlisted: list[str] = []  # in raw_dir now, not in the listing the build ran on
    for name in _scan_input_names(raw_dir):
        i = bisect.bisect_left(names, name)
        if i < n and names[i] == name:
            state[i] |= 4
        else:
            unlisted.append(name)
    c = [state.count(v) for v in range(8)]
    if unlisted or c[5] + c[6] != n:
        _not_reconciled((names[i] for i, v in enumerate(state) if v & 3 == 3),
                        [*(names[i] for i, v in enumerate(state) if v == 4), *unlisted],
                        (names[i] for i, v in enumerate(state) if v & 3 and not v & 4))
    return {"files": c[4] + c[5] + c[6] + c[7] + len(unlisted), "ingested": c[1] + c[3] + c[5] + c[7],
            "quarantined": c[2] + c[3] + c[6] + c[7]}


def run_stage(tables: dict[str, pd.DataFrame], raw_dir: Path | None = None) -> dict[str, pd.DataFrame]:
    """Stage entry point for :mod:`iraqkit.pipeline`."""
    from .paths import RAW

    return ingest(RAW if raw_dir is None else raw_dir)
