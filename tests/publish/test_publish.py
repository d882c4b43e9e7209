"""`ladder publish` against the marketing and service sandboxes over loopback, on treatment
lists written straight into a warehouse database of the test's own: only the diff is
sent, nothing twice, through faults, rejects, removals and a publish killed half-way."""

from __future__ import annotations

import csv
import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from datetime import date
from pathlib import Path

import psycopg
import pytest
import yaml

from ladder import config
from ladder.demo.run import SandboxProcess
from ladder.publish.run import publish
from tests.conftest import free_port

D = date(2026, 1, 1)
RULES = config.PROJECT_ROOT / "dbt_project" / "seeds" / "treatment_rules.csv"
CODES = ["GROW_CROSS_SELL", "WINBACK", "PROFIT_ALTERNATIVES"]


def write_lists(url: str, customers: int, *, leave: int = 0, bad: set[str] = frozenset(),
                changed: int = 0) -> None:  # fmt: skip
    """Both treatment marts for D: customers C00000.. minus the first `leave`, with an
    unknown treatment code for `bad` ones and a new offer for the first `changed`."""
    ids = [f"C{i:05d}" for i in range(leave, customers)]
    with psycopg.connect(url) as conn:
        conn.execute("create schema if not exists marts; create schema if not exists staging")
        conn.execute(
            "drop table if exists marts.treatment_marketing, marts.treatment_service,"
            " marts.dim_customers, staging.treatment_rules"
        )
        conn.execute(
            "create table staging.treatment_rules (system text, priority int, rationale text)"
        )
        with RULES.open() as rules:
            conn.cursor().executemany(
                "insert into staging.treatment_rules values (%s, %s, %s)",
                [(r["system"], int(r["priority"]), r["rationale"]) for r in csv.DictReader(rules)],
            )
        conn.execute("create table marts.dim_customers (customer_id text, email text)")
        conn.execute(
            "create table marts.treatment_marketing (customer_id text, treatment_code text,"
            " offer text, channel text, ladder_rung text, value_segment text, reason text,"
            " rule_priority int, as_of_date date)"
        )
        conn.execute(
            "create table marts.treatment_service (customer_id text, service_tier text,"
            " treatment_code text, reason text, ladder_rung text, value_segment text,"
            " rule_priority int, as_of_date date)"
        )
        cursor = conn.cursor()
        cursor.executemany(
            "insert into marts.dim_customers values (%s, %s)",
            [(c, f"{c.lower()}@example.com") for c in ids],
        )
        cursor.executemany(
            "insert into marts.treatment_marketing values (%s, %s, %s, 'email', 'Client',"
            " 'good', 'a reason', 100, %s)",
            [
                (
                    c,
                    "NOT_A_CODE" if c in bad else CODES[int(c[1:]) % 3],
                    "new offer" if n < changed else "offer",
                    D,
                )
                for n, c in enumerate(ids)
            ],
        )
        cursor.executemany(
            "insert into marts.treatment_service values (%s, 'standard',"
            " 'SELF_SERVICE_GUIDANCE', 'a reason', 'Toxic', 'bad', 60, %s)",
            [(c, D) for c in ids],
        )


def held(state: Path) -> dict[str, tuple[int, int, int]]:
    with sqlite3.connect(state) as conn:
        rows = conn.execute(
            "select customer_id, present, applied_count, removed_count from records"
        ).fetchall()
    return {r[0]: r[1:] for r in rows}


