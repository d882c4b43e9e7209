"""The night's headline figures (validate_marts): what a person reading the run report
would notice at once. Revenue, gross margin, cost-to-serve and CLV summed over customers
(trailing 365 days, as the demo prints them: ladder.transform.headline), the size of each
treatment list, and the rows quarantined per source table, each against the previous
nights (ladder.quality.anomalies).
"""

from __future__ import annotations

from datetime import date

import psycopg
from psycopg import sql

from ladder.errors import LadderError
from ladder.quality import limits
from ladder.quality.anomalies import Point, judge
from ladder.quality.metrics import Figure

# metric -> (what it is, for the failure message; the Totals field it reads)
AMOUNTS = {
    "revenue_365d": ("net revenue, 365 days (marts.customer_value)", "revenue"),
    "gross_margin_365d": ("gross margin, 365 days (marts.customer_profitability)", "margin"),
    "cost_to_serve_365d": ("cost-to-serve, 365 days (marts.customer_profitability)",
                           "cost_to_serve"),
    "clv_365d": ("predicted CLV, 365 days (marts.customer_value)", "clv"),
}  # fmt: skip
LISTS = ("treatment_marketing", "treatment_service")


def figures(
    conn: psycopg.Connection,
    as_of: date,
    history: dict[str, list[Point]],
    source_tables: list[str],
    later_reason: str,
    schema: str = "marts",
) -> list[Figure]:
    """D's figures from the build in `schema`, judged against `history` (metrics.training).
    `source_tables` are the quarantine's source tables (shop.orders, ...); rows quarantined
    with `later_reason` (recorded on or after D) are not bad, and do not count."""
    from ladder.transform.headline import totals

    value = totals(conn, schema)
    if value.as_of not in (as_of, None):
        raise LadderError(
            f"validate_marts --as-of {as_of}: {schema}.customer_value holds the night"
            f" {value.as_of}; build {as_of} first (ladder transform --as-of {as_of})"
        )
    observed: list[tuple[str, str, float, bool]] = [
        (metric, label, float(getattr(value, field)), False)
        for metric, (label, field) in AMOUNTS.items()
    ]
    for name in LISTS:
        (size,) = conn.execute(
            sql.SQL("select count(*) from {}").format(sql.Identifier(schema, name))
        ).fetchone()
        observed.append((f"list:{name}", f"customers on {schema}.{name}", size, True))
    quarantined = dict(
        conn.execute(
            "select source_table, count(*) from ops.quarantine where reason <> %s group by 1",
            (later_reason,),
        ).fetchall()
    )
    for table in source_tables:
        observed.append((f"quarantined:{table}", f"rows of {table} in ops.quarantine",
                         quarantined.get(table, 0), True))  # fmt: skip
    result = []
    for metric, label, number, count in observed:
        verdict = judge(number, history.get(metric, []), limits.figure_limits(count),
                        unit="rows" if count else "")  # fmt: skip
        shown = f"{number:,.0f}" if count else f"{number:,.2f}"
        result.append(Figure.judged(
            "headline", metric, number, verdict,
            f"{label}: {shown} on {as_of}, {verdict.explanation}",
        ))  # fmt: skip
    return result
