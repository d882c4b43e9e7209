"""The run's as-of date D (DESIGN §4): every stage uses only what happened before it."""

from __future__ import annotations

from datetime import date
from typing import Any


def as_of_date(context: dict[str, Any]) -> date:
    """Airflow's data_interval_end for a scheduled run or a backfill; the logical date for
    a manual run (`airflow dags test ladder_nightly 2025-12-31` builds as of 2025-12-31)."""
    run = context.get("dag_run")
    logical = context.get("logical_date")
    if run is not None and str(run.run_type).lower().endswith("manual") and logical:
        return logical.date()
    end = context.get("data_interval_end") or logical
    if end is None:
        raise ValueError("the run has neither a data interval nor a logical date")
    return end.date()
