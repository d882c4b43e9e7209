"""Early identification (seed 002, question 2): the next 365 days' profit of a customer
the purchase models cannot judge yet, from what is known at sign-up or at the first
purchase.

BG/NBD and Gamma-Gamma give every one-purchase customer the population's margin per
purchase and every prospect nothing, so a new customer's CLV depends on their age only.
This model fills that gap. Per basis (`int_customer_early_features`, DESIGN §6):

- `first_order`: a customer with one purchase day, within the new-customer window
  (seed segment_thresholds.new_customer_days). Features: the first basket's margin
  before refunds and its discount share, the shipping method, the acquisition channel,
  the country, log(1 + days from sign-up to the first purchase) and the days since it;
- `sign_up`: a prospect. Features: acquisition channel, country, log(1 + account age).

The target is profit (gross margin less the activity-based cost-to-serve of the marts)
over 365 days. The model is fitted on who had that basis at L = D - 365 and their
profit in [L, D), and predicts for who has it at D: the same question a year apart.
It is a ridge regression on standardised numeric features and one-hot categories
(intercept unpenalised; `clv.early_model.ridge_penalty`), solved by numpy. Profit is
heavy-tailed and least squares predicts its mean, which is what a ranking by expected
profit wants.

As in the CLV fit, a basis with fewer than `clv.early_model.min_training_customers`
training customers, or whose solve fails, scores D with the latest coefficients fitted
before D (`used_fallback`, `coefficients_from`). With none, the basis gets no
predictions tonight and says so: a shop younger than a year has no one to learn from,
which must not stop the night (the marts then value its new customers by CLV and leave
prospects unvalued).

The stored value is the prediction discounted as CLV is (`value_365d`): profit spread
evenly over the year, each month discounted from its end at `clv.annual_discount_rate`.
"""

from __future__ import annotations

import io
import json
import logging
from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
import pandas as pd
import psycopg

from ladder.clv.built import require_built_for
from ladder.clv.settings import early_model_settings
from ladder.errors import LadderError

log = logging.getLogger(__name__)

FEATURES = "intermediate.int_customer_early_features"
BASES = ("first_order", "sign_up")
# Per basis: numeric features (after the transforms in _numeric) and categorical ones.
NUMERIC = {
    "first_order": (
        "first_basket_margin",
        "first_basket_discount_share",
        "log_days_to_first_purchase",
        "days_known",
    ),
    "sign_up": ("log_days_known",),
}
CATEGORICAL = {
    "first_order": ("first_shipping_method", "acquisition_channel", "country"),
    "sign_up": ("acquisition_channel", "country"),
}


@dataclass(frozen=True)
class EarlyModel:
    """Coefficients by feature name, so a model from an earlier night applies to
    tonight's rows (a category it never saw contributes nothing)."""

    intercept: float
    numeric: dict[str, tuple[float, float, float]]  # name -> (mean, scale, coefficient)
    categories: dict[str, float]  # "column=value" -> coefficient

    def as_json(self) -> str:
        return json.dumps(
            {"intercept": self.intercept, "numeric": self.numeric, "categories": self.categories}
        )

    @classmethod
    def from_json(cls, value: dict) -> EarlyModel:
        numeric = {name: tuple(values) for name, values in value["numeric"].items()}
        return cls(float(value["intercept"]), numeric, dict(value["categories"]))

    def predict(self, rows: pd.DataFrame) -> np.ndarray:
        out = np.full(len(rows), self.intercept)
        for name, (mean, scale, coefficient) in self.numeric.items():
            out += coefficient * (rows[name].to_numpy(np.float64) - mean) / scale
        for key, coefficient in self.categories.items():
            column, _, value = key.partition("=")
            out += coefficient * (rows[column].to_numpy(object) == value)
        return out


@dataclass(frozen=True)
class EarlyRun:
    """One row of clv.early_model_runs: tonight's fit of one basis, and what scored D."""

    basis: str
    fitted_model: EarlyModel | None  # tonight's, None when the fit could not run
    training_customers: int
    r_squared: float | None  # in-sample, of tonight's fit
    message: str
    scoring_model: EarlyModel | None
    coefficients_from: date | None
    scored_customers: int

    @property
    def fitted(self) -> bool:
        return self.fitted_model is not None

    @property
    def used_fallback(self) -> bool:
        return not self.fitted

    def describe(self, as_of: date) -> str:
        name = f"early model ({self.basis})"
        if self.fitted:
            return (
                f"{name}: fitted on {self.training_customers:,} customers, in-sample "
                f"R² {self.r_squared:.3f}; {self.scored_customers:,} customers scored"
            )
        if self.scoring_model is None:
            return f"{name}: {self.message}; no earlier fit either, so no predictions for {as_of}"
        return (
            f"{name}: {self.message}; scored {self.scored_customers:,} customers with the "
            f"coefficients of {self.coefficients_from} instead of {as_of}"
        )


