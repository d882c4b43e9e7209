"""Extraction end to end: a real sales database and a real helpdesk API into raw."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta

import psycopg
import pytest
import yaml

from ladder.config import PROJECT_ROOT
from ladder.demo.load import append_day
from ladder.demo.run import HelpdeskSandbox
from ladder.demo.schema import HELPDESK_TABLES, SHOP_TABLES
from ladder.errors import LadderError
from ladder.extract.helpdesk import extract_helpdesk
from ladder.extract.sales import extract_sales
from tests.conftest import DEMO, TOKEN, connect, ensure_demo_company, free_port, new_target
from tests.extract.conftest import ladder

AS_OF = DEMO["end"]


def source_counts(warehouse, before) -> dict[str, int]:
    counts = {}
    for database, prefix, tables in (("shop", "shop_", SHOP_TABLES),
                                     ("helpdesk", "helpdesk_", HELPDESK_TABLES)):  # fmt: skip
        with connect(warehouse, database) as conn:
            for t in tables:
                counts[prefix + t.name] = conn.execute(
                    f"select count(*) from {t.name} where updated_at < %s", (before,)
                ).fetchone()[0]
    return counts


def extract_all(as_of=AS_OF) -> dict[str, int]:
    landed = {}
    for run in (extract_sales, extract_helpdesk):
        landed |= run(as_of).landed
    return landed


def test_a_first_load_lands_every_source_row(demo_company, raw_target, helpdesk_conn) -> None:
    landed = extract_all()
    expected = source_counts(demo_company, AS_OF)
    assert landed == expected
    assert raw_target.counts() == expected
    with psycopg.connect(raw_target.url) as conn:
        raw_orders = set(conn.execute("select order_id, updated_at from raw.shop_orders"))
    with connect(demo_company, "shop") as conn:
        assert raw_orders == set(conn.execute("select order_id, updated_at from orders"))


def test_a_rerun_of_the_same_day_lands_nothing(demo_company, raw_target, helpdesk_conn) -> None:
    extract_all()
    first = raw_target.checksums()
    assert sum(extract_all().values()) == 0
    assert raw_target.checksums() == first


def test_a_new_day_moves_only_new_and_changed_rows(warehouse, raw_target, helpdesk_conn) -> None:
    ensure_demo_company(warehouse)
    extract_all()
    day, next_day = AS_OF, AS_OF + timedelta(days=1)
    append_day(day)  # the company's next day: new rows, and updates to old ones
    try:
        before_day, after_day = source_counts(warehouse, day), source_counts(warehouse, next_day)
        touched = {table: after_day[table] - count for table, count in before_day.items()}
        with connect(warehouse, "helpdesk") as conn:
            updated_tickets = conn.execute(
                "select count(*) from tickets where created_at < %s and updated_at >= %s",
                (day, day),
            ).fetchone()[0]
        before = raw_target.counts()
        landed = extract_all(next_day)
        assert landed == touched  # exactly the rows created or changed that day
        assert updated_tickets > 0 and landed["shop_orders"] > 0
        after = raw_target.counts()
        # Raw keeps the superseded version of a changed row beside the new one.
        assert after == {t: before[t] + landed[t] for t in before}
        assert sum(landed.values()) < 0.1 * sum(before.values())
    finally:
        ensure_demo_company(warehouse)


def test_faults_and_rate_limits_leave_the_same_raw(demo_company, raw_target, tmp_path) -> None:
    clean = new_target(demo_company, tmp_path / "clean-dlt")
    port = free_port()
    with HelpdeskSandbox(port):
        env = {**clean.env(), "AIRFLOW_CONN_LADDER_HELPDESK": f"http://:{TOKEN}@127.0.0.1:{port}"}
        result = ladder("extract", "helpdesk", "--as-of", AS_OF.isoformat(), env=env)
        assert result.returncode == 0, result.stderr
    faulty = ("--fault-rate", "0.2", "--drop-rate", "0.05", "--slow-rate", "0.05",
              "--rate-limit", "20", "--seed", "3")  # fmt: skip
    port = free_port()
    with HelpdeskSandbox(port, faulty):
        env = {**raw_target.env(),
               "AIRFLOW_CONN_LADDER_HELPDESK": f"http://:{TOKEN}@127.0.0.1:{port}"}  # fmt: skip
        result = ladder("extract", "helpdesk", "--as-of", AS_OF.isoformat(), env=env)
        assert result.returncode == 0, result.stderr
    assert raw_target.checksums() == clean.checksums()


@pytest.mark.parametrize("fresh_worker", [False, True], ids=["same-worker", "fresh-worker"])
def test_a_load_killed_part_way_and_rerun_gives_the_same_raw(
    demo_company, raw_target, helpdesk_conn, tmp_path, fresh_worker: bool
) -> None:
    reference = new_target(demo_company, tmp_path / "reference-dlt")
    env = {**reference.env(), "AIRFLOW_CONN_LADDER_HELPDESK": helpdesk_conn}
    assert ladder("extract", "sales", "--as-of", AS_OF.isoformat(), env=env).returncode == 0

    env = {**os.environ, **raw_target.env()}
    process = subprocess.Popen(
        [sys.executable, "-m", "ladder.cli", "extract", "sales", "--as-of", AS_OF.isoformat()],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _wait_for_first_rows(raw_target.url, process)
    process.send_signal(signal.SIGKILL)
    process.wait()
    interrupted = raw_target.counts()
    assert interrupted != reference.counts()  # it really was killed part-way

    if fresh_worker:
        env["LADDER_DLT_DIR"] = str(tmp_path / "another-worker")
    rerun = subprocess.run(
        [sys.executable, "-m", "ladder.cli", "extract", "sales", "--as-of", AS_OF.isoformat()],
        env=env,
        capture_output=True,
        text=True,
    )
    assert rerun.returncode == 0, rerun.stderr
    assert raw_target.checksums() == reference.checksums()


def _wait_for_first_rows(url: str, process: subprocess.Popen) -> None:
    """Until dlt has created raw (it is past extraction, loading) or 60 s passed."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        with psycopg.connect(url, autocommit=True) as conn:
            found = conn.execute(
                "select count(*) from information_schema.tables "
                "where table_schema in ('raw', 'raw_staging')"
            ).fetchone()[0]
        if found:
            return
        time.sleep(0.05)
    pytest.fail("the extract finished or stalled before it could be interrupted")


