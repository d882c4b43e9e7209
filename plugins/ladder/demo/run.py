"""`ladder demo` (what `make demo` runs): the whole demo on one machine.

Starts the embedded warehouse, loads the demo company unless it is already there,
starts the helpdesk sandbox, runs `ladder_nightly` for the demo's as-of date with
`airflow dags test` (extract, transform, marts, gates, publish, report) for two nights,
both in this process,
stops the sandboxes and prints what landed where, the headline numbers of the marts and
where the run report is.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

from ladder import config, mode
from ladder.airflow_stack import project_env
from ladder.config import PROJECT_ROOT
from ladder.errors import LadderError
from ladder.publish.report import publish_report
from ladder.transform.dbt import ensure_manifest
from ladder.warehouse import resolve_warehouse, uses_embedded_warehouse
from ladder.warehouse.resolve import start_embedded_warehouse

AIRFLOW_HOME = Path(
    os.environ.get("AIRFLOW_HOME") or config.project_path(config.section("airflow")["home"])
)


def airflow_env() -> dict[str, str]:
    return {**os.environ, **project_env(AIRFLOW_HOME, PROJECT_ROOT)}


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
    # Before anything imports Airflow: both nights run in this process (see _nightly),
    # and `airflow db migrate` in a child inherits the same settings. Demo mode lets the
    # sandboxes and the demo's databases stand in for the connections.
    os.environ.update(airflow_env(), **{mode.VARIABLE: mode.DEMO})
    AIRFLOW_HOME.mkdir(parents=True, exist_ok=True)
    airflow = [sys.executable, "-m", "airflow"]
    # Airflow's metadata database is migrated, and dbt's manifest (which the DAG's Cosmos
    # groups read; a fresh clone has none) parsed, while the warehouse starts and the
    # company is generated: each takes seconds, mostly in its own process.
    migrate = subprocess.Popen([*airflow, "db", "migrate"], stdout=subprocess.DEVNULL)
    manifest = ThreadPoolExecutor(max_workers=1)
    parsed = manifest.submit(ensure_manifest)
    ensure_demo_company()
    as_of = _day(settings["end"])
    parsed.result()
    manifest.shutdown()
    if migrate.wait() != 0:
        raise LadderError(f"`airflow db migrate` failed for {AIRFLOW_HOME}; its error is above")
    helpdesk, marketing, service = demo_sandboxes()
    with helpdesk, marketing, service:
        url = resolve_warehouse().url
        _nightly(as_of)
        print(publish_report(url, as_of), flush=True)
        # The next night: one more day of business, and only the difference is sent.
        from ladder.demo.load import append_day

        print(append_day(as_of).render(), flush=True)
        following = as_of + timedelta(days=1)
        _nightly(following)
        print(publish_report(url, following))
    from ladder.transform.headline import headline

    print(raw_summary())
    print(headline(url).render())
    from ladder.report import reports_dir

    print(f"run report: {reports_dir() / following.isoformat() / 'index.html'}")


def ensure_demo_company() -> None:
    """The embedded warehouse running (when it is the warehouse) and the demo company of
    ladder.yml in it, generated unless it is there already."""
    settings = config.section("demo")
    if uses_embedded_warehouse():
        server = start_embedded_warehouse()
        print(f"embedded warehouse running on 127.0.0.1:{server.port}", flush=True)
    if _demo_company_loaded(settings):
        print("demo company already loaded (`ladder demo-data` regenerates it)", flush=True)
        return
    from ladder.demo.load import create_demo_company

    summary = create_demo_company(
        customers=int(settings["customers"]),
        seed=int(settings["seed"]),
        start=_day(settings["start"]),
        end=_day(settings["end"]),
    )
    print(summary.render(), flush=True)


def demo_sandboxes() -> list[SandboxProcess]:
    """The helpdesk, marketing and service sandboxes, each on its port in ladder.yml."""
    destinations = config.section("destinations")
    helpdesk_port = int(config.section("sources")["helpdesk"]["sandbox"]["port"])
    return [
        HelpdeskSandbox(helpdesk_port),
        destination_sandbox("marketing", destinations),
        destination_sandbox("service", destinations),
    ]


def destination_sandbox(system: str, destinations: dict) -> SandboxProcess:
    sandbox = destinations[system]["sandbox"]
    state = str(config.project_path(sandbox["state"]))
    return SandboxProcess(system, int(sandbox["port"]), ("--state", state))


def _nightly(as_of: date) -> None:
    """`airflow dags test ladder_nightly D`, through Airflow's own command line but in this
    process: the second night reuses the first one's Airflow import and in-process
    execution API, about 13 s that a second `airflow` process would spend again. The
    run's output goes to a log file, whose path is printed."""
    from airflow.cli import cli_parser

    log = AIRFLOW_HOME / f"demo-dags-test-{as_of}.log"
    print(f"running ladder_nightly as of {as_of} (airflow dags test, log {log}) ...", flush=True)
    args = cli_parser.get_parser().parse_args(["dags", "test", "ladder_nightly", as_of.isoformat()])
    try:
        with _output_to(log):
            args.func(args)
    except (Exception, SystemExit) as exc:  # dags test raises SystemExit for a failed run
        raise LadderError(f"ladder_nightly failed as of {as_of} ({exc}); its log is {log}") from exc


@contextmanager
def _output_to(log: Path) -> Iterator[None]:
    """Standard output and error of this process and its children into `log`: Airflow's
    log handlers hold the streams they were configured with, so only the file
    descriptors can be redirected."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with log.open("w") as file:
        os.dup2(file.fileno(), 1)
        os.dup2(file.fileno(), 2)
        try:
            yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])


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
