"""The run's as-of date D, one rule for a task's context and for a run as the REST API
shows it (the Deadline Alert's callback gets the latter)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from ladder.as_of import run_as_of

SIX = datetime(2025, 7, 1, 6, tzinfo=UTC)


@pytest.mark.parametrize(
    ("run_type", "logical", "end", "expected"),
    [
        # A manual run of another hour of the same day is a run of that day.
        ("manual", SIX, SIX, date(2025, 7, 1)),
        ("DagRunType.MANUAL", "2025-07-01T06:00:00Z", None, date(2025, 7, 1)),
        # A scheduled run or a backfill: the end of its data interval.
        ("scheduled", "2025-06-30T00:00:00Z", "2025-07-01T00:00:00+00:00", date(2025, 7, 1)),
        ("backfill", datetime(2025, 6, 30, tzinfo=UTC), SIX, date(2025, 7, 1)),
    ],
)
def test_as_of_follows_the_run(run_type, logical, end, expected) -> None:
    assert run_as_of(run_type, logical, end) == expected


def test_a_run_without_dates_is_an_error() -> None:
    with pytest.raises(ValueError, match="neither a data interval nor a logical date"):
        run_as_of("scheduled", None, None)
