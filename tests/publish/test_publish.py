"""`ladder publish` against the marketing and service sandboxes over loopback, on treatment
lists written straight into a warehouse database of the test's own: only the diff is
sent, nothing twice, through faults, rejects, removals and a publish killed half-way."""

from __future__ import annotations

import csv
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import psycopg
import pytest

from ladder import config
from ladder.publish.destinations import route
from ladder.publish.files import drop_service_file
from ladder.publish.lists import MARKETING, SERVICE
from ladder.publish.run import publish
from ladder.sandbox.destinations import Store
from ladder.warehouse.migrations import migrate, service_desk_track
from tests.publish.conftest import desk, held, sandbox
from tests.publish.vocabulary import assert_destinations_clean, file_records, sandbox_records

D = date(2026, 1, 1)
RULES = config.PROJECT_ROOT / "dbt_project" / "seeds" / "treatment_rules.csv"
CODES = ["GROW_CROSS_SELL", "WINBACK", "PROFIT_ALTERNATIVES"]


def customer_reasons() -> dict[tuple[str, int], str]:
    with RULES.open() as rules:
        return {(r["system"], int(r["priority"])): r["customer_reason"]
                for r in csv.DictReader(rules)}  # fmt: skip


def write_lists(url: str, customers: int, *, leave: int = 0, bad: set[str] = frozenset(),
                changed: int = 0, review: set[str] = frozenset()) -> None:  # fmt: skip
    """Both payload models for D (as dbt would build them from the treatment marts):
    customers C00000.. minus the first `leave`, with an unknown treatment code for `bad`
    ones, a new offer for the first `changed`, and the `review` tier for `review` ones."""
    ids = [f"C{i:05d}" for i in range(leave, customers)]
    reasons = customer_reasons()
    with psycopg.connect(url) as conn:
        conn.execute("create schema if not exists marts")
        conn.execute(
            "drop table if exists marts.payload_marketing_audience, marts.payload_service_profile"
        )
        conn.execute(
            "create table marts.payload_marketing_audience (customer_id varchar,"
            " treatment_code text, offer text, channel text, email varchar, reason text,"
            " as_of_date date)"
        )
        conn.execute(
            "create table marts.payload_service_profile (customer_id varchar, tier text,"
            " treatment_code text, reason text, agent_note text, as_of_date date)"
        )
        cursor = conn.cursor()
        cursor.executemany(
            "insert into marts.payload_marketing_audience values (%s, %s, %s, 'email', %s, %s, %s)",
            [
                (
                    c,
                    "NOT_A_CODE" if c in bad else CODES[int(c[1:]) % 3],
                    "new offer" if n < changed else "offer",
                    f"{c.lower()}@example.com",
                    reasons["marketing", 100],
                    D,
                )
                for n, c in enumerate(ids)
            ],
        )
        cursor.executemany(
            "insert into marts.payload_service_profile values (%s, %s,"
            " 'SELF_SERVICE_GUIDANCE', %s, %s, %s)",
            [
                (
                    c,
                    "review" if c in review else "standard",
                    reasons["service", 60],
                    f"{int(c[1:]) % 4} complaints in 180 days, no satisfaction rating",
                    D,
                )
                for c in ids
            ],
        )


def test_a_second_run_sends_nothing_and_a_dry_run_sends_nothing(world) -> None:
    url, ports, folder = world
    write_lists(url, 100)
    with sandbox("marketing", ports, folder), sandbox("service", ports, folder):
        dry = publish(D, dry_run=True, warehouse_url=url)
        assert [(r.upserts, r.sent) for r in dry] == [(100, 0)] * 3
        assert not (folder / "marketing.sqlite").exists() or held(folder / "marketing.sqlite") == {}
        first = publish(D, warehouse_url=url)
        table = desk(url)
        again = publish(D, warehouse_url=url)
    assert [r.destination for r in first] == ["marketing", "service", "service_table"]
    assert [(r.sent, r.batches) for r in first] == [(100, 3)] * 3
    assert [(r.upserts, r.removals, r.sent) for r in again] == [(0, 0, 0)] * 3
    for system in ("marketing", "service"):
        assert set(held(folder / f"{system}.sqlite").values()) == {(1, 1, 0)}
    assert len(table) == 100 and desk(url) == table
    assert {(tier, code, day) for tier, code, _, _, day, _ in table.values()} == {
        ("standard", "SELF_SERVICE_GUIDANCE", D)
    }
    # Each system holds exactly its payload model's fields, and no internal label.
    for system, lst in (("marketing", MARKETING), ("service", SERVICE)):
        assert {tuple(sorted(r)) for r in sandbox_records(folder / f"{system}.sqlite")} == {
            tuple(sorted(lst.fields))
        }
    assert_destinations_clean(
        sandboxes=[folder / "marketing.sqlite", folder / "service.sqlite"], tables=[url + "_desk"]
    )
    with psycopg.connect(url) as conn:
        runs = conn.execute(
            "select destination, status, sent from ops.publish_runs order by run_id"
        ).fetchall()
    assert [r[1] for r in runs] == ["dry run"] * 3 + ["succeeded"] * 6


