"""The Gamma-Gamma model of margin per purchase (Fader, Hardie and Lee 2005, "RFM and
CLV"; Fader and Hardie, "The Gamma-Gamma model of monetary value", 2013).

Each purchase's margin is Gamma(p, nu); across customers nu ~ Gamma(q, gamma). The model
describes positive amounts and assumes margin is independent of the purchase process.

Who is in the fit: repeat buyers (x > 0) whose mean margin per repeat purchase is
positive, as in the papers: the likelihood is a density of the mean of x > 0 positive
amounts, undefined for x = 0 and at a mean of 0 or less.

Who gets a score: everyone, from the conditional expectation (their equation 5),
written as the credibility-weighted average it is,

    E[M | x, m] = (q - 1) / (p x + q - 1) * E[M] + p x / (p x + q - 1) * m,

with the population mean E[M] = p gamma / (q - 1). A customer with x = 0 gets E[M]. A
repeat buyer with a mean of 0 or less gets the same weighting, so their own record pulls
the estimate down (to below zero for a customer who lost money on enough purchases)
instead of being replaced by the population's. E[M] is finite only for q > 1, so a fit
with q <= 1 is reported as not converged and cannot be scored.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import digamma, gammaln

from ladder.clv.collapse import collapse, weighted_sum
from ladder.clv.optimise import maximise
from ladder.errors import LadderError


@dataclass(frozen=True)
class GammaGammaParams:
    p: float
    q: float
    gamma: float

    def __post_init__(self) -> None:
        if not all(np.isfinite(v) and v > 0 for v in (self.p, self.q, self.gamma)):
            raise LadderError(f"Gamma-Gamma parameters must be finite and > 0, got {self}")

    @property
    def population_mean(self) -> float:
        """E[M] = p gamma / (q - 1): infinite for q <= 1."""
        return self.p * self.gamma / (self.q - 1.0) if self.q > 1.0 else np.inf


@dataclass(frozen=True)
class GammaGammaFit:
    params: GammaGammaParams
    log_likelihood: float
    customers: int  # repeat buyers with a positive mean margin: the ones fitted
    converged: bool
    message: str
    log_standard_errors: np.ndarray  # of log p, log q, log gamma


def in_fit(x: np.ndarray, mean_margin: np.ndarray) -> np.ndarray:
    """Who the model is fitted on: repeat buyers with a positive mean margin."""
    return (x > 0) & (mean_margin > 0)


@dataclass(frozen=True)
class _Rows:
    """The customers `in_fit` as distinct (x, m) rows with counts, the distinct x values
    (the gamma-function terms depend on x alone), and the sums over rows that do not
    depend on the parameters, so an evaluation takes one logarithm and one reciprocal
    per row."""

    x: np.ndarray
    m: np.ndarray
    weights: np.ndarray
    weighted_x: np.ndarray
    xs: np.ndarray
    weights_by_x: np.ndarray
    sum_log_m: float  # sum of w log m
    sum_x_log_xm: float  # sum of w x (log m + log x)

    @classmethod
    def of(cls, x: np.ndarray, mean_margin: np.ndarray) -> _Rows:
        keep = in_fit(x, mean_margin)
        (x, m), counts, _ = collapse(x[keep], mean_margin[keep])
        weights = counts.astype(np.float64)
        xs, x_at = np.unique(x, return_inverse=True)
        by_x = np.bincount(x_at, weights=weights, minlength=xs.size)
        log_m = np.log(m)
        return cls(
            x,
            m,
            weights,
            weights * x,
            xs,
            by_x,
            weighted_sum(weights, log_m),
            weighted_sum(weights * x, log_m + np.log(x)),
        )

    @property
    def customers(self) -> float:
        return float(self.weights.sum())


def log_likelihood(params: GammaGammaParams, x: np.ndarray, mean_margin: np.ndarray) -> float:
    """Total log-likelihood of the customers `in_fit`."""
    value, _ = _log_likelihood_and_gradient(params, _Rows.of(x, mean_margin))
    return value


def fit_gamma_gamma(
    x: np.ndarray, mean_margin: np.ndarray, max_iterations: int = 500
) -> GammaGammaFit:
    """Maximum likelihood estimates on the customers `in_fit`; the caller makes sure there
    is at least one."""
    rows = _Rows.of(x, mean_margin)
    customers = rows.customers
    # p = 2, q = 3, gamma = mean of m puts E[M] at the observed mean.
    start = np.array([2.0, 3.0, float(np.average(rows.m, weights=rows.weights))])

    def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
        return _log_likelihood_and_gradient(GammaGammaParams(*theta), rows)

    best = maximise(objective, start, customers, max_iterations)
    params = GammaGammaParams(*best.params)
    converged, message = best.converged, best.message
    if converged and params.q <= 1.0:
        converged, message = False, f"q = {params.q:.4g} <= 1: mean margin has no finite mean"
    return GammaGammaFit(
        params, best.log_likelihood, int(customers), converged, message, best.log_standard_errors
    )


def _log_likelihood_and_gradient(params: GammaGammaParams, rows: _Rows) -> tuple[float, np.ndarray]:
    """Density of the mean m of x Gamma(p, nu) amounts, nu ~ Gamma(q, gamma):
    Gamma(px+q) / (Gamma(px) Gamma(q)) gamma^q x^(px) m^(px-1) / (gamma + x m)^(px+q),
    summed over the rows, and its gradient in (p, q, gamma)."""
    p, q, gamma = params.p, params.q, params.gamma
    xs, w_x, n = rows.xs, rows.weights_by_x, rows.customers
    px, pxq = p * xs, p * xs + q
    spread = gamma + rows.x * rows.m
    log_spread = np.log(spread)
    x_log_spread = weighted_sum(rows.weighted_x, log_spread)
    sum_log_spread = weighted_sum(rows.weights, log_spread)
    value = (
        weighted_sum(w_x, gammaln(pxq) - gammaln(px))
        + n * (q * np.log(gamma) - gammaln(q))
        + p * rows.sum_x_log_xm
        - rows.sum_log_m
        - p * x_log_spread
        - q * sum_log_spread
    )
    inverse = 1.0 / spread
    d_p = weighted_sum(w_x, xs * (digamma(pxq) - digamma(px))) + rows.sum_x_log_xm - x_log_spread
    d_q = weighted_sum(w_x, digamma(pxq)) + n * (np.log(gamma) - digamma(q)) - sum_log_spread
    d_gamma = (
        n * q / gamma
        - p * weighted_sum(rows.weighted_x, inverse)
        - q * weighted_sum(rows.weights, inverse)
    )
    return float(value), np.array([d_p, d_q, d_gamma])


def expected_margin(params: GammaGammaParams, x: np.ndarray, mean_margin: np.ndarray) -> np.ndarray:
    """E[margin per purchase | x, mean margin] for every customer (see the module doc)."""
    if params.q <= 1.0:
        raise LadderError(
            f"Gamma-Gamma q = {params.q:.4g} <= 1: mean margin has no finite mean; refit "
            "or score with the last good parameters"
        )
    weight = params.p * x / (params.p * x + params.q - 1.0)
    return (1.0 - weight) * params.population_mean + weight * mean_margin
