"""The gates' watching checks on the test company (docs/quality-gates.md): two ordinary
nights pass; a stale source, a load ten times the usual, a marketing list that halves, a
burst of quarantined rows and a customer with a million in refunds each stop the night
with a message naming what and by how much. History before D is seeded directly where a
test needs more nights than it can afford to build."""

from __future__ import annotations

import re
from datetime import date, timedelta

import psycopg
import pytest

from ladder.cli import main
from ladder.errors import LadderError
from ladder.quality.gates import GateFailed, GateResult, run_gate
from ladder.quality.metrics import accept
from tests.conftest import TOKEN, RawTarget, ensure_demo_company, free_port, new_target
from tests.transform.conftest import AS_OF, build, extract_into

EVE = AS_OF - timedelta(days=1)


@pytest.fixture(scope="module")
def nights(warehouse, tmp_path_factory) -> tuple[RawTarget, dict[tuple[str, date], GateResult]]:
    """The test company run as two ordinary nights, the eve of the demo date and the demo
    date, each extracted, built and gated as the nightly does."""
    from ladder.demo.run import HelpdeskSandbox

    ensure_demo_company(warehouse)
    target = new_target(warehouse, tmp_path_factory.mktemp("dlt"))
    port = free_port()
    results = {}
    for night in (EVE, AS_OF):
        with HelpdeskSandbox(port):
            extract_into(target, night, f"http://:{TOKEN}@127.0.0.1:{port}")
        results[("raw", night)] = run_gate("raw", target.url, night, data_docs=False)
        build(target, night)
        results[("marts", night)] = run_gate("marts", target.url, night, data_docs=False)
    return target, results


def figures(url: str, night: date, gate: str) -> dict[str, float]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "select metric, value from ops.gate_metrics where as_of_date = %s and gate = %s",
            (night, gate),
        ).fetchall()
    return dict(rows)


def seed_history(url: str, nights: int, **changes: float) -> dict[str, float]:
    """Replace the marts history before D with `nights` passed nights holding D's figures,
    but `changes` (metric -> value; `_` for `:`), and withdraw acceptances of D's; returns
    D's figures."""
    today = figures(url, AS_OF, "marts")
    seeded = today | {name.replace("_", ":", 1): value for name, value in changes.items()}
    with psycopg.connect(url) as conn:
        conn.execute("delete from ops.gate_metrics where gate = 'marts' and as_of_date <> %s",
                     (AS_OF,))  # fmt: skip
        conn.execute("update ops.gate_metrics set accepted = false where as_of_date = %s",
                     (AS_OF,))  # fmt: skip
        with conn.cursor() as cursor:
            cursor.executemany(
                "insert into ops.gate_metrics (as_of_date, gate, check_name, metric, value,"
                " method) values (%s, 'marts', 'headline', %s, %s, 'seeded')",
                [(AS_OF - timedelta(days=n), metric, value)
                 for n in range(1, nights + 1) for metric, value in seeded.items()
                 if not metric.startswith("outlier:")],
            )  # fmt: skip
    return today


def test_two_ordinary_nights_pass_and_keep_their_figures(nights) -> None:
    target, results = nights
    assert all(result.success and not result.failures for result in results.values())
    with psycopg.connect(target.url) as conn:
        kept = conn.execute(
            "select gate, check_name, count(*), count(*) filter (where method = 'ratio')"
            " from ops.gate_metrics where as_of_date = %s group by 1, 2 order by 1, 2",
            (AS_OF,),
        ).fetchall()
    # The raw figures: 10 tables' freshness, and volume always by z-score (raw holds the
    # days before); the marts': 4 amounts, 2 lists, 10 quarantine counts (by ratio to the
    # eve, the only earlier night), and 4 outlier measures.
    assert kept == [
        ("marts", "headline", 16, 16), ("marts", "outlier", 4, 0),
        ("raw", "freshness", 10, 0), ("raw", "volume", 10, 0),
    ]  # fmt: skip


def test_a_stale_source_fails_validate_raw_with_the_table_and_its_age(
    nights, monkeypatch, capsys
) -> None:
    target, _ = nights
    monkeypatch.setenv("LADDER_WAREHOUSE_URL", target.url)
    assert main(["validate", "raw", "--as-of", "2026-06-01"]) == 2
    error = capsys.readouterr().err
    assert "validate_raw: FAILED (11 failing)" in error
    assert (
        "raw.shop_orders: newest row 2025-06-30, 336 days before 2026-06-01; limit 3 days\n"
        in error
    )
    # Referrals are sparse: their newest date depends on the company's seed.
    assert re.search(
        r"raw\.shop_referrals: newest row \d{4}-\d{2}-\d{2}, \d+ days before 2026-06-01;"
        r" limit 60 days",
        error,
    )


