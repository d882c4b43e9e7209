"""Session fixtures: one real embedded PostgreSQL server and one small demo company.

Everything runs against a real server; the session's server lives in a temporary
directory on a free port, so it never touches the developer's own warehouse.
"""

from __future__ import annotations

import os
import socket
import tempfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import psycopg
import pytest

from ladder import config
from ladder.connections import WAREHOUSE, env_var
from ladder.warehouse.embedded import EmbeddedWarehouse

DEMO = {"customers": 3000, "seed": 7, "start": date(2024, 1, 1), "end": date(2025, 7, 1)}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedWarehouse]:
    server = EmbeddedWarehouse(tmp_path_factory.mktemp("warehouse"), free_port())
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


def pytest_configure() -> None:
    # Tests must not pick up a developer's Airflow settings or connections, nor write
    # to ~/airflow: Airflow reads these when it is first imported.
    for name in list(os.environ):
        if name.startswith(("AIRFLOW_CONN_", "AIRFLOW__")):
            del os.environ[name]
    os.environ["AIRFLOW_HOME"] = tempfile.mkdtemp(prefix="ladder-airflow-")
    os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
    os.environ["AIRFLOW__COSMOS__ENABLE_TELEMETRY"] = "False"
