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


def _period(a: str, b: str) -> str:
    return f"{a} to {b}"


def reading(rates: pd.DataFrame, incidents: pd.DataFrame, milestones: pd.DataFrame,
            deadline_status: pd.DataFrame, troops: pd.DataFrame, window_days: int = 183) -> str:
    """A plain-text reading of the synthesis figure, every statement computed from the
    tables and citing row ids: each attack claim, the milestones dated within its period or
    ``window_days`` after it, the stated troop levels, and the deadlines' status. It states
    co-occurrence in time only; it never asserts cause."""
    lines = ["Attack claims and what followed them (milestones dated within the claim's period "
             f"or {window_days} days after it):"]
    mdates = pd.to_datetime(milestones["date"].replace("", pd.NA), format="ISO8601", errors="coerce")
    for r in rates.itertuples():
        s, e = pd.Timestamp(r.date_start), pd.Timestamp(r.date_end)
        src = r.claimed_by_source or "no source named"
        lines.append(f"- {r.n_attacks:g} attacks ({r.qualifier}), {_period(r.date_start, r.date_end)}, "
                     f"{r.per_month:g}/month, credited to: {src} [{r.event_id}, {r.doc_id}]")
        near = milestones[(mdates >= s) & (mdates <= e + pd.Timedelta(days=window_days))]
        for m in near.sort_values("date").itertuples():
            rn = f" {int(m.round_number)}" if pd.notna(m.round_number) else ""
            lines.append(f"    then {m.kind}{rn} on {m.date} [{m.milestone_id}]")
        if near.empty:
            lines.append("    no dated milestone in that window")
    lines.append(f"Incidents with a date: {len(incidents)}; with stated casualties: "
                 f"{int((incidents['killed'].notna() | incidents['injured'].notna()).sum())}.")
    fall = False
    if len(troops):
        vals = troops.sort_values("date")["value"].astype(float)
        fall = bool((vals.diff() < 0).any())
        lines.append(f"Stated US troop levels in Iraq: {len(troops)} figures dated {troops['date'].min()} to "
                     f"{troops['date'].max()}, from {vals.min():,.0f} to {vals.max():,.0f} "
                     f"[{', '.join(troops['troop_id'])}]" + (": the same figure every time." if vals.nunique() == 1 else "."))
    for status, g in deadline_status.groupby("status", sort=True):
        lines.append(f"Deadlines {status}: " + ", ".join(f"{d} [{i}]" for d, i in
                                                          zip(g["deadline_date"], g["milestone_id"])))
    followed = 0
    for r in rates.itertuples():
        s_, e_ = pd.Timestamp(r.date_start), pd.Timestamp(r.date_end)
        followed += bool(((mdates >= s_) & (mdates <= e_ + pd.Timedelta(days=window_days))).any())
    troop_part = ("no stated fall in US troop numbers" if len(troops) and not fall else
                  "a stated fall in US troop numbers" if fall else "no dated US troop figure")
    n_dead = int((deadline_status["status"] == "pending").sum()) if len(deadline_status) else 0
    lines.append(f"Reading: {followed} of {len(rates)} claimed attack periods are followed within "
                 f"{window_days} days by a dialogue round, meeting, announcement or agreement; the corpus "
                 f"reports {troop_part}, and {n_dead} stated deadline(s) still pending. This is "
                 "co-occurrence in time as these articles report it, not evidence of cause.")
    return "\n".join(lines)
