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
    run = subprocess.run(
        [*airflow, "dags", "test", "ladder_nightly", DEMO["end"].isoformat()],
        env=env,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
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
    assert "dbt_producer_watcher" in run.stdout + run.stderr
