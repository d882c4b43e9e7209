"""Degenerate populations and broken numbers: a clear error or a fit that says it failed."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from ladder.cli import main
from ladder.clv.fit import fit_clv
from ladder.clv.score import score
from ladder.clv.summary import CustomerSummary
from ladder.errors import LadderError
from tests.clv.conftest import summary_of


def test_zero_customers() -> None:
    with pytest.raises(LadderError, match="no customers to fit"):
        fit_clv(summary_of([], [], [], []))


def test_only_single_purchase_customers() -> None:
    with pytest.raises(LadderError, match="none of the 3 customers made a repeat purchase"):
        fit_clv(summary_of([0, 0, 0], [0, 0, 0], [10, 20, 30], [0, 0, 0]))


def test_one_customer_is_not_a_fit() -> None:
    fit = fit_clv(summary_of([3], [20], [30], [10]))
    assert not fit.converged
    assert any("BG/NBD" in p for p in fit.problems())
    assert any("Gamma-Gamma" in p for p in fit.problems())


def test_no_sign_of_dropout_is_not_identified() -> None:
    # Everyone buys at a steady rate until today: the likelihood keeps rising as the
    # dropout probability goes to 0, so there is no maximum to report.
    rng = np.random.default_rng(1)
    n = 2000
    T = rng.uniform(10, 100, n)
    x = rng.poisson(3, n).astype(float)
    t_x = np.where(x > 0, T * rng.uniform(0.5, 1, n), 0)
    fit = fit_clv(summary_of(x, t_x, T, rng.gamma(5, 4, n)))
    assert not fit.bgnbd.converged and fit.gamma_gamma.converged
    assert "do not identify the parameters" in fit.bgnbd.message


def test_fit_stopped_early_says_so(cdnow_weeks) -> None:
    fit = fit_clv(cdnow_weeks, max_iterations=3)
    assert not fit.converged
    assert fit.bgnbd.message.startswith("no maximum found after 3 iterations")
    # What the nightly fallback needs is all there: parameters, log-likelihood, the flag.
    assert fit.as_dict()["converged"] is False and np.isfinite(fit.bgnbd.log_likelihood)


def test_huge_frequencies_fit_and_score(cdnow_weeks) -> None:
    x = cdnow_weeks.frequency.copy()
    t_x, T = cdnow_weeks.recency.copy(), cdnow_weeks.T
    x[:3] = [10_000, 100_000, 1_000_000]
    t_x[:3] = T[:3]
    m = np.where(x > 0, np.maximum(cdnow_weeks.mean_margin, 1.0), 0)
    summary = CustomerSummary(cdnow_weeks.customer_id, x, t_x, T, m)
    fit = fit_clv(summary)
    assert fit.converged
    scores = score(summary, fit.bgnbd.params, fit.gamma_gamma.params, 52, "W", 0.1)
    assert np.all(np.isfinite(scores.clv)) and np.all(scores.clv >= 0)
    # A customer with a million purchases in 39 weeks, the last one today, keeps buying
    # at about that rate; dropout (about a / (b + x) per purchase) takes some of it away.
    rate = x[2] / T[2]
    assert 0.5 * rate * 52 < scores.expected_purchases[2] < rate * 52


@pytest.mark.parametrize(
    ("column", "values", "message"),
    [
        ("frequency", [1, np.nan], "frequency has NaN or infinite values"),
        ("recency", [1, np.inf], "recency has NaN or infinite values"),
        ("T", [np.inf, 5], "T has NaN or infinite values"),
        ("mean_margin", [np.nan, 1], "mean margin has NaN or infinite values"),
        ("frequency", [1, -1], "frequency must be a whole number >= 0"),
        ("frequency", [1.5, 1], "frequency must be a whole number >= 0"),
        ("recency", [1, 9], "recency must lie between 0 and T"),
        ("frequency", [0, 1], "recency must be 0 when frequency is 0"),
    ],
)
def test_broken_summaries(column: str, values: list[float], message: str) -> None:
    good = {"frequency": [1, 2], "recency": [1, 2], "T": [5, 5], "mean_margin": [1, 1]}
    good[column] = values
    with pytest.raises(LadderError, match=message):
        summary_of(good["frequency"], good["recency"], good["T"], good["mean_margin"])


def test_cli_reports_a_fit_that_failed(tmp_path: Path, capsys) -> None:
    path = tmp_path / "tx.csv"
    path.write_text("customer_id,date,amount\na,2024-01-01,5\na,2024-02-01,7\na,2024-03-01,9\n")
    assert main(["clv", "fit", str(path), "--as-of", "2024-06-01"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["converged"] is False
    assert "ladder: warning: BG/NBD:" in captured.err
    out = tmp_path / "scores.csv"
    args = [
        "clv",
        "score",
        str(path),
        "--as-of",
        "2024-06-01",
        "--horizon",
        "365",
        "--out",
        str(out),
    ]
    assert main(args) == 2
    assert "the fit did not converge, so its scores would be unreliable" in capsys.readouterr().err
    assert not out.exists()
