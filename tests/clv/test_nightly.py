"""The nightly score_clv step on a real warehouse: what it records, how a rerun replaces
only its own date, and the fallback to the last good fit from before D.

The purchase summary dbt would build is written straight into each test's own database,
so these tests control exactly what the fit sees.
"""

from __future__ import annotations

import uuid
from datetime import date

import numpy as np
import pandas as pd
import psycopg
import pytest

from ladder.clv.bgnbd import BgNbdParams
from ladder.clv.fit import fit_clv
from ladder.clv.gamma_gamma import GammaGammaParams
from ladder.clv.nightly import SUMMARY, score_clv
from ladder.clv.score import discounted_horizon, score
from ladder.clv.settings import annual_discount_rate
from ladder.clv.summary import CustomerSummary
from ladder.errors import LadderError
from tests.clv.conftest import summary_of, write_early_features

D1, D2, D3 = date(2025, 3, 1), date(2025, 4, 1), date(2025, 5, 1)
CHECKED = "as_of_date, model, parameters, log_likelihood, customers, fitted_customers, "
CHECKED += "converged, message, used_fallback, parameters_from"


@pytest.fixture()
def url(warehouse) -> str:
    database = f"clv_{uuid.uuid4().hex[:10]}"
    warehouse.ensure_database(database)
    return warehouse.url(database)


def _rows(summary: CustomerSummary) -> list[tuple]:
    """x, t_x, T and the mean repeat margin (null without a repeat) per customer."""
    return [
        (int(x), int(t_x), int(T), None if x == 0 else float(m))
        for x, t_x, T, m in zip(
            summary.frequency, summary.recency, summary.T, summary.mean_margin, strict=True
        )
    ]


def write_summary(
    url: str, as_of: date, summary: CustomerSummary, lookback: CustomerSummary | None = None
) -> None:
    """What dbt's int_customer_purchases_summarised holds for D (the columns score_clv
    reads). `lookback` is the summary at L of the customers who had bought by then (none
    without it). The early model's features table is left empty."""
    then = {}
    if lookback is not None:
        then = dict(zip(lookback.customer_id, _rows(lookback), strict=True))
    rows = [
        (customer, *now, *then.get(customer, (None,) * 4))
        for customer, now in zip(summary.customer_id, _rows(summary), strict=True)
    ]
    with psycopg.connect(url) as conn:
        conn.execute(f"create schema if not exists intermediate; drop table if exists {SUMMARY}")
        conn.execute(
            f"create table {SUMMARY} (customer_id varchar, frequency bigint, recency_days int,"
            " tenure_days int, mean_repeat_margin numeric, frequency_lookback bigint,"
            " recency_days_lookback int, tenure_days_lookback int,"
            " mean_repeat_margin_lookback numeric, as_of_date date)"
        )
        with conn.cursor().copy(f"copy {SUMMARY} from stdin") as copy:
            for row in rows:
                copy.write_row((*row, as_of))
    write_early_features(url, as_of)


def runs(url: str) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(f"select {CHECKED} from clv.model_runs order by 1, 2").fetchall()


def scores(url: str, as_of: date) -> dict[str, tuple]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "select customer_id, p_alive, expected_purchases_365d, discounted_purchases_365d,"
            " expected_margin_per_purchase, clv_365d from clv.customer_scores"
            " where as_of_date = %s",
            (as_of,),
        ).fetchall()
    return {row[0]: row[1:] for row in rows}


def daily(summary: CustomerSummary) -> CustomerSummary:
    """CDNOW in whole days, as the warehouse counts them."""
    return summary_of(summary.frequency, summary.recency, summary.T, summary.mean_margin)


def stuck(n: int = 2000) -> CustomerSummary:
    """Everyone buys steadily until today: BG/NBD has no maximum, Gamma-Gamma has one."""
    rng = np.random.default_rng(1)
    T = rng.integers(10, 100, n).astype(float)
    x = rng.poisson(3, n).astype(float)
    t_x = np.where(x > 0, np.floor(T * rng.uniform(0.5, 1, n)), 0)
    return summary_of(x, t_x, T, rng.gamma(5, 4, n))