@pytest.fixture()
def world(warehouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A warehouse database, and ladder.yml pointing both lists at sandboxes of this test
    (started by the test itself, with the faults it wants) in batches of 40."""
    database = f"pub_{uuid.uuid4().hex[:10]}"
    warehouse.ensure_database(database)
    settings = yaml.safe_load(config.config_path().read_text())
    ports = {}
    for system in ("marketing", "service"):
        ports[system] = free_port()
        settings["destinations"][system]["max_batch"] = 40
        settings["destinations"][system]["sandbox"].update(
            port=ports[system], state=str(tmp_path / f"{system}.sqlite")
        )
    path = tmp_path / "ladder.yml"
    path.write_text(yaml.safe_dump(settings))
    monkeypatch.setenv("LADDER_CONFIG", str(path))
    config.load_config.cache_clear()
    yield warehouse.url(database), ports, tmp_path
    config.load_config.cache_clear()


def sandbox(system: str, ports, folder: Path, *extra: str) -> SandboxProcess:
    return SandboxProcess(
        system, ports[system], ("--state", str(folder / f"{system}.sqlite"), *extra)
    )


def test_a_second_run_sends_nothing_and_a_dry_run_sends_nothing(world) -> None:
    url, ports, folder = world
    write_lists(url, 100)
    with sandbox("marketing", ports, folder), sandbox("service", ports, folder):
        dry = publish(D, dry_run=True, warehouse_url=url)
        assert [(r.upserts, r.sent) for r in dry] == [(100, 0), (100, 0)]
        assert not (folder / "marketing.sqlite").exists() or held(folder / "marketing.sqlite") == {}
        first = publish(D, warehouse_url=url)
        again = publish(D, warehouse_url=url)
    assert [(r.sent, r.batches) for r in first] == [(100, 3), (100, 3)]
    assert [(r.upserts, r.removals, r.sent) for r in again] == [(0, 0, 0), (0, 0, 0)]
    for system in ("marketing", "service"):
        assert set(held(folder / f"{system}.sqlite").values()) == {(1, 1, 0)}
    with psycopg.connect(url) as conn:
        runs = conn.execute(
            "select destination, status, sent from ops.publish_runs order by run_id"
        ).fetchall()
    assert [r[1] for r in runs] == ["dry run"] * 2 + ["succeeded"] * 4


def test_through_faults_and_rate_limits_every_record_arrives_once(world) -> None:
    url, ports, folder = world
    write_lists(url, 400)
    faults = ("--fault-rate", "0.1", "--drop-rate", "0.1", "--rate-limit", "8", "--seed", "5")
    with sandbox("marketing", ports, folder, *faults), sandbox("service", ports, folder, *faults):
        results = publish(D, warehouse_url=url)
    assert [r.sent for r in results] == [400, 400]
    for system in ("marketing", "service"):
        state = held(folder / f"{system}.sqlite")
        assert len(state) == 400 and set(state.values()) == {(1, 1, 0)}


def test_rejects_are_logged_and_not_resent_and_leavers_are_removed(world) -> None:
    url, ports, folder = world
    write_lists(url, 100, bad={"C00007"})
    with sandbox("marketing", ports, folder), sandbox("service", ports, folder):
        first = publish(D, ["marketing"], warehouse_url=url)[0]
        again = publish(D, ["marketing"], warehouse_url=url)[0]
        # Tomorrow's list: ten customers left it (consent withdrawn, say), five changed.
        write_lists(url, 100, leave=10, bad={"C00007"}, changed=5)
        later = publish(D, ["marketing"], warehouse_url=url)[0]
    assert (first.sent, first.rejected) == (99, 1)
    assert (again.upserts, again.sent) == (0, 0)
    with psycopg.connect(url) as conn:
        reason = conn.execute("select customer_id, reason from ops.publish_rejects").fetchall()
    assert reason == [("C00007", "unknown treatment_code 'NOT_A_CODE'")]
    # C00007 was never delivered, so it is not removed either.
    assert (later.upserts, later.removals) == (5, 9)
    state = held(folder / "marketing.sqlite")
    assert {c for c, row in state.items() if row[0] == 1} == {
        f"C{i:05d}" for i in range(10, 100)
    } - {"C00007"}
    assert state["C00010"] == (1, 2, 0) and state["C00000"] == (0, 1, 1)


def test_a_publish_killed_half_way_and_rerun_applies_nothing_twice(world) -> None:
    url, ports, folder = world
    write_lists(url, 400)
    env = {**os.environ, "LADDER_WAREHOUSE_URL": url}
    command = [sys.executable, "-m", "ladder.cli", "publish", "--as-of", D.isoformat(),
               "--list", "marketing"]  # fmt: skip
    with sandbox("marketing", ports, folder, "--slow-rate", "1"):
        killed = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(held_or_empty(folder)) < 120:
            time.sleep(0.1)
        killed.send_signal(signal.SIGKILL)
        killed.wait()
        part = len(held_or_empty(folder))
        assert 0 < part < 400
        subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
    state = held(folder / "marketing.sqlite")
    assert len(state) == 400 and set(state.values()) == {(1, 1, 0)}


def held_or_empty(folder: Path) -> dict:
    path = folder / "marketing.sqlite"
    try:
        return held(path) if path.exists() else {}
    except sqlite3.OperationalError:
        return {}
