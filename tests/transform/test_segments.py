"""Segments, the ladder and the treatment lists on the demo company: the planted personas
land where the goals say, each list holds exactly the customers its rules pick, and the
segment history survives reruns and backfills."""

from __future__ import annotations

import csv
from datetime import timedelta
from pathlib import Path

import pandas as pd
import psycopg
import pytest

from ladder.demo.truth import EVALUATION_SEED, PersonaReport, load_truth, persona_report
from tests.conftest import DEMO, connect
from tests.transform.conftest import AS_OF, build

RULES = Path(__file__).parents[2] / "dbt_project" / "seeds" / "treatment_rules.csv"


def frame(url: str, query: str, *params) -> pd.DataFrame:
    with psycopg.connect(url) as conn:
        cursor = conn.execute(query, params)
        return pd.DataFrame(cursor.fetchall(), columns=[c.name for c in cursor.description])


@pytest.fixture(scope="module")
def report(built, warehouse) -> PersonaReport:
    with connect(warehouse, "shop") as shop:
        truth = load_truth(shop)
    with psycopg.connect(built.url) as conn:
        found = persona_report(conn, truth, AS_OF)
    print("\n" + found.render())
    return found


# The one-night goals stable at this size (3,000 customers at the evaluation seed): the
# hostile are found and nobody else is taken for them, and the frustrated are never
# Terrorist or Toxic. Advocate recall (about 100 advocates with a signal) and the
# at_risk figures are measured where they are set, on the 1,000,000-customer company
# (`make bench-segments`).
STABLE_GOALS = [
    "abusive -> Terrorist recall",
    "Terrorist -> abusive precision",
    "frustrated_fixable -> Terrorist or Toxic",
    "customers both Toxic and flagged frustrated",
]


def test_the_company_is_the_evaluation_seeds() -> None:
    assert DEMO["seed"] == EVALUATION_SEED


@pytest.mark.parametrize("goal", STABLE_GOALS)
def test_planted_personas_land_on_their_rungs(report: PersonaReport, goal: str) -> None:
    found = {g.name: g for g in report.goals()}[goal]
    assert found.met, found.describe()


def test_prospects_are_prospects(report: PersonaReport) -> None:
    rungs = report.by_rung()
    assert rungs.loc["prospect"].sum() == rungs.loc["prospect", "Prospect"]


def test_each_list_holds_the_highest_priority_rule_the_customer_meets(built) -> None:
    segments = frame(built.url, "select * from marts.customer_segments")
    with RULES.open() as rows:
        rules = sorted(csv.DictReader(rows), key=lambda rule: int(rule["priority"]))
    flags = {
        "frustrated": "is_frustrated",
        "at_risk": "is_at_risk",
        "new_high_potential": "is_new_high_potential",
    }
    for system in ("marketing", "service"):
        expected = {}
        for customer in segments.itertuples():
            for rule in (r for r in rules if r["system"] == system):
                if (
                    rule["ladder_rung"] in ("", customer.ladder_rung)
                    and rule["value_segment"] in ("", customer.value_segment)
                    and (rule["flag"] == "" or getattr(customer, flags[rule["flag"]]))
                    and (rule["requires_consent"] != "true" or customer.has_marketing_consent)
                ):
                    expected[customer.customer_id] = rule["treatment_code"]
                    break
        listed = frame(
            built.url, f"select customer_id, treatment_code from marts.treatment_{system}"
        )
        assert dict(zip(listed.customer_id, listed.treatment_code, strict=True)) == expected
        assert len(expected) > 100


def test_segment_history_survives_reruns_and_backfills(built) -> None:
    """Build D, then a backfill 60 days earlier, then one in between, then the middle one
    again: every run's segments stay readable from the history, and the rerun adds nothing."""

    def segments() -> dict[str, tuple[str, str]]:
        rows = frame(
            built.url, "select customer_id, value_segment, ladder_rung from marts.customer_segments"
        )
        return {r.customer_id: (r.value_segment, r.ladder_rung) for r in rows.itertuples()}

    def history_at(day) -> dict[str, tuple[str, str]]:
        rows = frame(
            built.url,
            "select customer_id, value_segment, ladder_rung from marts.segment_history"
            " where valid_from <= %s and (valid_to is null or valid_to > %s)",
            day,
            day,
        )
        return {r.customer_id: (r.value_segment, r.ladder_rung) for r in rows.itertuples()}

    def history() -> pd.DataFrame:
        return frame(built.url, "select * from marts.segment_history order by 1, valid_from")

    early, middle = AS_OF - timedelta(days=60), AS_OF - timedelta(days=30)
    seen = {AS_OF: segments()}
    try:
        for day in (early, middle):
            build(built, day)
            seen[day] = segments()
        for day, state in seen.items():
            assert history_at(day) == state, day
        # Between the backfills the ladder moved, so versions were split, not appended.
        assert len(history()) > len(seen[AS_OF])
        moved = frame(
            built.url, "select direction, count(*) from marts.segment_transitions group by 1"
        )
        assert set(moved.direction) >= {"up", "down"}

        before = history()
        build(built, middle)
        pd.testing.assert_frame_equal(history(), before)
    finally:
        build(built, AS_OF)
    runs = frame(built.url, "select as_of_date from marts.segment_runs order by 1")
    assert list(runs.as_of_date) == [early, middle, AS_OF]