def test_through_faults_and_rate_limits_every_record_arrives_once(world) -> None:
    url, ports, folder = world
    write_lists(url, 400)
    faults = ("--fault-rate", "0.1", "--drop-rate", "0.1", "--rate-limit", "8", "--seed", "5")
    with sandbox("marketing", ports, folder, *faults), sandbox("service", ports, folder, *faults):
        results = publish(D, ["marketing", "service"], warehouse_url=url)
    assert [r.sent for r in results] == [400, 400]
    for system in ("marketing", "service"):
        state = held(folder / f"{system}.sqlite")
        assert len(state) == 400 and set(state.values()) == {(1, 1, 0)}
    assert_destinations_clean(sandboxes=[folder / "marketing.sqlite", folder / "service.sqlite"])


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
    assert_destinations_clean(sandboxes=[folder / "marketing.sqlite"])


def test_a_publish_killed_half_way_and_rerun_applies_nothing_twice(world) -> None:
    url, ports, folder = world
    write_lists(url, 400)
    env = {**os.environ, "LADDER_WAREHOUSE_URL": url}
    command = [sys.executable, "-m", "ladder.cli", "publish", "--as-of", D.isoformat(),
               "--destination", "marketing"]  # fmt: skip
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
    assert_destinations_clean(sandboxes=[folder / "marketing.sqlite"])


def test_the_service_table_follows_the_list_and_a_replayed_batch_changes_nothing(world) -> None:
    url, _, _ = world
    # The service desk's own table allows no `review` tier: its constraint refuses C00003.
    desk_url = url + "_desk"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"create database {desk_url.rsplit('/', 1)[1]}")
    with psycopg.connect(desk_url) as conn:
        conn.execute(
            "create table public.service_profiles (customer_id text primary key,"
            " tier text not null check (tier in ('priority', 'standard')),"
            " treatment_code text not null, reason text not null, agent_note text not null,"
            " as_of_date date not null, updated_at timestamptz not null default now())"
        )
    write_lists(url, 100, review={"C00003"})
    first = publish(D, ["service_table"], warehouse_url=url)[0]
    assert (first.sent, first.rejected, first.batches) == (99, 1, 3)
    with psycopg.connect(url) as conn:
        (reason,) = conn.execute(
            "select reason from ops.publish_rejects where customer_id = 'C00003'"
        ).fetchone()
        # A crash between the table's commit and the ledger's: the ledger lost 30 answers.
        conn.execute(
            "delete from ops.publish_state where destination = 'service_table'"
            " and customer_id < 'C00030'"
        )
    assert "check constraint" in reason
    before = desk(url)
    replay = publish(D, ["service_table"], warehouse_url=url)[0]
    assert (replay.upserts, replay.sent) == (29, 29)
    assert desk(url) == before  # written again, changed nothing: not even updated_at
    # Tomorrow ten customers leave the list and the rest stay as they are.
    write_lists(url, 100, leave=10, review={"C00003"})
    later = publish(D, ["service_table"], warehouse_url=url)[0]
    assert (later.upserts, later.removals) == (0, 9)  # C00003 never got there
    assert set(desk(url)) == {f"C{i:05d}" for i in range(10, 100)}
    assert_destinations_clean(tables=[desk_url])


