"""The watching checks' limits, read from `ladder.yml` (`quality:`; docs/quality-gates.md)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ladder import config
from ladder.errors import LadderError
from ladder.quality.anomalies import Limits


def setting(path: str) -> Any:
    """`quality.<path>` (dotted), or one clear message naming the missing key."""
    value: Any = config.section("quality")
    for key in path.split("."):
        value = value.get(key) if isinstance(value, dict) else None
    if value is None:
        raise LadderError(
            f"{config.config_path()}: quality.{path} is missing; see docs/quality-gates.md for"
            " what it means and the project's ladder.yml for its default"
        )
    return value


def _number(path: str) -> float:
    value = setting(path)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise LadderError(
            f"{config.config_path()}: quality.{path} must be a number of at least 0, got {value!r}"
        )
    return float(value)


@dataclass(frozen=True)
class Training:
    days: int
    min_runs: int
    sensitivity: float


def training() -> Training:
    return Training(
        days=int(_number("anomalies.training_days")),
        min_runs=int(_number("anomalies.min_training_runs")),
        sensitivity=_number("anomalies.sensitivity"),
    )


def volume_limits() -> Limits:
    train = training()
    return Limits(
        sensitivity=train.sensitivity,
        min_training_runs=train.min_runs,
        max_ratio=_number("raw.max_volume_factor"),
        min_relative_change=_number("raw.volume_min_change_share"),
        min_absolute_change=_number("raw.volume_min_change_rows"),
    )


def figure_limits(count: bool) -> Limits:
    """The headline figures' limits; `count` for list sizes and quarantine counts."""
    train = training()
    return Limits(
        sensitivity=train.sensitivity,
        min_training_runs=train.min_runs,
        max_ratio=_number("marts.max_ratio"),
        min_relative_change=_number("marts.min_relative_change"),
        min_absolute_change=_number("marts.min_count_change") if count else 0.0,
    )


def freshness_days(table: str) -> int:
    """The most days a raw table's newest row may lie before D (`raw_table` without `raw.`)."""
    limits = setting("raw.freshness_days")
    if not isinstance(limits, dict) or "default" not in limits:
        raise LadderError(
            f"{config.config_path()}: quality.raw.freshness_days must map `default` (and any"
            " raw table) to a number of days"
        )
    return int(_number(f"raw.freshness_days.{table if table in limits else 'default'}"))


@dataclass(frozen=True)
class Outliers:
    percentile: float
    multiple: float


def outliers() -> Outliers:
    percentile = _number("marts.outlier_percentile")
    if not 0 < percentile < 1:
        raise LadderError(
            f"{config.config_path()}: quality.marts.outlier_percentile must lie between 0 and"
            f" 1 (0.99 is the 99th percentile), got {percentile!r}"
        )
    return Outliers(percentile, _number("marts.outlier_multiple"))
