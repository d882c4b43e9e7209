"""The log-likelihoods: values against lifetimes' independent code, gradients against
finite differences (the fits lean on the analytic gradients)."""

from __future__ import annotations

import numpy as np
import pytest
from lifetimes import BetaGeoFitter, GammaGammaFitter

from ladder.clv import bgnbd, gamma_gamma
from ladder.clv.bgnbd import BgNbdParams
from ladder.clv.gamma_gamma import GammaGammaParams

POINTS = [(0.243, 4.414, 0.793, 2.426), (2.0, 60.0, 1.0, 30.0), (0.5, 10.0, 3.0, 0.7)]


@pytest.mark.parametrize("point", POINTS)
def test_bgnbd_value_and_gradient(cdnow_weeks, point) -> None:
    x, t_x, T = cdnow_weeks.frequency, cdnow_weeks.recency, cdnow_weeks.T
    ours = bgnbd.log_likelihood(BgNbdParams(*point), x, t_x, T)
    args = (x, t_x, T, np.ones_like(x), 0.0)
    theirs = -BetaGeoFitter._negative_log_likelihood(np.log(point), *args) * x.size
    assert ours == pytest.approx(theirs, rel=1e-12)

    rows = bgnbd._Rows.of(x, t_x, T)
    _, gradient = bgnbd._log_likelihood_and_gradient(BgNbdParams(*point), rows)
    expected = numerical_gradient(bgnbd.log_likelihood, point, x, t_x, T)
    assert gradient == pytest.approx(expected, rel=1e-6, abs=1e-6)


@pytest.mark.parametrize("point", [(6.25, 3.74, 15.44), (1.0, 0.8, 3.0), (20.0, 9.0, 2.0)])
def test_gamma_gamma_value_and_gradient(cdnow_weeks, point) -> None:
    x, m = cdnow_weeks.frequency, cdnow_weeks.mean_margin
    ours = gamma_gamma.log_likelihood(GammaGammaParams(*point), x, m)
    repeat = x > 0
    args = (x[repeat], m[repeat], np.ones(repeat.sum()), 0.0)
    theirs = -GammaGammaFitter._negative_log_likelihood(np.log(point), *args) * repeat.sum()
    assert ours == pytest.approx(theirs, rel=1e-12)

    rows = gamma_gamma._Rows.of(x, m)
    _, gradient = gamma_gamma._log_likelihood_and_gradient(GammaGammaParams(*point), rows)
    expected = numerical_gradient(gamma_gamma.log_likelihood, point, x, m)
    assert gradient == pytest.approx(expected, rel=1e-6, abs=1e-6)


def numerical_gradient(log_likelihood, point, *data) -> np.ndarray:
    """Central differences at relative steps h and h/2, Richardson-extrapolated: error
    O(h^4), so h = 1e-3 stays clear of rounding."""
    params_type = BgNbdParams if len(point) == 4 else GammaGammaParams

    def central(i: int, h: float) -> float:
        up, down = list(point), list(point)
        up[i], down[i] = point[i] * (1 + h), point[i] * (1 - h)
        rise = log_likelihood(params_type(*up), *data) - log_likelihood(params_type(*down), *data)
        return rise / (2 * h * point[i])

    return np.array([(4 * central(i, 5e-4) - central(i, 1e-3)) / 3 for i in range(len(point))])
