"""Airflow as production runs it: api-server, scheduler, dag-processor and triggerer,
the LocalExecutor, metadata in PostgreSQL (docs/scheduler.md).

This is the one entry that starts an Airflow component. docker-compose.yml's services run
`python -m ladder.airflow_stack <component>`, and `ladder airflow` (`make airflow`) starts
the same four through `AirflowStack`, so the two deployments cannot drift apart
(tests/test_compose.py checks the compose side).

`component_env` fills in what the deployment has not set: compose sets the metadata
database, secrets and URLs itself, `ladder airflow` sets them for one machine
(`local_env`). Both get the executor and the process counts sized to the machine.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path

from ladder.errors import LadderError

COMPONENTS = ("api-server", "scheduler", "dag-processor", "triggerer")
API_SERVER = COMPONENTS[0]

# The user `ladder airflow` signs in as; the simple auth manager writes its generated
# password to PASSWORDS_FILE under AIRFLOW_HOME.
ADMIN = "admin"
PASSWORDS_FILE = "simple_auth_manager_passwords.json"
SECRETS_FILE = "ladder_secrets.json"
LOOPBACK = "127.0.0.1"


def sized_to_machine(cpus: int | None = None) -> dict[str, str]:
    """Process counts for this machine. Airflow's defaults assume a server: 32 LocalExecutor
    workers, 4 api-server workers, 2 parsing processes; a night's tasks are dbt and
    PostgreSQL work, which do not go faster with more processes than cores."""
    cores = cpus or os.cpu_count() or 1
    return {
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__CORE__PARALLELISM": str(max(2, cores)),
        "AIRFLOW__API__WORKERS": "1",
        "AIRFLOW__DAG_PROCESSOR__PARSING_PROCESSES": "1",
    }


def component_env(environ: Mapping[str, str], cpus: int | None = None) -> dict[str, str]:
    """The environment a component runs with: `environ` wins over the sized defaults."""
    return {**sized_to_machine(cpus), **environ}


def component_command(component: str) -> list[str]:
    """The Airflow command line of a component, run with this Python's Airflow."""
    if component not in COMPONENTS:
        raise LadderError(f"{component!r} is not an Airflow component: use one of {COMPONENTS}")
    return [sys.executable, "-m", "airflow", component]


def project_env(home: Path, project_root: Path) -> dict[str, str]:
    """Airflow on this checkout, wherever it runs here (`ladder airflow`, `ladder demo`'s
    `dags test`, the benchmarks): its home, the project's DAGs and plugins."""
    return {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(project_root / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(project_root / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        # Cosmos posts telemetry from every task; nothing here should call home.
        "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
    }


def local_env(
    home: Path, metadata_url: str, host: str, port: int, project_root: Path
) -> dict[str, str]:
    """One machine's settings: metadata in `metadata_url`, the api-server on host:port,
    secrets generated once and kept in AIRFLOW_HOME (every component must share them, or
    the tokens one issues are rejected by the others)."""
    home.mkdir(parents=True, exist_ok=True)
    keys = _secrets(home / SECRETS_FILE)
    reach = LOOPBACK if host in ("0.0.0.0", "::") else host
    return {
        **project_env(home, project_root),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": metadata_url,
        "AIRFLOW__API__HOST": host,
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__API__BASE_URL": f"http://{reach}:{port}",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://{reach}:{port}/execution/",
        "AIRFLOW__API_AUTH__JWT_SECRET": keys["jwt_secret"],
        "AIRFLOW__API__SECRET_KEY": keys["secret_key"],
        "AIRFLOW__CORE__FERNET_KEY": keys["fernet_key"],
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{ADMIN}:admin",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(home / PASSWORDS_FILE),
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
    }


def _secrets(path: Path) -> dict[str, str]:
    if path.exists():
        return json.loads(path.read_text())
    from cryptography.fernet import Fernet

    keys = {
        "jwt_secret": secrets.token_urlsafe(32),
        "secret_key": secrets.token_urlsafe(32),
        "fernet_key": Fernet.generate_key().decode(),
    }
    path.touch(mode=0o600)
    path.write_text(json.dumps(keys))
    return keys


def sqlalchemy_url(postgres_url: str) -> str:
    """A libpq URL (postgresql://...) as SQLAlchemy names Airflow's metadata driver."""
    scheme, rest = postgres_url.split("://", 1)
    if scheme not in ("postgresql", "postgres"):
        raise LadderError(f"the metadata database must be PostgreSQL, not {scheme}://")
    return f"postgresql+psycopg2://{rest}"


class AirflowStack:
    """The four components as child processes, for as long as a `with` block runs:
    the metadata database migrated first, then started together, then stopped
    together (SIGTERM, and SIGKILL for what has not stopped in `grace` seconds)."""

    def __init__(self, env: Mapping[str, str], log_dir: Path, grace: float = 30) -> None:
        self.env = component_env(env)
        self.log_dir = log_dir
        self.grace = grace
        self.processes: dict[str, subprocess.Popen] = {}

    @property
    def api_url(self) -> str:
        return self.env["AIRFLOW__API__BASE_URL"]

    def __enter__(self) -> AirflowStack:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        migrate = subprocess.run(
            [sys.executable, "-m", "airflow", "db", "migrate"],
            env=self.env,
            capture_output=True,
            text=True,
        )
        if migrate.returncode != 0:
            raise LadderError(f"`airflow db migrate` failed:\n{migrate.stderr[-3000:]}")
        try:
            for component in COMPONENTS:
                with (self.log_dir / f"{component}.log").open("ab") as log:
                    self.processes[component] = subprocess.Popen(
                        [sys.executable, "-m", "ladder.airflow_stack", component],
                        env=self.env,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                        # Its own process group: a Ctrl-C reaches this process, which
                        # stops the components in order, instead of all at once.
                        start_new_session=True,
                    )
            self._wait_for_api()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def _wait_for_api(self, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check()
            try:
                with urllib.request.urlopen(f"{self.api_url}/api/v2/monitor/health", timeout=2):
                    return
            except OSError:
                time.sleep(1)
        raise LadderError(
            f"the api-server did not answer on {self.api_url} in {timeout:.0f} s; "
            f"its log: {self.log_dir / f'{API_SERVER}.log'}"
        )

    def check(self) -> None:
        """Raise if a component has exited: the stack is only useful whole."""
        for component, process in self.processes.items():
            if process.poll() is not None:
                raise LadderError(
                    f"the Airflow {component} exited with status {process.returncode}; "
                    f"its log: {self.log_dir / f'{component}.log'}"
                )

    def wait(self) -> None:
        """Until a component exits (an error) or this process is asked to stop."""
        while True:
            self.check()
            time.sleep(1)

    def stop(self) -> None:
        # The scheduler first, so it hands no new work to what is about to stop.
        order = ["scheduler", "triggerer", "dag-processor", API_SERVER]
        for component in order:
            process = self.processes.get(component)
            if process and process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + self.grace
        for component in order:
            process = self.processes.pop(component, None)
            if process is None:
                continue
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def main(argv: Sequence[str] | None = None) -> None:
    """`python -m ladder.airflow_stack <component>`: replaces this process with the
    component, so it receives the container's or the supervisor's signals itself."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1:
        raise SystemExit(f"usage: python -m ladder.airflow_stack {{{','.join(COMPONENTS)}}}")
    command = component_command(args[0])
    os.execve(command[0], command, component_env(os.environ))


if __name__ == "__main__":
    main()
