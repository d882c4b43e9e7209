"""`ladder simulate`: two demo nights in a row without Airflow, on a company of the test's
own (its own shop and helpdesk databases, sandboxes on free ports, a fresh warehouse
database), then the same simulation again, which is a no-op: every night it would run has
been published already; then a third night that a failed gate stops."""

from __future__ import annotations

import csv
from datetime import date, timedelta

import psycopg
import pytest
import yaml

from ladder import config
from ladder.config import PROJECT_ROOT
from ladder.demo.nights import STAGES, published, simulate
from ladder.publish.destinations import ROUTES
from ladder.quality.gates import GateFailed
from tests.conftest import free_port

pytestmark = pytest.mark.slow

END = date(2025, 7, 1)


@pytest.fixture()
def own_company(raw_target, fresh_config, tmp_path):
    settings = yaml.safe_load((PROJECT_ROOT / "ladder.yml").read_text())
    settings["demo"].update(
        customers=500, seed=42, start="2025-01-01", end=END.isoformat(),
        sales_database="sim_shop", helpdesk_database="sim_helpdesk",
        simulate_dir=str(tmp_path / "simulate"),
    )  # fmt: skip
    settings["sources"]["helpdesk"]["sandbox"]["port"] = free_port()
    for system in ("marketing", "service"):
        settings["destinations"][system]["sandbox"].update(
            port=free_port(), state=str(tmp_path / f"{system}.sqlite")
        )
    settings["destinations"]["service_table"]["demo_database"] = "sim_desk"
    settings["destinations"]["service_file"]["root"] = str(tmp_path / "drop")
    fresh_config(yaml.safe_dump(settings))
    yield raw_target
    config.load_config.cache_clear()


def test_two_nights_a_rerun_that_runs_none_and_a_night_a_gate_stops(own_company, tmp_path):
    heard = []
    first = simulate(2, on_night=lambda number, night: heard.append((number, night.as_of)))

    # Night 1 is the day after the company's end, night 2 the day after night 1.
    nights = [night.as_of for night in first.nights]
    assert nights == [END + timedelta(days=1), END + timedelta(days=2)]
    assert heard == [(1, nights[0]), (2, nights[1])] and not first.skipped
    assert all(set(night.seconds) == set(STAGES) for night in first.nights)
    assert all(not night.gate_failures for night in first.nights)
    with psycopg.connect(own_company.url) as conn:
        # Both nights' lists reached every destination, and the second sent only the
        # difference: fewer marketing records than the first night's full list.
        runs = conn.execute(
            "select as_of_date, destination, sent from ops.publish_runs"
            " where status = 'succeeded' order by as_of_date, destination"
        ).fetchall()
        for night in nights:
            assert set(ROUTES) <= {dest for d, dest, _ in runs if d == night}
        sent = {(d, dest): n for d, dest, n in runs}
        assert sent[nights[1], "marketing"] < sent[nights[0], "marketing"]
        # The marts BI reads are the second night's.
        segments = conn.execute("select distinct as_of_date from marts.customer_segments")
        assert segments.fetchall() == [(nights[1],)]
    for night in nights:
        assert (tmp_path / "drop" / "service" / night.isoformat() / "service.csv").exists()
    with first.csv_path.open() as file:
        rows = list(csv.DictReader(file))
    assert [row["as_of_date"] for row in rows] == [n.isoformat() for n in nights]
    assert all(float(row["total"]) > 0 for row in rows)
    assert "dominated by:" in first.render()

    # Rerunning is idempotent: both nights were published, so none runs again and
    # nothing is sent; the company covers the two appended days, no more.
    again = simulate(2)
    assert again.nights == [] and again.skipped == nights
    with psycopg.connect(own_company.url) as conn:
        assert conn.execute("select count(*) from ops.publish_runs").fetchone() == (len(runs),)
    with psycopg.connect(own_company.server.url("sim_shop")) as conn:
        assert conn.execute("select covered_until from demo_truth.generation").fetchone() == (
            END + timedelta(days=2),
        )

    # Fail closed: an upstream bug in raw (every interaction flagged abusive) stops the
    # third night at validate_raw with the gate's message; nothing of it is published.
    with psycopg.connect(own_company.url) as conn:
        conn.execute("update raw.helpdesk_interactions set abuse_reported = true")
    with pytest.raises(GateFailed, match="validate_raw: FAILED") as failed:
        simulate(3)
    assert "flagged abusive" in str(failed.value) and "Data Docs: " in str(failed.value)
    assert not published(own_company.url, END + timedelta(days=3))
    with psycopg.connect(own_company.url) as conn:
        assert conn.execute("select count(*) from ops.publish_runs").fetchone() == (len(runs),)

    # --fresh starts over with the company as generated: the days the nights appended to
    # its sources go too, so night 1 runs again on sources that end where they began.
    fresh = simulate(1, fresh=True)
    assert [night.as_of for night in fresh.nights] == [END + timedelta(days=1)]
    assert not fresh.nights[0].gate_failures
    with psycopg.connect(own_company.server.url("sim_shop")) as conn:
        assert conn.execute("select covered_until from demo_truth.generation").fetchone() == (
            END + timedelta(days=1),
        )
