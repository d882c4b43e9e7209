"""Plausibility bounds (DESIGN §5.4) on the demo company with implausible rows planted
in copies of its two source systems: each planted row lands in raw, then in
ops.quarantine with its exact reason, and never in a mart's revenue or a ladder rung.
The demo's own rows trip no bound."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from ladder.demo.run import HelpdeskSandbox
from ladder.transform.stages import build_warehouse
from tests.conftest import TOKEN, connect, dbt_session, ensure_demo_company, free_port, new_target
from tests.transform.conftest import AS_OF, extract_into

D = datetime(AS_OF.year, AS_OF.month, AS_OF.day, tzinfo=UTC)
CREATED = D - timedelta(days=200)  # every planted customer's created_at
BOUGHT = D - timedelta(days=30)
STAGING = None  # expected place of a planted row that is plausible


def utc(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def customer(customer_id: str, email: str) -> dict:
    return {"customer_id": customer_id, "email": email, "full_name": customer_id,
            "country": "DE", "acquisition_channel": "social", "created_at": CREATED}  # fmt: skip


def order(order_id: str, customer_id: str = "C-PL-1", **changes) -> dict:
    return {"order_id": order_id, "customer_id": customer_id, "ordered_at": BOUGHT,
            "status": "completed", "shipping_method": "standard", "shipping_charged": 4.95,
            "shipping_cost": 6.5, "discount_amount": 0, **changes}  # fmt: skip


def line(order_id: str, line_no: int = 1, **changes) -> dict:
    return {"order_id": order_id, "line_no": line_no, "product_id": "SKU1000", "quantity": 2,
            "unit_price": 10, "unit_cost": 4, **changes}  # fmt: skip


def refund(return_id: str, order_id: str, amount: float, days_after: int) -> dict:
    return {"return_id": return_id, "order_id": order_id, "customer_id": "C-PL-1",
            "returned_at": BOUGHT + timedelta(days=days_after), "refund_amount": amount,
            "reason": "damaged"}  # fmt: skip


def payment(event_id: str, order_id: str, kind: str, amount: float, occurred_at=BOUGHT) -> dict:
    return {"event_id": event_id, "order_id": order_id, "customer_id": "C-PL-1",
            "occurred_at": occurred_at, "kind": kind, "amount": amount,
            "fraud_confirmed": False}  # fmt: skip


def referral(referral_id: str, referrer: str, referred: str, referred_at=BOUGHT) -> dict:
    return {"referral_id": referral_id, "referrer_customer_id": referrer,
            "referred_customer_id": referred, "referred_at": referred_at}  # fmt: skip


# Customers and orders the planted rows hang on; all plausible. Every order has a line of
# 2 x 10.00 and charges 24.95 with shipping. Anna and her `+promo` second account, Dan,
# and Ben with Carl whom he really referred, each bought once, a month before D.
SETTING = [
    ("customers", customer("C-PL-1", "pl1@example.com")),
    ("customers", customer("C-PL-ANNA", "anna@x.com")),
    ("customers", customer("C-PL-ANNA2", "Anna+promo@X.com")),
    ("customers", customer("C-PL-DAN", "dan@x.com")),
    ("customers", customer("C-PL-BEN", "ben@x.com")),
    ("customers", customer("C-PL-CARL", "carl@x.com")),
    *[("orders", order(f"O-PL-{name}", f"C-PL-{name}")) for name in
      ("ANNA", "ANNA2", "DAN", "BEN", "CARL")],
    *[("order_lines", line(f"O-PL-{name}")) for name in ("ANNA", "ANNA2", "DAN", "BEN", "CARL")],
    *[("orders", order(f"O-PL-{name}")) for name in ("R1", "R2", "CB", "OK")],
    *[("order_lines", line(f"O-PL-{name}")) for name in ("R1", "R2", "CB", "OK")],
    ("tickets", {"ticket_id": "T-PL-1", "customer_id": "C-PL-1", "created_at": BOUGHT,
                 "channel": "phone", "category": "delivery", "status": "solved",
                 "is_complaint": False, "satisfaction": 4}),
]  # fmt: skip

PRICE = "unit_price 9999999999.99 is above the limit 100000 (plausibility_bounds.unit_price_max)"
CHARGED = "24.95 (1 times what the order charged; plausibility_bounds.{})"
EARLY = ("{} {} is more than 24 hours before {} was created, at {} "
         "(plausibility_bounds.customer_event_tolerance_hours)")  # fmt: skip

# kind: (table, planted row, its reason in ops.quarantine or STAGING)
CORPUS = {
    "absurd line": ("order_lines", line("O-PL-PRICE", unit_price=9999999999.99,
                                        quantity=100000), PRICE),
    "its order": ("orders", order("O-PL-PRICE"), f"line 1 is quarantined: {PRICE}"),
    "a sane line of that order": ("order_lines", line("O-PL-PRICE", 2), "unknown order"),
    "huge quantity": ("order_lines", line("O-PL-QTY", quantity=5000),
                      "quantity 5000 is above the limit 1000 (plausibility_bounds.quantity_max)"),
    "order of the huge quantity": ("orders", order("O-PL-QTY"), "line 1 is quarantined: "
                                   "quantity 5000 is above the limit 1000 "
                                   "(plausibility_bounds.quantity_max)"),
    "huge unit cost": ("order_lines", line("O-PL-COST", unit_cost=250000),
                       "unit_cost 250000 is above the limit 100000 "
                       "(plausibility_bounds.unit_cost_max)"),
    "discount above the basket": ("orders", order("O-PL-DISC", discount_amount=999999.99),
                                  "discount_amount 999999.99 is above the limit 20 (1 times the "
                                  "basket; plausibility_bounds.discount_share_of_basket_max)"),
    "basket of that discount": ("order_lines", line("O-PL-DISC"), "unknown order"),
    "huge shipping charge": ("orders", order("O-PL-SHIPC", shipping_charged=5000),
                             "shipping_charged 5000 is above the limit 1000 "
                             "(plausibility_bounds.shipping_charged_max)"),
    "huge shipping cost": ("orders", order("O-PL-SHIPK", shipping_cost=12000.5),
                           "shipping_cost 12000.5 is above the limit 1000 "
                           "(plausibility_bounds.shipping_cost_max)"),
    "order before the customer": ("orders", order("O-PL-EARLY",
                                                  ordered_at=CREATED - timedelta(days=10)),
                                  EARLY.format("ordered_at", utc(CREATED - timedelta(days=10)),
                                               "the customer", utc(CREATED))),
    "order a few hours before the customer": ("orders", order(
        "O-PL-SKEW", status="cancelled", ordered_at=CREATED - timedelta(hours=3)), STAGING),
    "refund of 50,000 on a small order": ("returns", refund("R-PL-BIG", "O-PL-R1", 50000, 3),
                                          "refund_amount 50000 brings the order's refunds to "
                                          "50000, above the limit "
                                          + CHARGED.format("refunds_share_of_charged_max")),
    "first partial refund": ("returns", refund("R-PL-P1", "O-PL-R2", 15, 3), STAGING),
    "second partial refund over the order": ("returns", refund("R-PL-P2", "O-PL-R2", 15, 5),
                                             "refund_amount 15 brings the order's refunds to "
                                             "30, above the limit "
                                             + CHARGED.format("refunds_share_of_charged_max")),
    "chargeback above the order": ("payment_events", payment("E-PL-CB", "O-PL-CB",
                                                             "chargeback", 5000),
                                   "amount 5000 is above the limit "
                                   + CHARGED.format("chargeback_share_of_charged_max")),
    "chargeback of the whole order": ("payment_events", payment("E-PL-CB2", "O-PL-CB",
                                                                "chargeback", 24.95), STAGING),
    "chargeback of an unknown order": ("payment_events", payment("E-PL-CBX", "O-PL-NONE",
                                                                 "chargeback", 10),
                                       "chargeback of an unknown order"),
    "failed payment before the customer": ("payment_events", payment(
        "E-PL-EARLY", "O-PL-OK", "failed", 24.95, CREATED - timedelta(days=2)),
        EARLY.format("occurred_at", utc(CREATED - timedelta(days=2)), "the customer",
                     utc(CREATED))),
    "100,000-minute call": ("interactions", {
        "interaction_id": "I-PL-LONG", "ticket_id": "T-PL-1", "customer_id": "C-PL-1",
        "occurred_at": BOUGHT, "channel": "phone", "agent_id": "A001",
        "handle_minutes": 100000, "abuse_reported": False},
        "handle_minutes 100000 is above the limit 480 (plausibility_bounds.handle_minutes_max)"),
    "ticket before the customer": ("tickets", {
        "ticket_id": "T-PL-EARLY", "customer_id": "C-PL-1",
        "created_at": CREATED - timedelta(days=3), "channel": "email", "category": "billing",
        "status": "solved", "is_complaint": False, "satisfaction": None},
        EARLY.format("created_at", utc(CREATED - timedelta(days=3)), "the customer",
                     utc(CREATED))),
    "survey before the customer": ("surveys", {
        "survey_id": "S-PL-EARLY", "customer_id": "C-PL-1",
        "answered_at": CREATED - timedelta(days=5), "nps": 3},
        EARLY.format("answered_at", utc(CREATED - timedelta(days=5)), "the customer",
                     utc(CREATED))),
    "self-referral": ("referrals", referral("F-PL-SELF", "C-PL-DAN", "C-PL-DAN"),
                      "referrer_customer_id is the referred customer: a self-referral"),
    "self-referral by e-mail": ("referrals", referral("F-PL-ANNA", "C-PL-ANNA", "C-PL-ANNA2"),
                                "referrer C-PL-ANNA and referred C-PL-ANNA2 share one e-mail "
                                "address once normalised: a self-referral "
                                "(plausibility_bounds.self_referral_by_email)"),
    "referral before the referrer": ("referrals", referral(
        "F-PL-EARLY", "C-PL-1", "C-PL-DAN", CREATED - timedelta(days=5)),
        EARLY.format("referred_at", utc(CREATED - timedelta(days=5)), "the referrer",
                     utc(CREATED))),
    "a real referral": ("referrals", referral("F-PL-BEN", "C-PL-BEN", "C-PL-CARL"), STAGING),
}  # fmt: skip

SOURCE = {"tickets": "helpdesk", "interactions": "helpdesk", "surveys": "helpdesk"}
KEYS = {"customers": ["customer_id"], "orders": ["order_id"], "order_lines": ["order_id",
        "line_no"], "returns": ["return_id"], "payment_events": ["event_id"],
        "referrals": ["referral_id"], "tickets": ["ticket_id"],
        "interactions": ["interaction_id"], "surveys": ["survey_id"]}  # fmt: skip
IMPLAUSIBLE_ORDERS = ["O-PL-PRICE", "O-PL-QTY", "O-PL-COST", "O-PL-DISC", "O-PL-SHIPC",
                      "O-PL-SHIPK", "O-PL-EARLY"]  # fmt: skip


def source_of(table: str) -> str:
    return SOURCE.get(table, "shop")


def key_of(table: str, row: dict) -> str:
    return "|".join(str(row[key]) for key in KEYS[table])


def _insert(conn: psycopg.Connection, table: str, row: dict) -> None:
    # A row is recorded when it happened (or at its customer's creation), before D.
    moment = next((v for k, v in row.items() if k.endswith("_at")), BOUGHT)
    row = {**row, "updated_at": max(moment, CREATED)}
    columns = ", ".join(row)
    marks = ", ".join(["%s"] * len(row))
    conn.execute(f"insert into {table} ({columns}) values ({marks})", list(row.values()))


@pytest.fixture(scope="module")
def planted(warehouse, tmp_path_factory):
    """Copies of the demo's shop and helpdesk with the setting and the corpus added,
    extracted and built for D (transform, CLV, marts)."""
    ensure_demo_company(warehouse)
    copies = {name: f"plaus_{name}_{uuid.uuid4().hex[:8]}" for name in ("shop", "helpdesk")}
    with connect(warehouse, "postgres") as admin:
        for name, copy in copies.items():
            admin.execute(f"create database {copy} template {name}")
    for table, row in SETTING + [(table, row) for table, row, _ in CORPUS.values()]:
        with connect(warehouse, copies[source_of(table)]) as conn:
            _insert(conn, table, row)

    target = new_target(warehouse, tmp_path_factory.mktemp("dlt"))
    port = free_port()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AIRFLOW_CONN_LADDER_SALES_DB", warehouse.url(copies["shop"]))
        with HelpdeskSandbox(port, ("--database", copies["helpdesk"])):
            extract_into(target, AS_OF, f"http://:{TOKEN}@127.0.0.1:{port}")
    build_warehouse(AS_OF, warehouse_url=target.url, capture=True,
                    session=dbt_session(target.url))  # fmt: skip
    return target


def test_each_planted_row_is_in_raw_then_quarantined_with_its_reason(planted) -> None:
    placed = {}
    with psycopg.connect(planted.url) as conn:
        for kind, (table, row, _) in CORPUS.items():
            source = source_of(table)
            identity = json.dumps({key: row[key] for key in KEYS[table]})
            in_raw = conn.execute(
                f"select count(*) from raw.{source}_{table} as r where to_jsonb(r) @> %s",
                (identity,),
            ).fetchone()[0]
            reasons = conn.execute(
                "select reason from ops.quarantine where source_table = %s and source_key = %s",
                (f"{source}.{table}", key_of(table, row)),
            ).fetchall()
            matches = " and ".join(f"{key} = %s" for key in KEYS[table])
            kept = conn.execute(
                f"select count(*) from staging.stg_{source}__{table} where {matches}",
                [row[key] for key in KEYS[table]],
            ).fetchone()[0]
            placed[kind] = (in_raw, [reason for (reason,) in reasons], kept)
    print("\nkind -> rows in raw, quarantine reasons, rows kept in staging")
    for kind, where in placed.items():
        print(f"  {kind:<40} {where}")
    expected = {
        kind: (1, [reason], 0) if reason else (1, [], 1) for kind, (_, _, reason) in CORPUS.items()
    }
    assert placed == expected


def test_the_demo_company_trips_no_bound(planted) -> None:
    planted_keys = {
        (f"{source_of(table)}.{table}", key_of(table, row)) for table, row, _ in CORPUS.values()
    }
    with psycopg.connect(planted.url) as conn:
        quarantined = set(conn.execute("select source_table, source_key from ops.quarantine"))
    assert quarantined - planted_keys == set()


def test_implausible_orders_count_nowhere(planted) -> None:
    with psycopg.connect(planted.url) as conn:
        in_marts = conn.execute(
            "select order_id from marts.fct_orders where order_id = any(%s)",
            (IMPLAUSIBLE_ORDERS,),
        ).fetchall()
        # C-PL-1 keeps its four plausible orders of 20.00 (cost 8.00), less the refund that
        # fit.
        revenue, margin = conn.execute(
            "select net_revenue_lifetime, gross_margin_lifetime from marts.customer_value "
            "where customer_id = 'C-PL-1'"
        ).fetchone()
        kept_orders = conn.execute(
            "select count(*) from marts.fct_orders where customer_id = 'C-PL-1' and is_completed"
        ).fetchone()[0]
        top_revenue = conn.execute(
            "select max(net_revenue_lifetime) from marts.customer_value"
        ).fetchone()[0]
        minutes, chargebacks = conn.execute(
            "select agent_minutes_365d, chargebacks_365d from marts.customer_cost_to_serve "
            "where customer_id = 'C-PL-1'"
        ).fetchone()
    assert in_marts == []
    assert (kept_orders, revenue) == (4, 80)
    assert margin == 4 * (20 - 8) - 15
    assert top_revenue < 100_000
    # The 100,000-minute call is its only interaction; the chargeback within the order stays.
    assert (minutes, chargebacks) == (0, 1)


def test_a_self_referrer_is_no_advocate(planted) -> None:
    with psycopg.connect(planted.url) as conn:
        rungs = dict(
            conn.execute(
                "select customer_id, ladder_rung from marts.customer_segments "
                "where customer_id in ('C-PL-ANNA', 'C-PL-DAN', 'C-PL-BEN')"
            ).fetchall()
        )
    # Ben really referred Carl, who bought: the same single purchase makes him an Advocate.
    assert rungs == {"C-PL-ANNA": "Customer", "C-PL-DAN": "Customer", "C-PL-BEN": "Advocate"}
