"""The run report's numbers: one query per chart or table, aggregated in the warehouse, so
that nothing per customer reaches Python and the page builds in seconds at a million
customers. Every function returns plain rows (dicts of floats, ints, text)."""

from __future__ import annotations

from datetime import date
from typing import Any

import psycopg
from psycopg.rows import dict_row

from ladder.errors import LadderError

Rows = list[dict[str, Any]]

# The marts the page reads; each is rebuilt for one as-of date at a time.
MARTS = (
    "customer_segments",
    "customer_value",
    "customer_cost_to_serve",
    "whale_curve",
    "segment_transitions",
    "treatment_marketing",
    "treatment_service",
)
CLV_BINS = 40
RECENCY_BIN_DAYS = 30
P_ALIVE_BINS = 20
# Label and column of each activity in marts.customer_cost_to_serve.
ACTIVITIES = (
    ("order handling", "order_handling_cost_365d"),
    ("delivery", "delivery_cost_365d"),
    ("returns", "return_processing_cost_365d"),
    ("service: phone", "service_phone_cost_365d"),
    ("service: email", "service_email_cost_365d"),
    ("service: chat", "service_chat_cost_365d"),
    ("service: self-service", "service_self_service_cost_365d"),
    ("payment failures", "payment_failure_cost_365d"),
    ("chargebacks", "chargeback_cost_365d"),
)


def connect(warehouse_url: str) -> psycopg.Connection:
    return psycopg.connect(warehouse_url, row_factory=dict_row)


def check_marts_built_for(conn: psycopg.Connection, as_of: date) -> None:
    """The page describes one night: every mart it reads must hold D and only D."""
    fix = (
        f"build them for {as_of} first (run ladder_nightly for {as_of}, or "
        f"`ladder extract all --as-of {as_of}` then `ladder transform --as-of {as_of}`)"
    )
    missing = [
        mart
        for mart in MARTS
        if _row(conn, "select to_regclass(%s) is null as missing", (f"marts.{mart}",))["missing"]
    ]
    if missing:
        raise LadderError(f"no marts for {as_of}: {', '.join(missing)} not built yet; {fix}")
    union = " union ".join(f"select as_of_date from marts.{mart}" for mart in MARTS)
    built = [r["as_of_date"] for r in conn.execute(f"{union} order by 1").fetchall()]
    if built != [as_of]:
        held = ", ".join(str(d) for d in built) or "no rows"
        raise LadderError(f"no marts for {as_of}: the marts hold {held}; {fix}")


def whale_curve(conn: psycopg.Connection) -> Rows:
    return _rows(
        conn,
        """
        select
            percentile,
            cumulative_customer_share::float8 as customer_share,
            cumulative_profit_share::float8 as profit_share,
            is_peak
        from marts.whale_curve
        order by percentile
        """,
    )


def ladder(conn: psycopg.Connection) -> Rows:
    return _rows(
        conn,
        """
        select ladder_rung as rung, ladder_level as level, value_segment as segment,
            count(*) as customers
        from marts.customer_segments
        group by 1, 2, 3
        order by level desc, segment
        """,
    )


def movements(conn: psycopg.Connection) -> Rows:
    return _rows(
        conn,
        """
        select direction, to_rung as rung, previous_as_of_date::text as since,
            count(*) as customers
        from marts.segment_transitions
        group by 1, 2, 3
        order by 4 desc
        """,
    )


def clv_histogram(conn: psycopg.Connection) -> Rows:
    """CLV in equal bins up to its 99th percentile; the top 1 % fall in the last bin,
    where they would otherwise stretch the axis into a flat line."""
    return _rows(
        conn,
        """
        with scored as (
            select clv_365d::float8 as clv
            from marts.customer_value
            where clv_365d is not null
        ),

        bounds as (
            select
                min(clv) as low,
                greatest(percentile_cont(0.99) within group (order by clv), min(clv) + 1)
                    as high
            from scored
        ),

        binned as (
            select
                least(width_bucket(scored.clv, bounds.low, bounds.high, %(bins)s), %(bins)s)
                    as bin,
                bounds.low,
                (bounds.high - bounds.low) / %(bins)s as width
            from scored
            cross join bounds
        )

        select
            low + (bin - 1) * width as clv_from,
            low + bin * width as clv_to,
            count(*) as customers
        from binned
        group by bin, low, width
        order by bin
        """,
        {"bins": CLV_BINS},
    )


def p_alive_by_recency(conn: psycopg.Connection) -> Rows:
    """Buyers counted per cell of (days since the last purchase, P(alive)): the scatter
    of a million customers, drawn as the density it really is."""
    return _rows(
        conn,
        """
        with cells as (
            select
                (as_of_date - last_purchase_day) / %(days)s as recency_bin,
                least(floor(p_alive * %(p_bins)s), %(p_bins)s - 1) as p_bin
            from marts.customer_value
            where p_alive is not null
        )

        select
            recency_bin * %(days)s as days_from,
            (recency_bin + 1) * %(days)s as days_to,
            p_bin / %(p_bins)s::float8 as p_from,
            (p_bin + 1) / %(p_bins)s::float8 as p_to,
            count(*) as customers
        from cells
        group by recency_bin, p_bin
        order by recency_bin, p_bin
        """,
        {"days": RECENCY_BIN_DAYS, "p_bins": P_ALIVE_BINS},
    )


