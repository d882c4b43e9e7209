"""Airflow's REST API (v2) as a data engineer's script uses it: a token from the auth
manager, then DAG runs triggered, waited for and read back."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

import requests

FINISHED = {"success", "failed"}


class AirflowApi:
    def __init__(self, base_url: str, username: str, password: str) -> None:
        self.base_url = base_url
        self.session = requests.Session()
        answer = requests.post(
            f"{base_url}/auth/token",
            json={"username": username, "password": password},
            timeout=30,
        )
        answer.raise_for_status()
        self.session.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"

    def _call(self, method: str, path: str, **kwargs) -> dict:
        answer = self.session.request(method, f"{self.base_url}/api/v2{path}", timeout=60, **kwargs)
        assert answer.ok, f"{method} {path}: {answer.status_code} {answer.text[:1000]}"
        return answer.json()

    def wait_for_dag(self, dag_id: str, timeout: float = 300) -> None:
        """Until the dag-processor has parsed the DAG (the API answers 404 before)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            answer = self.session.get(f"{self.base_url}/api/v2/dags/{dag_id}", timeout=30)
            if answer.ok:
                return
            time.sleep(2)
        raise AssertionError(f"{dag_id} was not parsed in {timeout:.0f} s")

    def unpause(self, dag_id: str) -> None:
        self._call("PATCH", f"/dags/{dag_id}", json={"is_paused": False})

    def trigger(self, dag_id: str, logical_date: date, hour: int = 0) -> str:
        """A manual run for the date; another hour of the same day is another run of
        that date (a run's as-of date is its logical date's day)."""
        run = self._call(
            "POST",
            f"/dags/{dag_id}/dagRuns",
            json={"logical_date": f"{logical_date.isoformat()}T{hour:02d}:00:00Z"},
        )
        return run["dag_run_id"]

    def run_state(self, dag_id: str, run_id: str) -> str:
        return self._call("GET", f"/dags/{dag_id}/dagRuns/{run_id}")["state"]

    def wait(self, dag_id: str, run_id: str, timeout: float = 1200) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state = self.run_state(dag_id, run_id)
            if state in FINISHED:
                return state
            time.sleep(3)
        raise AssertionError(f"{dag_id} {run_id} still {state} after {timeout:.0f} s")

    def task_instances(self, dag_id: str, run_id: str) -> list[dict]:
        found: list[dict] = []
        while True:
            page = self._call(
                "GET",
                f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances",
                params={"limit": 100, "offset": len(found)},
            )
            found += page["task_instances"]
            if len(found) >= page["total_entries"] or not page["task_instances"]:
                return found

    def task_instance(self, dag_id: str, run_id: str, task_id: str) -> dict:
        return self._call("GET", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}")


def task_log(home: Path, dag_id: str, run_id: str, task_id: str, attempt: int = 1) -> str:
    """A task attempt's log, as the task runner wrote it under AIRFLOW_HOME/logs."""
    path = (
        home / "logs" / f"dag_id={dag_id}" / f"run_id={run_id}" / f"task_id={task_id}"
        / f"attempt={attempt}.log"
    )  # fmt: skip
    return path.read_text(errors="replace")
