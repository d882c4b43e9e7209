"""Source freshness (validate_raw): each raw table's newest row before D, against D.

A source that stopped sending (a broken connection, an export job that died, a run
months after the data) still passes every check on what raw holds; only the age of its
newest row tells. The night sees rows updated before D only, so a backfill of an old D
is judged by what existed then.
"""

from __future__ import annotations

from datetime import date

import psycopg
from psycopg import sql

from ladder.quality import limits
from ladder.quality.metrics import Figure


def freshness(conn: psycopg.Connection, as_of: date, table: str) -> Figure:
    """`table` is the raw table's name (shop_orders); the figure is the age in days."""
    limit = limits.freshness_days(table)
    (newest,) = conn.execute(
        sql.SQL("select max(updated_at) from raw.{} where updated_at < %s").format(
            sql.Identifier(table)
        ),
        (as_of,),
    ).fetchone()
    if newest is None:
        return Figure(
            "freshness", f"freshness:raw.{table}", float("inf"), "limit", limit, None,
            f"raw.{table}: no row updated before {as_of}; limit {limit} days",
        )  # fmt: skip
    age = (as_of - newest.date()).days
    problem = None
    if age > limit:
        problem = (
            f"raw.{table}: newest row {newest.date()}, {age} days before {as_of};"
            f" limit {limit} days"
        )
    return Figure("freshness", f"freshness:raw.{table}", age, "limit", limit, None, problem)
