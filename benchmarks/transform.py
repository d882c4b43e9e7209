"""`make bench-transform`: the dbt build on the 1,000,000-customer demo company.

On a benchmark warehouse of its own, with raw holding the demo company (seed 42,
2024-01-01 to 2025-12-31) extracted as of D = 2026-01-01 (prepared once, reused while it
still matches, never counted), each of `--repeat` rounds times:
- `dbt build` (seeds, models and tests, as the nightly DAG runs it): wall clock, and
  per node the execution_time from run_results.json;
- `dbt run` (models only), to show what the tests cost;
- the lower bound: ONE hand-written statement computing, straight from raw, what the
  whole build is for: per customer, lifetime and trailing-365-day gross margin and the
  trailing-365-day cost-to-serve, by the models' rules (latest version per key: the
  greatest (updated_at, _dlt_load_id) among rows with updated_at < D; completed orders
  only; net revenue = sum(quantity * unit_price) - discount; margin = net revenue -
  COGS - refunds of returns before D; cost per driver at the rates of
  seeds/cost_drivers.csv, each activity's trailing cost rounded to cents and those
  added up; trailing window [D - 365 days, D)).
Figures are medians of the rounds. The goal: the whole build within 3x the lower bound.
Before the rounds, the transform stage and `score_clv` run once (timed, not counted), so
the CLV scores the marts read exist for D.

The lower bound skips the quarantine rules that never fire on clean demo data: missing
keys or updated_at, two different rows at one version, values of another type, unknown
customers/orders, a return's customer differing from its order's, invalid statuses,
channels, kinds or negative amounts, implausibly old timestamps. It keeps the rules that
decide what counts (versions before D, completed orders, returns of completed orders,
events before D). Its result is checked against marts.customer_profitability.

dbt runs on a snapshot of dbt_project/ taken at start (others may edit the project
during a long run) with its own target and log paths under .ladder/bench/, so neither
dbt_project/target nor another engineer's dbt run is touched.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import statistics
import subprocess
import time
from collections import defaultdict
from datetime import date

import psycopg

from benchmarks import bench_warehouse, extract_into_raw, parse_args, use_bench_sources
from ladder.config import PROJECT_ROOT
from ladder.demo.schema import HELPDESK_TABLES, SHOP_TABLES
from ladder.demo.truth import TUNING_SEED
from ladder.warehouse.embedded import EmbeddedWarehouse

START, END = date(2024, 1, 1), date(2025, 12, 31)
AS_OF = date(2026, 1, 1)  # D: the first day after the demo company's history
SEED = TUNING_SEED  # the benchmarks time the company the rules are tuned on
TRAILING_DAYS = 365
GOAL = 3.0
TOLERANCE = 0.005
WORK = PROJECT_ROOT / ".ladder" / "bench" / "transform"
PROJECT_SNAPSHOT = WORK / "dbt_project"
TARGET = WORK / "target"
LOGS = WORK / "logs"


# -- preparation (not timed) -------------------------------------------------------------


def _source_counts(server: EmbeddedWarehouse) -> dict[str, int]:
    counts = {}
    for database, tables in (("shop", SHOP_TABLES), ("helpdesk", HELPDESK_TABLES)):
        with psycopg.connect(server.url(database)) as conn:
            for table in tables:
                query = f"select count(*) from public.{table.name}"
                counts[f"{database}_{table.name}"] = conn.execute(query).fetchone()[0]
    return counts


def demo_generation(server: EmbeddedWarehouse) -> tuple | None:
    """(seed, customers, start, end, covered_until) of the demo company there, if any."""
    try:
        with psycopg.connect(server.url("shop")) as conn:
            return conn.execute(
                "select seed, customers, start_date, end_date, covered_until "
                "from demo_truth.generation"
            ).fetchone()
    except psycopg.Error:
        return None


def _prepared(server: EmbeddedWarehouse, customers: int, seed: int) -> tuple[bool, str]:
    """Whether raw already holds exactly this demo company, extracted as of D.

    The check: shop's demo_truth.generation is (seed, customers, START, END) and is
    still covered only until END (no day appended by --append-day), and every raw table
    has as many rows as its source table (one extract as of D into an empty raw lands
    each source row once; an extract as of an earlier date lands fewer).
    """
    generation = demo_generation(server)
    if generation is None:
        return False, "no demo company"
    if generation != (seed, customers, START, END, END):
        seed, count, start, end, covered = generation
        return False, (
            f"the demo company there is seed {seed}, {count:,} customers, {start} to {end}, "
            f"covered until {covered}"
        )
    sources = _source_counts(server)
    with psycopg.connect(server.url("warehouse")) as conn:
        for raw, count in sources.items():
            try:
                landed = conn.execute(f"select count(*) from raw.{raw}").fetchone()[0]
            except psycopg.Error:
                return False, f"raw.{raw} is missing"
            if landed != count:
                return False, f"raw.{raw} has {landed:,} rows, the source {count:,}"
    return True, f"raw matches the sources ({sum(sources.values()):,} rows)"


def prepare(server: EmbeddedWarehouse, customers: int, seed: int = SEED) -> None:
    """Generate the demo company and extract it into raw as of D, unless already there."""
    url = server.url("warehouse")
    use_bench_sources(url)
    began = time.perf_counter()
    ready, why = _prepared(server, customers, seed)
    if ready:
        print(f"prepare: reusing the {customers:,}-customer company in raw: {why}", flush=True)
        return
    print(f"prepare: {why}; generating and extracting as of {AS_OF} ...", flush=True)

    from ladder.demo.load import create_demo_company

    create_demo_company(customers=customers, seed=seed, start=START, end=END)
    generated = time.perf_counter()
    extract_into_raw(url, AS_OF)
    ready, why = _prepared(server, customers, seed)
    if not ready:
        raise SystemExit(f"preparation failed: {why}")
    print(f"prepare: generated in {generated - began:.0f} s, extracted in "
          f"{time.perf_counter() - generated:.0f} s (not counted)", flush=True)  # fmt: skip


# -- dbt ---------------------------------------------------------------------------------


def score_for_d(url: str) -> None:
    """The marts read clv.customer_scores for D, which score_clv writes between the two
    dbt stages; the rounds rebuild everything else. Timed, not counted."""
    from ladder.clv.nightly import score_clv
    from ladder.transform.stages import TRANSFORM_SELECT

    seconds, _, _ = run_dbt_timed("build", url, "--select", *TRANSFORM_SELECT)
    began = time.perf_counter()
    result = score_clv(AS_OF, url)
    print(f"score_clv: {time.perf_counter() - began:.1f} s for {result.customers:,} buyers "
          f"(after the transform stage, {seconds:.0f} s; neither counted)", flush=True)  # fmt: skip


def snapshot_project() -> str:
    """Copy dbt_project/ (without its build output) so the rounds all build the same code."""
    from ladder.transform import DBT_PROJECT

    shutil.rmtree(PROJECT_SNAPSHOT, ignore_errors=True)
    shutil.copytree(
        DBT_PROJECT,
        PROJECT_SNAPSHOT,
        ignore=shutil.ignore_patterns("target", "logs", "dbt_packages"),
    )
    head = subprocess.run(
        ["git", "log", "-1", "--format=%h"], cwd=PROJECT_ROOT, capture_output=True, text=True
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--", "dbt_project"],
        cwd=PROJECT_ROOT, capture_output=True, text=True,
    ).stdout.splitlines()  # fmt: skip
    return f"dbt_project/ at {head}" + (f" + {len(dirty)} uncommitted file(s)" if dirty else "")


def run_dbt_timed(command: str, url: str, *extra: str) -> tuple[float, list[dict], dict]:
    """Wall seconds of `dbt <command> <extra>`, its run_results and its manifest's nodes."""
    from ladder.errors import LadderError
    from ladder.transform import run_dbt

    args = [command, "--project-dir", str(PROJECT_SNAPSHOT), "--target-path", str(TARGET),
            "--log-path", str(LOGS), "--no-use-colors", *extra]  # fmt: skip
    began = time.perf_counter()
    try:
        run_dbt(args, AS_OF, warehouse_url=url, capture=True)
    except LadderError as exc:
        results = _run_results()
        failed = [
            f"  {r['unique_id']}: {r['status']}: {(r.get('message') or '').strip()[:800]}"
            for r in results
            if r["status"] in {"error", "fail", "runtime error"}
        ]
        skipped = sum(1 for r in results if r["status"] == "skipped")
        first_line = str(exc).splitlines()[0]
        raise SystemExit(
            f"{first_line}\nfailed nodes ({skipped} more skipped), see {LOGS / 'dbt.log'}:\n"
            + "\n".join(failed or [str(exc)[-4000:]])
        ) from None
    seconds = time.perf_counter() - began
    nodes = json.loads((TARGET / "manifest.json").read_text())["nodes"]
    return seconds, _run_results(), nodes


