"""`python -m benchmarks.promotion`: how to make a night's marts visible only once they
pass validate_marts (DESIGN §8), measured at `--customers` customers.

Two ways are compared on synthetic marts of the real shapes and sizes (customer-grain
tables of `--customers` rows, `fct_orders` of five orders per customer, the history
tables with two versions per customer), made with generate_series in the benchmark
warehouse:

- **swap**: the night is built into a shadow schema; promoting renames `marts` away and
  the shadow to `marts` in one transaction, and drops the old schema afterwards;
- **views**: each night is built into a schema of its own; `marts` holds one view per
  table, and promoting replaces every view to point at the new build.

Timed (median of `--repeat`): the promotion on an idle warehouse, the promotion while a
BI query is reading the marts, how long a new BI query waits meanwhile, BI-style reads
through tables and through views, and copying the history tables into the shadow (what
the swap costs on top of the build).
"""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Callable

import psycopg
from psycopg import sql

from benchmarks import bench_warehouse, parse_args

# name: (rows per customer, select list over generate_series(1, rows) as n)
TABLES: dict[str, tuple[float, str]] = {
    "dim_customers": (
        1,
        """'C' || lpad(n::text, 8, '0') as customer_id, date '2026-01-01' as
        as_of_date, (array['DE','FR','GB','US','NL'])[1 + n % 5] as country,
        (array['search','social','referral','direct'])[1 + n % 4] as acquisition_channel,
        date '2020-01-01' + n % 2000 as first_order_date, date '2025-01-01' + n % 365 as
        last_order_date, n % 2000 as tenure_days, n % 3 > 0 as has_marketing_consent""",
    ),
    "customer_value": (
        1,
        """'C' || lpad(n::text, 8, '0') as customer_id, date '2026-01-01' as
        as_of_date, round((n % 5000)::numeric * 1.37, 2) as lifetime_revenue,
        round((n % 900)::numeric * 1.11, 2) as trailing_revenue, round((n % 300)::numeric *
        0.7, 2) as trailing_gross_margin, n % 12 as order_days, (n % 97) / 10.0 as
        predicted_purchases, (n % 100) / 100.0 as p_alive, round((n % 400)::numeric, 2) as
        predicted_margin, round((n % 700)::numeric * 0.9, 2) as clv_365d,
        round((n % 700)::numeric * 0.9 - 40, 2) as net_clv""",
    ),
    "customer_cost_to_serve": (
        1,
        """'C' || lpad(n::text, 8, '0') as customer_id,
        date '2026-01-01' as as_of_date, round((n % 50)::numeric, 2) as delivery_cost,
        round((n % 20)::numeric, 2) as returns_cost, round((n % 80)::numeric, 2) as
        service_cost, round((n % 9)::numeric, 2) as payment_cost, round((n % 159)::numeric,
        2) as total_cost_to_serve, (n % 100) / 50.0 as cost_to_revenue_ratio""",
    ),
    "customer_profitability": (
        1,
        """'C' || lpad(n::text, 8, '0') as customer_id,
        date '2026-01-01' as as_of_date, round((n % 900)::numeric - 200, 2) as
        trailing_profit, n as profit_rank, 1 + n % 10 as profit_decile, (n % 1000) / 1000.0
        as cumulative_profit_share""",
    ),
    "customer_segments": (
        1,
        """'C' || lpad(n::text, 8, '0') as customer_id, date '2026-01-01' as
        as_of_date, (array['good','bad','ugly','unproven'])[1 + n % 4] as value_segment,
        (array['Prospect','Customer','Client','Supporter','Advocate','Toxic','Terrorist'])
        [1 + n % 7] as ladder_rung, 1 + n % 7 as ladder_level, n % 11 = 0 as is_frustrated,
        n % 13 = 0 as is_at_risk, n % 17 = 0 as is_new_high_potential,
        'trailing profit ' || n % 900 || ', net CLV ' || n % 700 as segment_reason,
        'buys regularly: ' || n % 12 || ' purchase days' as rung_reason""",
    ),
    "treatment_marketing": (
        0.4,
        """'C' || lpad(n::text, 8, '0') as customer_id,
        date '2026-01-01' as as_of_date, (array['WINBACK','GROW_CROSS_SELL','VIP_RECOGNITION'])
        [1 + n % 3] as treatment_code, 'email' as channel, 'ten percent off' as offer,
        'because you shop with us' as reason, n % 10 = 0 as is_holdout""",
    ),
    "treatment_service": (
        1,
        """'C' || lpad(n::text, 8, '0') as customer_id,
        date '2026-01-01' as as_of_date, (array['PRIORITY_SUPPORT','SERVICE_RECOVERY'])
        [1 + n % 2] as treatment_code, (array['standard','priority'])[1 + n % 2] as
        service_tier, 'a factual note for the agent about ' || n as reason""",
    ),
    "fct_orders": (
        5,
        """'O' || lpad(n::text, 9, '0') as order_id, 'C' || lpad((1 + n % {c})::text,
        8, '0') as customer_id, date '2026-01-01' as as_of_date, timestamptz '2024-01-01' +
        (n % 730) * interval '1 day' as ordered_at, 'completed' as status,
        round((n % 300)::numeric + 9.99, 2) as net_revenue, round((n % 150)::numeric, 2) as
        cogs, round((n % 150)::numeric + 9.99, 2) as gross_margin, 0::numeric as refunds,
        n % 7 = 0 as has_discount, n % 50 = 0 as is_returned""",
    ),
    "whale_curve": (
        0,
        """n as percentile, date '2026-01-01' as as_of_date, n / 100.0 as
        customer_share, least(1.6, n / 50.0) as profit_share""",
    ),
    "segment_history": (
        2,
        """'C' || lpad((1 + n % {c})::text, 8, '0') as customer_id,
        (array['good','bad','ugly','unproven'])[1 + n % 4] as value_segment,
        (array['Prospect','Customer','Client'])[1 + n % 3] as ladder_rung, 1 + n % 3 as
        ladder_level, date '2025-01-01' + (n / {c}) * 180 as valid_from, case when n <= {c}
        then date '2025-06-30' end as valid_to, n > {c} as is_current""",
    ),
    "segment_runs": (
        0,
        """date '2025-01-01' + n as as_of_date, 1000000 as customers,
        0.4 as good_share, 0.2 as bad_share, 0.01 as ugly_share, 0.39 as unproven_share,
        0.05 as frustrated_share""",
    ),
}
HISTORY = ("segment_history", "segment_runs")
READS = {
    "segments by value (join, 2 x customers)": """
        select s.value_segment, s.ladder_rung, count(*), sum(v.clv_365d)
        from {schema}.customer_segments as s join {schema}.customer_value as v using (customer_id)
        group by 1, 2""",
    "revenue by month (fct_orders)": """
        select date_trunc('month', ordered_at), sum(net_revenue), sum(gross_margin)
        from {schema}.fct_orders group by 1""",
    "one customer (service desk)": """
        select * from {schema}.customer_segments where customer_id = 'C00500000'""",
}


