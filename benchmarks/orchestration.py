"""`make bench-orchestration`: what running dbt through Cosmos in Airflow costs.

On the benchmark warehouse that `make bench-transform` prepares (the demo company with
`--customers` customers extracted into raw as of D = 2026-01-01; prepared here too when
missing), each of `--repeat` rounds times, side by side:
- the plain build: the transform stage's `dbt build`, `score_clv`, the marts stage's
  `dbt build`, one after the other, as `ladder transform` runs them;
- `airflow dags test ladder_nightly D` with Cosmos in WATCHER mode, then in LOCAL
  mode (publishing to the benchmarks' destination sandboxes, which hold the lists after
  the first run). Raw is already current for D, so the extract tasks land nothing; the figure
  taken is the span from the first `transform` task's start to the last `marts` task's
  end in Airflow's metadata (score_clv included), i.e. the same work as orchestrated,
  without Airflow's start-up.
Overhead = orchestrated span / plain build - 1; the goal is at most 25 %. Medians.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import (
    SANDBOX_PORT,
    bench_config,
    bench_warehouse,
    destination_env,
    destination_sandboxes,
    parse_args,
)
from benchmarks.transform import AS_OF, prepare

MODES = ("watcher", "local")


def plain_build(url: str) -> float:
    from ladder.transform.stages import build_warehouse

    began = time.perf_counter()
    build_warehouse(AS_OF, warehouse_url=url, capture=True)
    return time.perf_counter() - began


def orchestrated(env: dict[str, str], mode: str) -> tuple[float, float]:
    """(span of the transform and marts task groups, wall of the whole `dags test`).

    Each run gets an Airflow home of its own: a second run of the same date in one
    metadata database would meet the first run's state."""
    from ladder.demo.run import HelpdeskSandbox

    home = Path(tempfile.mkdtemp(prefix="ladder-bench-airflow-"))
    run_env = {**env, "AIRFLOW_HOME": str(home), "LADDER_COSMOS_EXECUTION_MODE": mode}
    airflow = [sys.executable, "-m", "airflow"]
    subprocess.run([*airflow, "db", "migrate"], env=run_env, check=True, capture_output=True)
    began = time.perf_counter()
    with HelpdeskSandbox(SANDBOX_PORT, env=run_env), destination_sandboxes(fresh=False):
        done = subprocess.run(
            [*airflow, "dags", "test", "ladder_nightly", AS_OF.isoformat()],
            env=run_env,
            capture_output=True,
            text=True,
        )
    wall = time.perf_counter() - began
    if done.returncode != 0:
        log = Path(tempfile.gettempdir()) / f"ladder-bench-dags-test-{mode}.log"
        log.write_text(done.stdout + done.stderr)
        raise SystemExit(f"airflow dags test failed in {mode} mode; see {log}")
    with sqlite3.connect(home / "airflow.db") as db:
        start, end = db.execute(
            "select min(start_date) filter (where task_id like 'transform.%'), "
            "max(end_date) filter (where task_id like 'marts.%') from task_instance "
            "where dag_id = 'ladder_nightly' and run_id = (select run_id from dag_run "
            "where dag_id = 'ladder_nightly' order by id desc limit 1)"
        ).fetchone()
        span = db.execute(
            "select (julianday(?) - julianday(?)) * 86400.0", (end, start)
        ).fetchone()[0]
    shutil.rmtree(home, ignore_errors=True)
    return span, wall


def main() -> None:
    args = parse_args(__doc__)
    server = bench_warehouse(args.port)
    prepare(server, args.customers)
    url = server.url("warehouse")

    from ladder.demo.run import airflow_env

    env = {
        **airflow_env(),
        "LADDER_WAREHOUSE_URL": url,
        "AIRFLOW_CONN_LADDER_SALES_DB": server.url("shop"),
        "AIRFLOW_CONN_LADDER_HELPDESK": os.environ["AIRFLOW_CONN_LADDER_HELPDESK"],
        **destination_env(),
        "LADDER_CONFIG": bench_config(),
    }

    plain: list[float] = []
    spans: dict[str, list[float]] = {mode: [] for mode in MODES}
    walls: dict[str, list[float]] = {mode: [] for mode in MODES}
    for round_no in range(1, args.repeat + 1):
        plain.append(plain_build(url))
        print(f"round {round_no}: plain build {plain[-1]:.1f} s", flush=True)
        for mode in MODES:
            span, wall = orchestrated(env, mode)
            spans[mode].append(span)
            walls[mode].append(wall)
            print(f"round {round_no}: {mode:<8} task groups {span:.1f} s "
                  f"(whole dags test {wall:.1f} s)", flush=True)  # fmt: skip

    base = statistics.median(plain)
    print(f"\n{args.customers:,} customers, as of {AS_OF}, medians of {args.repeat}:")
    print(f"  plain build (dbt, score_clv, dbt)  {base:8.1f} s")
    for mode in MODES:
        span = statistics.median(spans[mode])
        print(f"  Cosmos {mode:<8} transform + marts  {span:8.1f} s  overhead "
              f"{(span / base - 1) * 100:+5.0f} %   (whole dags test "
              f"{statistics.median(walls[mode]):.1f} s)")  # fmt: skip
    print("  goal: overhead within 25 % of the plain build")


if __name__ == "__main__":
    main()