def test_validate_needs_the_night_it_checks(capsys) -> None:
    with pytest.raises(SystemExit) as usage:
        main(["validate", "raw"])
    assert usage.value.code == 2
    assert "the following arguments are required: --as-of" in capsys.readouterr().err
    with pytest.raises(LadderError, match=r"ladder validate marts --as-of YYYY-MM-DD"):
        run_gate("marts", "postgresql://unused", None)


def test_a_load_ten_times_the_usual_fails_validate_raw(nights) -> None:
    target, _ = nights
    with psycopg.connect(target.url) as conn:
        # Nine copies of each order of the eve, as a source that re-sends everything would.
        conn.execute(
            "insert into raw.shop_orders (order_id, customer_id, ordered_at, status,"
            " shipping_method, shipping_charged, shipping_cost, discount_amount, updated_at,"
            " _ladder_row_hash, _dlt_load_id) select order_id || '-copy' || n, customer_id,"
            " ordered_at, status, shipping_method, shipping_charged, shipping_cost,"
            " discount_amount, updated_at, _ladder_row_hash || n, _dlt_load_id"
            " from raw.shop_orders, generate_series(1, 9) as n"
            " where updated_at >= %s and updated_at < %s",
            (EVE, AS_OF),
        )
        (landed,) = conn.execute(
            "select count(*) from raw.shop_orders where updated_at >= %s and updated_at < %s",
            (EVE, AS_OF),
        ).fetchone()
    try:
        with pytest.raises(GateFailed) as failed:
            run_gate("raw", target.url, AS_OF, data_docs=False)
        assert re.search(
            rf"\n  failed: raw.shop_orders: {landed} rows updated on {EVE}, usual [\d.]+ ± [\d.]+"
            r" over the 14 days before \(z = [\d.]+; limit 3\)\n",
            str(failed.value),
        ), str(failed.value)
        assert "raw_volume: each raw table's rows of the day before" in str(failed.value)
    finally:
        with psycopg.connect(target.url) as conn:
            conn.execute("delete from raw.shop_orders where order_id like '%-copy_'")
    assert run_gate("raw", target.url, AS_OF, data_docs=False).success


@pytest.mark.parametrize(
    ("earlier", "explanation"),
    [
        (14, "always {double:,} over the 14 nights before (z = -inf; limit 3)"),
        (1, "0.50 x the {double:,} of {eve} (allowed 0.67 x to 1.5 x)"),
    ],
    ids=["z-score", "ratio"],
)
def test_a_marketing_list_that_halves_overnight_fails_until_accepted(
    nights, earlier: int, explanation: str
) -> None:
    target, _ = nights
    size = int(figures(target.url, AS_OF, "marts")["list:treatment_marketing"])
    seed_history(target.url, earlier, list_treatment_marketing=2 * size)
    with pytest.raises(GateFailed) as failed:
        run_gate("marts", target.url, AS_OF, data_docs=False)
    expected = (
        f"customers on marts.treatment_marketing: {size:,} on {AS_OF}, "
        + explanation.format(double=2 * size, eve=EVE)
    )
    assert f"\n  failed: {expected}\n" in str(failed.value)
    assert "validate_marts: FAILED (2 failing)" in str(failed.value)  # the suite, the figure

    # A real change (a campaign ended): the operator accepts it, and the night passes.
    accept(target.url, AS_OF, "marts", ["list:treatment_marketing"])
    assert run_gate("marts", target.url, AS_OF, data_docs=False).success
    with pytest.raises(LadderError, match=r"no failed figure 'revenue_365d' for 2025-07-01"):
        accept(target.url, AS_OF, "marts", ["revenue_365d"])


