"""The CLV settings in ladder.yml (section `clv:`)."""

from __future__ import annotations

from ladder import config
from ladder.errors import LadderError


def annual_discount_rate() -> float:
    """`clv.annual_discount_rate`: what a unit of margin a year from now is discounted by."""
    rate = config.section("clv").get("annual_discount_rate")
    if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0 <= rate < 10:
        raise LadderError(
            f"{config.config_path()}: clv.annual_discount_rate must be a number from 0 up "
            f"to 10 (0.1 is 10 % a year), got {rate!r}"
        )
    return float(rate)


def early_model_settings() -> tuple[int, float]:
    """`clv.early_model`: (min_training_customers, ridge_penalty); config_schema has
    checked both when the file was loaded."""
    early = config.section("clv")["early_model"]
    return int(early["min_training_customers"]), float(early["ridge_penalty"])
