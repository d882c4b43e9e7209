"""ladder_nightly for real, end to end: `airflow dags test` lands the demo company in raw,
builds the dbt stages (rendered by Cosmos) with CLV scoring between them, passes both
gates and publishes the lists to the marketing and service sandboxes and the service
desk's table, for the run's as-of date; each then holds exactly its treatment mart, and
nothing delivered (the daily file included) carries an internal label."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator

import psycopg
import pytest
import yaml

from ladder.config import PROJECT_ROOT
from ladder.demo.run import SandboxProcess, airflow_env
from tests.alert_sinks import SmtpSink, WebhookSink
from tests.conftest import DEMO, free_port
from tests.extract.test_extract import source_counts
from tests.publish.vocabulary import assert_destinations_clean

pytestmark = pytest.mark.slow

ONCALL = "oncall@ops.invalid"


@pytest.fixture()
def webhook() -> Iterator[WebhookSink]:
    with WebhookSink() as sink:
        yield sink


@pytest.fixture()
def mail() -> Iterator[SmtpSink]:
    with SmtpSink() as sink:
        yield sink


def test_ladder_nightly_extracts_and_builds_the_marts_in_airflow(
    demo_company, raw_target, helpdesk_conn, tmp_path, webhook, mail
):
    settings = yaml.safe_load((PROJECT_ROOT / "ladder.yml").read_text())
    settings["destinations"]["service_file"]["root"] = str(tmp_path / "drop")
    settings["destinations"]["service_table"]["demo_database"] = "nightly_desk"
    settings["report"] = {"dir": str(tmp_path / "reports")}
    settings["alerts"].update(email_to=[ONCALL], on_success=True)
    (tmp_path / "ladder.yml").write_text(yaml.safe_dump(settings))
    ports = {"marketing": free_port(), "service": free_port()}
    env = {
        **airflow_env(),
        **raw_target.env(),
        "AIRFLOW_HOME": str(tmp_path / "airflow"),
        "AIRFLOW_CONN_LADDER_HELPDESK": os.environ["AIRFLOW_CONN_LADDER_HELPDESK"],
        "LADDER_CONFIG": str(tmp_path / "ladder.yml"),
        "AIRFLOW_CONN_LADDER_ALERTS_WEBHOOK": webhook.connection,
        "AIRFLOW_CONN_SMTP_DEFAULT": mail.connection,
        **{
            f"AIRFLOW_CONN_LADDER_{name.upper()}": f"http://:ladder-demo-token@127.0.0.1:{port}"
            for name, port in ports.items()
        },
    }
    airflow = [sys.executable, "-m", "airflow"]
    subprocess.run([*airflow, "db", "migrate"], env=env, check=True, capture_output=True)
    sandboxes = [
        SandboxProcess(name, port, ("--state", str(tmp_path / f"{name}.sqlite")))
        for name, port in ports.items()
    ]
    with sandboxes[0], sandboxes[1]:
        run = dags_test(env)
        output = run.stdout + run.stderr
        assert run.returncode == 0 and "validate_marts: passed" in output, failures(output)
        assert_destinations_hold_the_lists(raw_target.url, tmp_path)
        # A good night's summary reached both channels: what was sent, and the figures.
        assert [alert["ladder"]["state"] for alert in webhook.received] == ["success"]
        assert "published as of" in webhook.received[0]["text"]
        assert [m["To"] for m in mail.received] == [ONCALL]
        assert "succeeded" in mail.received[0]["Subject"]
    assert_no_personal_data_in_logs(output, tmp_path / "airflow" / "logs", raw_target.url)
    # Nothing that reached a destination names a rung, a segment or a figure.
    assert_destinations_clean(
        sandboxes=[tmp_path / "marketing.sqlite", tmp_path / "service.sqlite"],
        tables=[raw_target.url.rsplit("/", 1)[0] + "/nightly_desk"],
        files=[tmp_path / "drop" / "service" / DEMO["end"].isoformat() / "service.csv"],
    )
    report = tmp_path / "reports" / DEMO["end"].isoformat() / "index.html"
    assert f"run report: {report}" in output and "<svg" in report.read_text()
    # The run's as-of date is the logical date of this manual run: all of the company.
    assert raw_target.counts() == source_counts(demo_company, DEMO["end"])
    # transform and marts ran (each model's tests with it) for the same as-of date.
    with psycopg.connect(raw_target.url) as conn:
        customers, as_of = conn.execute(
            "select count(*), max(as_of_date) from marts.customer_profitability"
        ).fetchone()
        assert (customers, as_of) == (DEMO["customers"], DEMO["end"])
        assert conn.execute("select count(*) from marts.whale_curve").fetchone() == (100,)
        # score_clv ran between the two stages: tonight's fit scored every buyer.
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
    assert "dbt_producer_watcher" in output
    planted_bug_changes_nothing(raw_target.url, env)
    assert_the_failure_was_alerted(webhook, mail, raw_target.url)


def assert_the_failure_was_alerted(webhook: WebhookSink, mail: SmtpSink, url: str) -> None:
    """The failed night told a person once per channel: the DAG, D, the task and the
    gate's failures with its Data Docs; no customer's id, name or address."""
    failed = [alert for alert in webhook.received if alert["ladder"]["state"] == "failed"]
    assert [alert["ladder"]["task_id"] for alert in failed] == ["validate_raw"]
    assert failed[0]["ladder"]["as_of_date"] == DEMO["end"].isoformat()
    text = failed[0]["text"]
    assert "ladder_nightly for as-of date" in text and "failed at validate_raw" in text
    assert "interactions are flagged abusive" in text and "Data Docs: " in text
    subjects = [m["Subject"] for m in mail.received]
    assert subjects[-1] == f"Ladder: the night of {DEMO['end']} failed at validate_raw"
    body = mail.received[-1].get_body().get_content()
    with psycopg.connect(url) as conn:
        people = conn.execute(
            "select customer_id, full_name, email from raw.shop_customers"
        ).fetchall()
    for alert in (*(a["text"] for a in webhook.received), body):
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


def assert_no_personal_data_in_logs(output: str, logs, url: str) -> None:
    """The lists carry email addresses; the task logs and the run's output never do."""
    with psycopg.connect(url) as conn:
        names = [n for (n,) in conn.execute(
            "select full_name from raw.shop_customers order by customer_id limit 200"
        )]  # fmt: skip
    texts = [output] + [path.read_text(errors="replace") for path in logs.rglob("*.log")]
    for text in texts:
        assert "@example.com" not in text
        assert not [name for name in names if name in text]


