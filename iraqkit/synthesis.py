"""Cross-table views for the report: claimed attack rates, competing claims, one time axis.

Every function takes the tables written by the stages and returns a DataFrame whose
columns are documented on the function; nothing here reads text or adds facts.
"""
from __future__ import annotations

import pandas as pd

#: a month, in days, for turning a claim's period into attacks per month
DAYS_PER_MONTH = 365.25 / 12


def _dates(s: pd.Series) -> pd.Series:
    return pd.to_datetime(s.replace("", pd.NA), errors="coerce")


def claim_rates(attacks: pd.DataFrame) -> pd.DataFrame:
    """Aggregate claims as attack rates.

    Keeps top-level ``aggregate`` rows (no parent) with a count and both period ends.
    Columns: ``event_id, doc_id, n_attacks, qualifier, date_start, date_end, months``
    (period length in months, at least 1/30), ``per_month`` (``n_attacks / months``),
    ``claimed_by_source`` ('' when the article credits nobody), ``evidence``. Sorted by
    period start then event id.
    """
    a = attacks[(attacks["kind"] == "aggregate") & attacks["parent_event_id"].isna()].copy()
    a = a[a["n_attacks"].notna() & a["date_start"].notna() & a["date_end"].notna()]
    start, end = _dates(a["date_start"]), _dates(a["date_end"])
    days = (end - start).dt.days + 1
    a["months"] = (days.clip(lower=1) / DAYS_PER_MONTH).round(2)
    a["per_month"] = (a["n_attacks"].astype(float) / a["months"]).round(1)
    a["claimed_by_source"] = a["claimed_by_source"].fillna("")
    cols = ["event_id", "doc_id", "n_attacks", "qualifier", "date_start", "date_end", "months",
            "per_month", "claimed_by_source", "evidence"]
    return a.sort_values(["date_start", "event_id"], kind="stable")[cols].reset_index(drop=True)


def overlapping_claims(rates: pd.DataFrame) -> pd.DataFrame:
    """Pairs of claims whose periods overlap, side by side (what different sources claim
    for the same time). Columns: ``claim_a, claim_b, source_a, source_b, period_a, period_b,
    overlap_days, per_month_a, per_month_b``."""
    rows = []
    r = rates.reset_index(drop=True)
    for i in range(len(r)):
        for j in range(i + 1, len(r)):
            a, b = r.iloc[i], r.iloc[j]
            s = max(pd.Timestamp(a["date_start"]), pd.Timestamp(b["date_start"]))
            e = min(pd.Timestamp(a["date_end"]), pd.Timestamp(b["date_end"]))
            if e >= s:
                rows.append({"claim_a": a["event_id"], "claim_b": b["event_id"],
                             "source_a": a["claimed_by_source"] or "(unattributed)",
                             "source_b": b["claimed_by_source"] or "(unattributed)",
                             "period_a": f"{a['date_start']} → {a['date_end']}",
                             "period_b": f"{b['date_start']} → {b['date_end']}",
                             "overlap_days": int((e - s).days) + 1,
                             "per_month_a": a["per_month"], "per_month_b": b["per_month"]})
    cols = ["claim_a", "claim_b", "source_a", "source_b", "period_a", "period_b", "overlap_days",
            "per_month_a", "per_month_b"]
    return pd.DataFrame(rows, columns=cols)


def dated_incidents(attacks: pd.DataFrame) -> pd.DataFrame:
    """Incidents with a date: ``event_id, date`` (midpoint of the stated window),
    ``date_precision, killed, injured, weapon, location, n_sources, evidence``."""
    a = attacks[(attacks["kind"] == "incident") & attacks["date_start"].notna()].copy()
    start, end = _dates(a["date_start"]), _dates(a["date_end"].fillna(a["date_start"]))
    a["date"] = (start + (end - start) / 2).dt.strftime("%Y-%m-%d")
    cols = ["event_id", "date", "date_precision", "killed", "injured", "weapon", "location", "n_sources", "evidence"]
    return a.sort_values(["date", "event_id"], kind="stable")[cols].reset_index(drop=True)


def dated_milestones(milestones: pd.DataFrame) -> pd.DataFrame:
    """Milestones with a date, for the time axis: ``milestone_id, kind, round_number, date,
    date_precision, status, outcome, n_sources``, sorted by date."""
    m = milestones[milestones["date"].notna() & (milestones["date"] != "")].copy()
    cols = ["milestone_id", "kind", "round_number", "date", "date_precision", "status", "outcome", "n_sources"]
    return m.sort_values(["date", "milestone_id"], kind="stable")[cols].reset_index(drop=True)


def dated_troop_levels(troops: pd.DataFrame, country: str = "Iraq", force: str | None = "US") -> pd.DataFrame:
    """Troop figures of ``force`` (None: any) in ``country`` with a date: ``troop_id, date,
    value, qualifier, force, date_basis, surface, doc_id``, sorted by date."""
    keep = (troops["country"] == country) & troops["date"].notna() & (troops["date"] != "")
    if force is not None:
        keep &= troops["force"] == force
    t = troops[keep].copy()
    t["date"] = pd.to_datetime(t["date"], format="ISO8601").dt.strftime("%Y-%m-%d")
    cols = ["troop_id", "date", "value", "qualifier", "force", "date_basis", "surface", "doc_id"]
    return t.sort_values(["date", "troop_id"], kind="stable")[cols].reset_index(drop=True)


#: Bilingual labels for milestone kinds (figures and tables).
MILESTONE_KIND_LABELS = {
    "dialogue_round": "جولة حوار (dialogue round)",
    "commission_meeting": "اجتماع اللجنة العسكرية (commission)",
    "committee_formed": "تشكيل لجنة (committee)",
    "vote": "تصويت البرلمان (vote)",
    "announcement": "إعلان (announcement)",
    "agreement": "اتفاق (agreement)",
    "deadline": "موعد نهائي (deadline)",
}
