"""Score iraqkit on the crafted held-out articles (tests/heldout/articles) against tests/heldout/gold.

    python tests/heldout/evaluate.py [--out DIR] [--errors]

Builds every table with ``iraqkit.pipeline.build(raw=articles, out=<tmp>, verify=False)`` and
prints precision/recall per table and field accuracy (dates, counts, places) on matched rows.
Matching rules follow the real-corpus gold tests (tests/test_actors.py, test_attacks.py,
test_milestones.py):

* documents: every file ingested; ``published`` equal to the gold date; outlet equal after
  normalisation, or one containing the other ("وكالة الأناضول" ~ "الأناضول").
* actors: unit = distinct (file, surface, actor_id) with states left out on both sides; surfaces
  match when one contains the other after normalisation. UNKNOWN gold rows are scored as recall of
  ``actor_unknown`` candidates.
* attacks: a gold event is found by the predicted events of the same kind with a source span
  overlapping one of its anchors (else a source in the anchor's sentence); precision counts
  predicted events found by some gold row. Incidents+aggregates and threats are scored apart.
* milestones: a gold row is found by an unused predicted (milestone, document) pair of an accepted
  kind whose source sentence contains the anchor.
* troops: same document, same value, snippet inside the evidence.
"""
from __future__ import annotations

import argparse
import contextlib
import io
import json
import sys
import tempfile
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))

from iraqkit.arabic import norm  # noqa: E402

ARTICLES = HERE / "articles"
GOLD = HERE / "gold"


def _n(s) -> str:
    return norm(str(s))


def _key(s: str) -> str:
    return " ".join(_n(s).replace('"', " ").replace("«", " ").replace("»", " ").replace("اميرك", "امريك").split())


def _same(a: str, b: str) -> bool:
    a, b = _key(a), _key(b)
    return bool(a) and bool(b) and (a in b or b in a)


def _file_of(doc_id: str) -> str:
    return str(doc_id).split("#")[0].split("@")[0]


def _stems() -> dict[str, str]:
    """File stem -> file name, for every held-out article."""
    return {p.stem: p.name for p in ARTICLES.iterdir() if p.is_file()}


def _empty(v) -> bool:
    return v is None or v is pd.NA or (isinstance(v, float) and pd.isna(v)) or str(v) in ("", "<NA>", "nan")


def _num(v) -> str:
    if _empty(v):
        return ""
    try:
        f = float(v)
        return str(int(f)) if f == int(f) else str(f)
    except (TypeError, ValueError):
        return str(v)


def build(out: Path | None = None) -> tuple[dict[str, pd.DataFrame], Path]:
    from iraqkit.pipeline import build as _build

    out = Path(out) if out else Path(tempfile.mkdtemp(prefix="iraqkit_heldout_"))
    with contextlib.redirect_stdout(io.StringIO()):
        tables = _build(raw=ARTICLES, out=out, verify=False, progress=False, log=lambda *a, **k: None)
    return tables, out


def raw_texts(tables, out: Path) -> dict[str, str]:
    """File stem -> the text every offset indexes (decoded file, or texts/<doc_id>.txt for HTML/JSON)."""
    texts = {}
    for r in tables["documents"].itertuples():
        stem = _file_of(r.doc_id)
        if stem in texts:
            continue
        p = out / "texts" / f"{r.doc_id}.txt"
        if p.exists():
            texts[stem] = p.read_text(encoding="utf-8")
        else:
            texts[stem] = (ARTICLES / r.source_file).read_bytes().decode(r.encoding)
    return texts


def _find(text: str, anchor: str) -> tuple[int, int] | None:
    """Span of ``anchor`` in ``text`` (matched on normalised text)."""
    from iraqkit.arabic import normalize

    nt, na = normalize(text), _n(anchor)
    pos = nt.text.find(na)
    if pos < 0:
        return None
    return nt.span(pos, pos + len(na))