def test_the_night_compares_with_history_before_it_and_not_with_failed_values(nights) -> None:
    target, _ = nights
    today = seed_history(target.url, 2)
    size = today["list:treatment_marketing"]
    with psycopg.connect(target.url) as conn:
        # The eve failed on a list twice the size (it was never published), and nights after
        # D (a backfill of D runs after them) hold another size again: neither counts.
        conn.execute(
            "update ops.gate_metrics set value = %s, problem = 'seeded failure'"
            " where as_of_date = %s and metric = 'list:treatment_marketing'",
            (2 * size, EVE),
        )
        conn.execute(
            "insert into ops.gate_metrics (as_of_date, gate, check_name, metric, value, method)"
            " values (%s, 'marts', 'headline', 'list:treatment_marketing', %s, 'seeded')",
            (AS_OF + timedelta(days=3), 3 * size),
        )
    assert run_gate("marts", target.url, AS_OF, data_docs=False).success
    with psycopg.connect(target.url) as conn:
        compared = conn.execute(
            "select method, baseline from ops.gate_metrics where as_of_date = %s"
            " and metric = 'list:treatment_marketing'",
            (AS_OF,),
        ).fetchone()
    assert compared == ("ratio", size)


@pytest.fixture(scope="module")
def planted(nights) -> tuple[RawTarget, str, str]:
    """Night D again, with 30 order lines at a negative price (staging quarantines them) and
    one return refunding a million; returns the target, the return's customer and the
    validate_marts failure."""
    target, _ = nights
    with psycopg.connect(target.url) as conn:
        conn.execute(
            "update raw.shop_order_lines set unit_price = -unit_price where (order_id, line_no)"
            " in (select order_id, line_no from raw.shop_order_lines where unit_price > 0"
            " order by order_id, line_no limit 30)"
        )
        # A million bought and a million refunded: each row within the plausibility
        # bounds (the refund within what its order charged), so staging uses them, and
        # only the customer's figures against everyone else's show the absurdity.
        (customer, order) = conn.execute(
            "update raw.shop_returns set refund_amount = 1000000 where return_id = (select"
            " return_id from raw.shop_returns join raw.shop_orders using (order_id)"
            " where returned_at >= %s and status = 'completed' and not exists (select from"
            " raw.shop_order_lines as lines where lines.order_id = shop_returns.order_id"
            " and lines.unit_price < 0) order by return_id limit 1)"
            " returning customer_id, order_id",
            (AS_OF - timedelta(days=100),),
        ).fetchone()
        conn.execute(
            "update raw.shop_order_lines set quantity = 100, unit_price = 10000"
            " where order_id = %s and line_no = (select min(line_no) from"
            " raw.shop_order_lines where order_id = %s)",
            (order, order),
        )
    build(target, AS_OF)
    seed_history(target.url, 14, quarantined_shop_order_lines=0, quarantined_shop_orders=0)
    with pytest.raises(GateFailed) as failed:
        run_gate("marts", target.url, AS_OF, data_docs=False)
    return target, customer, str(failed.value)


def test_a_burst_of_quarantined_lines_fails_validate_marts(planted) -> None:
    # What staging's plausibility bounds do to one line at 1,000 times its price: it is
    # quarantined; many at once mean a broken source, and the count stands out.
    _, _, failure = planted
    assert (
        f"\n  failed: rows of shop.order_lines in ops.quarantine: 30 on {AS_OF},"
        " always 0 over the 14 nights before (z = inf; limit 3)\n"
    ) in failure


def test_a_customer_with_a_million_in_refunds_fails_validate_marts(planted) -> None:
    target, customer, failure = planted
    with psycopg.connect(target.url) as conn:
        exact, mark = conn.execute(
            "select (select net_revenue_365d from marts.customer_value"
            " where customer_id = %s), percentile_cont(0.99) within group"
            " (order by abs(net_revenue_365d)) from marts.customer_value",
            (customer,),
        ).fetchone()
    revenue = float(exact)
    assert revenue > 1_000_000
    assert (
        f"\n  failed: marts.customer_value.net_revenue_365d: a customer at {revenue:,.2f} is"
        f" {abs(revenue) / mark:,.0f} x the p99 of {mark:,.2f}; limit 50 x (the task log"
        " names them)\n"
    ) in failure
    # The failure goes out in alerts: it says how far, never who.
    assert customer not in failure
    assert "marts_outliers: no customer's trailing revenue, margin, cost-to-serve or CLV" in failure
    # The night's revenue, summed, jumps by the same million: the headline check stops it too.
    assert re.search(
        rf"\n  failed: net revenue, 365 days \(marts.customer_value\): [\d,.]+ on"
        rf" {AS_OF}, always [\d,.]+ over the 14 nights before \(z = inf; limit 3\)\n",
        failure,
    ), failure
