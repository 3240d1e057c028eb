"""Cross-table views: claim rates, overlapping claims, and the computed reading."""
import pandas as pd
import pytest

from iraqkit import attacks, milestones, synthesis


@pytest.fixture(scope="module")
def stage_tables(corpus_tables):
    t = dict(corpus_tables)
    t.update(attacks.run_stage(t))
    t.update(milestones.run_stage(t))
    return t


def test_claim_rates_normalise_each_claim_by_its_period(stage_tables):
    rates = synthesis.claim_rates(stage_tables["attacks"]).set_index("n_attacks")
    # "نحو 50 هجوماً" from the start of 2021 to the end of March: about 16.9 a month
    assert rates.loc[50, "date_start"] == "2021-01-01" and rates.loc[50, "date_end"] == "2021-03-31"
    assert rates.loc[50, "per_month"] == pytest.approx(50 / (90 / (365.25 / 12)), abs=0.1)
    assert rates.loc[50, "claimed_by_source"] == "التقديرات الأمريكية"
    # "63 هجوماً" during 2020; its sub-counts 41 and 22 are not separate rates
    assert rates.loc[63, "per_month"] == pytest.approx(5.2, abs=0.05)
    assert 41 not in rates.index and 22 not in rates.index


def test_overlapping_claims_pairs_only_overlapping_periods():
    rates = pd.DataFrame({"event_id": ["a", "b", "c"], "date_start": ["2021-01-01", "2021-03-01", "2022-01-01"],
                          "date_end": ["2021-03-31", "2021-06-30", "2022-12-31"], "per_month": [10.0, 4.0, 1.0],
                          "claimed_by_source": ["Reuters", "", "AP"]})
    pairs = synthesis.overlapping_claims(rates)
    assert pairs[["claim_a", "claim_b", "overlap_days"]].values.tolist() == [["a", "b", 31]]
    assert pairs.loc[0, "source_b"] == "(unattributed)"


def test_reading_is_computed_from_the_tables(stage_tables):
    a, m = stage_tables["attacks"], stage_tables
    rates = synthesis.claim_rates(a)
    troops = synthesis.dated_troop_levels(m["troop_levels"])
    text = synthesis.reading(rates, synthesis.dated_incidents(a), m["milestones"], m["deadline_status"], troops)
    assert f"of {len(rates)} claimed attack periods" in text
    assert "Deadlines met: 2021-12-31" in text
    # change the troop figures and the reading changes with them
    falling = troops.assign(value=[5000.0] + [2500.0] * (len(troops) - 1))
    text2 = synthesis.reading(rates, synthesis.dated_incidents(a), m["milestones"], m["deadline_status"], falling)
    assert "a stated fall in US troop numbers" in text2 and "no stated fall" in text