@dataclass(frozen=True)
class EarlyScored:
    run: EarlyRun
    customer_id: np.ndarray
    predicted_profit: np.ndarray  # over 365 days, undiscounted
    value: np.ndarray  # the same, discounted as CLV is


def score_early(conn: psycopg.Connection, as_of: date, discount_factor: float) -> list[EarlyScored]:
    """Fit and apply the model of each basis for D; `discount_factor` turns a year's
    profit into its value at D (the discounted horizon over its length)."""
    min_rows, penalty = early_model_settings()
    features = read_features(conn, as_of)
    scored = []
    for basis in BASES:
        training = basis_rows(features, "training_basis", basis, at_window_start=True)
        targets = basis_rows(features, "basis", basis, at_window_start=False)
        model, r_squared, message = _try_fit(basis, training, min_rows, penalty)
        scoring, since = (model, as_of) if model is not None else _last_good(conn, as_of, basis)
        if scoring is None:
            targets = targets.iloc[:0]
        predicted = scoring.predict(targets) if scoring is not None else np.empty(0)
        ids = targets["customer_id"].to_numpy(object)
        run = EarlyRun(
            basis, model, len(training), r_squared, message, scoring, since, predicted.size
        )
        (log.warning if run.used_fallback else log.info)(run.describe(as_of))
        scored.append(EarlyScored(run, ids, predicted, predicted * discount_factor))
    return scored


def read_features(conn: psycopg.Connection, as_of: date) -> pd.DataFrame:
    """D's early features from the warehouse; refuses a table built for another date."""
    require_built_for(conn, FEATURES, as_of)
    buffer = io.BytesIO()
    query = f"copy (select * from {FEATURES} order by customer_id) to stdout (format csv, header)"
    with conn.cursor().copy(query) as copy:
        for block in copy:
            buffer.write(block)
    buffer.seek(0)
    text = ("customer_id", "basis", "training_basis", "country", "acquisition_channel",
            "first_shipping_method")  # fmt: skip
    return pd.read_csv(buffer, dtype={name: object for name in text})


def basis_rows(
    features: pd.DataFrame, column: str, basis: str, *, at_window_start: bool
) -> pd.DataFrame:
    """The rows of one basis, with the numeric features as the model reads them."""
    rows = features.loc[features[column] == basis].copy()
    known = rows["days_known_at_window_start" if at_window_start else "days_known"]
    rows["days_known"] = known.astype(np.float64)
    rows["log_days_known"] = np.log1p(rows["days_known"])
    rows["log_days_to_first_purchase"] = np.log1p(
        pd.to_numeric(rows["days_to_first_purchase"]).fillna(0).astype(np.float64)
    )
    for name in ("first_basket_margin", "first_basket_discount_share"):
        rows[name] = pd.to_numeric(rows[name]).fillna(0).astype(np.float64)
    for name in ("first_shipping_method", "acquisition_channel", "country"):
        rows[name] = rows[name].fillna("")
    return rows


def _try_fit(
    basis: str, training: pd.DataFrame, min_rows: int, penalty: float
) -> tuple[EarlyModel | None, float | None, str]:
    """Tonight's model, its in-sample R², and a message; (None, None, why) when it could
    not be fitted."""
    if len(training) < min_rows:
        return None, None, (
            f"{len(training):,} training customers, fewer than "
            f"clv.early_model.min_training_customers ({min_rows:,})"
        )  # fmt: skip
    try:
        model = fit(training, NUMERIC[basis], CATEGORICAL[basis], penalty)
    except (np.linalg.LinAlgError, LadderError) as exc:
        return None, None, f"the fit failed: {exc}"
    target = pd.to_numeric(training["window_profit"]).to_numpy(np.float64)
    residual = target - model.predict(training)
    spread = np.sum((target - target.mean()) ** 2)
    r_squared = 1.0 - np.sum(residual**2) / spread if spread > 0 else 0.0
    return model, float(r_squared), "fitted"


