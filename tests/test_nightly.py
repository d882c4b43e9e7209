"""ladder_nightly for real: `airflow dags test` lands the demo company in raw, builds the
dbt stages (rendered by Cosmos) and scores CLV between them, for the run's as-of date."""

from __future__ import annotations

import os
import subprocess
import sys

import psycopg

from ladder.demo.run import airflow_env
from tests.conftest import DEMO
from tests.extract.test_extract import source_counts


def test_ladder_nightly_extracts_and_builds_the_marts_in_airflow(
    demo_company, raw_target, helpdesk_conn, tmp_path
):
    env = {
        **airflow_env(),
        **raw_target.env(),
        "AIRFLOW_HOME": str(tmp_path / "airflow"),
        "AIRFLOW_CONN_LADDER_HELPDESK": os.environ["AIRFLOW_CONN_LADDER_HELPDESK"],
    }
    airflow = [sys.executable, "-m", "airflow"]
    subprocess.run([*airflow, "db", "migrate"], env=env, check=True, capture_output=True)
    run = dags_test(env)
    output = run.stdout + run.stderr
    assert run.returncode == 0 and "validate_marts: passed" in output, output[-6000:]
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

    # An upstream bug lands in raw (the helpdesk flags every interaction abusive): the
    # rerun stops at validate_raw, and no segment or list changes downstream.
    lists = list_checksums(raw_target.url)
    with psycopg.connect(raw_target.url) as conn:
        conn.execute("update raw.helpdesk_interactions set abuse_reported = true")
    failed = dags_test(env)
    assert failed.returncode != 0
    output = failed.stdout + failed.stderr
    assert "interactions are flagged abusive" in output and "Data Docs: " in output
    assert list_checksums(raw_target.url) == lists


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
