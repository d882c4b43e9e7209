"""Warehouse resolution order: Airflow connection, then LADDER_WAREHOUSE_URL, then embedded."""

from __future__ import annotations

import json
import subprocess
import sys

import psycopg
import pytest
import yaml

from ladder.config import PROJECT_ROOT
from ladder.connections import WAREHOUSE, env_var
from ladder.errors import LadderError
from ladder.warehouse import resolve_warehouse
from ladder.warehouse.embedded import EmbeddedWarehouse

CONN = env_var(WAREHOUSE)


def with_embedded(**embedded: object) -> str:
    """The project's ladder.yml with these warehouse.embedded settings."""
    settings = yaml.safe_load((PROJECT_ROOT / "ladder.yml").read_text())
    settings["warehouse"]["embedded"].update(embedded)
    return yaml.safe_dump(settings)


def test_airflow_connection_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CONN, "postgres://ana:s%40cret@db.internal:6543/dw?sslmode=require")
    monkeypatch.setenv("LADDER_WAREHOUSE_URL", "postgresql://other@elsewhere/x")
    target = resolve_warehouse()
    assert target.url == "postgresql://ana:s%40cret@db.internal:6543/dw?sslmode=require"
    assert target.source.startswith("Airflow connection ladder_warehouse")
    assert target.redacted() == "postgresql://ana:***@db.internal:6543/dw?sslmode=require"
    assert target.database_url("shop").startswith("postgresql://ana:s%40cret@db.internal:6543/shop")


def test_airflow_connection_in_json_form(monkeypatch: pytest.MonkeyPatch) -> None:
    conn = {"conn_type": "postgres", "host": "h", "login": "u", "password": "p", "port": 5,
            "schema": "dw"}  # fmt: skip
    monkeypatch.setenv(CONN, json.dumps(conn))
    assert resolve_warehouse().url == "postgresql://u:p@h:5/dw"


def test_url_variable_comes_second(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(CONN, raising=False)
    monkeypatch.setenv("LADDER_WAREHOUSE_URL", "postgresql://bi@warehouse.example/dw")
    target = resolve_warehouse()
    assert (target.url, target.source) == (
        "postgresql://bi@warehouse.example/dw",
        "LADDER_WAREHOUSE_URL",
    )


def test_embedded_warehouse_comes_last(
    warehouse: EmbeddedWarehouse, fresh_config, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(CONN, raising=False)
    monkeypatch.delenv("LADDER_WAREHOUSE_URL", raising=False)
    monkeypatch.delenv("LADDER_WAREHOUSE_PORT", raising=False)
    fresh_config(with_embedded(data_dir=str(warehouse.root), port=warehouse.port))
    target = resolve_warehouse()
    assert target.source == "embedded warehouse"
    assert target.url == warehouse.url("warehouse")
    with psycopg.connect(target.url) as conn:
        assert conn.execute("select current_database()").fetchone() == ("warehouse",)


def test_embedded_warehouse_not_created_yet_says_what_to_run(
    tmp_path, fresh_config, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(CONN, raising=False)
    monkeypatch.delenv("LADDER_WAREHOUSE_URL", raising=False)
    fresh_config(with_embedded(data_dir=str(tmp_path / "none")))
    with pytest.raises(LadderError, match="run `ladder warehouse start`"):
        resolve_warehouse()


def test_cli_url_and_status_follow_the_same_resolution(warehouse: EmbeddedWarehouse) -> None:
    ladder = [sys.executable, "-m", "ladder.cli", "warehouse"]
    url = subprocess.run([*ladder, "url"], capture_output=True, text=True, check=True)
    assert url.stdout.strip() == warehouse.url("warehouse")
    shop = subprocess.run([*ladder, "url", "--database", "shop"], capture_output=True, text=True)
    assert shop.stdout.strip() == warehouse.url("shop")
    status = subprocess.run([*ladder, "status"], capture_output=True, text=True, check=True)
    assert "(from LADDER_WAREHOUSE_URL)" in status.stdout
    assert warehouse.url().split(":")[2].split("@")[0] not in status.stdout  # no password
