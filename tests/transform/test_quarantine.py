"""Staging on a corpus of malformed source rows: each is quarantined with its reason or,
when usable, kept; every raw row is in staging, in quarantine or superseded."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from ladder.demo.run import HelpdeskSandbox
from ladder.demo.schema import HELPDESK_TABLES, SHOP_TABLES
from ladder.transform.stages import TRANSFORM_SELECT, build_stage
from tests.conftest import TOKEN, connect, free_port, new_target
from tests.transform.conftest import AS_OF, extract_into

D = datetime(AS_OF.year, AS_OF.month, AS_OF.day, tzinfo=UTC)
EVENT = D - timedelta(days=30)
FIRST_LOAD, SECOND_LOAD = D - timedelta(days=3), D - timedelta(hours=12)
HUGE = "x" * 1_000_000
STAGING = None  # expected place of a row that is odd but usable

# One usable row per table: each corpus row changes one thing in its table's template.
VALID = {
    "customers": {"customer_id": "C-1", "email": "ann@example.com", "full_name": "Ann",
                  "country": "DE", "acquisition_channel": "organic", "created_at": EVENT},
    "orders": {"order_id": "O-1", "customer_id": "C-1", "ordered_at": EVENT,
               "status": "completed", "shipping_method": "standard", "shipping_charged": 4.95,
               "shipping_cost": 6.5, "discount_amount": 0},
    "order_lines": {"order_id": "O-1", "line_no": 1, "product_id": "P-1", "quantity": 2,
                    "unit_price": 10, "unit_cost": 4},
    "returns": {"return_id": "R-1", "order_id": "O-1", "customer_id": "C-1",
                "returned_at": EVENT + timedelta(days=2), "refund_amount": 5, "reason": "late"},
    "payment_events": {"event_id": "E-1", "order_id": "O-1", "customer_id": "C-1",
                       "occurred_at": EVENT, "kind": "failed", "amount": 20,
                       "fraud_confirmed": False},
    "referrals": {"referral_id": "F-1", "referrer_customer_id": "C-1",
                  "referred_customer_id": "C-2", "referred_at": EVENT},
    "marketing_consent": {"consent_id": "M-1", "customer_id": "C-1", "status": "opted_in",
                          "recorded_at": EVENT},
    "tickets": {"ticket_id": "T-1", "customer_id": "C-1", "created_at": EVENT,
                "channel": "email", "category": "delivery", "status": "solved",
                "is_complaint": False, "satisfaction": 4},
    "interactions": {"interaction_id": "I-1", "ticket_id": "T-1", "customer_id": "C-1",
                     "occurred_at": EVENT, "channel": "email", "agent_id": "A-1",
                     "handle_minutes": 6.5, "abuse_reported": False},
    "surveys": {"survey_id": "S-1", "customer_id": "C-1", "answered_at": EVENT, "nps": 9},
}  # fmt: skip
# O-2 holds the malformed lines: a quarantined line quarantines its whole order.
TEMPLATES = [
    ("customers", {"customer_id": "C-2", "email": "bob@example.com"}),
    ("orders", {"order_id": "O-2"}),
] + [(table, {}) for table in VALID]

# kind: (table, changes to the table's valid row, the reason it is quarantined or STAGING)
CORPUS = {
    "null key": ("orders", {"order_id": None}, "missing key order_id"),
    "empty key": ("orders", {"order_id": ""}, "missing key order_id"),
    "duplicate key, first": ("orders", {"order_id": "O-DUP", "shipping_method": "express"},
                             "duplicate key: several different rows at the same version"),
    "duplicate key, second": ("orders", {"order_id": "O-DUP", "shipping_method": "pickup"},
                              "duplicate key: several different rows at the same version"),
    "unknown customer": ("orders", {"order_id": "O-ORPHAN", "customer_id": "C-NOBODY"},
                         "unknown customer"),
    "event after the as-of date": ("orders", {"order_id": "O-FUTURE",
                                              "ordered_at": D + timedelta(days=30)},
                                   "ordered_at is on or after the as-of date"),
    "absurdly old date": ("orders", {"order_id": "O-1900",
                                     "ordered_at": datetime(1900, 1, 1, tzinfo=UTC)},
                          "ordered_at is before 2000-01-01"),
    "unknown status": ("orders", {"order_id": "O-STATUS", "status": "shipped??"},
                       "status is not completed or cancelled"),
    "negative shipping cost": ("orders", {"order_id": "O-NEGSHIP", "shipping_cost": -1},
                               "shipping_cost is negative"),
    "negative quantity": ("order_lines", {"order_id": "O-2", "line_no": 2, "quantity": -3},
                          "quantity is not a positive number"),
    "not-a-number price": ("order_lines", {"order_id": "O-2", "line_no": 3,
                                           "unit_price": float("nan")},
                           "unrepresentable value: unit_price=NaN"),
    "line of an unknown order": ("order_lines", {"order_id": "O-NONE"}, "unknown order"),
    "line of a quarantined order": ("order_lines", {"order_id": "O-STATUS"}, "unknown order"),
    "negative refund": ("returns", {"return_id": "R-NEG", "refund_amount": -50},
                        "refund_amount is missing or negative"),
    "return filed by another customer": ("returns", {"return_id": "R-OTHER",
                                                     "customer_id": "C-2"},
                                         "customer_id is not the customer of the order"),
    "unknown payment kind": ("payment_events", {"event_id": "E-X", "kind": "refund"},
                             "kind is not failed or chargeback"),
    "referral of an unknown customer": ("referrals", {"referral_id": "F-X",
                                                      "referred_customer_id": "C-NOBODY"},
                                        "unknown referred customer"),
    "unknown consent status": ("marketing_consent", {"consent_id": "M-X", "status": "maybe"},
                               "status is not opted_in or opted_out"),
    "customer created after D": ("customers", {"customer_id": "C-LATER",
                                               "created_at": D + timedelta(days=1)},
                                 "created_at is on or after the as-of date"),
    "missing cursor value": ("customers", {"customer_id": "C-NOCURSOR", "updated_at": None},
                             "updated_at is missing: the current version cannot be told"),
    "broken encoding": ("customers", {"customer_id": "C-MOJIBAKE",
                                      "full_name": "JosÃ© MÃ¼ller \ufffd"}, STAGING),
    "control characters": ("customers", {"customer_id": "C-CTRL", "email": "a\x01b\tc@x"},
                           STAGING),
    "huge string": ("customers", {"customer_id": "C-HUGE", "full_name": HUGE}, STAGING),
    "satisfaction out of range": ("tickets", {"ticket_id": "T-9", "satisfaction": 9},
                                  "satisfaction is outside 1-5"),
    "ticket without customer": ("tickets", {"ticket_id": "T-NOBODY", "customer_id": None},
                                "unknown customer"),
    "unknown contact channel": ("tickets", {"ticket_id": "T-FAX", "channel": "fax"},
                                "channel is not phone, email, chat or self_service"),
    "huge text": ("tickets", {"ticket_id": "T-HUGE", "category": HUGE}, STAGING),
    "negative handle minutes": ("interactions", {"interaction_id": "I-NEG",
                                                 "handle_minutes": -5},
                                "handle_minutes is negative"),
    "NPS out of range": ("surveys", {"survey_id": "S-11", "nps": 11},
                         "nps is missing or outside 0-10"),
}  # fmt: skip

KEYS = {table.name: table.primary_key for table in (*SHOP_TABLES, *HELPDESK_TABLES)}
SOURCE = {table.name: "shop" for table in SHOP_TABLES} | {
    table.name: "helpdesk" for table in HELPDESK_TABLES
}


def _insert(conn: psycopg.Connection, table: str, row: dict) -> None:
    columns = ", ".join(row)
    marks = ", ".join(["%s"] * len(row))
    conn.execute(f"insert into {table} ({columns}) values ({marks})", list(row.values()))


def _identity(table: str, changes: dict) -> dict:
    """What tells a corpus row apart in its raw JSON: its key values and text changes."""
    row = {**VALID[table], **changes}
    found = {key: row[key] for key in KEYS[table]}
    found |= {k: v for k, v in changes.items() if isinstance(v, str) and len(v) < 1000}
    return found


@pytest.fixture(scope="module")
def corpus_built(warehouse, tmp_path_factory):
    databases = {name: f"src_{name}_{uuid.uuid4().hex[:8]}" for name in ("shop", "helpdesk")}
    for name, tables in (("shop", SHOP_TABLES), ("helpdesk", HELPDESK_TABLES)):
        warehouse.ensure_database(databases[name])
        with connect(warehouse, databases[name]) as conn:
            for table in tables:
                conn.execute(table.create_sql("public"))  # no constraints: anything goes
    for table, changes in TEMPLATES:
        with connect(warehouse, databases[SOURCE[table]]) as conn:
            _insert(conn, table, {**VALID[table], "updated_at": FIRST_LOAD, **changes})
    for table, changes, _ in CORPUS.values():
        with connect(warehouse, databases[SOURCE[table]]) as conn:
            _insert(conn, table, {**VALID[table], "updated_at": FIRST_LOAD, **changes})

    target = new_target(warehouse, tmp_path_factory.mktemp("dlt"))
    port = free_port()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AIRFLOW_CONN_LADDER_SALES_DB", warehouse.url(databases["shop"]))
        with HelpdeskSandbox(port, ("--database", databases["helpdesk"])):
            helpdesk = f"http://:{TOKEN}@127.0.0.1:{port}"
            extract_into(target, (FIRST_LOAD + timedelta(days=1)).date(), helpdesk)
            # The next load: a new version of C-2, and schema drift that brings a
            # quantity of another type.
            with connect(warehouse, databases["shop"]) as conn:
                conn.execute("update customers set country = 'FR', updated_at = %s "
                             "where customer_id = 'C-2'", (SECOND_LOAD,))  # fmt: skip
                conn.execute("alter table order_lines alter column quantity type text")
                drifted = {"order_id": "O-2", "line_no": 4, "quantity": "three",
                           "updated_at": SECOND_LOAD}  # fmt: skip
                _insert(conn, "order_lines", {**VALID["order_lines"], **drifted})
            extract_into(target, AS_OF, helpdesk)
    # Staging and quarantine are the transform stage; a corpus this small has no
    # repeat buyer for the CLV fit, so the later stages are not run.
    build_stage(TRANSFORM_SELECT, AS_OF, warehouse_url=target.url, capture=True)
    return target


def test_each_malformed_row_is_quarantined_with_its_reason(corpus_built) -> None:
    placed = {}
    with psycopg.connect(corpus_built.url) as conn:
        for kind, (table, changes, _) in CORPUS.items():
            identity = json.dumps(_identity(table, changes))
            quarantined = conn.execute(
                "select reason from ops.quarantine where source_table = %s and raw_row @> %s",
                (f"{SOURCE[table]}.{table}", identity),
            ).fetchall()
            keys = KEYS[table]
            matches = " and ".join(f"{key} = %s" for key in keys)
            kept = conn.execute(
                f"select count(*) from staging.stg_{SOURCE[table]}__{table} where {matches}",
                [_identity(table, changes)[key] for key in keys],
            ).fetchone()[0]
            placed[kind] = ([r for (r,) in quarantined], kept)
    print("\nkind -> quarantine reasons, rows kept in staging")
    for kind, where in placed.items():
        print(f"  {kind:<34} {where}")
    expected = {
        kind: (([reason], 0) if reason else ([], 1)) for kind, (_, _, reason) in CORPUS.items()
    }
    assert placed == expected


def test_a_value_of_another_type_and_a_superseded_version(corpus_built) -> None:
    with psycopg.connect(corpus_built.url) as conn:
        assert conn.execute(
            "select reason from ops.quarantine where source_table = 'shop.order_lines' "
            "and raw_row ->> 'line_no' = '4'"
        ).fetchall() == [("quantity has a value of another type: three",)]
        assert conn.execute(
            "select country from staging.stg_shop__customers where customer_id = 'C-2'"
        ).fetchall() == [("FR",)]
        assert conn.execute(
            "select count(*) from staging.base_shop__customers "
            "where customer_id = 'C-2' and _superseded"
        ).fetchone() == (1,)


def test_every_raw_row_is_in_staging_in_quarantine_or_superseded(corpus_built) -> None:
    balance = {}
    with psycopg.connect(corpus_built.url) as conn:
        for table, source in SOURCE.items():
            raw = conn.execute(f"select count(*) from raw.{source}_{table}").fetchone()[0]
            kept = conn.execute(f"select count(*) from staging.stg_{source}__{table}").fetchone()
            quarantined = conn.execute(
                "select count(*) from ops.quarantine where source_table = %s",
                (f"{source}.{table}",),
            ).fetchone()
            superseded = conn.execute(
                f"select count(*) from staging.base_{source}__{table} where _superseded"
            ).fetchone()
            balance[table] = (raw, kept[0] + quarantined[0] + superseded[0])
    print("\ntable -> raw rows, staging + quarantined + superseded", balance)
    assert all(raw == accounted for raw, accounted in balance.values())
    assert sum(raw for raw, _ in balance.values()) == len(TEMPLATES) + len(CORPUS) + 2
