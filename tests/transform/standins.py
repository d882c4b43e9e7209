"""Stand-ins for the models upstream of the segments and the treatment lists: a random
customer mix written as tables in place of customer_value, the signals, cost-to-serve,
profitability, consent, the delivery history and the daily heavy-use counts, so dbt
builds dim_customers, customer_segments and both lists from inputs the test controls.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
import pandas as pd
import psycopg

from ladder.transform.stages import INDIRECT_SELECTION
from ladder.warehouse.migrations import migrate
from tests.conftest import dbt_build

D = date(2026, 1, 1)
MIDNIGHT = datetime(2026, 1, 1, tzinfo=UTC)
SELECT = ["segment_thresholds", "treatment_rules", "treatment_catalogue", "contact_policy",
          "service_tiers", "value_tiers",
          "cost_drivers", "stg_ops__marketing_suppression", "dim_customers",
          "customer_segments", "treatment_marketing", "treatment_service"]  # fmt: skip
# That test recomputes consent from raw, which these stand-ins replace: it runs where raw
# is real (tests/publish/test_consent*.py).
EXCLUDE = ["--exclude", "marketing_lists_only_consented_customers"]


def random_mix(rng: np.random.Generator, n: int) -> dict[str, pd.DataFrame]:
    ids = [f"C{i:05d}" for i in range(n)]
    bought = rng.random(n) < 0.8
    created = [MIDNIGHT - timedelta(days=int(d)) for d in rng.integers(1, 900, n)]
    first_day = [
        (MIDNIGHT - timedelta(days=int(d))).date() if b else None
        for d, b in zip(rng.integers(1, 800, n), bought, strict=True)
    ]
    purchase_days = np.where(bought, rng.integers(0, 8, n), 0)
    orders = purchase_days + rng.integers(0, 3, n) * (purchase_days > 0)
    customers = pd.DataFrame({
        "customer_id": ids, "email": [f"{i}@example.com" for i in ids], "full_name": ids,
        "country": "DE", "acquisition_channel": "organic", "created_at": created,
        "updated_at": created,
    })  # fmt: skip
    purchases = pd.DataFrame({
        "customer_id": ids, "first_order_at": created, "last_order_at": created,
        "orders_lifetime": orders + 1, "purchase_days": purchase_days + 1,
    })[bought]  # fmt: skip
    p_alive = rng.random(n)
    value = pd.DataFrame({
        "customer_id": ids,
        "frequency": np.where(bought, purchase_days, None),
        "first_purchase_day": first_day,
        "purchase_days_365d": purchase_days,
        "p_alive": np.where(bought, p_alive, None),
        "p_alive_lookback": np.where(bought, np.minimum(1, p_alive + rng.random(n) / 2), None),
        "days_since_last_purchase": np.where(bought, rng.integers(1, 700, n), None),
        "expected_interpurchase_days": np.where(bought, rng.gamma(2, 60, n), None),
        "recency_days": np.where(bought, rng.integers(0, 500, n), None),
        "net_value_365d": np.round(rng.normal(10, 60, n), 2),
        "value_tier": rng.choice(["top_1", "top_10", "top_25", "top_50", "rest"], n),
        "value_tier_lookback": np.where(
            bought, rng.choice(["top_1", "top_10", "top_25", "top_50", "rest"], n), None
        ),
    })  # fmt: skip
    revenue = np.where(bought, np.round(rng.gamma(1, 200, n), 2), 0)
    cost = np.round(rng.gamma(1, 120, n), 2)
    cost_to_serve = pd.DataFrame({
        "customer_id": ids, "net_revenue_365d": revenue, "cost_to_serve_365d": cost,
        "completed_orders_365d": orders,
    })  # fmt: skip
    profitability = pd.DataFrame(
        {"customer_id": ids, "profit_365d": np.round(rng.normal(0, 50, n), 2)}
    )
    reports = rng.choice([0, 0, 0, 1, 2, 3], n)
    latest_nps = np.where(rng.random(n) < 0.6, rng.integers(0, 11, n), None)
    signals = pd.DataFrame({
        "customer_id": ids,
        "abuse_reports": reports,
        "abuse_reporting_agents": np.minimum(reports, rng.integers(1, 3, n)),
        "fraud_chargebacks": (rng.random(n) < 0.03).astype(int),
        "recent_complaints": (complaints := rng.choice([0, 0, 0, 0, 1, 5], n)),
        "recent_low_satisfaction": (low := rng.choice([0, 0, 0, 1], n)),
        "has_recent_detractor_score": [v is not None and v <= 6 and r < 0.5
                                       for v, r in zip(latest_nps, rng.random(n), strict=True)],
        "has_recent_positive_score": [v is not None and v >= 7 and r < 0.5
                                      for v, r in zip(latest_nps, rng.random(n), strict=True)],
        "non_complaint_contacts_365d": rng.integers(0, 16, n),
        "customer_fault_returns_365d": rng.binomial(orders, 0.3),
        "shop_fault_returns_365d": rng.binomial(orders, 0.05),
        "complaints_365d": complaints + rng.choice([0, 0, 0, 1], n),
        "low_satisfaction_365d": low + rng.choice([0, 0, 0, 1], n),
        "has_detractor_score_365d": rng.random(n) < 0.1,
        "product_questions_365d": rng.choice([0, 0, 0, 2], n),
        "latest_nps": latest_nps,
        "referred_buyers": rng.choice([0, 0, 0, 1], n),
    })  # fmt: skip
    # Half received an outreach 15 to 120 days ago; their heavy use went on at a steady
    # rate, or fell.
    outreach = rng.random(n) < 0.5
    since = rng.integers(15, 120, n)
    history = pd.DataFrame({
        "customer_id": ids, "system": "service", "treatment_code": "SELF_SERVICE_GUIDANCE",
        "valid_from": [D - timedelta(days=int(d)) for d in since], "valid_to": None,
        "is_current": True,
    })[outreach]  # fmt: skip
    daily = [
        (customer, D - timedelta(days=int(day)), 1, int(rng.integers(0, 2)))
        for customer, did, steady in zip(ids, outreach, rng.random(n) < 0.7, strict=True)
        if did
        for day in rng.choice(np.arange(1, 400), 12 if steady else 4, replace=False)
    ]
    heavy_use = pd.DataFrame(
        daily, columns=["customer_id", "activity_day", "customer_fault_returns",
                        "ordinary_contacts"],
    )  # fmt: skip
    return {
        "staging.stg_shop__customers": customers,
        "staging.stg_shop__marketing_consent": random_consent(rng, ids),
        "intermediate.int_customer_purchases_summarised": purchases,
        "intermediate.int_customer_signals_summarised": signals,
        "marts.customer_value": value,
        "marts.customer_cost_to_serve": cost_to_serve,
        "marts.customer_profitability": profitability,
        "marts.treatment_history": history,
        "intermediate.int_customer_heavy_use_daily": heavy_use,
    }


def random_consent(rng: np.random.Generator, ids: list[str]) -> pd.DataFrame:
    """0-4 consent records per customer; a fifth of them on the same instant as the one
    before (told apart by updated_at, or only by the id)."""
    rows = []
    for customer in ids:
        at = MIDNIGHT - timedelta(days=int(rng.integers(1, 700)))
        for _ in range(int(rng.integers(0, 5))):
            if rng.random() > 0.2:
                at = at + timedelta(minutes=int(rng.integers(1, 100_000)))
                at = min(at, MIDNIGHT - timedelta(seconds=1))
            updated = at + timedelta(seconds=int(rng.choice([0, 0, 5])))
            status = "opted_in" if rng.random() < 0.5 else "opted_out"
            rows.append((f"K{len(rows):06d}", customer, status, at, updated))
    return pd.DataFrame(
        rows, columns=["consent_id", "customer_id", "consent_status", "recorded_at", "updated_at"]
    )


def no_unreadable_consent_nor_suppression(url: str) -> None:
    """The other inputs of dim_customers' consent: no unreadable record, an empty list."""
    migrate(url)
    with psycopg.connect(url) as conn:
        conn.execute(
            "create table staging.stg_shop__marketing_consent_unreadable (consent_id varchar,"
            " customer_id varchar, status varchar, reject_reason varchar,"
            " counts_from timestamptz, updated_at timestamptz, _ladder_row_hash varchar)"
        )