def _run_results() -> list[dict]:
    path = TARGET / "run_results.json"
    return json.loads(path.read_text())["results"] if path.exists() else []


def _kind(unique_id: str) -> str:
    return unique_id.split(".", 1)[0]  # model, seed, test


# -- the lower bound ---------------------------------------------------------------------


def _rates() -> dict[str, str]:
    with (PROJECT_SNAPSHOT / "seeds" / "cost_drivers.csv").open() as seed:
        return {row["driver"]: row["rate"] for row in csv.DictReader(seed)}


def _latest(table: str, keys: str, columns: str) -> str:
    """The version current at D of every key of a raw table."""
    return (
        f"select distinct on ({keys}) {columns} from raw.{table} "
        f"where updated_at < '{AS_OF}' "
        f"order by {keys}, updated_at desc, _dlt_load_id desc"
    )


def lower_bound_sql() -> str:
    rate = _rates()
    d = f"timestamptz '{AS_OF} 00:00:00+00'"
    since = f"({d} - interval '{TRAILING_DAYS} days')"
    customers = _latest("shop_customers", "customer_id", "customer_id")
    orders = _latest("shop_orders", "order_id", "order_id, customer_id, ordered_at, status, "
                     "shipping_charged, shipping_cost, discount_amount")  # fmt: skip
    lines = _latest("shop_order_lines", "order_id, line_no",
                    "order_id, quantity, unit_price, unit_cost")  # fmt: skip
    returns = _latest("shop_returns", "return_id",
                      "return_id, order_id, returned_at, refund_amount")  # fmt: skip
    interactions = _latest("helpdesk_interactions", "interaction_id",
                           "customer_id, occurred_at, channel, handle_minutes")  # fmt: skip
    # The model rounds each activity's cost to cents and adds those up (costs in cents).
    rounded_sums = " + ".join(
        f"round(coalesce(sum(cost) filter (where activity = '{activity}'), 0), 2)"
        for activity in ("return_processing", "phone", "email", "chat", "self_service",
                         "payment_failure", "chargeback")
    )  # fmt: skip
    payments = _latest("shop_payment_events", "event_id",
                       "customer_id, occurred_at, kind, amount")  # fmt: skip
    return f"""
create table bench_lower_bound.customer_totals as
with
customers as ({customers}),
orders as (
    select
        order_id, customer_id, ordered_at >= {since} as recent,
        coalesce(shipping_cost, 0) - coalesce(shipping_charged, 0) as delivery,
        coalesce(discount_amount, 0) as discount
    from ({orders}) as o
    where status = 'completed' and ordered_at < {d}
),
lines as (
    select order_id, sum(quantity * unit_price) as revenue, sum(quantity * unit_cost) as cogs
    from ({lines}) as l
    group by order_id
),
returns as (
    select r.order_id, orders.customer_id, r.returned_at, r.refund_amount
    from ({returns}) as r
    inner join orders on r.order_id = orders.order_id
    where r.returned_at < {d}
),
refunds as (
    select order_id, sum(refund_amount) as refunds from returns group by order_id
),
order_totals as (
    select
        orders.customer_id,
        sum(coalesce(lines.revenue, 0) - orders.discount - coalesce(lines.cogs, 0)
            - coalesce(refunds.refunds, 0)) as margin_lifetime,
        sum(coalesce(lines.revenue, 0) - orders.discount - coalesce(lines.cogs, 0)
            - coalesce(refunds.refunds, 0)) filter (where recent) as margin_365d,
        round({rate["order_handling"]} * count(*) filter (where recent), 2)
        + round(coalesce(sum({rate["delivery"]} * orders.delivery) filter (where recent), 0), 2)
            as order_cost_365d
    from orders
    left join lines on orders.order_id = lines.order_id
    left join refunds on orders.order_id = refunds.order_id
    group by orders.customer_id
),
other_costs as (
    select customer_id, {rounded_sums} as cost_365d
    from (
        select customer_id, 'return_processing' as activity, {rate["return_processing"]} as cost
        from returns where returned_at >= {since}
        union all
        select
            customer_id,
            channel,
            case channel
                when 'phone' then {rate["contact_phone"]}
                when 'email' then {rate["contact_email"]}
                when 'chat' then {rate["contact_chat"]}
                when 'self_service' then {rate["contact_self_service"]}
            end
            + {rate["agent_minute"]} * cast(coalesce(handle_minutes, 0) as numeric)
        from ({interactions}) as i
        where occurred_at >= {since} and occurred_at < {d}
        union all
        select
            customer_id,
            case kind when 'failed' then 'payment_failure' else 'chargeback' end,
            case kind
                when 'failed' then {rate["payment_failure"]}
                else {rate["chargeback_fee"]} + {rate["chargeback_loss"]} * amount
            end
        from ({payments}) as p
        where occurred_at >= {since} and occurred_at < {d}
    ) as costs
    group by customer_id
)
select
    customers.customer_id,
    coalesce(order_totals.margin_lifetime, 0) as gross_margin_lifetime,
    coalesce(order_totals.margin_365d, 0) as gross_margin_365d,
    coalesce(order_totals.order_cost_365d, 0) + coalesce(other_costs.cost_365d, 0)
        as cost_to_serve_365d
from customers
left join order_totals on customers.customer_id = order_totals.customer_id
left join other_costs on customers.customer_id = other_costs.customer_id
"""


