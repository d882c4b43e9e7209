"""ladder_nightly for real, end to end, under Airflow's own components: the api-server,
scheduler (LocalExecutor), dag-processor and triggerer that `make airflow` and the compose
file start (`ladder.airflow_stack`), with their metadata in PostgreSQL.

A date triggered through the REST API lands the demo company in raw, builds the dbt
stages (rendered by Cosmos) with CLV scoring between them, passes both gates and publishes
the lists to the marketing and service sandboxes and the service desk's table; each then
holds exactly its treatment mart, and nothing delivered (the daily file included) carries
an internal label. A task killed mid-run is retried by Airflow and the night ends as an
uninterrupted one; the same date run again changes and sends nothing; a bug planted
upstream stops the next run at its gate and tells a person."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import time
from collections.abc import Iterator

import psycopg
import pytest
import yaml

from ladder.airflow_stack import ADMIN, PASSWORDS_FILE, AirflowStack, local_env, sqlalchemy_url
from ladder.config import PROJECT_ROOT
from ladder.demo.run import SandboxProcess, airflow_env
from tests.airflow_api import AirflowApi, task_log
from tests.alert_sinks import SmtpSink, WebhookSink
from tests.conftest import DEMO, free_port
from tests.extract.test_extract import source_counts
from tests.publish.vocabulary import assert_destinations_clean

pytestmark = pytest.mark.slow

ONCALL = "oncall@ops.invalid"
DAG = "ladder_nightly"
PASSWORD = "nightly-test"
# Killed mid-run: the longest task, so the kill lands while it works.
KILLED = "validate_raw"


@pytest.fixture()
def webhook() -> Iterator[WebhookSink]:
    with WebhookSink() as sink:
        yield sink


@pytest.fixture()
def mail() -> Iterator[SmtpSink]:
    with SmtpSink() as sink:
        yield sink


def test_ladder_nightly_runs_under_the_scheduler(
    warehouse, demo_company, raw_target, helpdesk_conn, tmp_path, webhook, mail
):
    settings = yaml.safe_load((PROJECT_ROOT / "ladder.yml").read_text())
    settings["destinations"]["service_file"]["root"] = str(tmp_path / "drop")
    settings["destinations"]["service_table"]["demo_database"] = "nightly_desk"
    settings["report"] = {"dir": str(tmp_path / "reports")}
    # Every night here takes longer than a minute: each is late, and says so while it runs.
    settings["alerts"].update(email_to=[ONCALL], on_success=True, late_after_minutes=1)
    (tmp_path / "ladder.yml").write_text(yaml.safe_dump(settings))
    ports = {"marketing": free_port(), "service": free_port()}
    home = tmp_path / "airflow"
    warehouse.ensure_database("airflow_nightly")
    env = {
        **airflow_env(),
        **raw_target.env(),
        **local_env(
            home,
            sqlalchemy_url(warehouse.url("airflow_nightly")),
            "127.0.0.1",
            free_port(),
            PROJECT_ROOT,
        ),
        # Only the runs this test triggers: no scheduled run for today.
        "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",
        "AIRFLOW_CONN_LADDER_HELPDESK": os.environ["AIRFLOW_CONN_LADDER_HELPDESK"],
        "LADDER_CONFIG": str(tmp_path / "ladder.yml"),
        "AIRFLOW_CONN_LADDER_ALERTS_WEBHOOK": webhook.connection,
        "AIRFLOW_CONN_SMTP_DEFAULT": mail.connection,
        **{
            f"AIRFLOW_CONN_LADDER_{name.upper()}": f"http://:ladder-demo-token@127.0.0.1:{port}"
            for name, port in ports.items()
        },
    }
    (home / PASSWORDS_FILE).write_text(json.dumps({ADMIN: PASSWORD}))
    sandboxes = [
        SandboxProcess(name, port, ("--state", str(tmp_path / f"{name}.sqlite")))
        for name, port in ports.items()
    ]
    stack = AirflowStack(env, tmp_path / "components")
    with sandboxes[0], sandboxes[1], stack:
        api = AirflowApi(stack.api_url, ADMIN, PASSWORD)
        api.wait_for_dag(DAG)
        api.unpause(DAG)
        run_id = api.trigger(DAG, DEMO["end"])
        kill_mid_run(api, run_id, KILLED)
        assert api.wait(DAG, run_id) == "success", failures(api, home, run_id)
        # Airflow retried the killed task; the rest ran once.
        tries = {ti["task_id"]: ti["try_number"] for ti in api.task_instances(DAG, run_id)}
        assert tries.pop(KILLED) == 2 and set(tries.values()) == {1}, tries
        assert "validate_marts: passed" in last_log(api, home, run_id, "validate_marts")
        assert_destinations_hold_the_lists(raw_target.url, tmp_path)
        # A good night's summary reached both channels: what was sent, and the figures.
        good = [alert for alert in webhook.received if alert["ladder"]["state"] == "success"]
        assert len(good) == 1 and "published as of" in good[0]["text"]
        assert {m["To"] for m in mail.received} == {ONCALL}
        assert [m["Subject"] for m in mail.received if "succeeded" in m["Subject"]] == [
            f"Ladder: the night of {DEMO['end']} succeeded"
        ]
        # The Deadline Alert came from the triggerer while the night still ran.
        late = [alert for alert in webhook.received if alert["ladder"]["state"] == "late"]
        assert late and late[0]["ladder"]["run_id"] == run_id, webhook.received
        assert late[0]["ladder"]["as_of_date"] == DEMO["end"].isoformat()
        assert webhook.received.index(late[0]) < webhook.received.index(good[0])
        assert f"Ladder: the night of {DEMO['end']} is late" in [
            m["Subject"] for m in mail.received
        ]
        report = tmp_path / "reports" / DEMO["end"].isoformat() / "index.html"
        assert f"run report: {report}" in last_log(api, home, run_id, "report")
        assert "<svg" in report.read_text()
        assert_the_night_is_complete(raw_target, demo_company)

        # The same date again, as a data engineer reruns it: nothing changes, nothing sent.
        lists, sent = list_checksums(raw_target.url), sandbox_records(tmp_path)
        rerun = api.trigger(DAG, DEMO["end"], hour=6)
        assert api.wait(DAG, rerun) == "success", failures(api, home, rerun)
        assert list_checksums(raw_target.url) == lists
        assert sandbox_records(tmp_path) == sent

        planted_bug_changes_nothing(api, home, raw_target.url)
    assert_no_personal_data_in_logs(home / "logs", raw_target.url)
    # Nothing that reached a destination names a rung, a segment or a figure.
    assert_destinations_clean(
        sandboxes=[tmp_path / "marketing.sqlite", tmp_path / "service.sqlite"],
        tables=[raw_target.url.rsplit("/", 1)[0] + "/nightly_desk"],
        files=[tmp_path / "drop" / "service" / DEMO["end"].isoformat() / "service.csv"],
    )
    assert_the_failure_was_alerted(webhook, mail, raw_target.url)


def kill_mid_run(api: AirflowApi, run_id: str, task_id: str) -> None:
    """SIGKILL the task's process once it has run a few seconds: nothing it could catch."""
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        ti = api.task_instance(DAG, run_id, task_id)
        if ti["state"] == "running" and ti.get("pid"):
            time.sleep(5)
            os.kill(ti["pid"], signal.SIGKILL)
            return
        assert ti["state"] in (None, "scheduled", "queued", "running"), ti["state"]
        time.sleep(0.5)
    raise AssertionError(f"{task_id} never ran")


