"""`ladder airflow` (what `make airflow` runs): a small production on one machine.

Airflow's four components (`ladder.airflow_stack`, the entry docker-compose.yml runs too)
with their metadata in their own database on the embedded server. In demo mode the
sandboxes run beside them, and the demo company is first brought up to yesterday, so the
night the scheduler starts today finds fresh sources. Ctrl-C (or SIGTERM) stops the
components, then the sandboxes; the warehouse keeps running (`ladder warehouse stop`).
"""

from __future__ import annotations

import os
import signal
import sys
from contextlib import ExitStack
from datetime import date, timedelta

from ladder import config, mode
from ladder.airflow_stack import ADMIN, PASSWORDS_FILE, AirflowStack, local_env, sqlalchemy_url
from ladder.config import PROJECT_ROOT

METADATA_URL = "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"


def run_airflow(host: str | None = None, port: int | None = None) -> None:
    settings = config.section("airflow")
    host = host or settings["host"]
    port = port or int(settings["port"])
    home = config.project_path(settings["home"])
    # SIGTERM ends the process like Ctrl-C does: through the `with` blocks that stop
    # the components and the sandboxes.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    metadata_url = os.environ.get(METADATA_URL) or _embedded_metadata(settings)
    from ladder.transform.dbt import ensure_manifest

    ensure_manifest()  # the DAG's Cosmos groups read it; a fresh clone has none
    env = {**os.environ, **local_env(home, metadata_url, host, port, PROJECT_ROOT)}
    with ExitStack() as running:
        if mode.is_demo():
            _bring_demo_up_to(date.today() - timedelta(days=1))
            from ladder.demo.run import demo_sandboxes

            for sandbox in demo_sandboxes():
                running.enter_context(sandbox)
        print("starting Airflow: api-server, scheduler, dag-processor, triggerer ...", flush=True)
        stack = running.enter_context(AirflowStack(env, home / "logs" / "components"))
        print(_started(stack, home, host), flush=True)
        try:
            stack.wait()
        except KeyboardInterrupt:
            print("\nstopping Airflow ...", flush=True)


def _embedded_metadata(settings: dict) -> str:
    from ladder.warehouse.resolve import start_embedded_warehouse

    server = start_embedded_warehouse()
    server.ensure_database(settings["metadata_database"])
    return sqlalchemy_url(server.url(settings["metadata_database"]))


def _bring_demo_up_to(last: date) -> None:
    from ladder.demo.load import append_days
    from ladder.demo.run import ensure_demo_company

    ensure_demo_company()
    for summary in append_days(last):
        print(summary.title, flush=True)


def _started(stack: AirflowStack, home, host: str) -> str:
    exposed = (
        ""
        if host in ("127.0.0.1", "localhost", "::1")
        else f"\n  WARNING: listening on {host}: the UI and REST API, and through them every "
        "connection's credentials, are reachable from that network"
    )
    return (
        f"Airflow is up: {stack.api_url} (user {ADMIN}, password in {home / PASSWORDS_FILE})\n"
        f"  component logs: {stack.log_dir}\n"
        "  ladder_nightly starts paused: unpause it in the UI, or trigger a date "
        "(docs/scheduler.md)\n"
        f"  Ctrl-C stops it{exposed}"
    )