def planted_bug_changes_nothing(url: str, env: dict[str, str]) -> None:
    """An upstream bug lands in raw (the helpdesk flags every interaction abusive): the
    rerun stops at validate_raw, and no segment or list changes downstream."""
    lists = list_checksums(url)
    with psycopg.connect(url) as conn:
        conn.execute("update raw.helpdesk_interactions set abuse_reported = true")
        published = conn.execute("select count(*) from ops.publish_runs").fetchone()
    failed = dags_test(env)
    assert failed.returncode != 0
    output = failed.stdout + failed.stderr
    assert "interactions are flagged abusive" in output and "Data Docs: " in output
    assert list_checksums(url) == lists
    with psycopg.connect(url) as conn:
        assert conn.execute("select count(*) from ops.publish_runs").fetchone() == published


def dags_test(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "airflow",
            "dags",
            "test",
            "ladder_nightly",
            DEMO["end"].isoformat(),
        ],
        env=env,
        capture_output=True,
        text=True,
    )


def list_checksums(url: str) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return [
            conn.execute(
                "select count(*), md5(string_agg(t::text, ',' order by t::text))"
                f" from marts.{mart} as t"
            ).fetchone()
            for mart in ("customer_segments", "treatment_marketing", "treatment_service")
        ]


def failures(output: str) -> str:
    """The lines of a failed `dags test` that say why, not its last screenful."""
    lines = [line for line in output.splitlines() if "error" in line.lower()]
    return "\n".join(lines[:40]) or output[-6000:]