def labelled_payload(system: str, customer: str) -> dict:
    """A payload as Ladder sent it before the payload models: with the rung and segment."""
    if system == "marketing":
        attributes = {"email": f"{customer.lower()}@example.com", "ladder_rung": "Client",
                      "value_segment": "good", "reason": "Profitable."}  # fmt: skip
        return {"customer_id": customer, "treatment_code": "GROW_CROSS_SELL", "offer": "offer",
                "channel": "email", "attributes": attributes}  # fmt: skip
    return {"customer_id": customer, "tier": "standard", "treatment_code": "SELF_SERVICE_GUIDANCE",
            "reason": "Unprofitable. (rung Toxic, segment bad)"}  # fmt: skip


def test_the_first_night_after_the_change_resends_every_record_that_held_a_label(world) -> None:
    """Each destination holds last night's payloads, with the rung and segment in them
    (and `ops.publish_state` their hashes); ten customers already hold tonight's. The
    diff resends every other record, and no destination keeps an old label."""
    url, ports, folder = world
    write_lists(url, 60)
    last_night = {}
    migrate(url)
    with psycopg.connect(url) as conn:
        for lst in (MARKETING, SERVICE):
            tonight = conn.execute(f"select customer_id, payload from ({lst.payload_sql}) as p")
            last_night[lst.name] = {
                c: payload if c < "C00010" else labelled_payload(lst.name, c)
                for c, payload in tonight
            }
    for system, scope in (("marketing", "daily"), ("service", "profiles")):
        Store(folder / f"{system}.sqlite").upsert(scope, list(last_night[system].values()))
    desk_url = url + "_desk"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"create database {desk_url.rsplit('/', 1)[1]}")
    # Last night's table, as the service desk's first migration made it: publishing
    # migrates it (agent_note) before it writes.
    desk = service_desk_track("public.service_profiles")
    migrate(desk_url, replace(desk, migrations=desk.migrations[:1]))
    with psycopg.connect(desk_url) as conn:
        conn.cursor().executemany(
            "insert into public.service_profiles (customer_id, tier, treatment_code, reason,"
            " as_of_date) values (%s, %s, %s, %s, %s)",
            [
                (c, p["tier"], p["treatment_code"], p["reason"], D)
                for c, p in last_night["service"].items()
            ],
        )
    with psycopg.connect(url) as conn:
        for destination in ("marketing", "service", "service_table"):
            conn.cursor().executemany(
                "insert into ops.publish_state (destination, customer_id, payload_hash,"
                " as_of_date) values (%s, %s, md5(%s::jsonb::text), %s)",
                [
                    (destination, c, json.dumps(payload), D - timedelta(days=1))
                    for c, payload in last_night[route(destination).list_name].items()
                ],
            )
    with pytest.raises(AssertionError, match="internal vocabulary in 50 records"):
        assert_destinations_clean(sandboxes=[folder / "marketing.sqlite"])
    with sandbox("marketing", ports, folder), sandbox("service", ports, folder):
        results = publish(D, warehouse_url=url)
    assert [(r.upserts, r.removals, r.sent, r.rejected) for r in results] == [(50, 0, 50, 0)] * 3
    for system in ("marketing", "service"):
        state = held(folder / f"{system}.sqlite")
        assert {c for c, row in state.items() if row == (1, 2, 0)} == {
            f"C{i:05d}" for i in range(10, 60)
        }
    assert_destinations_clean(
        sandboxes=[folder / "marketing.sqlite", folder / "service.sqlite"], tables=[desk_url]
    )


def test_the_daily_file_is_the_service_payload_and_carries_no_label(world) -> None:
    url, _, folder = world
    write_lists(url, 30)
    path = Path(drop_service_file(D, url).removeprefix("file://"))
    assert path == folder / "drop" / "service" / D.isoformat() / "service.csv"
    rows = file_records(path)
    assert list(rows[0]) == list(SERVICE.columns)
    with psycopg.connect(url) as conn:
        expected = conn.execute(
            f"select {', '.join(SERVICE.columns)} from {SERVICE.mart} order by customer_id"
        ).fetchall()
    assert [tuple(r.values()) for r in rows] == [tuple(map(str, row)) for row in expected]
    assert_destinations_clean(files=[path])


def held_or_empty(folder: Path) -> dict:
    path = folder / "marketing.sqlite"
    try:
        return held(path) if path.exists() else {}
    except sqlite3.OperationalError:
        return {}
