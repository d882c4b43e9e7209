"""Extraction fixtures: a fresh warehouse database per test, the sandbox on loopback."""

from __future__ import annotations

import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from ladder.demo.run import HelpdeskSandbox
from ladder.warehouse.embedded import EmbeddedWarehouse
from tests.conftest import ensure_demo_company, free_port

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


def ladder(*args: str, env: dict[str, str] | None = None, **kwargs) -> subprocess.CompletedProcess:
    import os

    return subprocess.run(
        [sys.executable, "-m", "ladder.cli", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        **kwargs,
    )