def write(url: str, tables: dict[str, pd.DataFrame]) -> None:
    with psycopg.connect(url) as conn:
        for name, table in tables.items():
            schema = name.split(".")[0]
            conn.execute(f"create schema if not exists {schema}")
            columns = ", ".join(f"{c} {sql_type(table[c])}" for c in table.columns)
            conn.execute(f"create table {name} ({columns})")
            with conn.cursor().copy(f"copy {name} from stdin") as copy:
                for row in table.itertuples(index=False):
                    copy.write_row([None if pd.isna(v) else v for v in row])


def sql_type(column: pd.Series) -> str:
    sample = column.dropna()
    value = sample.iloc[0] if len(sample) else None
    if column.name.endswith("_id") or isinstance(value, str):
        return "varchar"
    if isinstance(value, (bool, np.bool_)):
        return "boolean"
    if column.name.startswith("valid_"):
        return "date"
    if isinstance(value, datetime):
        return "timestamptz"
    if isinstance(value, date):
        return "date"
    if column.name.startswith(("p_alive", "expected_interpurchase")):
        return "double precision"
    if isinstance(value, (float, np.floating)):
        return "numeric"
    return "bigint"


def build(url: str, tables: dict[str, pd.DataFrame]) -> None:
    """Write the stand-ins and build the segments and lists from them, with their tests
    (not those of the payload models downstream, which are not built here)."""
    write(url, tables)
    no_unreadable_consent_nor_suppression(url)
    dbt_build(url, D, ["build", "--select", *SELECT, *EXCLUDE, "--indirect-selection",
                       INDIRECT_SELECTION])  # fmt: skip