def assert_the_night_is_complete(raw_target, demo_company) -> None:
    """The run's as-of date is the logical date of this manual run: all of the company,
    transform and marts built for it, CLV scored between them."""
    assert raw_target.counts() == source_counts(demo_company, DEMO["end"])
    with psycopg.connect(raw_target.url) as conn:
        customers, as_of = conn.execute(
            "select count(*), max(as_of_date) from marts.customer_profitability"
        ).fetchone()
        assert (customers, as_of) == (DEMO["customers"], DEMO["end"])
        assert conn.execute("select count(*) from marts.whale_curve").fetchone() == (100,)
        assert conn.execute(
            "select model, converged, used_fallback, parameters_from from clv.model_runs"
            " order by model"
        ).fetchall() == [
            ("bgnbd", True, False, DEMO["end"]),
            ("gamma_gamma", True, False, DEMO["end"]),
        ]
        buyers, scored = conn.execute(
            "select count(frequency), count(p_alive) from marts.customer_value"
        ).fetchone()
        assert buyers == scored > 0


def assert_the_failure_was_alerted(webhook: WebhookSink, mail: SmtpSink, url: str) -> None:
    """The failed night told a person once per channel: the DAG, D, the task and the
    gate's failures with its Data Docs; no customer's id, name or address."""
    failed = [alert for alert in webhook.received if alert["ladder"]["state"] == "failed"]
    assert [alert["ladder"]["task_id"] for alert in failed] == ["validate_raw"]
    assert failed[0]["ladder"]["as_of_date"] == DEMO["end"].isoformat()
    text = failed[0]["text"]
    assert "ladder_nightly for as-of date" in text and "failed at validate_raw" in text
    assert "interactions are flagged abusive" in text and "Data Docs: " in text
    mails = [m for m in mail.received if "failed" in m["Subject"]]
    assert [m["Subject"] for m in mails] == [
        f"Ladder: the night of {DEMO['end']} failed at validate_raw"
    ]
    assert "Data Docs: " in mails[0].get_body().get_content()
    with psycopg.connect(url) as conn:
        people = conn.execute(
            "select customer_id, full_name, email from raw.shop_customers"
        ).fetchall()
    bodies = [m.get_body().get_content() for m in mail.received]
    for alert in (*(a["text"] for a in webhook.received), *bodies):
        assert not [value for person in people for value in person if value and value in alert]