# ----------------------------------------------------------------------------------------------
def score_documents(tables):
    gold = pd.read_csv(GOLD / "documents.csv", dtype=str, keep_default_na=False)
    docs = tables["documents"]
    quarantined = set(tables["quarantine"]["source_file"]) if len(tables["quarantine"]) else set()
    ingested = ok_date = ok_outlet = 0
    errors = []
    for g in gold.itertuples():
        d = docs[(docs.source_file == g.file) & (docs.segment.astype(int) == 1)]
        if g.file in quarantined or d.empty:
            errors.append(("documents", g.file, "not ingested"))
            continue
        ingested += 1
        r = d.iloc[0]
        pub = "" if _empty(r.published) else str(r.published)
        if pub == g.published:
            ok_date += 1
        else:
            errors.append(("documents", g.file, f"published {pub!r} (gold {g.published})"))
        outlet = "" if _empty(r.outlet) else str(r.outlet)
        if _same(outlet, g.outlet):
            ok_outlet += 1
        else:
            errors.append(("documents", g.file, f"outlet {outlet!r} (gold {g.outlet})"))
    extra_segments = docs[docs.segment.astype(int) > 1]
    for r in extra_segments.itertuples():
        errors.append(("documents", r.source_file, f"spurious extra segment {r.doc_id}"))
    n = len(gold)
    return {"n": n, "ingested": ingested / n, "published": ok_date / n, "outlet": ok_outlet / n,
            "segments_ok": len(extra_segments) == 0, "errors": errors}


def score_actors(tables):
    gold = pd.read_csv(GOLD / "actors.csv", dtype=str, keep_default_na=False)
    m = tables["mentions"]
    m = m[m.actor_type != "state"]
    ext = pd.DataFrame({"file": m.doc_id.map(_file_of), "surface": m.surface, "actor_id": m.actor_id})
    stems = _stems()
    ext["file"] = ext.file.map(lambda s: stems.get(s, s))
    ext = ext.assign(k=ext.surface.map(_key)).drop_duplicates(["file", "k", "actor_id"])
    g = gold[gold.actor_id != "UNKNOWN"]
    ok_p = [any(_same(r.surface, x) for x in g[(g.file == r.file) & (g.actor_id == r.actor_id)].surface)
            for r in ext.itertuples()]
    ok_r = [any(_same(r.surface, x) for x in ext[(ext.file == r.file) & (ext.actor_id == r.actor_id)].surface)
            for r in g.itertuples()]
    u = tables["actor_unknown"]
    ufile = u.doc_id.map(_file_of).map(lambda s: stems.get(s, s))
    gu = gold[gold.actor_id == "UNKNOWN"]
    ok_u = [any(_same(r.surface, x) for x in u[ufile == r.file].surface) for r in gu.itertuples()]
    errors = [("actors", r.file, f"false positive {r.surface} -> {r.actor_id}")
              for r, ok in zip(ext.itertuples(), ok_p) if not ok]
    errors += [("actors", r.file, f"missed {r.surface} ({r.actor_id})") for r, ok in zip(g.itertuples(), ok_r) if not ok]
    errors += [("actors", r.file, f"unknown candidate missed: {r.surface}") for r, ok in zip(gu.itertuples(), ok_u) if not ok]
    return {"gold": len(g), "pred": len(ext), "tp_p": sum(ok_p), "tp_r": sum(ok_r),
            "precision": sum(ok_p) / max(1, len(ok_p)), "recall": sum(ok_r) / max(1, len(ok_r)),
            "unknown_recall": sum(ok_u) / max(1, len(ok_u)), "errors": errors}


