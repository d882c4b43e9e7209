"""The Great Expectations gates on the demo company: both pass on clean data, and each
planted upstream bug trips one (every interaction flagged abusive; prices in cents),
raw first, and the segment drift check behind it when raw was let through; a treatment
whose profit uplift is significantly negative is a warning of the marts gate, not a stop.
The tests run in this order: the last leaves the raw data broken."""

from __future__ import annotations

from datetime import timedelta

import psycopg
import pytest

from ladder.quality.gates import GateFailed, run_gate
from tests.transform.conftest import AS_OF, build


def test_both_gates_pass_on_clean_data_and_build_data_docs(built) -> None:
    for gate in ("raw", "marts"):
        result = run_gate(gate, built.url, AS_OF)
        assert result.success and result.evaluated >= 10 and not result.failures
        assert result.data_docs.name == "index.html" and result.data_docs.exists()


def test_a_significantly_harmful_treatment_warns_and_the_gate_passes(built) -> None:
    # What treatment_outcomes_pooled holds when a treatment's completed cohorts lost
    # money (how is_harmful is computed: tests/transform/test_outcomes.py).
    row = {"treatment_code": "GROW_CROSS_SELL", "system": "marketing", "window_days": 30,
           "cohorts": 3, "first_cohort_date": AS_OF - timedelta(days=90),
           "last_cohort_date": AS_OF - timedelta(days=30), "n_treated": 900, "n_holdout": 100,
           "uplift": -12.5, "ci_low": -20.1, "ci_high": -4.9, "is_harmful": True,
           "as_of_date": AS_OF}  # fmt: skip
    with psycopg.connect(built.url) as conn:
        conn.execute(
            f"insert into marts.treatment_outcomes_pooled ({', '.join(row)})"
            f" values ({', '.join(['%s'] * len(row))})",
            list(row.values()),
        )
    try:
        result = run_gate("marts", built.url, AS_OF, data_docs=False)
    finally:
        with psycopg.connect(built.url) as conn:
            conn.execute("delete from marts.treatment_outcomes_pooled where is_harmful")
    assert result.success and not result.failures
    assert len(result.warnings) == 1
    assert "significantly negative profit uplift" in result.warnings[0]
    assert "warning: " in result.render()
    with psycopg.connect(built.url) as conn:
        recorded = conn.execute(
            "select success, warnings from ops.gate_runs where gate = 'marts'"
            " order by run_id desc limit 1"
        ).fetchone()
    assert recorded == (True, list(result.warnings))


def test_prices_in_cents_trip_validate_raw(built) -> None:
    with psycopg.connect(built.url) as conn:
        conn.execute("update raw.shop_order_lines set unit_price = unit_price * 100")
    try:
        with pytest.raises(GateFailed, match="median unit price lies between") as failed:
            run_gate("raw", built.url, AS_OF, data_docs=False)
        assert "Data Docs: " in str(failed.value)
    finally:
        with psycopg.connect(built.url) as conn:
            conn.execute("update raw.shop_order_lines set unit_price = unit_price / 100")
    run_gate("raw", built.url, AS_OF, data_docs=False)


def test_every_interaction_abusive_trips_raw_and_then_the_drift_check(built) -> None:
    with psycopg.connect(built.url) as conn:
        conn.execute("update raw.helpdesk_interactions set abuse_reported = true")
    with pytest.raises(GateFailed, match="interactions are flagged abusive"):
        run_gate("raw", built.url, AS_OF, data_docs=False)

    # Had the raw gate been skipped, the next night's segments would swing: Terrorists
    # everywhere. The marts gate stops that before anything is published.
    build(built, AS_OF + timedelta(days=1))
    with psycopg.connect(built.url) as conn:
        shares = conn.execute(
            "select ugly_share from marts.segment_runs order by as_of_date"
        ).fetchall()
    assert shares[-1][0] - shares[0][0] > 0.05
    with pytest.raises(GateFailed, match="segment_share_drift_max"):
        run_gate("marts", built.url, AS_OF + timedelta(days=1))
