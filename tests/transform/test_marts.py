"""The marts on the demo company: complete, consistent, recomputable, as-of stable."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd
import psycopg
import pytest
import yaml

from ladder.clv.bgnbd import interpurchase_time, p_alive
from ladder.clv.early import (
    BASES,
    CATEGORICAL,
    NUMERIC,
    basis_rows,
    fit,
    read_features,
)
from ladder.clv.fit import fit_clv
from ladder.clv.score import discounted_horizon, score
from ladder.clv.settings import annual_discount_rate, early_model_settings
from ladder.clv.summary import CustomerSummary, summarise
from ladder.clv.transactions import Transactions
from ladder.demo.load import append_day
from ladder.demo.run import HelpdeskSandbox
from ladder.transform import DBT_PROJECT
from tests.conftest import TOKEN, connect, free_port
from tests.transform.conftest import AS_OF, MARTS, build, extract_into, mart_checksums, seed_rates

CENT = Decimal("0.01")
LOOKBACK_DAYS = yaml.safe_load((DBT_PROJECT / "dbt_project.yml").read_text())["vars"][
    "clv_lookback_days"
]


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


def _completed_orders(warehouse, as_of: date) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """Completed orders before D with their gross margin, computed in pandas straight from
    the source systems (not from raw, not from dbt), and the other source rows before D.

    Only what was recorded before D counts: for an older D, a customer whose profile was
    edited since is not known at D (the source kept only the edit), so neither are their
    orders. That is what a late backfill sees."""
    d = pd.Timestamp(as_of, tz="UTC")
    with connect(warehouse, "shop") as shop:
        known = frame(shop, "select customer_id from customers where updated_at < %s", d)
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

    completed = orders[(orders.status == "completed") & orders.customer_id.isin(known.customer_id)]
    completed = completed.set_index("order_id")
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
    return completed, {"returns": returns, "payments": payments, "contacts": contacts}


def _independent_profit(warehouse) -> pd.DataFrame:
    """Trailing-365-day margin, cost-to-serve and profit per customer, from the source
    systems with the seed's rates."""
    window_start = pd.Timestamp(AS_OF, tz="UTC") - pd.Timedelta(days=365)
    rate = {driver: Decimal(value) for driver, value in seed_rates().items()}
    completed, other = _completed_orders(warehouse, AS_OF)
    returns, payments, contacts = other["returns"], other["payments"], other["contacts"]
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


def _independent_summary(warehouse, as_of: date, until: date | None = None) -> CustomerSummary:
    """The CLV model's input for D, from the source systems through `ladder clv`'s own
    summary code (not dbt's SQL); with `until`, the purchases known at D summarised as
    of that earlier date (the lookback summary)."""
    completed, _ = _completed_orders(warehouse, as_of)
    days = completed.ordered_at.dt.tz_convert("UTC").dt.floor("D")
    epoch = pd.Timestamp("1970-01-01", tz="UTC")
    transactions = Transactions(
        customer_id=completed.customer_id.to_numpy(dtype=object),
        day=((days - epoch).dt.days).to_numpy(dtype="int64"),
        amount=completed.margin.astype(float).to_numpy(),
    )
    return summarise(transactions, until or as_of, "D")


def _stored_fit(conn: psycopg.Connection, as_of: date) -> dict[str, dict]:
    rows = conn.execute(
        "select model, parameters from clv.model_runs where as_of_date = %s and converged"
        " and not used_fallback",
        (as_of,),
    ).fetchall()
    return dict(rows)


