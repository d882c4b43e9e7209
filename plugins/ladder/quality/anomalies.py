"""Is tonight's figure out of line with the earlier ones? (DESIGN §8)

The rule is Elementary's anomaly test: a z-score against a training set of recent values,
anomalous beyond `sensitivity` standard deviations (3 by default). Until the training set
holds `min_training_runs` values, a z-score means little, so tonight is compared with the
previous value by a ratio instead. In both modes a change smaller than the "small change"
floor never counts (Elementary's ignore_small_changes): a series that never moved has a
standard deviation of 0, and a list of 40 customers that gains 3 is no news.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Limits:
    sensitivity: float  # |z| beyond this is an anomaly
    min_training_runs: int  # fewer earlier values: ratio to the previous one
    max_ratio: float  # ratio mode: tonight / previous outside [1 / max_ratio, max_ratio]
    min_relative_change: float  # changes within this share of the baseline never count
    min_absolute_change: float  # nor changes smaller than this (rows, for counts)


@dataclass(frozen=True)
class Verdict:
    method: str  # "z-score", "ratio" or "first" (nothing earlier to compare with)
    baseline: float | None  # the training mean, or the previous value
    score: float | None  # z, or tonight / previous
    anomalous: bool
    explanation: str  # how tonight compares, for the failure message


@dataclass(frozen=True)
class Point:
    day: date
    value: float


def judge(
    value: float, history: list[Point], limits: Limits, unit: str = "", points: str = "nights"
) -> Verdict:
    """Compare `value` with `history` (earlier points, any order; the caller picks the
    window and leaves out values that were themselves anomalous). `unit` "rows" shows
    counts as counts; `points` names what the history holds (nights, days)."""
    if not history:
        return Verdict("first", None, None, False, "nothing earlier to compare with")
    history = sorted(history, key=lambda p: p.day)
    if len(history) >= limits.min_training_runs:
        values = [p.value for p in history]
        mean, spread = statistics.fmean(values), statistics.stdev(values)
        if spread:
            z = (value - mean) / spread
            usual = f"usual {_fmt(mean, unit)} ± {_fmt(spread, unit)}"
        else:
            # A series that never moved: any move is infinitely unusual (the small-change
            # floor decides whether it matters).
            z = 0.0 if value == mean else math.copysign(math.inf, value - mean)
            usual = f"always {_fmt(mean, unit)}"
        explanation = (
            f"{usual} over the {len(values)} {points} before"
            f" (z = {_z(z)}; limit {limits.sensitivity:g})"
        )
        out = abs(z) > limits.sensitivity
        return Verdict("z-score", mean, z, out and _big(value, mean, limits), explanation)
    previous = history[-1]
    ratio = value / previous.value if previous.value else (1.0 if value == 0 else math.inf)
    explanation = (
        f"{_ratio(ratio)} x the {_fmt(previous.value, unit)} of {previous.day}"
        f" (allowed {1 / limits.max_ratio:.2f} x to {limits.max_ratio:g} x)"
    )
    out = not (1 / limits.max_ratio <= ratio <= limits.max_ratio)
    big = _big(value, previous.value, limits)
    return Verdict("ratio", previous.value, ratio, out and big, explanation)


def _big(value: float, baseline: float, limits: Limits) -> bool:
    floor = max(limits.min_relative_change * abs(baseline), limits.min_absolute_change)
    return abs(value - baseline) >= floor


def _fmt(number: float, unit: str) -> str:
    if unit == "rows":
        return f"{number:,.0f}" if float(number).is_integer() else f"{number:,.1f}"
    return f"{number:,.2f}"


def _z(z: float) -> str:
    if math.isinf(z):
        return "-inf" if z < 0 else "inf"
    return f"{z:.1f}"


def _ratio(ratio: float) -> str:
    return "inf" if math.isinf(ratio) else f"{ratio:,.2f}"
