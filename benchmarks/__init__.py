"""Benchmarks: `make bench-*`. Speed is measured here, never asserted in tests."""

from __future__ import annotations

import argparse
import contextlib
import os
from collections.abc import Iterator

from ladder.config import PROJECT_ROOT
from ladder.warehouse.embedded import EmbeddedWarehouse


def parse_args(description: str | None, seed: int | None = None) -> argparse.Namespace:
    """The options every benchmark takes, and --seed (the demo company's) where a
    benchmark names its default `seed`."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--port", type=int, default=54339)
    if seed is not None:
        parser.add_argument("--seed", type=int, default=seed)
    return parser.parse_args()


def bench_warehouse(port: int) -> EmbeddedWarehouse:
    """A started warehouse of the benchmarks' own, so the demo's data is never touched."""
    # The benchmarks run the demo company: its sandboxes and databases stand in for the
    # connections they leave undefined (ladder.mode), here and in the processes they start.
    os.environ["LADDER_MODE"] = "demo"
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


def extract_into_raw(url: str, as_of) -> None:
    """An initial load of the demo company into an empty raw, as of `as_of`, with a dlt
    working folder of its own and the helpdesk sandbox up for the duration."""
    import shutil
    import tempfile
    from pathlib import Path

    from ladder.demo.run import HelpdeskSandbox
    from ladder.extract.helpdesk import extract_helpdesk
    from ladder.extract.sales import extract_sales

    reset_raw(url)
    dlt_dir = Path(tempfile.mkdtemp(prefix="ladder-bench-"))
    os.environ["LADDER_DLT_DIR"] = str(dlt_dir)
    try:
        with HelpdeskSandbox(SANDBOX_PORT):
            extract_sales(as_of)
            extract_helpdesk(as_of)
    finally:
        shutil.rmtree(dlt_dir, ignore_errors=True)


# The marketing and service sandboxes the benchmarks publish to, and where they keep state.
DESTINATION_PORTS = {"marketing": 8770, "service": 8771}
SANDBOX_STATE = PROJECT_ROOT / ".ladder" / "bench" / "sandbox"


def destination_env() -> dict[str, str]:
    """Connections to the benchmarks' destination sandboxes (`destination_sandboxes`)."""
    return {
        f"AIRFLOW_CONN_LADDER_{name.upper()}": f"http://:ladder-demo-token@127.0.0.1:{port}"
        for name, port in DESTINATION_PORTS.items()
    }


def forget_sandbox_state() -> None:
    """The destination sandboxes hold nothing the next time they start."""
    for path in SANDBOX_STATE.glob("*.sqlite*"):
        path.unlink()


@contextlib.contextmanager
def destination_sandboxes(fresh: bool) -> Iterator[None]:
    """Both destination sandboxes running for a `with` block, on fresh state when `fresh`."""
    from ladder.demo.run import SandboxProcess

    SANDBOX_STATE.mkdir(parents=True, exist_ok=True)
    if fresh:
        forget_sandbox_state()
    with contextlib.ExitStack() as stack:
        for name, port in DESTINATION_PORTS.items():
            state = str(SANDBOX_STATE / f"{name}.sqlite")
            stack.enter_context(SandboxProcess(name, port, ("--state", state)))
        yield


def bench_config() -> str:
    """A ladder.yml of the benchmarks' own: the project's, with the service file dropped
    under .ladder/bench/drop, so the demo's files are never overwritten."""
    import yaml

    from ladder import config

    settings = yaml.safe_load(config.config_path().read_text())
    settings["destinations"]["service_file"]["root"] = ".ladder/bench/drop"
    path = PROJECT_ROOT / ".ladder" / "bench" / "ladder.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(settings, sort_keys=False))
    return str(path)