def assert_destinations_hold_the_lists(url: str, folder) -> None:
    """Each sandbox holds exactly its treatment mart's treated customers (holdouts are never
    sent), each record applied once."""
    with psycopg.connect(url) as conn:
        marketing = dict(conn.execute(
            "select customer_id, treatment_code from marts.treatment_marketing"
            " where not is_holdout"
        ).fetchall())  # fmt: skip
        service = dict(conn.execute(
            "select customer_id, service_tier from marts.treatment_service where not is_holdout"
        ).fetchall())  # fmt: skip
    for name, expected, field in (("marketing", marketing, "treatment_code"),
                                  ("service", service, "tier")):  # fmt: skip
        with sqlite3.connect(folder / f"{name}.sqlite") as state:
            rows = state.execute(
                "select customer_id, payload, applied_count from records where present = 1"
            ).fetchall()
        assert {c: json.loads(p)[field] for c, p, _ in rows} == expected, name
        assert {n for _, _, n in rows} == {1} and len(expected) > 100
    desk_url = url.rsplit("/", 1)[0] + "/nightly_desk"
    with psycopg.connect(desk_url) as conn:
        table = dict(conn.execute("select customer_id, tier from public.service_profiles"))
    assert table == service


def assert_no_personal_data_in_logs(logs, url: str) -> None:
    """The lists carry email addresses; the task and component logs never do."""
    with psycopg.connect(url) as conn:
        names = [n for (n,) in conn.execute(
            "select full_name from raw.shop_customers order by customer_id limit 200"
        )]  # fmt: skip
    texts = [path.read_text(errors="replace") for path in logs.rglob("*.log")]
    assert texts
    for text in texts:
        assert "@example.com" not in text
        assert not [name for name in names if name in text]


def planted_bug_changes_nothing(api: AirflowApi, home, url: str) -> None:
    """An upstream bug lands in raw (the helpdesk flags every interaction abusive): the
    rerun stops at validate_raw at once (bad data is not retried), and no segment or
    list changes downstream."""
    lists = list_checksums(url)
    with psycopg.connect(url) as conn:
        conn.execute("update raw.helpdesk_interactions set abuse_reported = true")
        published = conn.execute("select count(*) from ops.publish_runs").fetchone()
    run_id = api.trigger(DAG, DEMO["end"], hour=12)
    assert api.wait(DAG, run_id) == "failed"
    states = {ti["task_id"]: ti["state"] for ti in api.task_instances(DAG, run_id)}
    assert states["validate_raw"] == "failed" and states["promote"] == "upstream_failed"
    output = last_log(api, home, run_id, "validate_raw")
    assert "interactions are flagged abusive" in output and "Data Docs: " in output
    assert list_checksums(url) == lists
    with psycopg.connect(url) as conn:
        assert conn.execute("select count(*) from ops.publish_runs").fetchone() == published


def last_log(api: AirflowApi, home, run_id: str, task_id: str) -> str:
    """The log of the task's latest attempt."""
    attempt = api.task_instance(DAG, run_id, task_id)["try_number"]
    return task_log(home, DAG, run_id, task_id, attempt)


def list_checksums(url: str) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return [
            conn.execute(
                "select count(*), md5(string_agg(t::text, ',' order by t::text))"
                f" from marts.{mart} as t"
            ).fetchone()
            for mart in ("customer_segments", "treatment_marketing", "treatment_service")
        ]


def sandbox_records(folder) -> dict[str, list[tuple]]:
    """Every record each destination sandbox holds, with how often it was applied."""
    held = {}
    for name in ("marketing", "service"):
        with sqlite3.connect(folder / f"{name}.sqlite") as state:
            held[name] = state.execute(
                "select customer_id, payload, present, applied_count from records"
                " order by customer_id"
            ).fetchall()
    return held


def failures(api: AirflowApi, home, run_id: str) -> str:
    """Which tasks did not succeed, and the end of each one's log."""
    lines = []
    for ti in api.task_instances(DAG, run_id):
        if ti["state"] not in ("success", None):
            lines.append(f"{ti['task_id']}: {ti['state']} (try {ti['try_number']})")
            if ti["state"] in ("failed", "up_for_retry"):
                log = task_log(home, DAG, run_id, ti["task_id"], ti["try_number"])
                lines.append(log[-3000:])
    return "\n".join(lines)