def test_records_the_fit_and_scores_every_buyer(url, cdnow_days) -> None:
    summary = daily(cdnow_days)
    write_summary(url, D1, summary)
    result = score_clv(D1, url)

    fit = fit_clv(summary)
    bg, gg = fit.bgnbd.params, fit.gamma_gamma.params
    (bg_row, gg_row) = runs(url)
    # Read in customer-id order, the rows are summed in another order: equal to ~1e-13.
    assert bg_row[:2] + bg_row[4:] == (
        D1, "bgnbd", summary.size, summary.size, True, "converged", False, D1
    )  # fmt: skip
    assert bg_row[2] == pytest.approx({"r": bg.r, "alpha": bg.alpha, "a": bg.a, "b": bg.b},
                                      rel=1e-9)  # fmt: skip
    assert bg_row[3] == pytest.approx(fit.bgnbd.log_likelihood, rel=1e-12)
    assert gg_row[:2] == (D1, "gamma_gamma")
    assert gg_row[2] == pytest.approx({"p": gg.p, "q": gg.q, "gamma": gg.gamma}, rel=1e-9)
    assert gg_row[5] == fit.gamma_gamma.customers < summary.size
    assert not result.used_fallback and result.customers == summary.size

    expected = score(summary, bg, gg, 365, "D", annual_discount_rate())
    stored = scores(url, D1)
    assert len(stored) == summary.size
    ids = list(summary.customer_id)
    got = np.array([stored[i] for i in ids])
    for column, values in enumerate(
        (expected.p_alive, expected.expected_purchases, expected.discounted_purchases,
         expected.expected_margin, expected.clv)
    ):  # fmt: skip
        np.testing.assert_allclose(got[:, column], values, rtol=1e-9)


def test_scores_the_lookback_summary_with_the_same_fit(url, cdnow_days) -> None:
    """P(alive) and CLV as of L come from D's parameters applied to the summary at L;
    buyers who had not bought by L get none. The service-cost weight and the time between
    purchases come from the same fit."""
    summary = daily(cdnow_days)
    quiet = summary.recency <= summary.T - 30  # no purchase in the last 30 days: L = D - 30
    then = summary_of(*(a[quiet] for a in (
        summary.frequency, summary.recency, summary.T - 30, summary.mean_margin)))  # fmt: skip
    then = CustomerSummary(summary.customer_id[quiet], then.frequency, then.recency, then.T,
                           then.mean_margin)  # fmt: skip
    write_summary(url, D1, summary, then)
    score_clv(D1, url)

    fit = fit_clv(summary)
    bg, gg = fit.bgnbd.params, fit.gamma_gamma.params
    rate = annual_discount_rate()
    now, earlier = score(summary, bg, gg, 365, "D", rate), score(then, bg, gg, 365, "D", rate)
    with psycopg.connect(url) as conn:
        stored = (
            pd.DataFrame(
                conn.execute(
                    "select customer_id, p_alive_lookback, clv_lookback_365d,"
                    " discounted_purchases_lookback_365d, discounted_alive_days_365d,"
                    " discounted_alive_days_lookback_365d, expected_interpurchase_days"
                    " from clv.customer_scores where as_of_date = %s",
                    (D1,),
                ).fetchall(),
                columns=["id", "p_then", "clv_then", "purchases_then", "days", "days_then", "gap"],
            )
            .set_index("id")
            .loc[list(summary.customer_id)]
        )
    assert 0 < quiet.sum() < summary.size
    assert stored.p_then.isna().to_numpy().tolist() == (~quiet).tolist()
    known = stored[quiet]
    np.testing.assert_allclose(known.p_then, earlier.p_alive, rtol=1e-9)
    np.testing.assert_allclose(known.clv_then, earlier.clv, rtol=1e-9)
    np.testing.assert_allclose(known.purchases_then, earlier.discounted_purchases, rtol=1e-9)
    horizon = discounted_horizon(365, "D", rate)
    assert 365 / 1.1 < horizon < 365
    np.testing.assert_allclose(stored.days, now.p_alive * horizon, rtol=1e-9)
    np.testing.assert_allclose(known.days_then, earlier.p_alive * horizon, rtol=1e-9)
    np.testing.assert_allclose(stored.gap, (bg.alpha + summary.T) / (bg.r + summary.frequency),
                               rtol=1e-9)  # fmt: skip
    # A quiet buyer's P(alive) only falls with time.
    assert (
        known.p_then.to_numpy()
        >= stored.loc[quiet]
        .index.map(dict(zip(summary.customer_id, now.p_alive, strict=True)))
        .to_numpy()
        - 1e-12
    ).all()


