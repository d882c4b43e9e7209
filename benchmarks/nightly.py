"""`make bench-nightly`: the whole `ladder_nightly` run on the 1,000,000-customer company,
stage by stage, for two nights.

On the benchmark warehouse, emptied first (no raw, no marts, no CLV runs, no deliveries;
the demo company with `--customers` customers, seed 42, 2024-01-01 to 2025-12-31, is
generated when it is not there, not counted):
- **night 1**, D = 2025-12-31 (the company's end, as the demo runs it): `airflow dags
  test ladder_nightly D` with the helpdesk sandbox and the destination sandboxes up:
  the initial extract, both gates, every dbt model through Cosmos, score_clv, the
  first publish of every list, the report;
- **night 2**, D + 1: after `ladder demo-data --append-day` adds one day of business:
  the incremental extract and only the difference published.
Per night: the wall time of `dags test` and each stage's span (first task start to last
task end) from Airflow's metadata, and what each destination got. One round (a night at
this size takes minutes); goal: a night within 10 minutes on this machine.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import psycopg
from psycopg import sql

from benchmarks import (
    SANDBOX_PORT,
    bench_config,
    bench_warehouse,
    destination_env,
    destination_sandboxes,
    forget_sandbox_state,
    parse_args,
    use_bench_sources,
)
from benchmarks.transform import END, SEED, START, demo_generation

STAGES = ("preflight", "extract", "validate_raw", "transform", "score_clv", "prepare_marts",
          "marts", "validate_marts", "promote", "marts_ready", "publish", "report")  # fmt: skip
GOAL_SECONDS = 600


def fresh_warehouse(server, customers: int) -> None:
    """The demo company as generated, and a warehouse that has never run a night."""
    from ladder.demo.load import create_demo_company

    if demo_generation(server) != (SEED, customers, START, END, END):
        began = time.perf_counter()
        create_demo_company(customers=customers, seed=SEED, start=START, end=END)
        print(f"prepare: generated the company in {time.perf_counter() - began:.0f} s "
              "(not counted)", flush=True)  # fmt: skip
    with psycopg.connect(server.url(), autocommit=True) as conn:
        for database in ("warehouse", "servicedesk"):
            conn.execute(
                sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(database))
            )
    server.ensure_database("warehouse")


def night(env: dict[str, str], as_of) -> tuple[float, dict[str, float]]:
    """(wall seconds of `dags test`, seconds per stage) for one night."""
    from ladder.demo.run import HelpdeskSandbox

    began = time.perf_counter()
    with HelpdeskSandbox(SANDBOX_PORT, env=env), destination_sandboxes(fresh=False):
        done = subprocess.run(
            [sys.executable, "-m", "airflow", "dags", "test", "ladder_nightly", as_of.isoformat()],
            env=env,
            capture_output=True,
            text=True,
        )
    wall = time.perf_counter() - began
    if done.returncode != 0:
        log = Path(tempfile.gettempdir()) / f"ladder-bench-nightly-{as_of}.log"
        log.write_text(done.stdout + done.stderr)
        raise SystemExit(f"ladder_nightly failed as of {as_of}; see {log}")
    stages = {}
    with sqlite3.connect(Path(env["AIRFLOW_HOME"]) / "airflow.db") as db:
        run_id = db.execute(
            "select run_id from dag_run where dag_id = 'ladder_nightly' order by id desc limit 1"
        ).fetchone()[0]
        for stage in STAGES:
            (seconds,) = db.execute(
                "select (julianday(max(end_date)) - julianday(min(start_date))) * 86400.0"
                " from task_instance where dag_id = 'ladder_nightly' and run_id = ?"
                " and (task_id = ? or task_id like ? || '.%')",
                (run_id, stage, stage),
            ).fetchone()
            stages[stage] = seconds or 0.0
    return wall, stages


def main() -> None:
    from ladder.demo.load import append_day
    from ladder.demo.run import airflow_env
    from ladder.publish.report import publish_report

    args = parse_args(__doc__)
    server = bench_warehouse(args.port)
    url = server.url("warehouse")
    # Before the company is generated: it goes to the benchmark warehouse, not the demo's.
    use_bench_sources(url)
    fresh_warehouse(server, args.customers)
    home = Path(tempfile.mkdtemp(prefix="ladder-bench-nightly-"))
    dlt_dir = Path(tempfile.mkdtemp(prefix="ladder-bench-nightly-dlt-"))
    env = {
        **airflow_env(),
        "AIRFLOW_HOME": str(home),
        "LADDER_WAREHOUSE_URL": url,
        "LADDER_DLT_DIR": str(dlt_dir),
        "LADDER_CONFIG": bench_config(),
        "AIRFLOW_CONN_LADDER_SALES_DB": server.url("shop"),
        "AIRFLOW_CONN_LADDER_HELPDESK": os.environ["AIRFLOW_CONN_LADDER_HELPDESK"],
        **destination_env(),
    }
    subprocess.run([sys.executable, "-m", "airflow", "db", "migrate"], env=env, check=True,
                   capture_output=True)  # fmt: skip
    forget_sandbox_state()  # night 1 starts from empty destinations
    results = []
    reports = []
    # Night 1 is D = the company's end, as the demo runs it (the day before D holds the
    # history's last day, which the volume gate looks at); night 2 appends that day.
    for night_no, as_of in enumerate((END, END + timedelta(days=1)), start=1):
        if night_no == 2:
            print(append_day(END).render(), flush=True)
        wall, stages = night(env, as_of)
        results.append((as_of, wall, stages))
        reports.append(publish_report(url, as_of))
        print(f"night {night_no} ({as_of}): {wall:.0f} s", flush=True)
    server.stop()
    shutil.rmtree(home, ignore_errors=True)
    shutil.rmtree(dlt_dir, ignore_errors=True)

    print(f"\n{args.customers:,} customers: ladder_nightly stage by stage (seconds)")
    print(f"  {'stage':<16}" + "".join(f"{d!s:>14}" for d, _, _ in results))
    for stage in STAGES:
        print(f"  {stage:<16}" + "".join(f"{s[stage]:>14.1f}" for _, _, s in results))
    print(f"  {'whole dags test':<16}" + "".join(f"{w:>14.1f}" for _, w, _ in results))
    print(f"  goal: a night within {GOAL_SECONDS} s")
    for report in reports:
        print(report)


if __name__ == "__main__":
    main()
