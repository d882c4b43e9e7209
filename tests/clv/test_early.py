"""The early identification model in the nightly score_clv step: what it recovers from a
planted relation, what it stores, and its fallback to the last good coefficients from
before D. The features dbt would build are written straight into each test's database."""

from __future__ import annotations

import uuid
from datetime import date

import numpy as np
import pandas as pd
import psycopg
import pytest

from ladder.clv.early import (
    BASES,
    CATEGORICAL,
    NUMERIC,
    EarlyModel,
    basis_rows,
    fit,
    top_capture_lift,
    top_mean,
)
from ladder.clv.nightly import score_clv
from ladder.clv.score import discounted_horizon
from ladder.clv.settings import annual_discount_rate, early_model_settings
from tests.clv.conftest import write_early_features
from tests.clv.test_nightly import daily, write_summary

D1, D2, D3 = date(2025, 3, 1), date(2025, 4, 1), date(2025, 5, 1)
CHANNELS = np.array(["organic", "paid_search", "referral"])
COUNTRIES = np.array(["DE", "FR", "NL"])
SHIPPING = np.array(["standard", "express"])


@pytest.fixture()
def url(warehouse) -> str:
    database = f"early_{uuid.uuid4().hex[:10]}"
    warehouse.ensure_database(database)
    return warehouse.url(database)


def planted(n: int, seed: int) -> pd.DataFrame:
    """n training and n scored customers per basis. A first-order customer's profit is
    0.8 times the first basket's margin, + 25 for express shipping, - 40 times the
    discount share, plus noise; a prospect's is 10 for referrals, else -5, plus noise."""
    rng = np.random.default_rng(seed)
    frames = []
    for basis in BASES:
        for role in ("training", "scored"):
            margin = rng.gamma(2, 15, n)
            discount = rng.uniform(0, 0.4, n)
            shipping = rng.choice(SHIPPING, n)
            channel = rng.choice(CHANNELS, n)
            if basis == "first_order":
                profit = 0.8 * margin + 25 * (shipping == "express") - 40 * discount
            else:
                profit = np.where(channel == "referral", 10.0, -5.0)
            first_order = basis == "first_order"
            frames.append(
                pd.DataFrame(
                    {
                        "customer_id": [f"{basis}-{role}-{i}" for i in range(n)],
                        "basis": basis if role == "scored" else None,
                        "training_basis": basis if role == "training" else None,
                        "country": rng.choice(COUNTRIES, n),
                        "acquisition_channel": channel,
                        "first_basket_margin": np.round(margin, 2) if first_order else None,
                        "first_basket_discount_share": discount if first_order else None,
                        "first_shipping_method": shipping if first_order else None,
                        "days_to_first_purchase": rng.integers(0, 60, n) if first_order else None,
                        "days_known": rng.integers(0, 90, n),
                        "days_known_at_window_start": rng.integers(0, 90, n),
                        "window_profit": np.round(profit + rng.normal(0, 10, n), 2)
                        if role == "training"
                        else None,
                    }
                )
            )
    # One frame from the records: concat would warn about the columns one basis leaves empty.
    rows = pd.DataFrame([row for frame in frames for row in frame.to_dict("records")])
    days = ["days_to_first_purchase", "days_known", "days_known_at_window_start"]
    return rows.astype({name: "Int64" for name in days})


def stored(url: str, as_of: date) -> tuple[pd.DataFrame, pd.DataFrame]:
    with psycopg.connect(url) as conn:
        runs = conn.execute(
            "select basis, training_customers, fitted, message, used_fallback,"
            " coefficients_from, scored_customers from clv.early_model_runs"
            " where as_of_date = %s order by basis",
            (as_of,),
        ).fetchall()
        scores = conn.execute(
            "select customer_id, basis, predicted_profit_365d, value_365d from clv.early_scores"
            " where as_of_date = %s",
            (as_of,),
        ).fetchall()
    return (
        pd.DataFrame(runs, columns=["basis", "training", "fitted", "message", "fallback",
                                    "since", "scored"]).set_index("basis"),
        pd.DataFrame(scores, columns=["customer_id", "basis", "profit", "value"]).set_index(
            "customer_id"
        ),
    )  # fmt: skip


def night(url: str, as_of: date, features: pd.DataFrame, cdnow_days) -> None:
    write_summary(url, as_of, daily(cdnow_days))
    write_early_features(url, as_of, features)
    score_clv(as_of, url)


