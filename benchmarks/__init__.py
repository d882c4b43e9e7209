"""Benchmarks: `make bench-*`. Speed is measured here, never asserted in tests."""

from __future__ import annotations

import argparse
import os

from ladder.config import PROJECT_ROOT
from ladder.warehouse.embedded import EmbeddedWarehouse


def parse_args(description: str | None) -> argparse.Namespace:
    """The options every benchmark takes."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--port", type=int, default=54339)
    return parser.parse_args()


def bench_warehouse(port: int) -> EmbeddedWarehouse:
    """A started warehouse of the benchmarks' own, so the demo's data is never touched."""
    server = EmbeddedWarehouse(PROJECT_ROOT / ".ladder" / "bench" / "warehouse", port)
    server.start()
    server.ensure_database("warehouse")
    return server


# The helpdesk sandbox the benchmarks start beside their warehouse.
SANDBOX_PORT = 8769


def use_bench_sources(url: str) -> None:
    """Point this process at the benchmark warehouse and the demo systems beside it."""
    os.environ["LADDER_WAREHOUSE_URL"] = url
    os.environ["AIRFLOW_CONN_LADDER_HELPDESK"] = (
        f"http://:ladder-demo-token@127.0.0.1:{SANDBOX_PORT}"
    )
    os.environ.pop("AIRFLOW_CONN_LADDER_SALES_DB", None)
    os.environ.pop("AIRFLOW_CONN_LADDER_WAREHOUSE", None)


def reset_raw(url: str) -> None:
    """An empty raw: the next extract is an initial load."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("drop schema if exists raw cascade")
        conn.execute("drop schema if exists raw_staging cascade")
