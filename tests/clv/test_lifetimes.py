"""Agreement with `lifetimes` 0.11.3, the reference Python implementation, on the same
inputs: parameters, per-customer predictions and CLV, relative 1e-3.

lifetimes is a test and benchmark dependency only. Two of its parts do not work with
this stack and are not used: `lifetimes.datasets` (imports pkg_resources, see conftest)
and `summary_data_from_transaction_data(freq="W")` under pandas 2, which produces recency
above T. Both models are fed the summaries directly; the daily summary is compared with
lifetimes' own, which works.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from lifetimes import BetaGeoFitter, GammaGammaFitter
from lifetimes.utils import summary_data_from_transaction_data

from ladder.clv.fit import fit_clv
from ladder.clv.score import score

RELATIVE = 1e-3


def assert_close(ours, theirs) -> None:
    ours, theirs = np.asarray(ours, dtype=float), np.asarray(theirs, dtype=float)
    assert np.all(np.isfinite(ours))
    np.testing.assert_allclose(ours, theirs, rtol=RELATIVE, atol=1e-12)


def test_daily_summary_matches_lifetimes(cdnow_csv, cdnow_days) -> None:
    frame = pd.read_csv(cdnow_csv, dtype={"customer_id": str})
    theirs = summary_data_from_transaction_data(
        frame,
        "customer_id",
        "date",
        monetary_value_col="amount",
        observation_period_end="1997-09-30",  # inclusive: our as-of 1997-10-01
        freq="D",
    ).loc[cdnow_days.customer_id]
    assert np.array_equal(cdnow_days.frequency, theirs["frequency"])
    assert np.array_equal(cdnow_days.recency, theirs["recency"])
    assert np.array_equal(cdnow_days.T, theirs["T"])
    assert_close(cdnow_days.mean_margin, theirs["monetary_value"])


@pytest.mark.parametrize("unit", ["W", "D"])
def test_parameters_and_predictions_match_lifetimes(request, unit: str) -> None:
    summary = request.getfixturevalue("cdnow_weeks" if unit == "W" else "cdnow_days")
    x = pd.Series(summary.frequency)
    t_x, T, m = pd.Series(summary.recency), pd.Series(summary.T), pd.Series(summary.mean_margin)
    bgf = BetaGeoFitter().fit(x, t_x, T)
    repeat = x > 0
    ggf = GammaGammaFitter().fit(x[repeat], m[repeat])

    fit = fit_clv(summary)
    bg, gg = fit.bgnbd.params, fit.gamma_gamma.params
    assert_close([bg.r, bg.alpha, bg.a, bg.b], bgf.params_[["r", "alpha", "a", "b"]])
    assert_close([gg.p, gg.q, gg.gamma], ggf.params_[["p", "q", "v"]])

    # 360 days = lifetimes' 12 months of 30 days; our steps are then the same 30 days,
    # and its monthly rate is our annual rate over 30 days.
    horizon = 360 / 7 if unit == "W" else 360
    annual = 0.1
    scores = score(summary, bg, gg, horizon, unit, annual)
    assert_close(scores.p_alive, bgf.conditional_probability_alive(x, t_x, T))
    assert_close(
        scores.expected_purchases,
        bgf.conditional_expected_number_of_purchases_up_to_time(horizon, x, t_x, T),
    )
    assert_close(scores.expected_margin, ggf.conditional_expected_average_profit(x, m))
    if unit == "D":  # lifetimes' CLV steps are 30 "D" periods or 4.345 "W" ones
        theirs = ggf.customer_lifetime_value(
            bgf, x, t_x, T, m, time=12, discount_rate=(1 + annual) ** (30 / 365.25) - 1, freq="D"
        )
        assert_close(scores.clv, theirs)
