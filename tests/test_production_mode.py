"""Production is the default (DESIGN §3): outside demo mode a missing connection is one
error naming it and how to define it, raised before anything is read or sent; the demo's
sandboxes and databases never stand in for it."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator

import psycopg
import pytest
import yaml

from ladder import mode
from ladder.config import PROJECT_ROOT
from ladder.connections import (
    HELPDESK,
    MARKETING,
    SALES_DB,
    SERVICE,
    SERVICE_DB,
    WAREHOUSE,
    MissingConnectionError,
    env_var,
)
from ladder.errors import LadderError
from ladder.extract.helpdesk import extract_helpdesk
from ladder.extract.sales import extract_sales
from ladder.publish.destinations import ROUTES, open_destination
from ladder.publish.run import publish
from ladder.warehouse.migrations import migrate
from tests.conftest import DEMO
from tests.loopback import LoopbackServer

AS_OF = DEMO["end"]


class Listener(LoopbackServer):
    """Counts the requests it is sent, where a sandbox would be, so a request that
    reached for the demo would show."""

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[str] = []

    def answer(self, method, path, headers, body):
        self.requests.append(f"{method} {path}")
        return 503, {}, b""


@pytest.fixture()
def listener() -> Iterator[Listener]:
    with Listener() as server:
        yield server


@pytest.fixture()
def production(monkeypatch: pytest.MonkeyPatch, listener: Listener, fresh_config) -> dict:
    """Production mode with no connection defined, and every sandbox of ladder.yml (and
    the service desk's demo database) somewhere this test can see it being used."""
    monkeypatch.delenv(mode.VARIABLE, raising=False)
    for name in list(os.environ):
        if name.startswith("AIRFLOW_CONN_") and name != env_var(WAREHOUSE):
            monkeypatch.delenv(name)
    settings = yaml.safe_load((PROJECT_ROOT / "ladder.yml").read_text())
    settings["sources"]["helpdesk"]["sandbox"]["port"] = listener.port
    for system in ("marketing", "service"):
        settings["destinations"][system]["sandbox"]["port"] = listener.port
    desk = f"desk_{uuid.uuid4().hex[:10]}"
    settings["destinations"]["service_table"]["demo_database"] = desk
    fresh_config(yaml.safe_dump(settings))
    return {"desk": desk}


def databases(warehouse) -> set[str]:
    with psycopg.connect(warehouse.url("postgres")) as conn:
        return {name for (name,) in conn.execute("select datname from pg_database")}


def assert_names(error: LadderError, *conn_ids: str) -> None:
    message = str(error)
    for conn_id in conn_ids:
        assert conn_id in message
        assert f"{env_var(conn_id)}='" in message  # how to define it
    assert "LADDER_MODE=demo" in message


# --- the mode ------------------------------------------------------------------------


def test_production_is_the_default_and_a_mistyped_mode_is_an_error(monkeypatch) -> None:
    monkeypatch.delenv(mode.VARIABLE, raising=False)
    assert mode.current() == mode.PRODUCTION
    for value, expected in (("production", mode.PRODUCTION), ("demo", mode.DEMO)):
        monkeypatch.setenv(mode.VARIABLE, value)
        assert mode.current() == expected
    monkeypatch.setenv(mode.VARIABLE, "Demo ")
    with pytest.raises(LadderError, match=r"LADDER_MODE='Demo' is not a mode: use production"):
        mode.is_demo()


def test_a_mistyped_mode_stops_the_command(production) -> None:
    env = {**os.environ, mode.VARIABLE: "prod"}
    done = subprocess.run(
        [sys.executable, "-m", "ladder.cli", "extract", "sales", "--as-of", str(AS_OF)],
        capture_output=True, text=True, env=env,
    )  # fmt: skip
    assert done.returncode == 2
    assert "LADDER_MODE='prod' is not a mode" in done.stderr


# --- extract ---------------------------------------------------------------------------


def test_extract_sales_refuses_without_its_connection_and_reads_nothing(
    production, demo_company, raw_target, monkeypatch
) -> None:
    with pytest.raises(MissingConnectionError) as refused:
        extract_sales(AS_OF)
    assert refused.value.conn_ids == [SALES_DB]
    assert_names(refused.value, SALES_DB)
    assert raw_target.tables() == []
    assert not raw_target.dlt_dir.exists()  # no dlt pipeline was even opened
    # The same call in demo mode reads the demo's `shop` database: what production refused.
    monkeypatch.setenv(mode.VARIABLE, mode.DEMO)
    assert extract_sales(AS_OF, tables=["customers"]).landed["shop_customers"] > 0
    assert raw_target.tables() == ["shop_customers"]


def test_extract_helpdesk_refuses_without_its_connection_and_sends_nothing(
    production, listener, raw_target
) -> None:
    with pytest.raises(MissingConnectionError) as refused:
        extract_helpdesk(AS_OF)
    assert_names(refused.value, HELPDESK)
    assert listener.requests == []  # the sandbox's port was never asked
    assert raw_target.tables() == []


def test_ladder_extract_all_names_every_missing_connection_at_once(
    production, demo_company, raw_target, listener
) -> None:
    env = {k: v for k, v in os.environ.items() if k != mode.VARIABLE}
    done = subprocess.run(
        [sys.executable, "-m", "ladder.cli", "extract", "all", "--as-of", str(AS_OF)],
        capture_output=True, text=True, env=env,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith(
        "ladder: error: the Airflow connections ladder_sales_db, ladder_helpdesk are not defined"
    )
    assert f"{env_var(SALES_DB)}='postgresql://" in done.stderr
    assert f"{env_var(HELPDESK)}='https://" in done.stderr
    assert "Traceback" not in done.stderr
    assert raw_target.tables() == []
    assert listener.requests == []


def test_a_defined_connection_is_used_in_production(production, demo_company, raw_target,
                                                    monkeypatch) -> None:  # fmt: skip
    monkeypatch.setenv(env_var(SALES_DB), demo_company.url("shop"))
    landed = extract_sales(AS_OF, tables=["customers"]).landed
    assert landed["shop_customers"] > 0


# --- publish ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("destination", "conn_id"),
    [("marketing", MARKETING), ("service", SERVICE), ("service_table", SERVICE_DB)],
)
def test_each_destination_refuses_without_its_connection(
    production, warehouse, listener, raw_target, destination, conn_id
) -> None:
    before = databases(warehouse)
    migrate(raw_target.url)  # the delivery log exists, so an empty one means something
    with pytest.raises(MissingConnectionError) as refused:
        publish(AS_OF, [destination], warehouse_url=raw_target.url)
    assert refused.value.conn_ids == [conn_id]
    assert_names(refused.value, conn_id)
    # Opening the destination itself fails closed too, not only the check up front.
    with pytest.raises(MissingConnectionError):
        open_destination(destination, AS_OF, raw_target.url)
    with psycopg.connect(raw_target.url) as conn:
        assert conn.execute("select count(*) from ops.publish_runs").fetchone() == (0,)
        assert conn.execute("select count(*) from ops.publish_state").fetchone() == (0,)
    assert listener.requests == []
    assert databases(warehouse) == before
    assert production["desk"] not in databases(warehouse)


def test_publish_names_every_missing_connection_before_the_first_list(
    production, warehouse, raw_target, listener
) -> None:
    with pytest.raises(MissingConnectionError) as refused:
        publish(AS_OF, warehouse_url=raw_target.url)
    assert refused.value.conn_ids == [route.connection for route in ROUTES.values()]
    assert_names(refused.value, MARKETING, SERVICE, SERVICE_DB)
    with psycopg.connect(raw_target.url) as conn:
        exists = conn.execute("select to_regclass('ops.publish_runs')").fetchone()[0]
    assert exists is None  # the ledger was not even touched
    assert listener.requests == []
    assert production["desk"] not in databases(warehouse)


def test_in_demo_mode_the_service_desk_database_stands_in(
    production, warehouse, raw_target, monkeypatch
) -> None:
    monkeypatch.setenv(mode.VARIABLE, mode.DEMO)
    destination = open_destination("service_table", AS_OF, raw_target.url)
    destination.close()
    assert destination.origin.startswith(f"the demo service desk database `{production['desk']}`")
    assert production["desk"] in databases(warehouse)


# --- the nightly ----------------------------------------------------------------------


def test_the_nightly_stops_at_preflight_naming_every_missing_connection(
    production, warehouse
) -> None:
    from airflow.dag_processing.dagbag import DagBag

    dag = DagBag(dag_folder=str(PROJECT_ROOT / "dags")).dags["ladder_nightly"]
    preflight = dag.get_task("preflight")
    assert {t.task_id for t in preflight.get_direct_relatives(upstream=True)} == set()
    with pytest.raises(MissingConnectionError) as refused:
        preflight.python_callable()
    assert refused.value.conn_ids == [SALES_DB, HELPDESK, MARKETING, SERVICE, SERVICE_DB]