def model_runs(conn: psycopg.Connection, as_of: date) -> Rows:
    """Tonight's fit per model, and the parameters that actually scored D (another
    night's, when the fit fell back)."""
    return _rows(
        conn,
        """
        select
            tonight.model,
            tonight.converged,
            tonight.used_fallback,
            tonight.message,
            tonight.parameters_from::text as parameters_from,
            tonight.log_likelihood,
            tonight.customers,
            tonight.fitted_customers,
            coalesce(scoring.parameters, tonight.parameters) as parameters
        from clv.model_runs as tonight
        left join clv.model_runs as scoring
            on tonight.model = scoring.model and tonight.parameters_from = scoring.as_of_date
        where tonight.as_of_date = %s
        order by tonight.model
        """,
        (as_of,),
    )


def cost_to_serve(conn: psycopg.Connection) -> Rows:
    sums = ", ".join(f"sum(costs.{column}) as {column}" for _, column in ACTIVITIES)
    values = ", ".join(f"('{label}', {column})" for label, column in ACTIVITIES)
    return _rows(
        conn,
        f"""
        with per_segment as (
            select segments.value_segment as segment, count(*) as customers, {sums}
            from marts.customer_cost_to_serve as costs
            inner join marts.customer_segments as segments
                on costs.customer_id = segments.customer_id
            group by 1
        )

        select
            per_segment.segment,
            per_segment.customers,
            activity.label as activity,
            activity.cost::float8 as cost,
            (activity.cost / per_segment.customers)::float8 as cost_per_customer
        from per_segment
        cross join lateral (values {values}) as activity (label, cost)
        order by 1, 3
        """,
    )


def treatments(conn: psycopg.Connection) -> Rows:
    return _rows(
        conn,
        """
        select 'marketing' as list, treatment_code as treatment, count(*) as customers
        from marts.treatment_marketing
        group by 1, 2
        union all
        select 'service', treatment_code, count(*)
        from marts.treatment_service
        group by 1, 2
        order by 1, 3 desc, 2
        """,
    )


def outcomes(conn: psycopg.Connection, as_of: date) -> Rows:
    """Per treatment and completed outcome window, the uplift pooled over cohorts (none
    until a window has completed)."""
    if not _exists(conn, "marts.treatment_outcomes_pooled"):
        return []
    return _rows(
        conn,
        """
        select
            treatment_code as treatment, system, window_days, cohorts, n_treated, n_holdout,
            uplift::float8, ci_low::float8, ci_high::float8,
            purchases_uplift::float8, purchases_ci_low::float8, purchases_ci_high::float8,
            is_harmful, window_days || ' days' as window
        from marts.treatment_outcomes_pooled
        where as_of_date = %s
        order by system, treatment_code, window_days
        """,
        (as_of,),
    )


def deliveries(conn: psycopg.Connection, as_of: date) -> Rows:
    """Per destination, the latest real (not dry) delivery of D's list, as
    `ladder publish` reported it."""
    if not _exists(conn, "ops.publish_runs"):
        return []
    return _rows(
        conn,
        """
        select distinct on (destination)
            destination, status, upserts, removals, sent, rejected, batches,
            count(*) over (partition by destination) as runs
        from ops.publish_runs
        where as_of_date = %s and not dry_run
        order by destination, run_id desc
        """,
        (as_of,),
    )


def rejects(conn: psycopg.Connection, as_of: date) -> Rows:
    if not _exists(conn, "ops.publish_rejects"):
        return []
    return _rows(
        conn,
        """
        select destination, reason, count(*) as records
        from ops.publish_rejects
        where as_of_date = %s
        group by 1, 2
        order by 3 desc, 1, 2
        """,
        (as_of,),
    )


def gate_runs(conn: psycopg.Connection, as_of: date) -> Rows:
    if not _exists(conn, "ops.gate_runs"):
        return []
    return _rows(
        conn,
        """
        select distinct on (gate)
            gate, success, evaluated, failures, warnings,
            to_char(finished_at at time zone 'utc', 'YYYY-MM-DD HH24:MI "UTC"') as finished
        from ops.gate_runs
        where as_of_date = %s
        order by gate, run_id desc
        """,
        (as_of,),
    )


def quarantine(conn: psycopg.Connection, as_of: date) -> Rows:
    if not _exists(conn, "ops.quarantine"):
        return []
    return _rows(
        conn,
        """
        select source_table, reason, count(*) as records
        from ops.quarantine
        where as_of_date = %s
        group by 1, 2
        order by 3 desc, 1, 2
        """,
        (as_of,),
    )


def _exists(conn: psycopg.Connection, table: str) -> bool:
    return not _row(conn, "select to_regclass(%s) is null as missing", (table,))["missing"]


def _row(conn: psycopg.Connection, query: str, params: Any = None) -> dict[str, Any]:
    return conn.execute(query, params).fetchone()


def _rows(conn: psycopg.Connection, query: str, params: Any = None) -> Rows:
    return conn.execute(query, params).fetchall()