def run_lower_bound(url: str, sql: str) -> float:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("drop schema if exists bench_lower_bound cascade")
        conn.execute("create schema bench_lower_bound")
        began = time.perf_counter()
        conn.execute(sql)
        return time.perf_counter() - began


def compare(url: str) -> dict[str, int]:
    """Customers on which the lower bound and marts.customer_profitability disagree."""
    checks = {
        f"{column} differs by > {TOLERANCE}": f"abs(coalesce(lb.{column}, 0) - "
        f"coalesce(mart.{column}, 0)) > {TOLERANCE}"
        for column in ("gross_margin_365d", "cost_to_serve_365d", "gross_margin_lifetime")
    }
    checks["only in the lower bound"] = "mart.customer_id is null"
    checks["only in the mart"] = "lb.customer_id is null"
    selects = ", ".join(f"count(*) filter (where {where})" for where in checks.values())
    with psycopg.connect(url) as conn:
        counts = conn.execute(
            f"select {selects} from bench_lower_bound.customer_totals as lb "
            "full join marts.customer_profitability as mart using (customer_id)"
        ).fetchone()
        result = dict(zip(checks, counts, strict=True))
        if any(counts):
            examples = conn.execute(
                "select customer_id, lb.gross_margin_365d, mart.gross_margin_365d, "
                "lb.cost_to_serve_365d, mart.cost_to_serve_365d "
                "from bench_lower_bound.customer_totals as lb "
                "full join marts.customer_profitability as mart using (customer_id) "
                f"where {' or '.join(checks.values())} order by customer_id limit 5"
            ).fetchall()
            for row in examples:
                print(f"  differs: {row[0]}: margin_365d {row[1]} vs {row[2]}, "
                      f"cost_to_serve_365d {row[3]} vs {row[4]}")  # fmt: skip
    return result


