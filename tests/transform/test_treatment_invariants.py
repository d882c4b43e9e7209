"""The two rules that hold everywhere (DESIGN §6), as properties over random customers:

- no customer without marketing consent at D is in a marketing list, except the
  suppression list;
- nobody gets a service tier below standard for being unprofitable (only Terrorists go
  to `review`).

Each example writes a random customer mix and random consent histories (ties on the
same instant included) into a database of its own, in place of the upstream models, and
lets dbt build dim_customers, the segments and both lists from them, with the project's
own tests. The properties are then checked here from the random inputs, not from the
lists' own columns.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pandas as pd
import psycopg
import pytest

from ladder.transform import run_dbt
from ladder.transform.stages import INDIRECT_SELECTION
from ladder.warehouse.migrations import migrate

D = date(2026, 1, 1)
MIDNIGHT = datetime(2026, 1, 1, tzinfo=UTC)
SELECT = ["segment_thresholds", "treatment_rules", "treatment_catalogue", "contact_policy",
          "stg_ops__marketing_suppression", "stg_ops__publish_deliveries",
          "treatment_history", "dim_customers", "customer_segments", "treatment_marketing",
          "treatment_service"]  # fmt: skip
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
    value = pd.DataFrame({
        "customer_id": ids,
        "frequency": np.where(bought, purchase_days, None),
        "first_purchase_day": first_day,
        "purchase_days_365d": purchase_days,
        "gross_margin_lifetime": np.round(rng.normal(200, 300, n), 2),
        "p_alive": np.where(bought, rng.random(n), None),
        "clv_365d": np.where(bought, np.round(rng.gamma(1, 80, n), 2), None),
        "net_clv_365d": np.where(bought, np.round(rng.normal(10, 60, n), 2), None),
    })  # fmt: skip
    revenue = np.where(bought, np.round(rng.gamma(1, 200, n), 2), 0)
    cost = np.round(rng.gamma(1, 60, n), 2)
    cost_to_serve = pd.DataFrame({
        "customer_id": ids, "net_revenue_365d": revenue, "cost_to_serve_365d": cost,
        "completed_orders_365d": orders, "returns_365d": rng.binomial(orders, 0.3),
    })  # fmt: skip
    profitability = pd.DataFrame(
        {"customer_id": ids, "profit_365d": np.round(rng.normal(0, 50, n), 2)}
    )
    reports = rng.choice([0, 0, 0, 1, 2, 3], n)
    signals = pd.DataFrame({
        "customer_id": ids,
        "abuse_reports": reports,
        "abuse_reporting_agents": np.minimum(reports, rng.integers(1, 3, n)),
        "fraud_chargebacks": (rng.random(n) < 0.03).astype(int),
        "recent_complaints": rng.choice([0, 0, 1, 5], n),
        "recent_low_satisfaction": rng.choice([0, 0, 1], n),
        "non_complaint_contacts_365d": rng.integers(0, 12, n),
        "latest_nps": np.where(rng.random(n) < 0.6, rng.integers(0, 11, n), None),
        "latest_nps_at": created,
        "referred_buyers": rng.choice([0, 0, 0, 1], n),
    })  # fmt: skip
    return {
        "staging.stg_shop__customers": customers,
        "staging.stg_shop__marketing_consent": random_consent(rng, ids),
        "intermediate.int_customer_purchases_summarised": purchases,
        "intermediate.int_customer_signals_summarised": signals,
        "marts.customer_value": value,
        "marts.customer_cost_to_serve": cost_to_serve,
        "marts.customer_profitability": profitability,
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
    if isinstance(value, datetime):
        return "timestamptz"
    if isinstance(value, date):
        return "date"
    if column.name in ("p_alive",):
        return "double precision"
    if isinstance(value, (float, np.floating)):
        return "numeric"
    return "bigint"


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_lists_respect_consent_and_never_serve_anyone_worse_for_being_unprofitable(
    warehouse, seed: int
) -> None:
    database = f"inv_{uuid.uuid4().hex[:10]}"
    warehouse.ensure_database(database)
    url = warehouse.url(database)
    tables = random_mix(np.random.default_rng(seed), 600)
    write(url, tables)
    no_unreadable_consent_nor_suppression(url)

    # The tests the nightly would run with these models (not those of the payload models
    # downstream, which are not built here).
    run_dbt(["build", "--select", *SELECT, *EXCLUDE, "--indirect-selection",
             INDIRECT_SELECTION], D,
            warehouse_url=url, capture=True)  # fmt: skip

    history = tables["staging.stg_shop__marketing_consent"].sort_values(
        ["recorded_at", "updated_at", "consent_id"]
    )
    consented = set(
        history.groupby("customer_id").tail(1).query("consent_status == 'opted_in'").customer_id
    )
    with psycopg.connect(url) as conn:
        marketing = conn.execute(
            "select customer_id, treatment_code from marts.treatment_marketing"
        ).fetchall()
        service = conn.execute(
            "select g.customer_id, s.service_tier, g.ladder_rung, g.value_segment"
            " from marts.customer_segments as g"
            " left join marts.treatment_service as s on s.customer_id = g.customer_id"
        ).fetchall()
        terrorists = {
            row[0]
            for row in conn.execute(
                "select customer_id from marts.customer_segments where ladder_rung = 'Terrorist'"
            )
        }
    listed = dict(marketing)
    # The mix is varied enough to exercise both sides of each rule.
    assert 0 < len(consented) < 600 and len(terrorists) > 5
    assert {c for c, code in listed.items() if code != "SUPPRESS_PROMOTIONS"} <= consented
    assert {c for c, code in listed.items() if code != "SUPPRESS_PROMOTIONS"}
    # The suppression list reaches every Terrorist, consented or not.
    assert {c for c, code in listed.items() if code == "SUPPRESS_PROMOTIONS"} == terrorists
    unprofitable = [row for row in service if row[3] == "bad" or row[2] == "Toxic"]
    assert unprofitable
    assert all(tier in (None, "standard", "priority") for _, tier, _, _ in unprofitable)
    assert all(
        tier in (None, "standard", "priority") for c, tier, _, _ in service if c not in terrorists
    )
