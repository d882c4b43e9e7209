"""Scoring customers with given parameters: P(alive), expected purchases and margin, and
discounted CLV over a horizon.

CLV = sum over the horizon's steps k of E[purchases in step k] * E[margin per purchase] /
(1 + annual rate)^(years to the end of step k). The horizon is cut into equal steps of at
most a month (365.25 / 12 days), each step's purchases are the difference of the
conditional expectation at its two ends, and they are discounted from the end of the
step, as `lifetimes` does. Net CLV replaces the margin by margin minus the customer's
expected cost-to-serve per purchase, which is the same sum less cost times the
discounted expected purchases, so one scoring serves any cost model.

Predictions are computed once per distinct (x, t_x, T) row and spread to the customers.
The parameters are arguments, so the nightly run can score with the last good fit when
tonight's did not converge.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ladder.clv.bgnbd import BgNbdParams, p_alive, purchases_if_alive
from ladder.clv.collapse import collapse
from ladder.clv.gamma_gamma import GammaGammaParams, expected_margin
from ladder.clv.summary import DAYS_PER_UNIT, CustomerSummary, TimeUnit
from ladder.errors import LadderError

DAYS_PER_YEAR = 365.25
DAYS_PER_MONTH = DAYS_PER_YEAR / 12


@dataclass(frozen=True)
class Scores:
    p_alive: np.ndarray
    expected_purchases: np.ndarray  # over the whole horizon
    expected_margin: np.ndarray  # per purchase
    discounted_purchases: np.ndarray  # expected purchases, each discounted to today
    clv: np.ndarray

    def net_clv(self, cost_per_purchase: np.ndarray | float) -> np.ndarray:
        """CLV after the expected cost-to-serve of each future purchase."""
        return self.clv - np.asarray(cost_per_purchase) * self.discounted_purchases


def discount_steps(horizon: float, time_unit: TimeUnit) -> np.ndarray:
    """The ends of the horizon's equal steps of at most a month, in `time_unit`."""
    days = horizon * DAYS_PER_UNIT[time_unit]
    steps = max(1, math.ceil(days / DAYS_PER_MONTH - 1e-9))
    return horizon * np.arange(1, steps + 1) / steps


def discounted_horizon(horizon: float, time_unit: TimeUnit, annual_discount_rate: float) -> float:
    """The horizon's length with each step discounted from its end as `score` discounts
    purchases: what a cost accruing evenly at one unit per period is worth today."""
    ends = discount_steps(horizon, time_unit)
    years = ends * DAYS_PER_UNIT[time_unit] / DAYS_PER_YEAR
    lengths = np.diff(ends, prepend=0.0)
    return float(np.sum(lengths * (1.0 + annual_discount_rate) ** -years))


def score(
    summary: CustomerSummary,
    bgnbd: BgNbdParams,
    gamma_gamma: GammaGammaParams,
    horizon: float,
    time_unit: TimeUnit,
    annual_discount_rate: float,
) -> Scores:
    """Every customer's scores over `horizon` (in `time_unit`, like the summary)."""
    if not (math.isfinite(horizon) and horizon > 0):
        raise LadderError(f"the horizon must be a positive number of periods, got {horizon}")
    if not (math.isfinite(annual_discount_rate) and annual_discount_rate >= 0):
        raise LadderError(
            f"the annual discount rate must be 0 or more (0.1 is 10 %), got {annual_discount_rate}"
        )
    (x, t_x, T), _, inverse = collapse(summary.frequency, summary.recency, summary.T)
    alive = p_alive(bgnbd, x, t_x, T)
    # The hypergeometric part depends on (x, T) alone: fewer distinct values again.
    (x_T, T_x), _, at = collapse(x, T)
    ends = discount_steps(horizon, time_unit)
    years = ends * DAYS_PER_UNIT[time_unit] / DAYS_PER_YEAR
    discount = (1.0 + annual_discount_rate) ** -years
    cumulative = np.zeros_like(alive)
    discounted = np.zeros_like(alive)
    for end, factor in zip(ends, discount, strict=True):
        upto = alive * purchases_if_alive(bgnbd, end, x_T, T_x)[at]
        discounted += (upto - cumulative) * factor
        cumulative = upto
    if not (np.all(np.isfinite(cumulative)) and np.all(np.isfinite(discounted))):
        raise LadderError(f"BG/NBD parameters {bgnbd} give non-finite expected purchases")
    margin = expected_margin(gamma_gamma, summary.frequency, summary.mean_margin)
    purchases = discounted[inverse]
    return Scores(
        p_alive=alive[inverse],
        expected_purchases=cumulative[inverse],
        expected_margin=margin,
        discounted_purchases=purchases,
        clv=purchases * margin,
    )