def create_build(conn: psycopg.Connection, schema: str, customers: int) -> None:
    conn.execute(sql.SQL("drop schema if exists {s} cascade; create schema {s}").format(
        s=sql.Identifier(schema)))  # fmt: skip
    for table, (per_customer, columns) in TABLES.items():
        rows = int(customers * per_customer) or 100
        conn.execute(
            sql.SQL("create table {t} as select {c} from generate_series(1, {n}) as n").format(
                t=sql.Identifier(schema, table),
                c=sql.SQL(columns.format(c=customers)),
                n=sql.Literal(rows),
            )
        )
        conn.execute(sql.SQL("analyze {t}").format(t=sql.Identifier(schema, table)))


def timed(action: Callable[[], object]) -> float:
    began = time.perf_counter()
    action()
    return time.perf_counter() - began


def swap(url: str) -> None:
    """marts_next becomes marts in one transaction; the old one is kept as marts_next for
    the next repeat (dropping it is timed once, separately)."""
    with psycopg.connect(url) as conn:
        conn.execute("alter schema marts rename to marts_previous")
        conn.execute("alter schema marts_next rename to marts")
        conn.execute("grant usage on schema marts to bench_reader")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("alter schema marts_previous rename to marts_next")


def repoint_views(url: str, build: str) -> None:
    with psycopg.connect(url) as conn:
        for table in TABLES:
            conn.execute(
                sql.SQL("create or replace view {v} as select * from {t}").format(
                    v=sql.Identifier("marts_v", table), t=sql.Identifier(build, table)
                )
            )


