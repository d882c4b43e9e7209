"""`make bench-publish`: publishing the treatment lists of the 1,000,000-customer company.

On the benchmark warehouse (the demo company with `--customers` customers, extracted as
of D = 2026-01-01 as `make bench-transform` prepares it, and built for D once unless the
marts hold D already; neither counted), each of `--repeat` rounds times, per
destination (marketing and service: the HTTP sandboxes over loopback; service_table: a
PostgreSQL table), side by side:
- **first publish**: the destination holds nothing (fresh sandbox state, no publish
  state): the wall time of `publish` (diff, batches, answers, ledger), and records per
  second;
- **nightly diff**: 1 % of the list (every 100th customer) is then marked in
  `ops.publish_state` as holding another version, as after a night in which they
  changed, and `publish` runs again: time and records sent, which must be exactly those;
- **nothing changed**: `publish` once more, which must send nothing: what a rerun costs.
Medians of the rounds. Goal: at least 20,000 records per second on the first publish,
and a diff that sends only the changed records.
"""

from __future__ import annotations

import os
import statistics
import time
from collections import defaultdict

import psycopg

from benchmarks import bench_warehouse, destination_env, destination_sandboxes, parse_args
from benchmarks.transform import AS_OF, prepare
from ladder.publish.destinations import ROUTES

GOAL = 20_000
DESTINATIONS = list(ROUTES)


def built_for_d(url: str, customers: int) -> None:
    """The marts of this company for D: reused when they hold D and every customer."""
    from ladder.transform.stages import build_warehouse

    try:
        with psycopg.connect(url) as conn:
            built = conn.execute(
                "select count(*), min(as_of_date), max(as_of_date) from marts.dim_customers"
            ).fetchone()
            if built == (customers, AS_OF, AS_OF):
                return
    except psycopg.Error:
        pass
    began = time.perf_counter()
    build_warehouse(AS_OF, warehouse_url=url, capture=True)
    print(f"prepare: built the warehouse for {AS_OF} in {time.perf_counter() - began:.0f} s "
          "(not counted)", flush=True)  # fmt: skip


def forget_deliveries(url: str) -> None:
    """Nothing delivered anywhere: the next publish is a first publish."""
    with psycopg.connect(url) as conn:
        conn.execute("create schema if not exists ops")
        for table in ("publish_rejects", "publish_state", "publish_runs"):
            conn.execute(f"drop table if exists ops.{table} cascade")
    desk = url.rsplit("/", 1)[0] + "/servicedesk"
    try:
        with psycopg.connect(desk) as conn:
            conn.execute("drop table if exists public.service_profiles")
    except psycopg.OperationalError:
        pass  # no service desk database yet: the first publish creates it


def mark_changed(url: str, destination: str) -> int:
    """Every 100th delivered customer now holds another version at the destination."""
    with psycopg.connect(url) as conn:
        # The state was written a minute ago: without statistics the planner can pick a
        # nested loop over the whole list (this query once ran for two hours).
        conn.execute("analyze ops.publish_state")
        return conn.execute(
            """
            update ops.publish_state as state set payload_hash = 'an older version'
            from (
                select customer_id, row_number() over (order by customer_id) as n
                from ops.publish_state where destination = %s
            ) as numbered
            where state.destination = %s and state.customer_id = numbered.customer_id
                and numbered.n %% 100 = 0
            """,
            (destination, destination),
        ).rowcount


def timed_publish(destination: str, url: str):
    from ladder.publish.run import publish

    began = time.perf_counter()
    result = publish(AS_OF, [destination], warehouse_url=url)[0]
    return time.perf_counter() - began, result


def main() -> None:
    args = parse_args(__doc__)
    server = bench_warehouse(args.port)
    prepare(server, args.customers)
    url = server.url("warehouse")
    built_for_d(url, args.customers)
    os.environ.update(destination_env())
    # The connections are read through Airflow, which a publish task has loaded already;
    # a CLI run pays this import (4 s) once, not per record.
    import airflow.sdk  # noqa: F401

    first: dict[str, list[tuple[float, int]]] = defaultdict(list)
    nightly: dict[str, list[tuple[float, int, int]]] = defaultdict(list)
    unchanged: dict[str, list[tuple[float, int]]] = defaultdict(list)
    for round_no in range(1, args.repeat + 1):
        forget_deliveries(url)
        with destination_sandboxes(fresh=True):
            for name in DESTINATIONS:
                seconds, result = timed_publish(name, url)
                first[name].append((seconds, result.sent))
                print(f"round {round_no}: {name:<13} first publish {result.sent:,} records in "
                      f"{seconds:.1f} s ({result.sent / seconds:,.0f}/s)", flush=True)  # fmt: skip
                changed = mark_changed(url, name)
                seconds, result = timed_publish(name, url)
                nightly[name].append((seconds, result.sent, changed))
                print(f"round {round_no}: {name:<13} nightly diff  {result.sent:,} of {changed:,} "
                      f"changed sent in {seconds:.1f} s", flush=True)  # fmt: skip
                seconds, result = timed_publish(name, url)
                unchanged[name].append((seconds, result.sent))
                print(f"round {round_no}: {name:<13} rerun         {result.sent:,} sent in "
                      f"{seconds:.1f} s", flush=True)  # fmt: skip
    server.stop()

    print(f"\n{args.customers:,} customers, as of {AS_OF}, medians of {args.repeat} rounds:")
    print(f"  {'destination':<14}{'records':>10}{'first publish':>15}{'records/s':>11}"
          f"{'diff (1 %)':>12}{'sent':>8}{'rerun':>9}{'sent':>6}")  # fmt: skip
    total_records = total_seconds = 0.0
    for name in DESTINATIONS:
        seconds = statistics.median(s for s, _ in first[name])
        records = first[name][0][1]
        total_records += records
        total_seconds += seconds
        diff_seconds = statistics.median(s for s, _, _ in nightly[name])
        diff_sent = statistics.median(n for _, n, _ in nightly[name])
        exact = all(sent == changed for _, sent, changed in nightly[name])
        rerun = statistics.median(s for s, _ in unchanged[name])
        rerun_sent = max(n for _, n in unchanged[name])
        print(f"  {name:<14}{records:>10,}{seconds:>13.1f} s{records / seconds:>11,.0f}"
              f"{diff_seconds:>10.1f} s{diff_sent:>8,.0f}{'' if exact else ' (!)'}"
              f"{rerun:>7.1f} s{rerun_sent:>6,}")  # fmt: skip
    print(
        f"  all three: {total_records:,.0f} records in {total_seconds:.1f} s, "
        f"{total_records / total_seconds:,.0f} records/s (goal: at least {GOAL:,}/s); "
        "the diff sends exactly the changed records: "
        + ("yes" if all(n == c for rows in nightly.values() for _, n, c in rows) else "NO")
    )


if __name__ == "__main__":
    main()