# -- the report --------------------------------------------------------------------------


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0


LAYERS = ("models/staging/", "models/intermediate/", "models/marts/", "models/ops/")


def _layer_order(path: str) -> tuple[int, str]:
    """Staging, intermediate, marts, ops: the order the build goes in."""
    layer = next((i for i, prefix in enumerate(LAYERS) if path.startswith(prefix)), len(LAYERS))
    return layer, path


def report(args, builds, runs, lower, node_times, node_info, kind_sums, snapshot) -> None:
    build_s, run_s, lower_s = _median(builds), _median(runs), _median(lower)
    print(f"\nbench-transform: {args.customers:,} customers, as of {AS_OF}, median of "
          f"{args.repeat}, {os.cpu_count()} cores, {snapshot}")  # fmt: skip
    models = [uid for uid in node_times if _kind(uid) == "model"]
    header = f"  {'model':<40}{'materialized':>13}{'rows':>12}{'median s':>10}"
    print(header)
    for uid in sorted(models, key=lambda u: _layer_order(node_info[u]["path"])):
        info = node_info[uid]
        print(f"  {info['name']:<40}{info['materialized']:>13}{info['rows']:>12}"
              f"{_median(node_times[uid]):>10.1f}")  # fmt: skip
    for kind in ("seed", "model", "test"):
        count = sum(1 for uid in node_times if _kind(uid) == kind)
        label = f"sum of {kind} times in dbt build ({count} {kind}s):"
        print(f"  {label:<47}{_median(kind_sums[kind]):8.1f} s")
    print(f"\n  dbt build, wall clock (seeds, models, tests):  {build_s:8.1f} s")
    print(f"  dbt run, wall clock (models only):             {run_s:8.1f} s  "
          f"(tests and seeds add {build_s - run_s:.1f} s)")  # fmt: skip
    print(f"  lower bound, one hand-written statement:       {lower_s:8.1f} s")
    ratio = build_s / lower_s
    verdict = "met" if ratio <= GOAL else "not met"
    print(
        f"  dbt build / lower bound:                       {ratio:8.1f} x  "
        f"(goal {GOAL:.0f}x: {verdict}; dbt run / lower bound {run_s / lower_s:.1f}x)"
    )
    total = _median(kind_sums["model"])
    print("\n  10 slowest models (median s, share of the sum of model times):")
    slowest = sorted(models, key=lambda u: -_median(node_times[u]))[:10]
    for uid in slowest:
        seconds = _median(node_times[uid])
        print(f"    {node_info[uid]['name']:<40}{seconds:8.1f} s {seconds / total:6.1%}")
    tests = sorted((u for u in node_times if _kind(u) == "test"),
                   key=lambda u: -_median(node_times[u]))[:3]  # fmt: skip
    print(
        "  3 slowest tests: "
        + ", ".join(f"{node_info[u]['name'][:50]} {_median(node_times[u]):.1f} s" for u in tests)
    )


