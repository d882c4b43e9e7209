"""The watched figures' history, `ops.gate_metrics`: one row per as-of date, gate and
metric, what it was compared with and, when it failed, why.

A rerun of D replaces D's values (an operator's acceptance stays). A value that failed
its check is left out of later nights' training sets unless the operator accepted it:
a broken night that trained the baseline would make the next break look normal
(Elementary keeps flagged values in training by default and offers
`anomaly_exclude_metrics` to drop them; Soda's `auto_exclude_anomalies` drops them, as
here). Values of a night that failed for another reason (a consent check, say) were
normal, and train.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import psycopg

from ladder.errors import LadderError
from ladder.quality.anomalies import Point, Verdict


@dataclass(frozen=True)
class Figure:
    """One watched figure of one night, and how it compared."""

    check: str  # freshness, volume, headline, outlier
    metric: str
    value: float
    method: str
    baseline: float | None = None
    score: float | None = None
    problem: str | None = None

    @classmethod
    def judged(cls, check: str, metric: str, value: float, verdict: Verdict, problem: str):
        return cls(
            check, metric, value, verdict.method, verdict.baseline, verdict.score,
            problem if verdict.anomalous else None,
        )  # fmt: skip


def record(conn: psycopg.Connection, as_of: date, gate: str, figures: list[Figure]) -> None:
    """Write the night's figures for `gate`, replacing an earlier run's of the same date."""
    conn.execute(
        "delete from ops.gate_metrics where as_of_date = %s and gate = %s"
        " and not (metric = any(%s))",
        (as_of, gate, [f.metric for f in figures]),
    )
    with conn.cursor() as cursor:
        cursor.executemany(
            "insert into ops.gate_metrics (as_of_date, gate, check_name, metric, value,"
            " baseline, method, score, problem) values (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
            " on conflict (as_of_date, gate, metric) do update set check_name ="
            " excluded.check_name, value = excluded.value, baseline = excluded.baseline,"
            " method = excluded.method, score = excluded.score, problem = excluded.problem,"
            " recorded_at = now()",
            [
                (as_of, gate, f.check, f.metric, f.value, f.baseline, f.method,
                 _finite(f.score), f.problem)
                for f in figures
            ],
        )  # fmt: skip


def training(conn: psycopg.Connection, as_of: date, gate: str, days: int) -> dict[str, list[Point]]:
    """Per metric: the values of the nights in the `days` before D that may train (they
    passed, or were accepted), and, when that window is empty, the latest such night
    before it (what the ratio mode compares with)."""
    rows = conn.execute(
        """
        with usable as (
            select metric, as_of_date, value,
                   row_number() over (partition by metric order by as_of_date desc) as recency
            from ops.gate_metrics
            where gate = %(gate)s and as_of_date < %(as_of)s
              and (problem is null or accepted)
        )
        select metric, as_of_date, value from usable
        where as_of_date >= %(start)s or recency = 1
        """,
        {"gate": gate, "as_of": as_of, "start": as_of - timedelta(days=days)},
    ).fetchall()
    history: dict[str, list[Point]] = {}
    for metric, day, value in rows:
        history.setdefault(metric, []).append(Point(day, value))
    return history


def problems(conn: psycopg.Connection, as_of: date, gate: str) -> list[str]:
    """D's failed, unaccepted figures of `gate`, as the failure message lists them."""
    rows = conn.execute(
        "select problem from ops.gate_metrics where as_of_date = %s and gate = %s"
        " and problem is not null and not accepted order by check_name, metric",
        (as_of, gate),
    ).fetchall()
    return [problem for (problem,) in rows]


def accept(url: str, as_of: date, gate: str, metrics: list[str]) -> None:
    """The operator's word that D's value of each metric is right (a real change): it
    passes on a rerun of D and trains later nights."""
    with psycopg.connect(url) as conn:
        accepted = {
            metric
            for (metric,) in conn.execute(
                "update ops.gate_metrics set accepted = true where as_of_date = %s and gate = %s"
                " and metric = any(%s) and problem is not null returning metric",
                (as_of, gate, metrics),
            )
        }
        unknown = [m for m in metrics if m not in accepted]
        if unknown:
            failed = [m for (m,) in conn.execute(
                "select metric from ops.gate_metrics where as_of_date = %s and gate = %s"
                " and problem is not null order by metric", (as_of, gate),
            )]  # fmt: skip
            conn.rollback()
            raise LadderError(
                f"validate_{gate} has no failed figure {', '.join(map(repr, unknown))} for"
                f" {as_of}; the failed ones are: {', '.join(failed) or 'none'}"
            )


def _finite(score: float | None) -> float | None:
    # PostgreSQL takes infinity, but a chart cannot draw it: leave the score empty.
    return None if score is None or abs(score) == float("inf") else score
