"""The checks that watch what a person would notice (DESIGN §8): source freshness and load
volume (validate_raw), the headline figures and single customers far above the rest
(validate_marts).

Each night's figures are computed here in Python, judged (ladder.quality.anomalies) and
kept in `ops.gate_metrics`; the gate's GX suites then hold one expectation per check that
reads D's failed figures from that table, so Data Docs list every check with its limits
and the run fails on any failed figure. Python rather than SQL for the judging: the
z-score with its fallback, the small-change floor and the training set that leaves out
earlier failures read far more clearly as one tested function than as a query per check,
and the same figures then feed the run report.

The night checked is D, the run's as-of date, never the newest date found: GX's
connection carries D as the session setting `ladder.as_of` (see gates.py), and every
comparison uses history before D only, so a backfill of an old D compares with what came
before it.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import psycopg

from ladder.errors import LadderError
from ladder.quality import limits, metrics
from ladder.quality.figures import figures
from ladder.quality.freshness import freshness
from ladder.quality.outliers import outliers
from ladder.quality.volume import volume

AS_OF_SETTING = "ladder.as_of"


def observe(
    gate: str, url: str, as_of: date, raw_tables: tuple[str, ...], later_reason: str,
    schema: str = "marts",
) -> list[str]:  # fmt: skip
    """Compute, judge and record D's figures for `gate`; returns the failed ones' messages
    (an accepted figure is not one)."""
    from ladder.warehouse.migrations import migrate

    migrate(url)
    with psycopg.connect(url) as conn:
        # D is midnight UTC (DESIGN §4): dates of timestamps are taken in UTC too.
        conn.execute("set time zone 'UTC'")
        try:
            if gate == "raw":
                found = [freshness(conn, as_of, t) for t in raw_tables]
                found += [volume(conn, as_of, t) for t in raw_tables]
            else:
                history = metrics.training(conn, as_of, gate, limits.training().days)
                sources = [t.replace("_", ".", 1) for t in raw_tables]
                found = figures(conn, as_of, history, sources, later_reason, schema)
                found += outliers(conn, schema)
        except psycopg.errors.UndefinedTable as missing:
            hint = (
                "run extract" if gate == "raw" else f"build it (ladder transform --as-of {as_of})"
            )
            raise LadderError(
                f"validate_{gate} --as-of {as_of}: {str(missing).splitlines()[0]}; {hint}"
            ) from None
        metrics.record(conn, as_of, gate, found)
        return metrics.problems(conn, as_of, gate)


def watch_checks(gate: str) -> list[tuple[str, str, str]]:
    """(suite, check_name, description) of the gate's watching checks."""
    train = limits.training()
    window = (
        f"{train.sensitivity:g} standard deviations of the {train.days} days before"
        f" (with fewer than {train.min_runs} earlier values:"
    )
    if gate == "raw":
        factor = limits.volume_limits().max_ratio
        return [
            ("raw_freshness", "freshness",
             "every raw table has a row updated within its limit before the as-of date"
             " (quality.raw.freshness_days)"),
            ("raw_volume", "volume",
             f"each raw table's rows of the day before the as-of date lie within {window}"
             f" within {factor:g} x the day before), unless the change is small"
             " (quality.raw.volume_min_change_*)"),
        ]  # fmt: skip
    ratio = limits.figure_limits(count=False).max_ratio
    bounds = limits.outliers()
    return [
        ("marts_headline", "headline",
         f"revenue, margin, cost-to-serve, CLV, list sizes and quarantine counts lie within"
         f" {window} within {ratio:g} x the previous night), unless the change is small"
         " (quality.marts)"),
        ("marts_outliers", "outlier",
         "no customer's trailing revenue, margin, cost-to-serve or CLV is above"
         f" {bounds.multiple:g} x the p{bounds.percentile * 100:g} of all customers"),
    ]  # fmt: skip


def failed_figures_query(gate: str, check_name: str) -> str:
    """The rows of D's failed, unaccepted figures of one check ({batch}: ops.gate_metrics)."""
    return (
        "select metric, value, baseline, method, score, problem from {batch}"
        f" where as_of_date = current_setting('{AS_OF_SETTING}')::date"
        f" and gate = '{gate}' and check_name = '{check_name}'"
        " and problem is not null and not accepted"
    )


def expectations(gate: str) -> list[tuple[str, Any]]:
    """(suite, expectation) per watching check of `gate`, over ops.gate_metrics."""
    import great_expectations.expectations as gxe

    return [
        (suite, gxe.UnexpectedRowsExpectation(
            unexpected_rows_query=failed_figures_query(gate, check_name),
            description=description,
        ))
        for suite, check_name, description in watch_checks(gate)
    ]  # fmt: skip
