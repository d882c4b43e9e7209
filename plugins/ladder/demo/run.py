"""`ladder demo` (what `make demo` runs): the whole demo on one machine.

Starts the embedded warehouse, loads the demo company unless it is already there,
starts the helpdesk sandbox, runs `ladder_nightly` for the demo's as-of date with
`airflow dags test` (extract, transform, marts, gates, publish, report) for two nights,
stops the sandboxes and prints what landed where, the headline numbers of the marts and
where the run report is.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path

from ladder import config
from ladder.config import PROJECT_ROOT
from ladder.errors import LadderError
from ladder.publish.report import publish_report
from ladder.transform.dbt import ensure_manifest
from ladder.warehouse import resolve_warehouse, uses_embedded_warehouse
from ladder.warehouse.resolve import start_embedded_warehouse

AIRFLOW_HOME = Path(os.environ.get("AIRFLOW_HOME", PROJECT_ROOT / ".ladder" / "airflow"))


def airflow_env() -> dict[str, str]:
    return {
        **os.environ,
        "AIRFLOW_HOME": str(AIRFLOW_HOME),
        "AIRFLOW__CORE__DAGS_FOLDER": str(PROJECT_ROOT / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(PROJECT_ROOT / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        # Cosmos posts telemetry from every task; there is no internet to post it to.
        "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
    }


def _demo_company_loaded(settings: dict) -> bool:
    import psycopg

    url = resolve_warehouse().database_url(settings.get("sales_database", "shop"))
    try:
        with psycopg.connect(url) as conn:
            row = conn.execute(
                "select seed, customers, start_date, end_date from demo_truth.generation"
            ).fetchone()
    except psycopg.Error:
        return False
    wanted = (
        settings["seed"],
        settings["customers"],
        _day(settings["start"]),
        _day(settings["end"]),
    )
    return row == wanted


def _day(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


class SandboxProcess:
    """A sandbox (`ladder sandbox <system>`) as a child process, for as long as a `with`
    block runs."""

    def __init__(
        self,
        system: str,
        port: int,
        extra_args: tuple[str, ...] = (),
        env: dict[str, str] | None = None,
    ) -> None:
        self.system = system
        self.port = port
        self.extra_args = extra_args
        self.env = env
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> SandboxProcess:
        command = [sys.executable, "-m", "ladder.cli", "sandbox", self.system,
                   "--port", str(self.port), *self.extra_args]  # fmt: skip
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, env=self.env)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise LadderError(
                    f"the {self.system} sandbox exited at start (port {self.port} taken?)"
                )
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/health", timeout=1):
                    return self
            except OSError:
                time.sleep(0.2)
        self.__exit__()
        raise LadderError(f"the {self.system} sandbox did not answer on port {self.port} in 60 s")

    def __exit__(self, *exc_info) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)


class HelpdeskSandbox(SandboxProcess):
    def __init__(
        self, port: int, extra_args: tuple[str, ...] = (), env: dict[str, str] | None = None
    ) -> None:
        super().__init__("helpdesk", port, extra_args, env)


def run_demo() -> None:
    settings = config.section("demo")
    env = airflow_env()
    AIRFLOW_HOME.mkdir(parents=True, exist_ok=True)
    airflow = [sys.executable, "-m", "airflow"]
    # Airflow's metadata database is migrated, and dbt's manifest (which the DAG's Cosmos
    # groups read; a fresh clone has none) parsed, while the warehouse starts and the
    # company is generated: each takes seconds, mostly in its own process.
    migrate = subprocess.Popen([*airflow, "db", "migrate"], env=env, stdout=subprocess.DEVNULL)
    manifest = ThreadPoolExecutor(max_workers=1)
    parsed = manifest.submit(ensure_manifest)
    if uses_embedded_warehouse():
        server = start_embedded_warehouse()
        print(f"embedded warehouse running on 127.0.0.1:{server.port}", flush=True)
    if _demo_company_loaded(settings):
        print("demo company already loaded (`ladder demo-data` regenerates it)", flush=True)
    else:
        from ladder.demo.load import create_demo_company

        summary = create_demo_company(
            customers=int(settings["customers"]),
            seed=int(settings["seed"]),
            start=_day(settings["start"]),
            end=_day(settings["end"]),
        )
        print(summary.render(), flush=True)

    as_of = _day(settings["end"])
    parsed.result()
    manifest.shutdown()
    if migrate.wait() != 0:
        raise LadderError(f"`airflow db migrate` failed for {AIRFLOW_HOME}; its error is above")
    destinations = config.section("destinations")
    helpdesk_port = int(config.section("sources")["helpdesk"]["sandbox"]["port"])
    with (
        HelpdeskSandbox(helpdesk_port),
        _destination_sandbox("marketing", destinations),
        _destination_sandbox("service", destinations),
    ):
        url = resolve_warehouse().url
        _nightly(airflow, env, as_of)
        print(publish_report(url, as_of), flush=True)
        # The next night: one more day of business, and only the difference is sent.
        from ladder.demo.load import append_day

        print(append_day(as_of).render(), flush=True)
        following = as_of + timedelta(days=1)
        _nightly(airflow, env, following)
        print(publish_report(url, following))
    from ladder.transform.headline import headline

    print(raw_summary())
    print(headline(url).render())
    from ladder.report import reports_dir

    print(f"run report: {reports_dir() / following.isoformat() / 'index.html'}")


def _destination_sandbox(system: str, destinations: dict) -> SandboxProcess:
    sandbox = destinations[system]["sandbox"]
    state = str(config.project_path(sandbox["state"]))
    return SandboxProcess(system, int(sandbox["port"]), ("--state", state))


def _nightly(airflow: list[str], env: dict[str, str], as_of: date) -> None:
    print(f"running ladder_nightly as of {as_of} (airflow dags test) ...", flush=True)
    test = subprocess.run(
        [*airflow, "dags", "test", "ladder_nightly", as_of.isoformat()],
        env=env,
        capture_output=True,
        text=True,
    )
    if test.returncode != 0:
        log = AIRFLOW_HOME / "demo-dags-test.log"
        log.write_text(test.stdout + test.stderr)
        raise LadderError(f"ladder_nightly failed as of {as_of}; its output is in {log}")


def raw_summary() -> str:
    import psycopg

    target = resolve_warehouse()
    with psycopg.connect(target.url) as conn:
        tables = [
            name
            for (name,) in conn.execute(
                "select table_name from information_schema.tables where table_schema = 'raw' "
                "and table_name not like '\\_dlt%%' order by 1"
            )
        ]
        counts = {t: conn.execute(f'select count(*) from raw."{t}"').fetchone()[0] for t in tables}
    lines = [f"landed in {target.redacted()} (schema raw):"]
    lines += [f"  raw.{name:<28} {count:>12,} rows" for name, count in counts.items()]
    lines.append('  psql "$(ladder warehouse url)"   # to look around')
    return "\n".join(lines)
