"""`make bench-loop`'s comparison (ladder.demo.planted_outcomes) on stand-ins of the
marts and the truth whose answers are known: the realised effect counts the response
purchases of treated customers inside each completed window, the goals follow the
interval, and the Toxic check splits the reached customers by whether they improved."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pandas as pd
import psycopg
import pytest

from ladder.demo.planted_outcomes import compare, goals, toxic_check
from tests.transform.standins import write

D = date(2026, 5, 1)
COHORT = D - timedelta(days=100)


def day(offset: int) -> date:
    return COHORT + timedelta(days=offset)


@pytest.fixture()
def stand_ins(warehouse):
    urls = []
    for kind in ("wh", "shop"):
        name = f"planted_{kind}_{uuid.uuid4().hex[:8]}"
        warehouse.ensure_database(name)
        urls.append(warehouse.url(name))
    treated = [f"C{i}" for i in range(10)]
    pooled = pd.DataFrame(
        [("WINBACK", 30, 10, 5, 0.31, 0.05, 0.57, 1.0, -2.0, 4.0, D),
         ("WINBACK", 90, 10, 5, 0.35, 0.2, 0.5, 2.0, -1.0, 5.0, D),
         ("VIP_RECOGNITION", 90, 8, 4, 0.05, -0.1, 0.2, 0.5, -1.0, 2.0, D)],
        columns=["treatment_code", "window_days", "n_treated", "n_holdout", "purchases_uplift",
                 "purchases_ci_low", "purchases_ci_high", "uplift", "ci_low", "ci_high",
                 "as_of_date"],
    )  # fmt: skip
    assignments = pd.DataFrame(
        [(COHORT, c, "WINBACK", False, COHORT) for c in treated]
        + [(COHORT, h, "WINBACK", True, COHORT) for h in ("H1", "H2", "H3", "H4")]
        + [
           # a later night of the same customer is not a cohort of its own
           (day(1), "C0", "WINBACK", False, COHORT)],
        columns=["as_of_date", "customer_id", "treatment_code", "is_holdout", "cohort_date"],
    )  # fmt: skip
    segments = pd.DataFrame(
        [("A", "Customer", False), ("B", "Toxic", True), ("C", "Toxic", True),
         ("E", "Client", True), ("F", "Customer", False)],
        columns=["customer_id", "ladder_rung", "takes_without_engaging"],
    )  # fmt: skip
    write(urls[0], {
        "marts.treatment_outcomes_pooled": pooled,
        "marts.treatment_assignments": assignments,
        "marts.customer_segments": segments,
        "staging.segment_thresholds": pd.DataFrame({"toxic_outreach_days": [30]}),
    })  # fmt: skip
    write(urls[1], {
        "demo_truth.planted_effects": pd.DataFrame(
            [("WINBACK", 0.25, 0.0), ("VIP_RECOGNITION", 0.0, 0.0),
             ("SELF_SERVICE_GUIDANCE", 0.0, 0.5)],
            columns=["treatment_code", "purchase_response", "improves_share"]),
        # Three responses to WINBACK inside 30 days and a fourth at day 40; one to the
        # next treatment of a treated customer (day 5) and of a held-out one (day 50).
        "demo_truth.response_orders": pd.DataFrame(
            [("C1", "WINBACK", day(3)), ("C2", "WINBACK", day(29)), ("C3", "WINBACK", day(0)),
             ("C4", "WINBACK", day(40)), ("C5", "GROW_CROSS_SELL", day(5)),
             ("H2", "GROW_CROSS_SELL", day(50))],
            columns=["customer_id", "treatment_code", "ordered_on"]),
        # A, B improved; C, E did not and still take without engaging; F did not and no
        # longer does; G was reached too recently to count.
        "demo_truth.treatment_received": pd.DataFrame(
            [(c, "SELF_SERVICE_GUIDANCE", day(0), improves)
             for c, improves in (("A", True), ("B", True), ("C", False), ("E", False),
                                 ("F", False))]
            + [("G", "SELF_SERVICE_GUIDANCE", D - timedelta(days=5), False)],
            columns=["customer_id", "treatment_code", "received_on", "improves"]),
        "demo_truth.customer_persona": pd.DataFrame(
            [(c, "high_cost_to_serve") for c in "ABCEFG"], columns=["customer_id", "persona"]),
    })  # fmt: skip
    return urls


def test_realised_effects_goals_and_the_toxic_split(stand_ins) -> None:
    with psycopg.connect(stand_ins[0]) as wh, psycopg.connect(stand_ins[1]) as shop:
        comparisons = {(c.treatment, c.window_days): c for c in compare(wh, shop)}
        toxic = toxic_check(wh, shop, D)

    # Realised: responses of any treatment per treated minus per held-out customer;
    # direct: the treated customers' responses to WINBACK itself.
    winback_30, winback_90 = comparisons[("WINBACK", 30)], comparisons[("WINBACK", 90)]
    assert (winback_30.realised, winback_30.direct) == (pytest.approx(0.4), pytest.approx(0.3))
    assert (winback_90.realised, winback_90.direct) == (pytest.approx(0.5 - 0.25),
                                                        pytest.approx(0.4))  # fmt: skip
    assert winback_90.planted == 0.25
    assert comparisons[("VIP_RECOGNITION", 90)].realised == 0
    # (z_0.975 + z_0.8) x the standard error behind [0.2, 0.5].
    assert winback_90.detectable == pytest.approx(2.8016 * 0.15 / 1.96, 1e-3)

    verdicts = {g.name: g.met for g in goals(list(comparisons.values()), 90)}
    assert verdicts == {
        "WINBACK realised effect 0.250 inside its interval": True,
        "WINBACK significant": True,
        "WINBACK 80 % power: smallest detectable effect <= realised": True,
        "VIP_RECOGNITION (no effect planted) interval covers 0": True,
    }
    # The 30-day interval [0.05, 0.57] holds 0.4 as well; only the 90-day one is a goal.
    assert comparisons[("WINBACK", 30)].covered

    assert (toxic.improved, toxic.improved_toxic) == (2, 1)
    assert (toxic.not_improved, toxic.not_improved_toxic) == (2, 1)
    assert [g.met for g in toxic.goals()] == [False, True]
