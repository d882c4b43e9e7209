"""`make bench-extract`: landing the 1,000,000-customer demo company in raw.

Side by side, in one run, on a benchmark warehouse of its own:
- the physical reference: `COPY table TO STDOUT` piped into `COPY ... FROM STDIN`, per
  source table, between two databases of the same PostgreSQL server;
- Ladder's dlt path per table (the sales database through sql_database, the helpdesk
  through the sandbox's HTTP API and rest_api), each into an empty raw;
- the whole nightly extract (all tables, as the DAG runs it) into an empty raw, and a
  one-day incremental run after `--append-day`.
Each figure is the median of `--repeat` runs.
"""

from __future__ import annotations

import os
import shutil
import statistics
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import psycopg

from benchmarks import SANDBOX_PORT, bench_warehouse, parse_args, reset_raw, use_bench_sources
from ladder.demo.schema import HELPDESK_TABLES, SHOP_TABLES
from ladder.warehouse.embedded import EmbeddedWarehouse

START, END = date(2024, 1, 1), date(2025, 12, 31)


def _copy_reference(server: EmbeddedWarehouse, database: str, table) -> float:
    with psycopg.connect(server.url("warehouse"), autocommit=True) as conn:
        conn.execute("create schema if not exists copy_reference")
        conn.execute(f"drop table if exists copy_reference.{table.name}")
        conn.execute(table.create_sql("copy_reference"))
    began = time.perf_counter()
    with (
        psycopg.connect(server.url(database)) as source,
        psycopg.connect(server.url("warehouse")) as target,
    ):
        with (
            source.cursor().copy(f"copy {table.name} to stdout") as out,
            target.cursor().copy(f"copy copy_reference.{table.name} from stdin") as into,
        ):
            for chunk in out:
                into.write(chunk)
        target.commit()
    return time.perf_counter() - began


def _api_alone(endpoint: str) -> float:
    """Seconds to page through one export with a plain HTTP client: the API's own ceiling."""
    import requests

    url = f"http://127.0.0.1:{SANDBOX_PORT}/api/{endpoint}/export"
    session = requests.Session()
    session.headers["Authorization"] = "Bearer ladder-demo-token"
    began = time.perf_counter()
    page = session.get(url, params={"start_time": 0, "end_time": END.isoformat()}).json()
    while not page["end_of_stream"]:
        page = session.get(url, params={"cursor": page["after_cursor"]}).json()
    return time.perf_counter() - began


def _timed(run) -> tuple[float, object]:
    began = time.perf_counter()
    result = run()
    return time.perf_counter() - began, result


def main() -> None:
    args = parse_args(__doc__)
    server = bench_warehouse(args.port)
    url = server.url("warehouse")
    use_bench_sources(url)

    from ladder.demo.load import append_day, create_demo_company
    from ladder.demo.run import HelpdeskSandbox
    from ladder.extract.helpdesk import extract_helpdesk
    from ladder.extract.sales import extract_sales

    print(f"generating the {args.customers:,}-customer demo company ...", flush=True)
    create_demo_company(customers=args.customers, seed=42, start=START, end=END)
    work = Path(tempfile.mkdtemp(prefix="ladder-bench-extract-"))

    def fresh() -> None:
        reset_raw(url)
        shutil.rmtree(work, ignore_errors=True)
        os.environ["LADDER_DLT_DIR"] = str(work)

    api_times: dict[str, list[float]] = {}
    copy_times: dict[str, list[float]] = {}
    dlt_times: dict[str, list[float]] = {}
    rows: dict[str, int] = {}
    whole: list[float] = []
    incremental: list[float] = []
    try:
        with HelpdeskSandbox(SANDBOX_PORT):
            for attempt in range(args.repeat):
                print(f"round {attempt + 1} of {args.repeat} ...", flush=True)
                for database, tables in (("shop", SHOP_TABLES), ("helpdesk", HELPDESK_TABLES)):
                    for table in tables:
                        raw = f"{database}_{table.name}"
                        copy_times.setdefault(raw, []).append(
                            _copy_reference(server, database, table)
                        )
                        fresh()
                        if database == "shop":
                            seconds, result = _timed(lambda t=table: extract_sales(END, [t.name]))
                        else:
                            api_times.setdefault(raw, []).append(_api_alone(table.name))
                            seconds, result = _timed(
                                lambda t=table: extract_helpdesk(END, [t.name])
                            )
                        dlt_times.setdefault(raw, []).append(seconds)
                        rows[raw] = result.landed[raw]
                fresh()
                seconds, _ = _timed(lambda: (extract_sales(END), extract_helpdesk(END)))
                whole.append(seconds)
            append_day(END)
            nxt = END + timedelta(days=1)
            for _ in range(args.repeat):
                fresh()
                extract_sales(END), extract_helpdesk(END)
                seconds, _ = _timed(lambda: (extract_sales(nxt), extract_helpdesk(nxt)))
                incremental.append(seconds)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("drop schema if exists copy_reference cascade")
        server.stop()

    print(f"\nbench-extract: {args.customers:,} customers, median of {args.repeat}, "
          f"{os.cpu_count()} cores")  # fmt: skip
    header = f"  {'raw table':<26}{'rows':>12}{'COPY rows/s':>14}{'dlt rows/s':>13}{'dlt/COPY':>10}"
    print(header)
    totals = {"copy": 0.0, "dlt": 0.0}

    def copy_times_median(raw: str) -> float:
        return statistics.median(copy_times[raw])

    for raw, count in rows.items():
        copy_s, dlt_s = statistics.median(copy_times[raw]), statistics.median(dlt_times[raw])
        totals["copy"] += copy_s
        totals["dlt"] += dlt_s
        print(f"  {raw:<26}{count:>12,}{count / copy_s:>14,.0f}{count / dlt_s:>13,.0f}"
              f"{copy_s / dlt_s:>9.0%}")  # fmt: skip
    total = sum(rows.values())
    copy_s, dlt_s = totals["copy"], totals["dlt"]
    print(f"  {'all tables, one by one':<26}{total:>12,}{total / copy_s:>14,.0f}"
          f"{total / dlt_s:>13,.0f}{copy_s / dlt_s:>9.0%}")  # fmt: skip
    for raw, times in api_times.items():
        api_s = statistics.median(times)
        share = copy_times_median(raw) / api_s
        print(f"  {raw:<26} the API alone (plain HTTP paging, no loading): "
              f"{rows[raw] / api_s:,.0f} rows/s, {share:.0%} of COPY")  # fmt: skip
    nightly = statistics.median(whole)
    print(f"\n  nightly extract, all tables (as the DAG runs it): {nightly:.1f} s, "
          f"{total / nightly:,.0f} rows/s, {copy_s / nightly:.0%} of COPY")  # fmt: skip
    daily = statistics.median(incremental)
    print(f"  one-day incremental run after --append-day:      {daily:.1f} s, "
          f"{daily / nightly:.1%} of the initial load")  # fmt: skip


if __name__ == "__main__":
    main()
