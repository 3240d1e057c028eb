"""The whole-group mergers as they were before they became folds (one member at a time):
:func:`iraqkit.attacks.merge_group` and :func:`iraqkit.milestones.milestone_row`, verbatim
apart from the imports. ``tests/test_merge_fold.py`` checks the folds against them."""
from __future__ import annotations

import hashlib
from collections import Counter

import pandas as pd

from iraqkit.attacks import KIND_RANK, PRECISION_RANK, _informative, _num, _place_info, _span_days, _weapon_info
from iraqkit.milestones import dates_compatible


def merge_group(members: list[dict]) -> tuple[dict, list[dict]]:
    """One event's merged row and its ``events_sources`` rows (members in row order)."""
    places = _place_info()
    # the evidence shown is the most informative source; the id stays the earliest one's
    # (ties: the earliest member)
    best_src = members[max(range(len(members)), key=lambda k: (_informative(members[k]), -k))]
    rep = dict(best_src)
    rep["event_id"] = members[0]["event_id"]
    if len(members) > 1:
        dated = [m for m in members if m.get("date_start")]
        if dated:
            best = min(dated, key=lambda m: (PRECISION_RANK.get(m.get("date_precision"), 9),
                                             _span_days(m), m["doc_id"], m["start"]))
            for c in ("date_start", "date_end", "date_precision", "date_rule"):
                rep[c] = best[c]
        located = [m for m in members if m.get("place_id")]
        if located:
            best = min(located, key=lambda m: (KIND_RANK.get(places[m["place_id"]]["kind"], 9),
                                               m["doc_id"], m["start"]))
            for c in ("location", "place_id", "place_ids", "latitude", "longitude", "geo_precision"):
                rep[c] = best[c]
        armed = [k for k, m in enumerate(members) if m.get("weapon")]
        if armed:
            best = members[max(armed, key=lambda k: (_weapon_info()[members[k]["weapon"]][2], -k))]
            for c in ("weapon", "event_type", "sub_event_type"):
                rep[c] = best[c]
        for c, q in (("killed", "killed_qualifier"), ("injured", "injured_qualifier")):
            stated = [m for m in members if _num(m.get(c)) is not None]
            if stated:
                best = max(stated, key=lambda m: (_num(m[c]), m[q] == "exact"))
                rep[c], rep[q] = best[c], best[q]
        vic = [v for m in members for v in str(m.get("victims") or "").split("|") if v]
        rep["victims"] = "|".join(dict.fromkeys(vic)) or None
        if rep.get("killed_qualifier") == "at_least" and vic:
            rep["killed"] = max(int(_num(rep.get("killed")) or 0), len(set(vic)))
        for c in ("perpetrator_actor_id", "target", "target_actor_id", "claimed_by_source", "munitions"):
            if not rep.get(c):
                rep[c] = next((m[c] for m in members if m.get(c)), None)
    rep["n_sources"] = len(members)
    srcs = [{"event_id": rep["event_id"], "doc_id": m["doc_id"], "start": m["start"],
             "end": m["end"], "evidence": m["evidence"]} for m in members]
    return rep, srcs


def milestone_row(sub: list) -> tuple[dict, list[dict]]:
    """One milestone and its ``milestone_sources`` rows from its mention rows (itertuples)."""
    first = sub[0]
    mid = "ms_" + hashlib.sha1(
        f"{first.doc_id}|{first.start}|{first.trigger_start}|{first.kind}|{first.series}".encode("utf-8")).hexdigest()[:10]
    rounds = sorted({int(r.round_number) for r in sub if not pd.isna(r.round_number)})
    dated = [r for r in sub if r.date != ""]
    if len(dated):
        prec_rank = {"day": 0, "month": 1, "year": 2}
        counts = Counter(r.date for r in dated)
        best = sorted(dated, key=lambda r: (prec_rank.get(r.date_precision, 3),
                                            -counts[r.date], r.date))[0]
        date, date_end, prec = best.date, best.date_end, best.date_precision
    else:
        date = date_end = prec = ""
    reported = sorted({(r.date, r.date_end, r.date_precision) for r in dated})
    disagreement = any(not dates_compatible(x, y) for x in reported for y in reported)
    fmts = sorted({r.format for r in sub if r.format})
    parts = sorted({p for r in sub for p in str(r.participants).split("|") if p})
    # outcome: prefer a held mention that names the round, then text order
    pref = sorted(sub, key=lambda r: (r.status != "held", pd.isna(r.round_number),
                                      r.pubkey, r.doc_id, r.start))
    outcome = next((r.outcome for r in pref if r.outcome), "")
    topics = [r.topic for r in sub if r.topic]
    statuses = {r.status for r in sub}
    pubs = sorted(r.pubkey for r in sub if r.pubkey)
    ms_row = {
        "milestone_id": mid, "kind": first.kind, "series": first.series,
        "round_number": rounds[0] if len(rounds) == 1 else ("|".join(map(str, rounds)) if rounds else pd.NA),
        "status": "held" if "held" in statuses else "planned",
        "date": date, "date_end": date_end, "date_precision": prec,
        "dates_reported": "|".join(x[0] + (f"/{x[1]}" if x[1] else "") for x in reported),
        "date_disagreement": bool(disagreement),
        "format": "|".join(fmts), "participants": "|".join(parts), "outcome": outcome,
        "topic": max(set(topics), key=lambda t: (topics.count(t), t)) if topics else "",
        "completed": any(bool(r.completed) for r in sub),
        "n_sources": len(sub), "doc_ids": "|".join(sorted({r.doc_id for r in sub})),
        "first_reported": pubs[0] if pubs else "", "last_reported": pubs[-1] if pubs else "",
        "doc_id": first.doc_id, "start": int(first.start), "end": int(first.end),
        "evidence": first.evidence,
    }
    srcs = [{
        "milestone_id": mid, "doc_id": r.doc_id, "sentence_id": r.sentence_id,
        "start": int(r.start), "end": int(r.end), "trigger": r.trigger, "kind": r.kind,
        "status": r.status, "date_as_stated": r.date_as_stated, "date": r.date,
        "date_precision": r.date_precision, "published": r.published, "evidence": r.evidence,
    } for r in sub]
    return ms_row, srcs
