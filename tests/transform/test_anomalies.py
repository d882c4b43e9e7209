"""How a watched figure is judged against its history (ladder.quality.anomalies): a
z-score once there are enough earlier values, a ratio to the previous one before that,
and small changes never count."""

from __future__ import annotations

from datetime import date, timedelta

from ladder.quality.anomalies import Limits, Point, judge

LIMITS = Limits(
    sensitivity=3, min_training_runs=7, max_ratio=1.5, min_relative_change=0.1,
    min_absolute_change=10,
)  # fmt: skip
D = date(2025, 7, 1)


def history(*values: float) -> list[Point]:
    return [Point(D - timedelta(days=n), v) for n, v in enumerate(reversed(values), start=1)]


def test_nothing_earlier_passes() -> None:
    verdict = judge(1e15, [], LIMITS)
    assert (verdict.method, verdict.anomalous) == ("first", False)


def test_z_score_over_enough_earlier_values() -> None:
    usual = history(100, 104, 98, 101, 99, 103, 97, 102)
    assert not judge(106, usual, LIMITS, unit="rows").anomalous  # z = 2.1
    verdict = judge(160, usual, LIMITS, unit="rows", points="days")
    assert verdict.method == "z-score" and verdict.anomalous
    assert verdict.explanation == "usual 100.5 ± 2.4 over the 8 days before (z = 24.3; limit 3)"


def test_a_series_that_never_moved_fails_only_on_a_large_move() -> None:
    flat = history(*[4096] * 14)
    assert not judge(4000, flat, LIMITS).anomalous  # z = -inf, but 2 % off
    verdict = judge(2048, flat, LIMITS, unit="rows")
    assert verdict.anomalous
    assert verdict.explanation == "always 4,096 over the 14 nights before (z = -inf; limit 3)"


def test_ratio_to_the_previous_value_with_few_earlier_values() -> None:
    verdict = judge(50, history(90, 100), LIMITS)
    assert (verdict.method, verdict.baseline, verdict.score) == ("ratio", 100, 0.5)
    assert verdict.anomalous
    assert verdict.explanation == (
        f"0.50 x the 100.00 of {D - timedelta(days=1)} (allowed 0.67 x to 1.5 x)"
    )
    assert not judge(140, history(100), LIMITS).anomalous


def test_counts_from_zero_need_the_row_floor() -> None:
    assert not judge(0, history(0), LIMITS).anomalous
    assert not judge(9, history(0), LIMITS).anomalous  # an infinite ratio, 9 rows
    assert judge(30, history(0), LIMITS).anomalous
    assert not judge(9, history(*[0] * 10), LIMITS).anomalous  # an infinite z, 9 rows
