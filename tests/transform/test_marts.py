"""The marts on the demo company: complete, consistent, recomputable, as-of stable."""

from __future__ import annotations

from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

import pandas as pd
import psycopg

from ladder.demo.load import append_day
from ladder.demo.run import HelpdeskSandbox
from tests.conftest import TOKEN, connect, free_port
from tests.transform.conftest import AS_OF, MARTS, build, extract_into, mart_checksums, seed_rates

CENT = Decimal("0.01")


def frame(conn: psycopg.Connection, query: str, *params) -> pd.DataFrame:
    cursor = conn.execute(query, params)
    return pd.DataFrame(cursor.fetchall(), columns=[c.name for c in cursor.description])


def test_every_mart_row_carries_the_as_of_date_and_each_customer_once(built) -> None:
    with psycopg.connect(built.url) as conn:
        customers = conn.execute("select count(*) from marts.dim_customers").fetchone()[0]
        assert customers > 0
        for mart in MARTS:
            dates = conn.execute(f"select distinct as_of_date from marts.{mart}").fetchall()
            assert dates == [(AS_OF,)], mart
        for mart in ("customer_value", "customer_cost_to_serve", "customer_profitability"):
            row = conn.execute(
                f"select count(*), count(distinct customer_id) from marts.{mart}"
            ).fetchone()
            assert row == (customers, customers), mart
        assert conn.execute("select count(*) from marts.whale_curve").fetchone()[0] == 100


def _independent_profit(warehouse) -> pd.DataFrame:
    """Trailing-365-day margin, cost-to-serve and profit per customer, computed in pandas
    straight from the source systems (not from raw, not from dbt), with the seed's rates."""
    d = pd.Timestamp(AS_OF, tz="UTC")
    window_start = d - pd.Timedelta(days=365)
    rate = {driver: Decimal(value) for driver, value in seed_rates().items()}
    with connect(warehouse, "shop") as shop:
        orders = frame(shop, "select * from orders where updated_at < %s and ordered_at < %s",
                       d, d)  # fmt: skip
        lines = frame(shop, "select * from order_lines where updated_at < %s", d)
        returns = frame(shop, "select * from returns where updated_at < %s and returned_at < %s",
                        d, d)  # fmt: skip
        payments = frame(shop, "select * from payment_events where updated_at < %s "
                         "and occurred_at < %s", d, d)  # fmt: skip
    with connect(warehouse, "helpdesk") as helpdesk:
        contacts = frame(helpdesk, "select * from interactions where updated_at < %s "
                         "and occurred_at < %s", d, d)  # fmt: skip

    completed = orders[orders.status == "completed"].set_index("order_id")
    lines["revenue"] = lines.quantity * lines.unit_price
    lines["cogs"] = lines.quantity * lines.unit_cost
    per_order = lines.groupby("order_id")[["revenue", "cogs"]].sum()
    refunds = returns.groupby("order_id")["refund_amount"].sum()
    completed = completed.join(per_order).join(refunds)
    completed[["revenue", "cogs", "refund_amount"]] = completed[
        ["revenue", "cogs", "refund_amount"]
    ].fillna(Decimal(0))
    completed["margin"] = (
        completed.revenue - completed.discount_amount - completed.cogs - completed.refund_amount
    )
    recent = completed[completed.ordered_at >= window_start]
    margin = recent.groupby("customer_id")["margin"].sum()

    # Each activity's cost in cents per customer, then their sum (how the mart adds up).
    costs = [
        recent.groupby("customer_id").size() * rate["order_handling"],
        (recent.shipping_cost - recent.shipping_charged).groupby(recent.customer_id).sum()
        * rate["delivery"],
    ]
    recent_returns = returns[returns.returned_at >= window_start]
    costs.append(recent_returns.groupby("customer_id").size() * rate["return_processing"])
    recent_payments = payments[payments.occurred_at >= window_start]
    failed = recent_payments[recent_payments.kind == "failed"]
    costs.append(failed.groupby("customer_id").size() * rate["payment_failure"])
    chargebacks = recent_payments[recent_payments.kind == "chargeback"]
    costs.append(
        chargebacks.groupby("customer_id").size() * rate["chargeback_fee"]
        + chargebacks.groupby("customer_id")["amount"].sum() * rate["chargeback_loss"]
    )
    recent_contacts = contacts[contacts.occurred_at >= window_start].copy()
    # PostgreSQL turns a double into numeric with 15 significant digits.
    recent_contacts["minutes"] = [Decimal(f"{m:.15g}") for m in recent_contacts.handle_minutes]
    for channel in ("phone", "email", "chat", "self_service"):
        on_channel = recent_contacts[recent_contacts.channel == channel]
        costs.append(
            on_channel.groupby("customer_id").size() * rate[f"contact_{channel}"]
            + on_channel.groupby("customer_id")["minutes"].sum() * rate["agent_minute"]
        )
    in_cents = [c.map(lambda v: Decimal(v).quantize(CENT, ROUND_HALF_UP)) for c in costs]
    cost = pd.concat(in_cents, axis=1).fillna(Decimal(0)).sum(axis=1)
    result = pd.DataFrame({"margin": margin, "cost": cost}).fillna(Decimal(0))
    result["profit"] = result.margin - result.cost
    return result