def test_a_rerun_replaces_its_own_date_and_leaves_the_others(url, cdnow_days) -> None:
    summary = daily(cdnow_days)
    write_summary(url, D1, summary)
    score_clv(D1, url)
    first_d1 = scores(url, D1)
    half = summary_of(*(a[: summary.size // 2] for a in (
        summary.frequency, summary.recency, summary.T, summary.mean_margin)))  # fmt: skip
    write_summary(url, D2, half)
    score_clv(D2, url)
    before = (runs(url), scores(url, D2))

    score_clv(D2, url)

    assert (runs(url), scores(url, D2)) == before
    assert scores(url, D1) == first_d1
    assert len(before[0]) == 4 and len(before[1]) == half.size


def test_a_fit_that_fails_scores_with_the_last_good_parameters_from_before_d(
    url, cdnow_days
) -> None:
    summary = daily(cdnow_days)
    write_summary(url, D1, summary)
    score_clv(D1, url)
    # A later date's good fit must not be used for an earlier backfill.
    later = summary_of(*(a[:1500] for a in (
        summary.frequency, summary.recency, summary.T, summary.mean_margin)))  # fmt: skip
    write_summary(url, D3, later)
    score_clv(D3, url)
    good = {row[1]: row[2] for row in runs(url) if row[0] == D1}

    tonight = stuck()
    write_summary(url, D2, tonight)
    result = score_clv(D2, url)

    d2 = {row[1]: row for row in runs(url) if row[0] == D2}
    assert d2["bgnbd"][6:] == (False, d2["bgnbd"][7], True, D1)
    assert "do not identify the parameters" in d2["bgnbd"][7]
    # The model that did converge tonight scores with tonight's parameters.
    assert d2["gamma_gamma"][6:] == (True, "converged", False, D2)
    assert result.used_fallback and f"parameters of {D1}" in result.render()
    expected = score(
        tonight, BgNbdParams(**good["bgnbd"]), GammaGammaParams(**d2["gamma_gamma"][2]),
        365, "D", annual_discount_rate(),
    )  # fmt: skip
    stored = scores(url, D2)
    np.testing.assert_allclose([stored[i][4] for i in tonight.customer_id], expected.clv,
                               rtol=1e-9)  # fmt: skip

    # No repeat buyer at all: neither model can run; both fall back, and say why.
    write_summary(url, D2, summary_of([0, 0], [0, 0], [10, 20], [0, 0]))
    score_clv(D2, url)
    d2 = [row for row in runs(url) if row[0] == D2]
    assert [(r[1], r[2], r[6], r[8], r[9]) for r in d2] == [
        ("bgnbd", None, False, True, D1), ("gamma_gamma", None, False, True, D1),
    ]  # fmt: skip
    assert all("made a repeat purchase" in r[7] for r in d2)
    assert len(scores(url, D2)) == 2


def test_without_any_good_fit_before_d_it_fails_and_writes_nothing(url, cdnow_days) -> None:
    write_summary(url, D2, daily(cdnow_days))
    score_clv(D2, url)
    before = (runs(url), scores(url, D2))
    write_summary(url, D1, stuck())
    refused = f"no earlier run converged.*nothing was written for {D1}"
    with pytest.raises(LadderError, match=refused):
        score_clv(D1, url)
    assert (runs(url), scores(url, D2)) == before and scores(url, D1) == {}


def test_refuses_a_summary_that_is_missing_or_built_for_another_date(url, cdnow_days) -> None:
    with pytest.raises(LadderError, match=f"does not exist.*ladder transform --as-of {D1}"):
        score_clv(D1, url)
    write_summary(url, D1, daily(cdnow_days))
    with pytest.raises(LadderError, match=f"was built for {D1}, not for {D2}"):
        score_clv(D2, url)
