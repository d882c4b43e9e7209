"""Session fixtures: one real embedded PostgreSQL server and one small demo company.

Everything runs against a real server; the session's server lives in a temporary
directory on a free port, so it never touches the developer's own warehouse.
"""

from __future__ import annotations

import os
import socket
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from ladder import config, mode
from ladder.connections import WAREHOUSE, env_var
from ladder.demo.run import HelpdeskSandbox
from ladder.demo.truth import EVALUATION_SEED
from ladder.transform.dbt import DbtSession
from ladder.warehouse.embedded import EmbeddedWarehouse

# The small company tests run: the evaluation seed, which the rules are not tuned on.
DEMO = {
    "customers": 3000,
    "seed": EVALUATION_SEED,
    "start": date(2024, 1, 1),
    "end": date(2025, 7, 1),
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def warehouse() -> Iterator[EmbeddedWarehouse]:
    # Not under pytest's basetemp: a newer pytest session (a second checkout's, say)
    # prunes the older basetemps, and with them this server's data under its feet.
    with tempfile.TemporaryDirectory(prefix="ladder-test-warehouse-") as data:
        server = EmbeddedWarehouse(Path(data) / "warehouse", free_port())
        server.start()
        server.ensure_database("warehouse")
        with pytest.MonkeyPatch.context() as patch:
            # Point every code path (CLI subprocesses included) at the session's server.
            patch.setenv("LADDER_WAREHOUSE_URL", server.url("warehouse"))
            patch.delenv(env_var(WAREHOUSE), raising=False)
            yield server
        server.stop()


@pytest.fixture()
def fresh_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Write a ladder.yml of the test's own and make the code read it."""

    def write(text: str) -> Path:
        path = tmp_path / "ladder.yml"
        path.write_text(text)
        monkeypatch.setenv("LADDER_CONFIG", str(path))
        config.load_config.cache_clear()
        return path

    yield write
    config.load_config.cache_clear()


def connect(server: EmbeddedWarehouse, database: str) -> psycopg.Connection:
    return psycopg.connect(server.url(database), autocommit=True)


@pytest.fixture()
def demo_company(warehouse: EmbeddedWarehouse) -> EmbeddedWarehouse:
    """The standard small demo company, (re)generated when another test replaced it."""
    return ensure_demo_company(warehouse)


def ensure_demo_company(warehouse: EmbeddedWarehouse) -> EmbeddedWarehouse:
    from ladder.demo.load import create_demo_company

    try:
        with connect(warehouse, "shop") as conn:
            row = conn.execute(
                "select seed, customers, start_date, covered_until from demo_truth.generation"
            ).fetchone()
    except psycopg.Error:
        row = None
    wanted = (DEMO["seed"], DEMO["customers"], DEMO["start"], DEMO["end"])
    if row != wanted:
        create_demo_company(**DEMO)
    return warehouse


_DBT_SESSIONS: dict[str, DbtSession] = {}


def dbt_session(url: str) -> DbtSession:
    """dbt in the test process for the builds on the database at `url` (DbtSession): the
    project is parsed once per database and stage, not again by every dbt process. The
    last two databases' sessions are kept: a parsed project is tens of megabytes."""
    session = _DBT_SESSIONS.pop(url, None) or DbtSession(url)
    _DBT_SESSIONS[url] = session
    while len(_DBT_SESSIONS) > 2:
        _DBT_SESSIONS.pop(next(iter(_DBT_SESSIONS)))
    return session


def dbt_build(url: str, as_of: date, args: list[str]) -> None:
    """`dbt <args>` for the night `as_of` on the database at `url` through its session,
    after the migrations a dbt process would have applied first (run_dbt)."""
    from ladder.warehouse.migrations import migrate

    migrate(url)
    dbt_session(url).run(args, {"as_of_date": as_of.isoformat()})


# A warehouse database of a test's own, and the helpdesk sandbox over the demo company.
TOKEN = "ladder-demo-token"


@dataclass
class RawTarget:
    """One warehouse database and one dlt working folder: a worker's view of the world."""

    server: EmbeddedWarehouse
    database: str
    dlt_dir: Path

    @property
    def url(self) -> str:
        return self.server.url(self.database)

    def env(self) -> dict[str, str]:
        return {"LADDER_WAREHOUSE_URL": self.url, "LADDER_DLT_DIR": str(self.dlt_dir)}

    def tables(self) -> list[str]:
        with psycopg.connect(self.url) as conn:
            rows = conn.execute(
                "select table_name from information_schema.tables where table_schema = 'raw' "
                "and table_name not like '\\_dlt%%' order by 1"
            ).fetchall()
        return [name for (name,) in rows]

    def counts(self) -> dict[str, int]:
        with psycopg.connect(self.url) as conn:
            return {
                t: conn.execute(
                    sql.SQL("select count(*) from raw.{}").format(sql.Identifier(t))
                ).fetchone()[0]
                for t in self.tables()
            }

    def checksums(self) -> dict[str, tuple[int, str]]:
        """Per raw table: rows and a digest of their content, dlt's own columns aside."""
        sums = {}
        with psycopg.connect(self.url) as conn:
            for table in self.tables():
                columns = [
                    c
                    for (c,) in conn.execute(
                        "select column_name from information_schema.columns where "
                        "table_schema = 'raw' and table_name = %s and column_name not like "
                        "'\\_dlt%%' order by column_name",
                        (table,),
                    )
                ]
                row = sql.SQL("concat_ws('|', {})").format(
                    sql.SQL(", ").join(sql.Identifier(c) for c in columns)
                )
                query = sql.SQL(
                    "select count(*), md5(coalesce(string_agg({row}, chr(10) order by {row}), ''))"
                    " from raw.{table}"
                ).format(row=row, table=sql.Identifier(table))
                sums[table] = conn.execute(query).fetchone()
        return sums


@pytest.fixture()
def raw_target(warehouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> RawTarget:
    target = new_target(warehouse, tmp_path / "dlt")
    for name, value in target.env().items():
        monkeypatch.setenv(name, value)
    return target


def new_target(warehouse: EmbeddedWarehouse, dlt_dir: Path) -> RawTarget:
    database = f"wh_{uuid.uuid4().hex[:10]}"
    warehouse.ensure_database(database)
    return RawTarget(warehouse, database, dlt_dir)


@pytest.fixture(scope="module")
def sandbox(warehouse):
    """The helpdesk sandbox over the demo company, as the connection ladder_helpdesk."""
    ensure_demo_company(warehouse)
    port = free_port()
    with HelpdeskSandbox(port):
        yield f"http://:{TOKEN}@127.0.0.1:{port}"


@pytest.fixture()
def helpdesk_conn(sandbox: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("AIRFLOW_CONN_LADDER_HELPDESK", sandbox)
    return sandbox


def pytest_configure() -> None:
    # Tests must not pick up a developer's Airflow settings or connections, nor write
    # to ~/airflow: Airflow reads these when it is first imported.
    for name in list(os.environ):
        if name.startswith(("AIRFLOW_CONN_", "AIRFLOW__")):
            del os.environ[name]
    os.environ["AIRFLOW_HOME"] = tempfile.mkdtemp(prefix="ladder-airflow-")
    os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
    os.environ["AIRFLOW__COSMOS__ENABLE_TELEMETRY"] = "False"
    # The demo's sandboxes and databases stand in for connections a test leaves undefined
    # (subprocesses inherit it); tests of production mode delete it.
    os.environ[mode.VARIABLE] = mode.DEMO
