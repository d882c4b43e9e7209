"""The guard every `score_clv` reader shares: a table dbt built for one as-of date."""

from __future__ import annotations

from datetime import date

import psycopg

from ladder.errors import LadderError


def require_built_for(conn: psycopg.Connection, table: str, as_of: date) -> None:
    """Refuse `table` when it is missing or was built for another date than `as_of`."""
    try:
        built_for = conn.execute(f"select distinct as_of_date from {table}").fetchall()
    except psycopg.errors.UndefinedTable:
        raise LadderError(
            f"{table} does not exist: build the transform stage first "
            f"(`ladder transform --as-of {as_of}`)"
        ) from None
    if built_for and built_for != [(as_of,)]:
        dates = ", ".join(str(row[0]) for row in built_for)
        raise LadderError(
            f"{table} was built for {dates}, not for {as_of}: build the transform stage "
            f"for {as_of} first (`ladder transform --as-of {as_of}`)"
        )
