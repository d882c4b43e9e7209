"""Single customers far above the rest (validate_marts): no customer's trailing revenue,
gross margin, cost-to-serve or CLV may exceed a multiple of a high percentile of all
customers'. Margin is there for refunds, which net revenue leaves out.

One absurd row (a price typed in cents, a refund of a million) that slips past staging
becomes one customer's figure; summed into a night it can hide in a large company, but
against the 99th percentile it stands out at once. Absolute values, so a customer driven
far below zero (refunds) counts as much as one far above.
"""

from __future__ import annotations

import logging

import psycopg
from psycopg import sql

from ladder.quality import limits
from ladder.quality.metrics import Figure

log = logging.getLogger(__name__)

# (mart, column): the per-customer figures watched.
MEASURES = (
    ("customer_value", "net_revenue_365d"),
    ("customer_profitability", "gross_margin_365d"),
    ("customer_cost_to_serve", "cost_to_serve_365d"),
    ("customer_value", "clv_365d"),
)


def outliers(conn: psycopg.Connection, schema: str = "marts") -> list[Figure]:
    """Per measure: the largest customer as a multiple of the percentile."""
    bounds = limits.outliers()
    result = []
    for mart, column in MEASURES:
        query = sql.SQL(
            """
            with figures as (
                select customer_id, abs({column}) as size, {column} as value from {mart}
            ),
            high as (
                select percentile_cont(%(percentile)s) within group (order by size) as mark
                from figures
            )
            select figures.customer_id, figures.value, figures.size, high.mark
            from figures cross join high
            order by figures.size desc nulls last, figures.customer_id
            limit 1
            """
        ).format(column=sql.Identifier(column), mart=sql.Identifier(schema, mart))
        row = conn.execute(query, {"percentile": bounds.percentile}).fetchone()
        metric = f"outlier:{column}"
        if row is None or row[2] is None or not row[3]:
            # No customers, or the percentile is 0: nothing to be a multiple of.
            result.append(Figure("outlier", metric, 0.0, "percentile", bounds.multiple))
            continue
        customer, value, size, mark = row[0], float(row[1]), float(row[2]), float(row[3])
        multiple = size / mark
        problem = None
        if multiple > bounds.multiple:
            # The failure travels (alerts, ops.gate_runs): it says how far, not who. The
            # customer is for the operator, in the task log.
            problem = (
                f"{schema}.{mart}.{column}: a customer at {value:,.2f} is"
                f" {multiple:,.0f} x the p{bounds.percentile * 100:g} of {mark:,.2f};"
                f" limit {bounds.multiple:g} x (the task log names them)"
            )
            log.warning("%s.%s.%s: the customer far above the rest is %s", schema, mart,
                        column, customer)  # fmt: skip
        result.append(
            Figure("outlier", metric, multiple, "percentile", bounds.multiple, multiple, problem)
        )
    return result
