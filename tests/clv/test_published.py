"""The fits reproduce the published CDNOW results to the precision they were published.

BG/NBD: Fader, Hardie and Lee (2005), "Counting your customers the easy way", Marketing
Science 24(2): r = 0.243, alpha = 4.414, a = 0.793, b = 2.426, LL = -9582.4, weeks.
Gamma-Gamma: Fader and Hardie (2013), "The Gamma-Gamma model of monetary value", on the
946 repeat buyers' mean spend per repeat purchase: p = 6.25, q = 3.74, gamma = 15.44.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from ladder.cli import main
from ladder.clv.bgnbd import BgNbdParams, expected_purchases
from ladder.clv.fit import fit_clv
from tests.clv.conftest import LIFETIMES_DATA


def test_summary_is_the_papers_calibration_data(cdnow_weeks) -> None:
    # Fader and Hardie's own summary of the sample (x, t_x, T, mean repeat spend, two
    # decimals), shipped beside the transactions.
    theirs = pd.read_csv(LIFETIMES_DATA / "cdnow_customers_summary_with_transactions.csv")
    assert cdnow_weeks.size == len(theirs) == 2357
    assert list(cdnow_weeks.customer_id.astype(int)) == list(theirs["ID"])
    assert np.array_equal(cdnow_weeks.frequency, theirs["x"])
    for ours, column in ((cdnow_weeks.recency, "t_x"), (cdnow_weeks.T, "T")):
        assert np.abs(ours - theirs[column]).max() <= 0.005
    assert np.abs(cdnow_weeks.mean_margin - theirs["zbar"]).max() <= 0.005 + 1e-9


def test_bgnbd_and_gamma_gamma_match_the_papers(cdnow_weeks) -> None:
    fit = fit_clv(cdnow_weeks)
    assert fit.converged
    bg, gg = fit.bgnbd.params, fit.gamma_gamma.params
    assert (round(bg.r, 3), round(bg.alpha, 3), round(bg.a, 3), round(bg.b, 3)) == (
        0.243,
        4.414,
        0.793,
        2.426,
    )
    assert round(fit.bgnbd.log_likelihood, 1) == -9582.4
    assert (round(gg.p, 2), round(gg.q, 2), round(gg.gamma, 2)) == (6.25, 3.74, 15.44)
    assert fit.gamma_gamma.customers == fit.repeat_customers == 946


def test_the_papers_worked_example() -> None:
    # FHL 2005, section 5: a customer with x = 2, t_x = 30.43, T = 38.86 is expected to
    # make 1.226 purchases in the next 39 weeks.
    params = BgNbdParams(r=0.243, alpha=4.414, a=0.793, b=2.426)
    one = [np.array([v]) for v in (2.0, 30.43, 38.86)]
    assert round(float(expected_purchases(params, 39, *one)[0]), 3) == 1.226


def test_cli_fit_prints_the_published_parameters(cdnow_csv, capsys) -> None:
    args = ["clv", "fit", str(cdnow_csv), "--as-of", "1997-10-01", "--time-unit", "W"]
    assert main(args) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"bgnbd", "gamma_gamma", "customers", "repeat_customers", "converged"}
    assert set(out["bgnbd"]) == {"r", "alpha", "a", "b", "log_likelihood"}
    assert set(out["gamma_gamma"]) == {"p", "q", "gamma", "log_likelihood"}
    assert (out["customers"], out["repeat_customers"], out["converged"]) == (2357, 946, True)
    assert round(out["bgnbd"]["alpha"], 3) == 4.414
    assert round(out["bgnbd"]["log_likelihood"], 1) == -9582.4
    assert round(out["gamma_gamma"]["gamma"], 2) == 15.44