def test_margin_cost_and_profit_match_an_independent_computation(built, warehouse) -> None:
    expected = _independent_profit(warehouse)
    with psycopg.connect(built.url) as conn:
        marts = frame(
            conn,
            "select customer_id, gross_margin_365d as margin, cost_to_serve_365d as cost, "
            "profit_365d as profit from marts.customer_profitability",
        ).set_index("customer_id")
    active = marts[(marts.margin != 0) | (marts.cost != 0)]
    assert len(active) > 1000
    assert set(active.index) == set(expected.index)
    joined = active.join(expected, rsuffix="_pandas")
    for column in ("margin", "cost", "profit"):
        differs = joined[joined[column] != joined[f"{column}_pandas"]]
        assert differs.empty, f"{column} differs for {len(differs)} customers:\n{differs.head()}"


def test_whale_curve_headline_numbers_are_consistent(built) -> None:
    with psycopg.connect(built.url) as conn:
        total, top_fifth = conn.execute(
            "with ranked as (select profit_365d, profit_rank, count(*) over () as n "
            "from marts.customer_profitability where not is_prospect) "
            "select sum(profit_365d), sum(profit_365d) filter (where profit_rank <= n / 5) "
            "from ranked"
        ).fetchone()
        at_20, peak = conn.execute(
            "select max(cumulative_profit_share) filter (where percentile = 20), "
            "max(cumulative_profit_share) from marts.whale_curve"
        ).fetchone()
    assert at_20 == round(top_fifth / total, 6)
    # The planted personas make a real whale curve: the top fifth makes most of the
    # profit and the curve rises above 100 % before the unprofitable tail.
    assert at_20 > Decimal("0.8") and peak > Decimal(1)


def test_a_build_for_d_after_later_data_arrived_gives_the_same_marts(built, warehouse) -> None:
    before = mart_checksums(built.url)
    day_after = AS_OF + timedelta(days=1)
    # Two later days of activity land in raw: new customers, orders, contacts, and
    # updates to rows that existed at D.
    append_day(AS_OF)
    append_day(day_after)
    port = free_port()
    with HelpdeskSandbox(port):
        extract_into(built, day_after + timedelta(days=1), f"http://:{TOKEN}@127.0.0.1:{port}")
    with psycopg.connect(built.url) as conn:
        later = conn.execute(
            "select count(*) from raw.shop_orders where updated_at >= %s", (AS_OF,)
        ).fetchone()[0]
    assert later > 0
    build(built, AS_OF)
    assert mart_checksums(built.url) == before
