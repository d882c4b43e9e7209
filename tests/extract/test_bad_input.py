"""A corpus of malformed source rows: where each one ends up. Nothing may vanish.

The sources here have no constraints (a real sales database may lack them), so rows
can carry null or duplicate keys. Raw must hold every row as the source sent it;
staging later decides what is usable and quarantines the rest.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from ladder.demo.run import HelpdeskSandbox
from ladder.demo.schema import HELPDESK_TABLES, SHOP_TABLES
from ladder.extract.helpdesk import extract_helpdesk
from ladder.extract.sales import extract_sales
from tests.conftest import DEMO, TOKEN, free_port

AS_OF = DEMO["end"]
D = datetime(AS_OF.year, AS_OF.month, AS_OF.day, tzinfo=UTC)
BEFORE = D - timedelta(days=1)
HUGE = "x" * 1_000_000

# kind: (source table, values by column, raw table, how to find it in raw)
SALES_CORPUS = {
    "null key": ("orders", {"order_id": None, "customer_id": "C-1", "status": "completed"},
                 "shop_orders", "order_id is null"),
    "empty key": ("orders", {"order_id": "", "customer_id": "C-1", "status": "completed"},
                  "shop_orders", "order_id = ''"),
    "duplicate key, first": ("orders", {"order_id": "O-DUP", "customer_id": "C-1",
                                        "status": "completed"},
                             "shop_orders", "order_id = 'O-DUP' and customer_id = 'C-1'"),
    "duplicate key, second": ("orders", {"order_id": "O-DUP", "customer_id": "C-2",
                                         "status": "completed"},
                              "shop_orders", "order_id = 'O-DUP' and customer_id = 'C-2'"),
    "unknown customer": ("orders", {"order_id": "O-ORPHAN", "customer_id": "C-NOBODY",
                                    "status": "completed"},
                         "shop_orders", "customer_id = 'C-NOBODY'"),
    "event after the as-of date": ("orders", {"order_id": "O-FUTURE", "customer_id": "C-1",
                                              "status": "completed",
                                              "ordered_at": D + timedelta(days=30)},
                                   "shop_orders", "order_id = 'O-FUTURE'"),
    "absurdly old date": ("orders", {"order_id": "O-1900", "customer_id": "C-1",
                                     "status": "completed",
                                     "ordered_at": datetime(1900, 1, 1, tzinfo=UTC)},
                          "shop_orders", "ordered_at < '1901-01-01'"),
    "unknown status": ("orders", {"order_id": "O-STATUS", "customer_id": "C-1",
                                  "status": "shipped??"},
                       "shop_orders", "status = 'shipped??'"),
    "negative quantity": ("order_lines", {"order_id": "O-1", "line_no": 1, "product_id": "P",
                                          "quantity": -3, "unit_price": 10, "unit_cost": 5},
                          "shop_order_lines", "quantity = -3"),
    "not-a-number price": ("order_lines", {"order_id": "O-1", "line_no": 2, "product_id": "P",
                                           "quantity": 1, "unit_price": float("nan"),
                                           "unit_cost": 5},
                           "shop_order_lines",
                           "unit_price is null and _ladder_unrepresentable = 'unit_price=NaN'"),
    "negative refund": ("returns", {"return_id": "R-NEG", "order_id": "O-1",
                                    "customer_id": "C-1", "refund_amount": -50},
                        "shop_returns", "refund_amount = -50"),
    "broken encoding": ("customers", {"customer_id": "C-MOJIBAKE",
                                      "full_name": "JosÃ© MÃ¼ller \ufffd\ufffd"},
                        "shop_customers", "full_name = 'JosÃ© MÃ¼ller \ufffd\ufffd'"),
    "control characters": ("customers", {"customer_id": "C-CTRL", "email": "a\x01b\tc@x"},
                           "shop_customers", "email = E'a\\001b\\tc@x'"),
    "huge string": ("customers", {"customer_id": "C-HUGE", "full_name": HUGE},
                    "shop_customers", "length(full_name) = 1000000"),
    "missing cursor value": ("customers", {"customer_id": "C-NOCURSOR", "updated_at": None},
                             "shop_customers", "customer_id = 'C-NOCURSOR'"),
}  # fmt: skip

HELPDESK_CORPUS = {
    "satisfaction out of range": ("tickets", {"ticket_id": "T-9", "satisfaction": 9},
                                  "helpdesk_tickets", "satisfaction = 9"),
    "ticket without customer": ("tickets", {"ticket_id": "T-NOBODY", "customer_id": None},
                                "helpdesk_tickets", "ticket_id = 'T-NOBODY'"),
    "duplicate ticket id, first": ("tickets", {"ticket_id": "T-DUP", "category": "one"},
                                   "helpdesk_tickets", "ticket_id = 'T-DUP' and category = 'one'"),
    "duplicate ticket id, second": ("tickets", {"ticket_id": "T-DUP", "category": "two"},
                                    "helpdesk_tickets",
                                    "ticket_id = 'T-DUP' and category = 'two'"),
    "negative handle minutes": ("interactions", {"interaction_id": "I-NEG", "handle_minutes": -5},
                                "helpdesk_interactions", "handle_minutes = -5"),
    "NPS out of range": ("surveys", {"survey_id": "S-11", "nps": 11},
                         "helpdesk_surveys", "nps = 11"),
    "huge text": ("tickets", {"ticket_id": "T-HUGE", "category": HUGE},
                  "helpdesk_tickets", "length(category) = 1000000"),
}  # fmt: skip


def _create_source(warehouse, tables, corpus) -> str:
    database = f"src_{uuid.uuid4().hex[:10]}"
    warehouse.ensure_database(database)
    with psycopg.connect(warehouse.url(database), autocommit=True) as conn:
        for table in tables:
            conn.execute(table.create_sql("public"))  # no primary key: anything goes
        for table, values, _, _ in corpus.values():
            row = {"updated_at": BEFORE, **values}
            columns = ", ".join(row)
            marks = ", ".join(["%s"] * len(row))
            conn.execute(f"insert into {table} ({columns}) values ({marks})", list(row.values()))
    return database


def _assert_each_row_once(url: str, corpus) -> dict[str, int]:
    """Print where each malformed row landed, and check each is there exactly once."""
    found = _where_each_row_is(url, corpus)
    print("\nkind -> raw table, rows found")
    for kind, count in found.items():
        print(f"  {kind:<28} {corpus[kind][2]:<22} {count}")
    assert found == dict.fromkeys(corpus, 1)
    return found


def _where_each_row_is(url: str, corpus) -> dict[str, int]:
    with psycopg.connect(url) as conn:
        return {
            kind: conn.execute(f"select count(*) from raw.{raw_table} where {where}").fetchone()[0]
            for kind, (_, _, raw_table, where) in corpus.items()
        }


def test_every_malformed_sales_row_lands_in_raw(warehouse, raw_target, monkeypatch) -> None:
    source = _create_source(warehouse, SHOP_TABLES, SALES_CORPUS)
    monkeypatch.setenv("AIRFLOW_CONN_LADDER_SALES_DB", warehouse.url(source))
    extract_sales(AS_OF)
    found = _assert_each_row_once(raw_target.url, SALES_CORPUS)
    # A rerun finds the row without a cursor value again, and adds no second copy.
    assert sum(extract_sales(AS_OF).landed.values()) == 0
    assert _where_each_row_is(raw_target.url, SALES_CORPUS) == found


def test_an_update_after_the_as_of_date_waits_for_a_later_run(
    warehouse, raw_target, monkeypatch
) -> None:
    late = {"order_id": "O-LATER", "updated_at": D + timedelta(days=5)}
    corpus = {"late update": ("orders", late, "shop_orders", "order_id = 'O-LATER'")}
    source = _create_source(warehouse, SHOP_TABLES, corpus)
    monkeypatch.setenv("AIRFLOW_CONN_LADDER_SALES_DB", warehouse.url(source))
    extract_sales(AS_OF)
    with psycopg.connect(raw_target.url) as conn:
        tables = conn.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = 'raw' and table_name = 'shop_orders'"
        )
        exists = tables.fetchone()[0]
    assert not exists or _where_each_row_is(raw_target.url, corpus) == {"late update": 0}
    extract_sales(AS_OF + timedelta(days=6))
    assert _where_each_row_is(raw_target.url, corpus) == {"late update": 1}


def test_schema_drift_does_not_break_the_run_and_is_reported(
    warehouse, raw_target, monkeypatch
) -> None:
    source = _create_source(warehouse, SHOP_TABLES, {})
    monkeypatch.setenv("AIRFLOW_CONN_LADDER_SALES_DB", warehouse.url(source))
    with psycopg.connect(warehouse.url(source), autocommit=True) as conn:
        conn.execute("insert into order_lines (order_id, line_no, quantity, updated_at) "
                     "values ('O-1', 1, 2, %s)", (BEFORE - timedelta(days=2),))  # fmt: skip
        conn.execute("insert into orders (order_id, updated_at) values ('O-1', %s)",
                     (BEFORE - timedelta(days=2),))  # fmt: skip
    first = extract_sales(AS_OF - timedelta(days=1))
    assert first.schema_changes == []
    with psycopg.connect(warehouse.url(source), autocommit=True) as conn:
        # A widened type carrying a value of the wrong type, and a new column.
        conn.execute("alter table order_lines alter column quantity type text")
        conn.execute("insert into order_lines (order_id, line_no, quantity, updated_at) "
                     "values ('O-1', 2, 'three', %s)", (BEFORE,))  # fmt: skip
        conn.execute("alter table orders add column coupon_code text")
        conn.execute("insert into orders (order_id, coupon_code, updated_at) "
                     "values ('O-2', 'WELCOME10', %s)", (BEFORE,))  # fmt: skip
    second = extract_sales(AS_OF)
    assert second.landed["shop_order_lines"] == 1 and second.landed["shop_orders"] == 1
    changes = " ".join(second.schema_changes)
    assert "raw.shop_orders.coupon_code (new column" in changes
    assert "raw.shop_order_lines.quantity__v_text (values of another type" in changes
    with psycopg.connect(raw_target.url) as conn:
        assert conn.execute(
            "select quantity, quantity__v_text from raw.shop_order_lines order by line_no"
        ).fetchall() == [(2, None), (None, "three")]
        assert conn.execute(
            "select coupon_code from raw.shop_orders where order_id = 'O-2'"
        ).fetchone() == ("WELCOME10",)


@pytest.fixture()
def corpus_helpdesk(warehouse, monkeypatch):
    source = _create_source(warehouse, HELPDESK_TABLES, HELPDESK_CORPUS)
    port = free_port()
    with HelpdeskSandbox(port, ("--database", source)):
        monkeypatch.setenv("AIRFLOW_CONN_LADDER_HELPDESK", f"http://:{TOKEN}@127.0.0.1:{port}")
        yield


def test_every_malformed_helpdesk_row_lands_in_raw(raw_target, corpus_helpdesk) -> None:
    extract_helpdesk(AS_OF)
    _assert_each_row_once(raw_target.url, HELPDESK_CORPUS)
