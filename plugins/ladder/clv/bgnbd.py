"""The BG/NBD model of repeat purchases (Fader, Hardie and Lee 2005, "Counting your
customers the easy way").

While alive a customer buys at Poisson rate lambda ~ Gamma(r, alpha); after each repeat
purchase they drop out with probability p ~ Beta(a, b). A customer with x = 0 has never
had the chance to drop out, so P(alive) = 1 for them: the model's own answer, not a
special case. Time is in whatever unit x, t_x and T are in; alpha carries that unit.

The log-likelihood (their equation 6) is written with log-gamma and a log-sum-exp
(logaddexp, spelled out as softplus, which numpy evaluates twice as fast) so it stays
finite for large x and long histories, and it is evaluated on the distinct (x, t_x, T)
rows weighted by their count. Its gradient is analytic (digamma), which is what makes a
fit on a million customers take about a second.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import digamma, gammaln, hyp2f1

from ladder.clv.collapse import collapse, weighted_sum
from ladder.clv.optimise import maximise
from ladder.errors import LadderError

# Equation 10 divides by a - 1; at a = 1 it is 0/0 with a finite limit (the demo's
# personas have a = 1). Within this distance of 1 the value is interpolated between
# a = 1 - A_NEAR_ONE and 1 + A_NEAR_ONE: interpolation error ~A_NEAR_ONE**2, cancellation
# ~1e-16 / A_NEAR_ONE; against numerical integration both stay below 1e-8 relative.
A_NEAR_ONE = 1e-5


@dataclass(frozen=True)
class BgNbdParams:
    r: float
    alpha: float
    a: float
    b: float

    def __post_init__(self) -> None:
        values = (self.r, self.alpha, self.a, self.b)
        if not all(np.isfinite(v) and v > 0 for v in values):
            raise LadderError(f"BG/NBD parameters must be finite and > 0, got {self}")


@dataclass(frozen=True)
class BgNbdFit:
    params: BgNbdParams
    log_likelihood: float
    converged: bool
    message: str
    log_standard_errors: np.ndarray  # of log r, log alpha, log a, log b


@dataclass(frozen=True)
class _Rows:
    """The customers as distinct rows with counts, split the way the likelihood is.

    Customers with x = 0 contribute r log(alpha) - r log(alpha + T): only their distinct
    T matter. For repeat buyers the gamma-function terms depend on x alone, which takes
    few values, and the rest is per distinct (x, t_x, T) row.
    """

    T0: np.ndarray  # distinct T of the x = 0 customers
    weights0: np.ndarray
    x: np.ndarray  # distinct repeat-buyer rows
    t_x: np.ndarray
    T: np.ndarray
    weights: np.ndarray
    xs: np.ndarray  # distinct x of the repeat buyers
    weights_by_x: np.ndarray

    @classmethod
    def of(cls, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> _Rows:
        repeat = x > 0
        (T0,), weights0, _ = collapse(T[~repeat])
        (x, t_x, T), weights, _ = collapse(x[repeat], t_x[repeat], T[repeat])
        xs, x_at = np.unique(x, return_inverse=True)
        by_x = np.bincount(x_at, weights=weights, minlength=xs.size)
        return cls(T0, weights0.astype(np.float64), x, t_x, T, weights.astype(np.float64), xs, by_x)

    @property
    def customers(self) -> float:
        return float(self.weights0.sum() + self.weights.sum())


def log_likelihood(params: BgNbdParams, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> float:
    """The total log-likelihood of the customers (x, t_x, T)."""
    value, _ = _log_likelihood_and_gradient(params, _Rows.of(x, t_x, T))
    return value


def fit_bgnbd(x: np.ndarray, t_x: np.ndarray, T: np.ndarray, max_iterations: int = 500) -> BgNbdFit:
    """Maximum likelihood estimates. The caller makes sure someone made a repeat purchase:
    without one, the likelihood grows without bound as r goes to 0."""
    rows = _Rows.of(x, t_x, T)
    # r = a = b = 1 is a neutral start; alpha = mean age makes the start scale-free.
    total_age = weighted_sum(rows.weights0, rows.T0) + weighted_sum(rows.weights, rows.T)
    start = np.array([1.0, max(total_age / rows.customers, 1e-3), 1.0, 1.0])

    def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
        return _log_likelihood_and_gradient(BgNbdParams(*theta), rows)

    best = maximise(objective, start, rows.customers, max_iterations)
    return BgNbdFit(
        BgNbdParams(*best.params),
        best.log_likelihood,
        best.converged,
        best.message,
        best.log_standard_errors,
    )


def _log_likelihood_and_gradient(params: BgNbdParams, rows: _Rows) -> tuple[float, np.ndarray]:
    """FHL equation 6 summed over the rows, and its gradient in (r, alpha, a, b).

    Per repeat-buyer row, with A3 = -(r+x) log(alpha+T) (still alive at T) and
    A4 = log(a) - log(b+x-1) - (r+x) log(alpha+t_x) (dropped out after the last purchase),
    the row's term is A3 + softplus(A4 - A3), the stable form of log(e^A3 + e^A4)."""
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    log_alpha = np.log(alpha)

    # x = 0: r log(alpha) - r log(alpha + T).
    w0 = rows.weights0
    log_age0 = np.log(alpha + rows.T0)
    value = r * (w0.sum() * log_alpha - weighted_sum(w0, log_age0))
    d_r = w0.sum() * log_alpha - weighted_sum(w0, log_age0)
    d_alpha = r * (w0.sum() / alpha - weighted_sum(w0, 1.0 / (alpha + rows.T0)))

    # Repeat buyers, gamma-function terms per distinct x.
    xs, w_x = rows.xs, rows.weights_by_x
    psi_ab, psi_abx = digamma(a + b), digamma(a + b + xs)
    value += weighted_sum(
        w_x,
        gammaln(r + xs) - gammaln(r) + r * log_alpha
        + gammaln(a + b) + gammaln(b + xs) - gammaln(b) - gammaln(a + b + xs),
    )  # fmt: skip
    d_r += weighted_sum(w_x, digamma(r + xs) - digamma(r) + log_alpha)
    d_alpha += w_x.sum() * r / alpha
    d_a = weighted_sum(w_x, psi_ab - psi_abx)
    d_b = weighted_sum(w_x, psi_ab + digamma(b + xs) - digamma(b) - psi_abx)

    # Repeat buyers, per row.
    x, w = rows.x, rows.weights
    r_x = r + x
    log_age = np.log(alpha + rows.T)
    log_rec = np.log(alpha + rows.t_x)
    dropout_odds = 1.0 / (b + x - 1.0)
    d = np.log(a * dropout_odds) - r_x * (log_rec - log_age)  # A4 - A3
    softplus = np.maximum(d, 0.0) + np.log1p(np.exp(-np.abs(d)))
    w4 = np.exp(d - softplus)  # share of the row's likelihood from A4
    value += weighted_sum(w, softplus - r_x * log_age)
    d_r += weighted_sum(w, w4 * (log_age - log_rec) - log_age)
    d_alpha -= weighted_sum(w, r_x * ((1.0 - w4) / (alpha + rows.T) + w4 / (alpha + rows.t_x)))
    d_a += weighted_sum(w, w4) / a
    d_b -= weighted_sum(w, w4 * dropout_odds)
    return float(value), np.array([d_r, d_alpha, d_a, d_b])