def main() -> None:
    args = parse_args(__doc__)
    server = bench_warehouse(args.port)
    url = server.url("warehouse")
    node_times: dict[str, list[float]] = defaultdict(list)
    node_info: dict[str, dict] = {}
    kind_sums: dict[str, list[float]] = defaultdict(list)
    builds: list[float] = []
    runs: list[float] = []
    lower: list[float] = []
    try:
        began = time.perf_counter()
        prepare(server, args.customers)
        print(f"prepare: {time.perf_counter() - began:.0f} s in all (not counted)", flush=True)
        snapshot = snapshot_project()
        score_for_d(url)
        sql = lower_bound_sql()
        for attempt in range(args.repeat):
            print(f"round {attempt + 1} of {args.repeat} ...", flush=True)
            seconds, results, nodes = run_dbt_timed("build", url)
            builds.append(seconds)
            sums: dict[str, float] = defaultdict(float)
            for result in results:
                uid = result["unique_id"]
                node_times[uid].append(result["execution_time"])
                sums[_kind(uid)] += result["execution_time"]
                node = nodes.get(uid, {})
                rows = (result.get("adapter_response") or {}).get("rows_affected", -1)
                node_info[uid] = {
                    "name": node.get("name", uid),
                    "path": node.get("original_file_path", uid),
                    "materialized": node.get("config", {}).get("materialized", "?"),
                    "rows": f"{rows:,}" if _kind(uid) == "model" and rows >= 0 else "",
                }
            for kind in ("seed", "model", "test"):
                kind_sums[kind].append(sums[kind])
            print(f"  dbt build {seconds:.1f} s", flush=True)
            seconds, _, _ = run_dbt_timed("run", url)
            runs.append(seconds)
            print(f"  dbt run   {seconds:.1f} s", flush=True)
            lower.append(run_lower_bound(url, sql))
            print(f"  lower bound {lower[-1]:.1f} s", flush=True)
        differences = compare(url)
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("drop schema if exists bench_lower_bound cascade")
    finally:
        server.stop()
    report(args, builds, runs, lower, node_times, node_info, kind_sums, snapshot)
    print("\n  lower bound vs marts.customer_profitability (customers):")
    for check, count in differences.items():
        print(f"    {check:<45}{count:>10,}")


if __name__ == "__main__":
    main()