def assert_predictions_match(url: str, warehouse, as_of: date) -> int:
    """D's fit and scores in the warehouse are what `ladder clv` computes on the source's
    orders before D; returns the number of buyers scored."""
    summary = _independent_summary(warehouse, as_of)
    fit = fit_clv(summary)
    expected = score(summary, fit.bgnbd.params, fit.gamma_gamma.params, 365, "D",
                     annual_discount_rate())  # fmt: skip
    with psycopg.connect(url) as conn:
        stored = _stored_fit(conn, as_of)
        scored = frame(
            conn,
            "select customer_id, p_alive, expected_purchases_365d, clv_365d,"
            " expected_interpurchase_days, p_alive_lookback"
            " from clv.customer_scores where as_of_date = %s",
            as_of,
        ).set_index("customer_id")
    assert stored["bgnbd"] == pytest.approx(asdict(fit.bgnbd.params), rel=1e-6)
    assert stored["gamma_gamma"] == pytest.approx(asdict(fit.gamma_gamma.params), rel=1e-6)
    assert set(scored.index) == set(summary.customer_id)
    scored = scored.loc[list(summary.customer_id)]
    np.testing.assert_allclose(scored.p_alive, expected.p_alive, rtol=1e-6)
    np.testing.assert_allclose(scored.expected_purchases_365d, expected.expected_purchases,
                               rtol=1e-6)  # fmt: skip
    np.testing.assert_allclose(scored.clv_365d, expected.clv, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(
        scored.expected_interpurchase_days,
        interpurchase_time(fit.bgnbd.params, summary.frequency, summary.T),
        rtol=1e-6,
    )
    # P(alive) as of L, with D's fit, is the model applied to the orders before L.
    then = _independent_summary(warehouse, as_of, as_of - timedelta(days=LOOKBACK_DAYS))
    lookback = scored.p_alive_lookback
    assert set(lookback.dropna().index) == set(then.customer_id)
    np.testing.assert_allclose(
        lookback.loc[list(then.customer_id)],
        p_alive(fit.bgnbd.params, then.frequency, then.recency, then.T),
        rtol=1e-6,
    )
    return summary.size


def test_clv_predictions_are_the_model_fitted_on_the_orders_before_d(built, warehouse) -> None:
    buyers = assert_predictions_match(built.url, warehouse, AS_OF)
    with psycopg.connect(built.url) as conn:
        value = frame(
            conn,
            "select v.customer_id, v.frequency, v.p_alive, v.clv_365d, v.net_clv_365d,"
            " v.expected_cost_per_purchase, s.clv_365d as clv_raw, s.discounted_purchases_365d,"
            " c.service_phone_cost_365d + c.service_email_cost_365d + c.service_chat_cost_365d"
            " + c.service_self_service_cost_365d as service_cost_365d"
            " from marts.customer_value as v"
            " join marts.customer_cost_to_serve as c on c.customer_id = v.customer_id"
            " left join clv.customer_scores as s"
            " on s.customer_id = v.customer_id and s.as_of_date = v.as_of_date",
        )
    assert buyers > 1000
    buying = value[value.frequency.notna()]
    assert len(buying) == buyers and value[value.frequency.isna()].p_alive.isna().all()
    # Net CLV = CLV less the discounted expected cost of the predicted purchases, less
    # the trailing service cost per day over the discounted horizon times P(alive), in cents.
    service_days = buying.p_alive * discounted_horizon(365, "D", annual_discount_rate())
    net = (
        buying.clv_raw
        - buying.expected_cost_per_purchase.astype(float) * buying.discounted_purchases_365d
        - buying.service_cost_365d.astype(float) / 365 * service_days
    )
    np.testing.assert_allclose(buying.net_clv_365d.astype(float), net, atol=0.005 + 1e-9)
    np.testing.assert_allclose(buying.clv_365d.astype(float), buying.clv_raw, atol=0.005 + 1e-9)
    assert (buying.net_clv_365d < buying.clv_365d).mean() > 0.9


def _scores_digest(url: str, as_of: date) -> tuple[int, str]:
    with psycopg.connect(url) as conn:
        return conn.execute(
            "select count(*), md5(string_agg(s::text, ',' order by customer_id))"
            " from clv.customer_scores as s where as_of_date = %s",
            (as_of,),
        ).fetchone()


def test_a_backfill_uses_only_data_before_its_date_and_keeps_other_dates(built, warehouse):
    earlier = AS_OF - timedelta(days=120)
    marts_before = {k: v for k, v in mart_checksums(built.url).items() if k.startswith("marts.")}
    kept = _scores_digest(built.url, AS_OF)
    try:
        # Raw already holds everything up to AS_OF: the backfill must not see it.
        build(built, earlier)
        buyers = assert_predictions_match(built.url, warehouse, earlier)
        assert _scores_digest(built.url, AS_OF) == kept
        assert 0 < buyers < kept[0]
    finally:
        build(built, AS_OF)
    marts_after = {k: v for k, v in mart_checksums(built.url).items() if k.startswith("marts.")}
    assert marts_after == marts_before


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


def test_the_early_model_values_prospects_and_new_customers(built) -> None:
    """score_clv fitted the early model on who was new or a prospect at L = D - 365 and
    their profit since, and stored its predictions for who is so at D; customer_value
    takes them as those customers' value, and net CLV for every other buyer."""
    with psycopg.connect(built.url) as conn:
        features = read_features(conn, AS_OF)
        runs = frame(conn, "select * from clv.early_model_runs where as_of_date = %s", AS_OF)
        stored = frame(
            conn,
            "select customer_id, basis, predicted_profit_365d from clv.early_scores"
            " where as_of_date = %s",
            AS_OF,
        ).set_index("customer_id")
        value = frame(
            conn,
            "select customer_id, net_value_365d, value_source, value_tier, net_clv_365d,"
            " early_value_365d, purchase_days_lifetime from marts.customer_value",
        ).set_index("customer_id")
    _, penalty = early_model_settings()
    assert sorted(runs.basis) == sorted(BASES) and runs.fitted.all()
    for basis in BASES:
        training = basis_rows(features, "training_basis", basis, at_window_start=True)
        targets = basis_rows(features, "basis", basis, at_window_start=False)
        assert len(training) == runs.set_index("basis").training_customers[basis] > 100
        model = fit(training, NUMERIC[basis], CATEGORICAL[basis], penalty)
        ours = stored[stored.basis == basis].loc[targets.customer_id]
        np.testing.assert_allclose(ours.predicted_profit_365d, model.predict(targets), rtol=1e-9)
    prospects = value[value.purchase_days_lifetime == 0]
    assert (prospects.value_source == "early_sign_up").all() and len(prospects) > 100
    early = value[value.value_source.str.startswith("early")]
    assert set(early.index) == set(stored.index)
    assert (early.net_value_365d == early.early_value_365d).all()
    buyers = value[value.value_source == "clv"]
    assert (buyers.net_value_365d == buyers.net_clv_365d).all() and len(buyers) > 1000
    # Tiers by rank over everyone, highest value first.
    tiers = value.sort_values("net_value_365d", ascending=False).value_tier
    assert tiers.iloc[: len(value) // 100].eq("top_1").all() and tiers.iloc[-1] == "rest"
    assert value.value_tier.value_counts()["top_5"] == round(0.05 * len(value)) - round(
        0.01 * len(value)
    )
