"""The run's as-of date D (DESIGN §4): every stage uses only what happened before it."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any


def as_of_date(context: dict[str, Any]) -> date:
    """D of the task's run (a task's context)."""
    run = context.get("dag_run")
    return run_as_of(
        run.run_type if run is not None else None,
        context.get("logical_date"),
        context.get("data_interval_end"),
    )


def run_as_of(run_type: Any, logical: Any, interval_end: Any) -> date:
    """Airflow's data_interval_end for a scheduled run or a backfill; the logical date for
    a manual run (`airflow dags test ladder_nightly 2025-12-31` builds as of 2025-12-31).
    The dates may be datetimes or ISO strings (a run as the REST API shows it)."""
    if str(run_type).lower().endswith("manual") and logical:
        return _day(logical)
    end = interval_end or logical
    if end is None:
        raise ValueError("the run has neither a data interval nor a logical date")
    return _day(end)


def _day(stamp: Any) -> date:
    if isinstance(stamp, datetime):
        return stamp.date()
    return datetime.fromisoformat(str(stamp)).date()
