"""Deterministic synthetic corpus for benchmarks and engine tests.

Built from the articles in ``data/raw``: each synthetic article keeps the header of one
real article (title, masthead, dateline — numeric dates in it shifted by a random number
of days) and a body of paragraphs drawn from all real articles (recombined). Files are
written in varied encodings (UTF-8, UTF-8 with BOM, UTF-16, Windows-1256, CRLF line ends),
a few as HTML, and a few percent are broken: binary, empty, invalid bytes (undecodable),
UTF-8 cut inside a character, Latin (not Arabic), exact duplicates of an earlier file,
and one enormous single-line article.

    python benchmarks/corpus.py --size 10MB --out /tmp/corpus10 [--seed 0]
"""
from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import random
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RAW = ROOT / "data" / "raw"

ENCODINGS = [("utf-8", 55), ("utf-8-sig", 10), ("utf-16", 10), ("cp1256", 10), ("crlf", 12), ("html", 3)]
BROKEN = [("binary", 1), ("empty", 1), ("undecodable", 1), ("truncated", 1), ("latin", 1), ("duplicate", 2)]
BROKEN_SHARE = 0.04


def parse_size(s: str) -> int:
    m = re.fullmatch(r"\s*([\d.]+)\s*([KMG]?)B?\s*", s.upper())
    if not m:
        raise ValueError(f"size {s!r}: use e.g. 1MB, 100MB, 1GB")
    return int(float(m.group(1)) * {"": 1, "K": 1024, "M": 1024 ** 2, "G": 1024 ** 3}[m.group(2)])


def _load(raw: Path):
    headers, paragraphs = [], []
    for p in sorted(raw.glob("*.txt")):
        lines = p.read_text(encoding="utf-8").splitlines()
        # header: lines up to the first long one (the body starts there)
        k = next((i for i, ln in enumerate(lines) if len(ln) > 120), min(len(lines), 1))
        headers.append(lines[:k])
        paragraphs += [ln for ln in lines[k:] if len(ln.strip()) > 40]
    return headers, paragraphs


_NUM_DATE = re.compile(r"\b(\d{1,2})([/.-])(\d{1,2})\2(\d{4})\b|\b(\d{4})([/.-])(\d{1,2})\6(\d{1,2})\b")


def _shift_dates(line: str, days: int) -> str:
    def sub(m):
        try:
            if m.group(1):
                d = dt.date(int(m.group(4)), int(m.group(3)), int(m.group(1))) + dt.timedelta(days=days)
                return f"{d.day:02d}{m.group(2)}{d.month:02d}{m.group(2)}{d.year}"
            d = dt.date(int(m.group(5)), int(m.group(7)), int(m.group(8))) + dt.timedelta(days=days)
            return f"{d.year}{m.group(6)}{d.month:02d}{m.group(6)}{d.day:02d}"
        except ValueError:
            return m.group(0)
    return _NUM_DATE.sub(sub, line)


def _pick(rng: random.Random, table):
    names, weights = zip(*table)
    return rng.choices(names, weights)[0]


def article(rng: random.Random, headers, paragraphs) -> str:
    head = [_shift_dates(ln, rng.randint(-900, 900)) for ln in rng.choice(headers)]
    body = rng.sample(paragraphs, k=min(len(paragraphs), rng.randint(6, 24)))
    sep = rng.choice(["\n", "\n\n"])
    return "\n".join(head) + "\n" + sep.join(body) + "\n"


def encode(text: str, how: str) -> tuple[bytes, str]:
    if how == "crlf":
        return text.replace("\n", "\r\n").encode("utf-8"), ".txt"
    if how == "html":
        paras = "".join(f"<p>{ln}</p>\n" for ln in text.splitlines()[1:] if ln.strip())
        title = text.splitlines()[0]
        return (f"<html><head><title>{title}</title></head><body><h1>{title}</h1>\n{paras}"
                f"<script>var x = 1;</script></body></html>\n").encode("utf-8"), ".html"
    if how == "cp1256":
        return text.encode("cp1256", errors="replace"), ".txt"
    return text.encode(how), ".txt"


def generate(out: Path, size: int, seed: int = 0, raw: Path = RAW, big_line: int | None = None) -> dict:
    """Write about ``size`` bytes of articles to ``out``; returns counts by kind."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    headers, paragraphs = _load(raw)
    total, i, kinds = 0, 0, {}
    earlier: list[bytes] = []
    big_line = big_line if big_line is not None else min(4 * 1024 * 1024, max(50_000, size // 40))
    big_done = False
    # every kind of broken file at least once, early (small corpora too)
    forced = {4 + 3 * k: name for k, (name, _) in enumerate(BROKEN)}
    while total < size:
        i += 1
        if not big_done and total > size // 2:
            # one enormous single-line article (no line breaks at all)
            parts = []
            while sum(map(len, parts)) < big_line // 2:  # ~2 bytes per Arabic character
                parts.append(article(rng, headers, paragraphs).replace("\n", " "))
            data, ext, kind = " ".join(parts).encode("utf-8"), ".txt", "single_line"
            big_done = True
        elif rng.random() < BROKEN_SHARE or i in forced:
            kind = forced.get(i) or _pick(rng, BROKEN)
            ext = ".txt"
            if kind == "binary":
                data = b"\x89PNG\r\n\x1a\n" + rng.randbytes(rng.randint(200, 5000))
            elif kind == "empty":
                data = rng.choice([b"", b"\n\n", b"   \r\n"])
            elif kind == "undecodable":
                # Latin-1 bytes: invalid UTF-8, and as Windows-1256 not Arabic
                data = ("Café déjà vu, élève à l'école. " * rng.randint(10, 100)).encode("latin-1")
            elif kind == "truncated":
                data = article(rng, headers, paragraphs).encode("utf-8")
                cut = rng.randint(len(data) // 3, len(data) - 2)
                # cut inside a multi-byte character: the next continuation byte, else the
                # previous one (an article whose tail after the random cut is all ASCII)
                inside = [j for j in range(cut, len(data)) if (data[j] & 0xC0) == 0x80][:1] or \
                         [j for j in range(cut, 0, -1) if (data[j] & 0xC0) == 0x80][:1]
                cut = inside[0]
                data = data[:cut]
            elif kind == "latin":
                data = ("Breaking news. " * rng.randint(20, 200)).encode("utf-8")
            else:  # duplicate: the same text as an earlier file, maybe in another encoding
                if not earlier:
                    continue
                text = rng.choice(earlier).decode("utf-8")
                data, ext = encode(text, rng.choice(["utf-8", "utf-8-sig", "crlf"]))
        else:
            text = article(rng, headers, paragraphs)
            how = _pick(rng, ENCODINGS)
            data, ext = encode(text, how)
            kind = how
            if how == "utf-8" and len(earlier) < 200:
                earlier.append(data)
        kinds[kind] = kinds.get(kind, 0) + 1
        name = f"{i:07d}_{hashlib.sha1(data).hexdigest()[:8]}{ext}"
        (out / name).write_bytes(data)
        total += len(data)
    return {"files": i, "bytes": total, "kinds": dict(sorted(kinds.items()))}


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", default="10MB")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    print(generate(a.out, parse_size(a.size), a.seed))