def score_attacks(tables, texts):
    gold = pd.read_csv(GOLD / "attacks.csv", dtype=str, keep_default_na=False)
    att, src = tables["attacks"], tables["events_sources"]
    ev_src = src.merge(att[["event_id", "kind"]], on="event_id")
    ev_src = ev_src.assign(file=ev_src.doc_id.map(_file_of))
    sents = tables["sentences"].assign(file=tables["sentences"].doc_id.map(_file_of))
    stems = _stems()
    res, errors = {}, []
    fields = ("n_attacks", "killed", "injured", "date_start", "weapon", "place_id")
    field_ok = {f: [0, 0] for f in fields}
    rows = att.set_index("event_id")
    for group, kinds in (("attacks", ("incident", "aggregate")), ("threats", ("threat",))):
        g_rows = gold[gold.kind.isin(kinds)]
        pred = att[att.kind.isin(kinds)]
        matched_pred, found = set(), {}
        for g in g_rows.itertuples():
            stem = Path(g.file).stem
            text = texts.get(stem, "")
            ids = set()
            first_ids: list[str] = []  # events found by the earliest anchor (the main report)
            m = ev_src[(ev_src.file == stem) & (ev_src.kind == g.kind)]
            for anchor in g.anchor.split("|"):
                if ids and not first_ids:
                    first_ids = sorted(ids)
                span = _find(text, anchor)
                if span is None:
                    errors.append(("gold", g.file, f"anchor not in text: {anchor}"))
                    continue
                a, b = span
                overlap = {r.event_id for r in m.itertuples() if r.start < b and a < r.end}
                if overlap:
                    ids |= overlap
                    continue
                ss = sents[(sents.file == stem) & (sents.start <= a) & (sents.end >= b)]
                for r in m.itertuples():
                    if any(s.start <= r.start and r.end <= s.end for s in ss.itertuples()):
                        ids.add(r.event_id)
            found[g.Index] = ids
            matched_pred |= ids
            if not ids:
                errors.append((group, g.file, f"missed {g.kind}: {g.anchor.split('|')[0]}"))
                continue
            if group != "attacks":
                continue
            r = rows.loc[(first_ids or sorted(ids))[0]]
            for f in fields:
                want = getattr(g, f)
                if want == "":
                    continue
                got = r[f]
                if f == "date_start":
                    ok = not _empty(got) and str(got).startswith(want)
                elif f == "place_id":
                    ok = not _empty(got) and str(got) in want.split("|")
                elif f in ("n_attacks", "killed", "injured"):
                    ok = _num(got) == _num(want)
                else:
                    ok = not _empty(got) and str(got) == want
                field_ok[f][1] += 1
                field_ok[f][0] += ok
                if not ok:
                    errors.append(("attack fields", g.file, f"{g.anchor.split('|')[0]}: {f}={got!r} (gold {want})"))
        for r in pred.itertuples():
            if r.event_id not in matched_pred:
                errors.append((group, stems.get(_file_of(r.doc_id), r.doc_id),
                               f"false positive {r.kind}: {str(r.evidence)[:90]}"))
        tp_r = sum(1 for v in found.values() if v)
        tp_p = len(set(pred.event_id) & matched_pred)
        res[group] = {"gold": len(g_rows), "pred": len(pred), "tp_p": tp_p, "tp_r": tp_r,
                      "precision": tp_p / max(1, len(pred)), "recall": tp_r / max(1, len(g_rows))}
    res["fields"] = {f: (v[0] / v[1] if v[1] else float("nan"), v[0], v[1]) for f, v in field_ok.items()}
    res["errors"] = errors
    return res


def score_milestones(tables):
    gold = pd.read_csv(GOLD / "milestones.csv", dtype=str, keep_default_na=False)
    ms = tables["milestones"].set_index("milestone_id")
    src = tables["milestone_sources"].merge(tables["milestones"][["milestone_id", "kind"]], on="milestone_id",
                                            suffixes=("_src", ""))
    stems = _stems()
    pred = {}
    for r in src.itertuples():
        pred.setdefault((r.milestone_id, stems.get(_file_of(r.doc_id), r.doc_id)),
                        {"kind": r.kind, "ev": []})["ev"].append(_n(r.evidence))
    used, errors = set(), []
    fields = {"round_number": [0, 0], "date": [0, 0]}
    for g in gold.itertuples():
        ok = [k for k, v in pred.items() if k not in used and k[1] == g.file and v["kind"] in g.kind.split("|")
              and any(_n(g.anchor) in e for e in v["ev"])]
        if not ok:
            errors.append(("milestones", g.file, f"missed {g.kind}: {g.anchor}"))
            continue
        used.add(ok[0])
        r = ms.loc[ok[0][0]]
        if g.round_number:
            fields["round_number"][1] += 1
            good = _num(r["round_number"]) == g.round_number or g.round_number in str(r["round_number"]).split("|")
            fields["round_number"][0] += good
            if not good:
                errors.append(("milestone fields", g.file, f"{g.anchor}: round {r['round_number']!r} (gold {g.round_number})"))
        if g.date:
            fields["date"][1] += 1
            got = "" if _empty(r["date"]) else str(r["date"])
            good = got.startswith(g.date)
            fields["date"][0] += good
            if not good:
                errors.append(("milestone fields", g.file, f"{g.anchor}: date {got!r} (gold {g.date})"))
    for k, v in pred.items():
        if k not in used:
            errors.append(("milestones", k[1], f"false positive {v['kind']}: {v['ev'][0][:90]}"))
    tl = tables["troop_levels"]
    tg = pd.read_csv(GOLD / "troops.csv", dtype=str, keep_default_na=False)
    used_t, tp_t = set(), 0
    for g in tg.itertuples():
        ok = [i for i, r in tl.iterrows() if i not in used_t and stems.get(_file_of(r["doc_id"])) == g.file
              and not _empty(r["value"]) and float(r["value"]) == float(g.value) and _n(g.snippet) in _n(r["evidence"])]
        if ok:
            used_t.add(ok[0])
            tp_t += 1
        else:
            errors.append(("troops", g.file, f"missed {g.value}: {g.snippet}"))
    for i, r in tl.iterrows():
        if i not in used_t:
            errors.append(("troops", stems.get(_file_of(r["doc_id"]), r["doc_id"]),
                           f"false positive {r['surface']} = {r['value']}"))
    n_pred = len(pred)
    return {"milestones": {"gold": len(gold), "pred": n_pred, "tp_p": len(used), "tp_r": len(used),
                           "precision": len(used) / max(1, n_pred), "recall": len(used) / max(1, len(gold))},
            "troops": {"gold": len(tg), "pred": len(tl), "tp_p": tp_t, "tp_r": tp_t,
                       "precision": tp_t / max(1, len(tl)), "recall": tp_t / max(1, len(tg))},
            "fields": {f: (v[0] / v[1] if v[1] else float("nan"), v[0], v[1]) for f, v in fields.items()},
            "errors": errors}


