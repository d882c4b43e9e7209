"""The Great Expectations gates on the demo company: both pass on clean data, and each
planted upstream bug trips one (every interaction flagged abusive; prices in cents),
raw first, and the segment drift check behind it when raw was let through."""

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


def test_prices_in_cents_trip_validate_raw(built) -> None:
    with psycopg.connect(built.url) as conn:
        conn.execute("update raw.shop_order_lines set unit_price = unit_price * 100")
    try:
        with pytest.raises(GateFailed, match="median unit price lies between") as failed:
            run_gate("raw", built.url, AS_OF)
        assert "Data Docs: " in str(failed.value)
    finally:
        with psycopg.connect(built.url) as conn:
            conn.execute("update raw.shop_order_lines set unit_price = unit_price / 100")
    run_gate("raw", built.url, AS_OF)


def test_every_interaction_abusive_trips_raw_and_then_the_drift_check(built) -> None:
    with psycopg.connect(built.url) as conn:
        conn.execute("update raw.helpdesk_interactions set abuse_reported = true")
    with pytest.raises(GateFailed, match="interactions are flagged abusive"):
        run_gate("raw", built.url, AS_OF)

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
