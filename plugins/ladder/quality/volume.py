"""Load volume (validate_raw): the rows each raw table gained for the night, against the
days before.

A nightly extract brings the rows updated on the day before D (extraction is bounded by
updated_at < D and resumes at the previous night's cursor), so the night's load volume
is that day's count, and the history is the same count for each earlier day, straight
from raw (Elementary's volume_anomalies with updated_at as timestamp column and daily
buckets). Counting by the rows' own dates rather than by dlt load keeps the check
exact for a rerun (which loads nothing new), for a backfill of an old D, and from the
very first night (the first load holds all history, not one day).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import psycopg
from psycopg import sql

from ladder.quality import limits
from ladder.quality.anomalies import Point, judge
from ladder.quality.metrics import Figure


def volume(conn: psycopg.Connection, as_of: date, table: str) -> Figure:
    days = limits.training().days
    start = as_of - timedelta(days=days + 1)
    counts = dict(
        conn.execute(
            sql.SQL(
                "select updated_at::date, count(*) from raw.{} where updated_at >= %s"
                " and updated_at < %s group by 1"
            ).format(sql.Identifier(table)),
            (start, as_of),
        ).fetchall()
    )
    (first,) = conn.execute(
        sql.SQL("select min(updated_at)::date from raw.{}").format(sql.Identifier(table))
    ).fetchone()
    night = as_of - timedelta(days=1)
    # Days before the table's first row are not quiet days: the source did not exist.
    history = [
        Point(day, counts.get(day, 0))
        for day in (night - timedelta(days=n) for n in range(1, days + 1))
        if first is not None and day >= first
    ]
    tonight = counts.get(night, 0)
    bounds = limits.volume_limits()
    verdict = judge(tonight, history, bounds, unit="rows", points="days")
    if verdict.anomalous and verdict.baseline and tonight < bounds.max_ratio * verdict.baseline:
        # A busier day than usual is business (a sale, the demo's day that settles its
        # open tickets); what a broken load looks like on the high side is a multiple of
        # the usual (max_volume_factor). Lows count as judged: a missing or partial load.
        verdict = replace(verdict, anomalous=tonight < verdict.baseline)
    return Figure.judged(
        "volume", f"volume:raw.{table}", tonight, verdict,
        f"raw.{table}: {tonight:,} rows updated on {night}, {verdict.explanation}",
    )  # fmt: skip