def evaluate(out: Path | None = None) -> dict:
    tables, out = build(out)
    texts = raw_texts(tables, out)
    docs = score_documents(tables)
    act = score_actors(tables)
    atk = score_attacks(tables, texts)
    mil = score_milestones(tables)
    tables_pr = {"actors": act, "attacks (incident+aggregate)": atk["attacks"], "threats": atk["threats"],
                 "milestones": mil["milestones"], "troop_levels": mil["troops"]}
    fields = {f"attacks.{k}": v for k, v in atk["fields"].items()}
    fields.update({f"milestones.{k}": v for k, v in mil["fields"].items()})
    fields["documents.published"] = (docs["published"], round(docs["published"] * docs["n"]), docs["n"])
    fields["documents.outlet"] = (docs["outlet"], round(docs["outlet"] * docs["n"]), docs["n"])
    fields["documents.ingested"] = (docs["ingested"], round(docs["ingested"] * docs["n"]), docs["n"])
    fields["actors.unknown_candidates (recall)"] = (act["unknown_recall"], None, None)
    errors = docs["errors"] + act["errors"] + atk["errors"] + mil["errors"]
    return {"tables": tables_pr, "fields": fields, "errors": errors, "out": str(out),
            "documents": tables["documents"], "quarantine": tables["quarantine"]}


def report(res: dict, show_errors: bool = True) -> str:
    lines = ["| table | gold | predicted | precision | recall |", "|---|---:|---:|---:|---:|"]
    for name, s in res["tables"].items():
        lines.append(f"| {name} | {s['gold']} | {s['pred']} | {s['precision']:.3f} ({s['tp_p']}/{s['pred']}) "
                     f"| {s['recall']:.3f} ({s['tp_r']}/{s['gold']}) |")
    lines += ["", "| field (on matched rows) | accuracy |", "|---|---:|"]
    for name, (acc, k, n) in res["fields"].items():
        frac = f" ({k}/{n})" if n else ""
        lines.append(f"| {name} | {acc:.3f}{frac} |")
    if show_errors:
        lines += ["", "Errors:"]
        lines += [f"- [{t}] {f}: {msg}" for t, f, msg in res["errors"]]
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=None, help="where to write the tables (default: a temp dir)")
    ap.add_argument("--no-errors", action="store_true", help="print only the figures")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    a = ap.parse_args(argv)
    res = evaluate(a.out)
    if a.json:
        print(json.dumps({"tables": {k: {kk: vv for kk, vv in v.items()} for k, v in res["tables"].items()},
                          "fields": {k: v[0] for k, v in res["fields"].items()}}, ensure_ascii=False, indent=1))
    else:
        print(report(res, show_errors=not a.no_errors))


if __name__ == "__main__":
    main()