def while_reading(url: str, schema: str, promote: Callable[[], object]) -> tuple[float, float]:
    """Promote while a BI query (3 s) reads customer_segments; returns how long the
    promotion took and how long a new BI query of dim_customers (a table the promotion
    reaches before customer_segments), started during it, took."""
    reader_started = threading.Event()

    def long_read() -> None:
        with psycopg.connect(url, autocommit=True) as conn:
            reader_started.set()
            conn.execute(f"select pg_sleep(3), count(*) from {schema}.customer_segments")

    reader = threading.Thread(target=long_read)
    reader.start()
    reader_started.wait()
    time.sleep(0.5)
    waited: list[float] = []

    def new_read() -> None:
        time.sleep(0.2)
        with psycopg.connect(url, autocommit=True) as conn:
            waited.append(timed(lambda: conn.execute(
                f"select * from {schema}.dim_customers where customer_id = 'C00000001'"
            ).fetchall()))  # fmt: skip

    newcomer = threading.Thread(target=new_read)
    newcomer.start()
    took = timed(promote)
    newcomer.join()
    reader.join()
    return took, waited[0]


def median(action: Callable[[], object], repeat: int) -> float:
    return statistics.median(timed(action) for _ in range(repeat))


def main() -> None:
    args = parse_args(__doc__)
    server = bench_warehouse(args.port)
    url = server.url("warehouse")
    results: list[tuple[str, float]] = []
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("drop schema if exists marts_v, marts_a, marts_b cascade")
            if not conn.execute("select 1 from pg_roles where rolname = 'bench_reader'").fetchone():
                conn.execute("create role bench_reader nologin")
            for schema in ("marts", "marts_next"):
                began = time.perf_counter()
                create_build(conn, schema, args.customers)
                print(f"built synthetic {schema}: {time.perf_counter() - began:.0f} s", flush=True)

        # Swap: the history tables are copied into the shadow before its build.
        def copy_history() -> None:
            with psycopg.connect(url) as conn:
                for table in HISTORY:
                    target = sql.Identifier("marts_next", table)
                    conn.execute(sql.SQL("drop table if exists {t}").format(t=target))
                    conn.execute(sql.SQL("create table {t} (like {s} including all)").format(
                        t=target, s=sql.Identifier("marts", table)))  # fmt: skip
                    conn.execute(sql.SQL("insert into {t} select * from {s}").format(
                        t=target, s=sql.Identifier("marts", table)))  # fmt: skip

        results.append(("swap: copy history into the shadow", median(copy_history, args.repeat)))
        results.append(("swap: promote (idle)", median(lambda: swap(url), args.repeat)))
        took, waited = while_reading(url, "marts", lambda: swap(url))
        results.append(("swap: promote during a 3 s BI read", took))
        results.append(("swap: a new BI read meanwhile took", waited))

        # Views: the two builds become marts_a and marts_b; marts_v holds the views.
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("alter schema marts rename to marts_a")
            conn.execute("alter schema marts_next rename to marts_b")
            conn.execute("create schema marts_v")
        repoint_views(url, "marts_a")
        builds = iter(["marts_b", "marts_a"] * args.repeat)
        results.append(("views: promote (idle)",
                        median(lambda: repoint_views(url, next(builds)), args.repeat)))  # fmt: skip
        took, waited = while_reading(url, "marts_v", lambda: repoint_views(url, "marts_b"))
        results.append(("views: promote during a 3 s BI read", took))
        results.append(("views: a new BI read meanwhile took", waited))
        # The same tables read directly and through the views, taking turns.
        for name, query in READS.items():
            times: dict[str, list[float]] = {"marts_b": [], "marts_v": []}
            with psycopg.connect(url, autocommit=True) as conn:
                for _ in range(args.repeat):
                    for schema, spent in times.items():
                        q = query.format(schema=schema)
                        spent.append(timed(lambda q=q: conn.execute(q).fetchall()))
            results.append((f"read a table: {name}", statistics.median(times["marts_b"])))
            results.append((f"read a view: {name}", statistics.median(times["marts_v"])))

        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("drop schema marts_v cascade")
            dropped = timed(lambda: conn.execute("drop schema marts_a cascade"))
            results.append(("drop a whole old build (schema cascade)", dropped))
            conn.execute("drop schema marts_b cascade")
    finally:
        server.stop()
    print(f"\n{args.customers:,} customers, median of {args.repeat}:")
    for name, seconds in results:
        print(f"  {name:<55} {seconds * 1000:9.1f} ms")


if __name__ == "__main__":
    main()