def test_a_wrong_helpdesk_token_names_the_connection(demo_company, raw_target, sandbox) -> None:
    wrong = sandbox.replace(TOKEN, "not-the-token")
    result = ladder("extract", "helpdesk", "--as-of", AS_OF.isoformat(),
                    env={"AIRFLOW_CONN_LADDER_HELPDESK": wrong})  # fmt: skip
    assert result.returncode == 2
    assert "refused the API token (HTTP 401)" in result.stderr
    assert "AIRFLOW_CONN_LADDER_HELPDESK" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_helpdesk_connection_without_token_names_the_connection(raw_target, monkeypatch) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_LADDER_HELPDESK", "http://127.0.0.1:9")
    with pytest.raises(LadderError, match="ladder_helpdesk has no password"):
        extract_helpdesk(AS_OF)


def test_an_unreachable_helpdesk_names_the_connection(
    raw_target, monkeypatch, fresh_config
) -> None:
    settings = yaml.safe_load((PROJECT_ROOT / "ladder.yml").read_text())
    settings["sources"]["helpdesk"]["retry"] = {"attempts": 2, "seconds": 30}  # give up quickly
    fresh_config(yaml.safe_dump(settings))
    monkeypatch.setenv("AIRFLOW_CONN_LADDER_HELPDESK", f"http://:{TOKEN}@127.0.0.1:{free_port()}")
    with pytest.raises(LadderError, match=r"cannot reach the helpdesk.*ladder_helpdesk"):
        extract_helpdesk(AS_OF)


def test_a_wrong_sales_password_names_the_connection(demo_company, raw_target) -> None:
    url = demo_company.url("shop").replace("ladder:", "ladder:wrong", 1)
    result = ladder("extract", "sales", "--as-of", AS_OF.isoformat(),
                    env={"AIRFLOW_CONN_LADDER_SALES_DB": url})  # fmt: skip
    assert result.returncode == 2
    assert "cannot read the sales database" in result.stderr
    assert "AIRFLOW_CONN_LADDER_SALES_DB" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
