"""`make bench-generate`: generate and load the 1,000,000-customer demo company.

Runs `ladder demo-data` as a separate process (what a user runs) against a benchmark
warehouse of its own, several times, and reports the median wall time, rows per second
and peak memory of the generator process against the 3-minute target.
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import time

from benchmarks import bench_warehouse, parse_args

TARGET_SECONDS = 180.0


def run_once(customers: int, env: dict[str, str]) -> tuple[float, int, float]:
    """Wall seconds, rows loaded and peak RSS (MiB) of one `ladder demo-data` run."""
    command = [sys.executable, "-m", "ladder.cli", "demo-data", "--customers", str(customers),
               "--seed", "42", "--start", "2024-01-01", "--end", "2025-12-31"]  # fmt: skip
    began = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True)
    output = process.stdout.read() if process.stdout else ""
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - began
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"ladder demo-data failed:\n{output}")
    rows = int(re.search(r": ([\d,]+) rows in", output).group(1).replace(",", ""))
    return seconds, rows, usage.ru_maxrss / 1024


def main() -> None:
    args = parse_args(__doc__)
    server = bench_warehouse(args.port)
    env = {**os.environ, "LADDER_WAREHOUSE_URL": server.url("warehouse")}
    env.pop("AIRFLOW_CONN_LADDER_WAREHOUSE", None)
    try:
        runs = []
        for i in range(args.repeat):
            runs.append(run_once(args.customers, env))
            seconds, rows, peak = runs[-1]
            print(f"run {i + 1}: {seconds:6.1f} s  {rows:,} rows  {rows / seconds:,.0f} rows/s  "
                  f"peak {peak:,.0f} MiB", flush=True)  # fmt: skip
    finally:
        server.stop()
    seconds = statistics.median(r[0] for r in runs)
    rows = runs[0][1]
    peak = max(r[2] for r in runs)
    print(f"\nbench-generate: {args.customers:,} customers, median of {args.repeat} runs, "
          f"{os.cpu_count()} cores")  # fmt: skip
    print(f"  {'':<28}{'median wall':>12}{'rows/s':>14}{'peak RSS':>12}")
    print(f"  {'ladder demo-data':<28}{seconds:>10.1f} s{rows / seconds:>14,.0f}"
          f"{peak:>8,.0f} MiB")  # fmt: skip
    print(f"  {'target (issue 2)':<28}{TARGET_SECONDS:>10.1f} s"
          f"{rows / TARGET_SECONDS:>14,.0f}")  # fmt: skip
    print(f"  rows loaded per run: {rows:,}")


if __name__ == "__main__":
    main()