def fit(
    rows: pd.DataFrame, numeric: tuple[str, ...], categorical: tuple[str, ...], penalty: float
) -> EarlyModel:
    """Ridge regression of window_profit on the features (intercept unpenalised)."""
    target = pd.to_numeric(rows["window_profit"]).to_numpy(np.float64)
    columns, numeric_terms, category_keys = [], {}, []
    for name in numeric:
        values = rows[name].to_numpy(np.float64)
        mean, scale = float(values.mean()), float(values.std())
        scale = scale if scale > 0 else 1.0
        numeric_terms[name] = (mean, scale)
        columns.append((values - mean) / scale)
    for column in categorical:
        values = rows[column].to_numpy(object)
        # One level is the baseline the intercept carries, so the columns stay independent.
        for level in sorted(set(values))[1:]:
            category_keys.append(f"{column}={level}")
            columns.append((values == level).astype(np.float64))
    design = np.column_stack([np.ones(len(rows)), *columns])
    if not (np.all(np.isfinite(design)) and np.all(np.isfinite(target))):
        raise LadderError("a feature or the target has missing or infinite values")
    ridge = penalty * np.eye(design.shape[1])
    ridge[0, 0] = 0.0
    beta = np.linalg.solve(design.T @ design + ridge, design.T @ target)
    if not np.all(np.isfinite(beta)):
        raise LadderError("the coefficients are not finite")
    split = 1 + len(numeric_terms)
    terms = zip(numeric_terms.items(), beta[1:split], strict=True)
    return EarlyModel(
        float(beta[0]),
        {name: (mean, scale, float(c)) for (name, (mean, scale)), c in terms},
        dict(zip(category_keys, map(float, beta[split:]), strict=True)),
    )


def _last_good(
    conn: psycopg.Connection, as_of: date, basis: str
) -> tuple[EarlyModel | None, date | None]:
    row = conn.execute(
        "select as_of_date, coefficients from clv.early_model_runs"
        " where basis = %s and fitted and as_of_date < %s order by as_of_date desc limit 1",
        (basis, as_of),
    ).fetchone()
    if row is None:
        return None, None
    return EarlyModel.from_json(row[1]), row[0]


def write_early(
    conn: psycopg.Connection, as_of: date, scored: list[EarlyScored], fitted_at: datetime
) -> None:
    """D's early runs and scores in place of the old ones (inside the caller's transaction)."""
    conn.execute("delete from clv.early_scores where as_of_date = %s", (as_of,))
    conn.execute("delete from clv.early_model_runs where as_of_date = %s", (as_of,))
    with conn.cursor() as cursor:
        cursor.executemany(
            "insert into clv.early_model_runs values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            [
                (
                    as_of,
                    e.run.basis,
                    e.run.fitted_model.as_json() if e.run.fitted_model else None,
                    e.run.training_customers,
                    e.run.r_squared,
                    e.run.fitted,
                    e.run.message,
                    e.run.used_fallback,
                    e.run.coefficients_from,
                    e.run.scored_customers,
                    fitted_at,
                )
                for e in scored
            ],
        )
        statement = (
            "copy clv.early_scores (as_of_date, customer_id, basis, predicted_profit_365d,"
            " value_365d) from stdin"
        )
        with cursor.copy(statement) as copy:
            for e in scored:
                for row in zip(e.customer_id, e.predicted_profit, e.value, strict=True):
                    copy.write_row((as_of, row[0], e.run.basis, float(row[1]), float(row[2])))


def top_mean(predicted: np.ndarray, realised: np.ndarray, share: float) -> tuple[float, float]:
    """How well `predicted` ranks `realised` (the backtest's measure): the mean realised
    value of the predicted top `share`, and of the others."""
    order = np.argsort(-predicted, kind="stable")
    cut = max(1, round(share * predicted.size))
    rest = realised[order[cut:]]
    return float(realised[order[:cut]].mean()), float(rest.mean()) if rest.size else np.nan


def top_capture_lift(predicted: np.ndarray, realised: np.ndarray, share: float) -> float:
    """The backtest's lift where profit can average a loss: the share of the predicted top
    `share` that is in the realised top `share`, over the `share` a random pick gets
    (1 is no better than chance; 1 / `share` is a perfect ranking)."""
    cut = max(1, round(share * predicted.size))
    predicted_top = np.argsort(-predicted, kind="stable")[:cut]
    realised_top = np.argsort(-realised, kind="stable")[:cut]
    return np.intersect1d(predicted_top, realised_top).size / cut / share
