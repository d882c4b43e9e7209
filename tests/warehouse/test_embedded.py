"""The embedded warehouse: a real PostgreSQL server started, stopped and restarted."""

from __future__ import annotations

import socket
from pathlib import Path

import psycopg
import pytest

from ladder.errors import LadderError
from ladder.warehouse.embedded import EmbeddedWarehouse
from tests.conftest import free_port


@pytest.fixture()
def server(tmp_path: Path):
    server = EmbeddedWarehouse(tmp_path / "warehouse", free_port())
    yield server
    server.stop()


def test_start_is_idempotent_and_data_survives_a_restart(server: EmbeddedWarehouse) -> None:
    first = server.start()
    assert first.running and first.port == server.port
    assert server.start().pid == first.pid  # a second start changes nothing

    with psycopg.connect(server.url(), autocommit=True) as conn:
        conn.execute("create table kept (n int)")
        conn.execute("insert into kept values (1), (2), (3)")

    assert not server.stop().running
    assert not server.status().running
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(server.url(), connect_timeout=2)

    again = server.start()
    assert again.running and again.pid != first.pid
    with psycopg.connect(server.url()) as conn:
        assert conn.execute("select sum(n) from kept").fetchone() == (6,)


def test_listens_on_loopback_tcp_with_a_password(server: EmbeddedWarehouse) -> None:
    server.start()
    url = server.url()
    assert url.startswith("postgresql://ladder:") and f"@127.0.0.1:{server.port}/" in url
    with psycopg.connect(url) as conn:
        assert conn.execute("show listen_addresses").fetchone() == ("127.0.0.1",)
        assert conn.execute(
            "select current_setting('server_version_num')::int / 10000"
        ).fetchone() == (16,)
    wrong = url.replace("ladder:", "ladder:wrong", 1)
    with pytest.raises(psycopg.OperationalError, match="password"):
        psycopg.connect(wrong)


def test_a_port_in_use_gets_one_clear_message(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        server = EmbeddedWarehouse(tmp_path / "warehouse", port)
        with pytest.raises(
            LadderError, match=f"port {port} .* already in use.*LADDER_WAREHOUSE_PORT"
        ):
            server.start()
    assert not server.status().running


def test_a_data_directory_of_another_version_is_refused(tmp_path: Path) -> None:
    pgdata = tmp_path / "warehouse" / "pgdata"
    pgdata.mkdir(parents=True)
    (pgdata / "PG_VERSION").write_text("15\n")
    with pytest.raises(LadderError, match=r"PostgreSQL 15 cluster.*runs PostgreSQL 16"):
        EmbeddedWarehouse(tmp_path / "warehouse", free_port()).start()


def test_a_foreign_non_empty_directory_is_refused(tmp_path: Path) -> None:
    pgdata = tmp_path / "warehouse" / "pgdata"
    pgdata.mkdir(parents=True)
    (pgdata / "notes.txt").write_text("mine")
    with pytest.raises(LadderError, match="not empty but is no PostgreSQL data directory"):
        EmbeddedWarehouse(tmp_path / "warehouse", free_port()).start()
