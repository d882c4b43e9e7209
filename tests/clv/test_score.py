"""Scoring: equation 10 against numerical integration, discounting, margins, net CLV."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import integrate
from scipy.special import betaln

from ladder.cli import main
from ladder.clv.bgnbd import BgNbdParams, expected_purchases, p_alive
from ladder.clv.fit import fit_clv
from ladder.clv.gamma_gamma import GammaGammaParams, expected_margin
from ladder.clv.score import discount_steps, score
from ladder.clv.summary import CustomerSummary
from ladder.errors import LadderError

CDNOW = BgNbdParams(r=0.243, alpha=4.414, a=0.793, b=2.426)


def by_integration(params: BgNbdParams, t: float, x: float, t_x: float, T: float) -> float:
    """E[Y(t) | x, t_x, T] from its definition: P(alive) times the mean, over the
    posterior p ~ Beta(a, b + x), of (1 - (1 + p t / (alpha + T))^-(r + x)) / p, the
    expected purchases of a live customer with dropout p (lambda integrated out)."""
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    k = t / (alpha + T)

    def integrand(p: float) -> float:
        live = -np.expm1(-(r + x) * np.log1p(k * p)) / p
        return live * np.exp((a - 1) * np.log(p) + (b + x - 1) * np.log1p(-p) - betaln(a, b + x))

    mass = (a + 1) / (a + b + x)  # where most of Beta(a, b + x) lies
    edges = sorted({0.0, 1.0, *(min(mass * f, 1.0) for f in (0.01, 1, 10, 100))})
    parts = (
        integrate.quad(integrand, lo, hi, limit=200, epsabs=0, epsrel=1e-12)[0]
        for lo, hi in itertools.pairwise(edges)
    )
    one = [np.array([v]) for v in (x, t_x, T)]
    return float(p_alive(params, *one)[0]) * sum(parts)


@pytest.mark.filterwarnings("ignore::scipy.integrate.IntegrationWarning")
@pytest.mark.parametrize("a", [0.5, 1.0, 1.000001, 0.99999, 2.5])
@pytest.mark.parametrize(
    ("x", "t_x", "T"),
    [(0, 0, 38.86), (2, 30.43, 38.86), (300, 38, 38.5), (1e5, 38.5, 38.5), (1e6, 38.86, 38.86)],
)
def test_expected_purchases_for_large_x_long_horizons_and_a_near_one(a, x, t_x, T) -> None:
    params = BgNbdParams(CDNOW.r, CDNOW.alpha, a, CDNOW.b)
    for t in (1.0, 39.0, 5200.0):  # a week, the papers' 39 weeks, a century
        ours = float(expected_purchases(params, t, *(np.array([v]) for v in (x, t_x, T)))[0])
        assert np.isfinite(ours)
        assert ours == pytest.approx(by_integration(params, t, x, t_x, T), rel=1e-7)


def test_p_alive_stays_in_range_for_huge_histories() -> None:
    x = np.array([0, 1, 1e3, 1e6, 1e6])
    t_x = np.array([0, 1, 10, 10, 100])
    T = np.full(5, 100.0)
    alive = p_alive(CDNOW, x, t_x, T)
    assert np.all((alive >= 0) & (alive <= 1))
    assert alive[0] == 1.0 and alive[3] == 0.0 and alive[4] > 0.999


def test_discount_steps_are_at_most_a_month() -> None:
    assert np.allclose(discount_steps(365, "D"), np.arange(1, 13) * 365 / 12)
    assert np.allclose(discount_steps(360, "D"), np.arange(30, 361, 30))
    assert np.allclose(discount_steps(52, "W"), np.arange(1, 13) * 52 / 12)
    assert np.allclose(discount_steps(1, "D"), [1])


def test_clv_discounting_margin_and_net_clv(cdnow_weeks) -> None:
    fit = fit_clv(cdnow_weeks)
    bg, gg = fit.bgnbd.params, fit.gamma_gamma.params
    undiscounted = score(cdnow_weeks, bg, gg, 52, "W", 0.0)
    np.testing.assert_allclose(undiscounted.discounted_purchases, undiscounted.expected_purchases)
    np.testing.assert_allclose(
        undiscounted.clv, undiscounted.expected_purchases * undiscounted.expected_margin
    )
    discounted = score(cdnow_weeks, bg, gg, 52, "W", 0.1)
    assert np.all(discounted.clv <= undiscounted.clv) and np.all(discounted.clv > 0)
    # Within a year, discounting at 10 % costs between 0 and 10 %.
    ratio = discounted.clv / undiscounted.clv
    assert np.all((ratio > 1 / 1.1) & (ratio < 1))
    cost = np.full(cdnow_weeks.size, 5.0)
    net = discounted.net_clv(cost)
    np.testing.assert_allclose(net, discounted.clv - 5.0 * discounted.discounted_purchases)
    assert np.all(net < discounted.clv)


def test_margin_for_no_repeat_and_non_positive_means() -> None:
    gg = GammaGammaParams(p=6.25, q=3.74, gamma=15.44)
    margin = expected_margin(gg, np.array([0.0, 3.0, 3.0, 30.0]), np.array([0, 0, -10, -10]))
    assert margin[0] == pytest.approx(gg.population_mean)
    # Repeat buyers who made nothing (or lost money) are pulled below the population mean,
    # the more so the more purchases show it.
    assert margin[1] < gg.population_mean and margin[2] < margin[1] and margin[3] < 0


def test_gamma_gamma_leaves_out_non_positive_means_but_scores_them(cdnow_weeks) -> None:
    zeroed = np.flatnonzero(cdnow_weeks.frequency > 0)[:10]
    mean_margin = cdnow_weeks.mean_margin.copy()
    mean_margin[zeroed] = 0.0
    summary = CustomerSummary(
        cdnow_weeks.customer_id,
        cdnow_weeks.frequency,
        cdnow_weeks.recency,
        cdnow_weeks.T,
        mean_margin,
    )
    fit = fit_clv(summary)
    assert fit.converged and fit.gamma_gamma.customers == 946 - 10
    scores = score(summary, fit.bgnbd.params, fit.gamma_gamma.params, 52, "W", 0.1)
    assert np.all(np.isfinite(scores.clv))
    assert np.all(scores.expected_margin[zeroed] < fit.gamma_gamma.params.population_mean)


@pytest.mark.parametrize(
    ("horizon", "rate", "gg", "message"),
    [
        (0.0, 0.1, (6.0, 4.0, 15.0), "horizon must be a positive number"),
        (float("inf"), 0.1, (6.0, 4.0, 15.0), "horizon must be a positive number"),
        (52.0, -0.5, (6.0, 4.0, 15.0), "annual discount rate must be 0 or more"),
        (52.0, 0.1, (6.0, 0.9, 15.0), "q = 0.9 <= 1: mean margin has no finite mean"),
    ],
)
def test_bad_scoring_arguments(cdnow_weeks, horizon, rate, gg, message) -> None:
    with pytest.raises(LadderError, match=message):
        score(cdnow_weeks, CDNOW, GammaGammaParams(*gg), horizon, "W", rate)


@pytest.mark.parametrize("bad", [(0.0, 1, 1, 1), (np.nan, 1, 1, 1), (1, np.inf, 1, 1)])
def test_parameters_must_be_positive_and_finite(bad) -> None:
    with pytest.raises(LadderError, match="BG/NBD parameters must be finite and > 0"):
        BgNbdParams(*bad)


def test_cli_score_writes_every_customer(cdnow_csv, tmp_path: Path, capsys) -> None:
    out = tmp_path / "scores.csv"
    args = [
        "clv",
        "score",
        str(cdnow_csv),
        "--as-of",
        "1997-10-01",
        "--time-unit",
        "W",
        "--horizon",
        "52",
        "--out",
        str(out),
    ]
    assert main(args) == 0
    assert "scored 2,357 customers over 52 weeks" in capsys.readouterr().out
    scores = pd.read_csv(out, dtype={"customer_id": str})
    assert list(scores.columns) == [
        "customer_id",
        "frequency",
        "recency",
        "T",
        "p_alive",
        "expected_purchases",
        "expected_margin",
        "clv",
    ]
    assert len(scores) == 2357 and scores["customer_id"].iloc[0] == "0001"
    assert scores.notna().all().all()
    assert scores["p_alive"].between(0, 1).all() and (scores["clv"] >= 0).all()