def test_recovers_a_planted_relation_and_ranks_new_customers_by_it(url, cdnow_days) -> None:
    features = planted(2000, seed=3)
    night(url, D1, features, cdnow_days)
    runs, scores = stored(url, D1)

    assert runs.fitted.all() and not runs.fallback.any()
    assert (runs.since == D1).all() and (runs.training == 2000).all()
    assert (runs.scored == 2000).all() and len(scores) == 4000
    _, penalty = early_model_settings()
    training = basis_rows(features, "training_basis", "first_order", at_window_start=True)
    model = fit(training, NUMERIC["first_order"], CATEGORICAL["first_order"], penalty)
    # Coefficients are per standard deviation of the feature: back to per unit.
    _, margin_scale, margin_coefficient = model.numeric["first_basket_margin"]
    assert margin_coefficient / margin_scale == pytest.approx(0.8, abs=0.03)
    _, share_scale, share_coefficient = model.numeric["first_basket_discount_share"]
    assert share_coefficient / share_scale == pytest.approx(-40, abs=5)
    assert model.categories["first_shipping_method=standard"] == pytest.approx(-25, abs=2)
    # What was stored is that model on the customers new at D, and its discounted value.
    scored = basis_rows(features, "basis", "first_order", at_window_start=False)
    ours = scores.loc[scored.customer_id]
    np.testing.assert_allclose(ours.profit, model.predict(scored), rtol=1e-9)
    factor = discounted_horizon(365, "D", annual_discount_rate()) / 365
    np.testing.assert_allclose(ours.value, ours.profit * factor, rtol=1e-9)
    # Ranked by prediction, the top fifth of the scored (not fitted) customers holds more
    # than its share of their planted profit.
    truth = 0.8 * scored.first_basket_margin + 25 * (scored.first_shipping_method == "express")
    truth -= 40 * scored.first_basket_discount_share
    top, rest = top_mean(ours.profit.to_numpy(), truth.to_numpy(), 0.2)
    assert top > 1.5 * truth.mean() and top > rest
    prospects = scores[scores.basis == "sign_up"].profit
    referred = features.set_index("customer_id").loc[prospects.index].acquisition_channel
    assert prospects[referred == "referral"].min() > prospects[referred != "referral"].max()


def test_too_few_customers_scores_with_the_last_good_coefficients_from_before_d(
    url, cdnow_days
) -> None:
    night(url, D1, planted(500, seed=4), cdnow_days)
    night(url, D3, planted(500, seed=5), cdnow_days)  # a later good fit: never borrowed
    few = planted(50, seed=6)
    night(url, D2, few, cdnow_days)
    runs, scores = stored(url, D2)

    assert not runs.fitted.any() and runs.fallback.all() and (runs.since == D1).all()
    assert runs.message.str.contains("50 training customers, fewer than").all()
    assert (runs.scored == 50).all() and len(scores) == 100
    with psycopg.connect(url) as conn:
        (coefficients,) = conn.execute(
            "select coefficients from clv.early_model_runs"
            " where as_of_date = %s and basis = 'first_order'",
            (D1,),
        ).fetchone()
    scored = basis_rows(few, "basis", "first_order", at_window_start=False)
    np.testing.assert_allclose(
        scores.loc[scored.customer_id].profit,
        EarlyModel.from_json(coefficients).predict(scored),
        rtol=1e-9,
    )


def test_without_any_good_fit_before_d_it_predicts_nothing_and_the_night_goes_on(
    url, cdnow_days
) -> None:
    night(url, D1, planted(50, seed=7), cdnow_days)
    runs, scores = stored(url, D1)
    assert not runs.fitted.any() and runs.since.isna().all() and scores.empty
    assert (runs.scored == 0).all()
    # The CLV scores were written all the same.
    with psycopg.connect(url) as conn:
        assert (
            conn.execute(
                "select count(*) from clv.customer_scores where as_of_date = %s", (D1,)
            ).fetchone()[0]
            == daily(cdnow_days).size
        )


def test_capture_lift_is_one_for_a_random_ranking_and_five_for_a_perfect_one() -> None:
    # Realised profit that loses money on average, where a ratio to the mean says nothing.
    rng = np.random.default_rng(3)
    realised = rng.normal(-20, 30, 20_000)
    assert top_capture_lift(realised, realised, 0.2) == pytest.approx(5.0)
    assert top_capture_lift(-realised, realised, 0.2) == 0.0
    assert top_capture_lift(rng.normal(size=20_000), realised, 0.2) == pytest.approx(1, abs=0.1)
    # Ties in the prediction break by position, as in top_mean.
    assert top_capture_lift(np.zeros(10), np.arange(10.0), 0.2) == 0.0