def p_alive(params: BgNbdParams, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
    """P(still alive at T | x, t_x, T), FHL equation 13, in log space so that
    ((alpha + T) / (alpha + t_x))^(r + x) cannot overflow for large x."""
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    log_odds_dead = (
        np.log(a)
        - np.log(b + np.maximum(x, 1) - 1)
        + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
    )
    return np.where(x > 0, np.exp(-np.logaddexp(0.0, log_odds_dead)), 1.0)


def interpurchase_time(params: BgNbdParams, x: np.ndarray, T: np.ndarray) -> np.ndarray:
    """The expected time between purchases while alive, 1 / E[lambda | x, T]: the
    purchase rate's posterior given x purchases in T is Gamma(r + x, alpha + T) (FHL
    section 5), so its mean is (r + x) / (alpha + T)."""
    return (params.alpha + T) / (params.r + x)


def expected_purchases(
    params: BgNbdParams, t: float, x: np.ndarray, t_x: np.ndarray, T: np.ndarray
) -> np.ndarray:
    """E[repeat purchases in (T, T + t] | x, t_x, T], FHL equation 10: P(alive) times the
    expectation for a customer who is alive."""
    return p_alive(params, x, t_x, T) * purchases_if_alive(params, t, x, T)


def purchases_if_alive(params: BgNbdParams, t: float, x: np.ndarray, T: np.ndarray) -> np.ndarray:
    """E[repeat purchases in (T, T + t] | x, T, alive at T]: depends on x and T only, so
    callers with many customers can evaluate it once per distinct (x, T)."""
    a = params.a
    if abs(a - 1.0) >= A_NEAR_ONE:
        return _purchases_if_alive_closed_form(params.r, params.alpha, a, params.b, t, x, T)
    below, above = (
        _purchases_if_alive_closed_form(params.r, params.alpha, edge, params.b, t, x, T)
        for edge in (1.0 - A_NEAR_ONE, 1.0 + A_NEAR_ONE)
    )
    return below + (above - below) * (a - 1.0 + A_NEAR_ONE) / (2.0 * A_NEAR_ONE)


def _purchases_if_alive_closed_form(
    r: float, alpha: float, a: float, b: float, t: float, x: np.ndarray, T: np.ndarray
) -> np.ndarray:
    """(a+b+x-1)/(a-1) * [1 - ((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, b+x; a+b+x-1; z)],
    z = t / (alpha+T+t).

    As written, 2F1 overflows for large x and long horizons (z near 1) while the power
    underflows. Euler's transformation 2F1(A,B;C;z) = (1-z)^(C-A-B) 2F1(C-A,C-B;C;z)
    folds the power in: the bracket becomes 1 - (1-z)^(a-1) 2F1(a+b-1-r, a-1; a+b+x-1; z),
    whose first two parameters no longer grow with x and whose third does, so the series
    converges faster the larger x is, and nothing overflows."""
    log_one_minus_z = np.log(alpha + T) - np.log(alpha + T + t)
    z = -np.expm1(log_one_minus_z)
    c = a + b + x - 1.0
    hyp = hyp2f1(a + b - 1.0 - r, a - 1.0, c, z)
    return c / (a - 1.0) * (1.0 - np.exp((a - 1.0) * log_one_minus_z) * hyp)
