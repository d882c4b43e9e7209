"""Rows added to the demo's source systems by hand, with ids of their own shape.

A user tries the product with rows of their own (issue 19: `cust-x`, `ORD-weird`).
Appending a day must leave them as they are and generate exactly the day it would have
generated without them.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import date

from ladder.demo.load import append_day, create_demo_company
from ladder.demo.schema import HELPDESK_TABLES, SHOP_TABLES
from tests.conftest import connect

COMPANY = {"customers": 800, "seed": 11, "start": date(2024, 1, 1), "end": date(2024, 9, 1)}
DAY = COMPANY["end"]
TS = "2024-08-30 12:00:00+00"

# A customer the day's profile edit would pick were it one of the generator's: found in SQL
# with the hash that edit uses, so the test does not depend on luck.
EDITED_CUSTOMER = (
    "select 'cust-x-' || n from generate_series(1, 100000) n "
    "where abs(hashtext('cust-x-' || n || %s)) %% 500 = 0 limit 1"
)

FOREIGN = {
    "shop": [
        ("customers", ["cust-x", "x@example.com", "X", "DE", "web", TS, TS]),
        ("customers", ["{edited}", "e@example.com", "E", "DE", "web", TS, TS]),
        ("customers", ["C12x", "c@example.com", "C", "FR", "web", TS, TS]),
        ("customers", ["C99999999999999999999999", "n@example.com", "N", "FR", "web", TS, TS]),
        # a completed recent order of one of the generator's customers: no late return for it
        ("orders", ["ORD-weird", "C000000001", TS, "completed", "standard", 5, 4, 0, TS]),
        ("orders", ["", "cust-x", TS, "completed", "standard", 5, 4, 0, TS]),
        ("order_lines", ["ORD-weird", 1, "P-1", 100000, 9999999999.99, 1, TS]),
        ("order_lines", ["", 1, "P-1", 1, 10, 5, TS]),
        ("returns", ["ret-1", "ORD-weird", "C000000001", TS, 1, "damaged", TS]),
        ("payment_events", ["pay 7", "ORD-weird", "C000000001", TS, "charge", 5, False, TS]),
        ("referrals", ["REF/9", "cust-x", "C000000001", TS, TS]),
        ("marketing_consent", ["consent-x", "cust-x", "OPTED_OUT", TS, TS]),
    ],
    "helpdesk": [
        # an open ticket old enough for the day's settling of open tickets
        ("tickets", ["TKT-1", "cust-x", "2024-08-01 00:00:00+00", "2024-08-01 00:00:00+00",
                     "email", "delivery", "open", False, None]),
        ("interactions", ["int-x", "TKT-1", "cust-x", TS, TS, "email", "agent-x", 3, False]),
        ("surveys", ["survey-x", "cust-x", TS, TS, 2]),
    ],
}  # fmt: skip

TABLES = {"shop": SHOP_TABLES, "helpdesk": HELPDESK_TABLES}
OWN_ID = "{key} ~ '^[A-Z][0-9]{{9}}$'"


def _rows(warehouse, own: bool) -> dict[str, list[tuple]]:
    """Every table's rows, the generator's own (own) or the others, in a stable order."""
    rows = {}
    for database, tables in TABLES.items():
        with connect(warehouse, database) as conn:
            for table in tables:
                condition = OWN_ID.format(key=table.column_names[0])
                if not own:
                    condition = f"not ({condition})"
                rows[table.name] = conn.execute(
                    f"select * from {table.name} where {condition} order by 1, 2"
                ).fetchall()
    return rows


def _add_foreign_rows(warehouse) -> None:
    for database, rows in FOREIGN.items():
        with connect(warehouse, database) as conn:
            edited = conn.execute(EDITED_CUSTOMER, (DAY.isoformat(),)).fetchone()[0]
            for table, values in rows:
                values = [edited if v == "{edited}" else v for v in values]
                marks = ", ".join(["%s"] * len(values))
                conn.execute(f"insert into {table} values ({marks})", values)


def test_append_day_leaves_foreign_rows_alone_and_adds_the_same_day(warehouse) -> None:
    create_demo_company(**COMPANY)
    append_day(DAY)
    without_them = _rows(warehouse, own=True)

    create_demo_company(**COMPANY)
    _add_foreign_rows(warehouse)
    foreign = _rows(warehouse, own=False)
    assert sum(map(len, foreign.values())) == sum(map(len, FOREIGN.values()))
    result = subprocess.run(
        [sys.executable, "-m", "ladder.cli", "demo-data", "--append-day", DAY.isoformat()],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert f"appended {DAY}" in result.stdout
    assert _rows(warehouse, own=False) == foreign
    assert _rows(warehouse, own=True) == without_them
