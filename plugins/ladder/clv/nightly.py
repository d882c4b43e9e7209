"""The nightly `score_clv` step: fit both models on D's purchase summary, score every
buyer over 365 days, and record fit and scores in the warehouse schema `clv` (DESIGN §5.3).

It reads `intermediate.int_customer_purchases_summarised`, which dbt built for D, and
writes, in one transaction that first deletes D's rows (a rerun replaces D; other dates
are untouched):

- `clv.model_runs`: one row per model and D, with tonight's estimates, whether they
  converged, and which run's parameters scored D;
- `clv.customer_scores`: one row per buyer and D. Besides the 365-day predictions it
  holds P(alive) times the discounted horizon (what a service cost per day is worth,
  for net CLV), the expected time between purchases while alive, and the buyer's
  P(alive) and CLV as of the lookback date L = D - clv_lookback_days (a dbt var),
  computed with tonight's parameters from the summary as it stood at L: one night can
  then see P(alive) fall without an earlier run;
- `clv.early_model_runs` and `clv.early_scores`: the early identification model
  (`ladder.clv.early`), fitted and applied in the same step.

A model whose fit fails or does not converge tonight scores D with its latest converged
parameters from a date before D (`used_fallback`, `parameters_from`), so a backfill
never borrows from the future. With no such run the step fails and writes nothing: the
marts never show predictions from a bad fit.
"""

from __future__ import annotations

import io
import json
import logging
from dataclasses import asdict, dataclass
from datetime import date, datetime

import numpy as np
import psycopg
import pyarrow as pa
import pyarrow.csv as pacsv

from ladder.clv.bgnbd import BgNbdParams, interpurchase_time
from ladder.clv.built import require_built_for
from ladder.clv.early import EarlyRun, EarlyScored, score_early, write_early
from ladder.clv.fit import ClvFit, fit_clv
from ladder.clv.gamma_gamma import GammaGammaParams
from ladder.clv.score import discounted_horizon, score
from ladder.clv.settings import annual_discount_rate
from ladder.clv.summary import CustomerSummary
from ladder.errors import LadderError
from ladder.warehouse.migrations import migrate

log = logging.getLogger(__name__)

HORIZON_DAYS = 365
SUMMARY = "intermediate.int_customer_purchases_summarised"

SCORE_COLUMNS = (
    "as_of_date",
    "customer_id",
    "p_alive",
    "expected_purchases_365d",
    "discounted_purchases_365d",
    "expected_margin_per_purchase",
    "clv_365d",
    "discounted_alive_days_365d",
    "expected_interpurchase_days",
    "p_alive_lookback",
    "discounted_purchases_lookback_365d",
    "discounted_alive_days_lookback_365d",
    "clv_lookback_365d",
)
SUMMARY_COLUMNS = ("frequency", "recency_days", "tenure_days", "mean_repeat_margin")


@dataclass(frozen=True)
class Summaries:
    """D's purchase summary and, for the buyers who had bought before L, the summary as
    it stood at L (`lookback_at` indexes those buyers in `now`)."""

    now: CustomerSummary
    lookback: CustomerSummary
    lookback_at: np.ndarray


@dataclass(frozen=True)
class ModelRun:
    """One row of clv.model_runs: tonight's fit of one model, and what scored D."""

    model: str  # bgnbd or gamma_gamma
    parameters: dict[str, float] | None  # tonight's estimates, None when the fit could not run
    log_likelihood: float | None
    customers: int
    fitted_customers: int
    converged: bool
    message: str
    scoring_parameters: dict[str, float]
    parameters_from: date

    @property
    def used_fallback(self) -> bool:
        return not self.converged

    def describe(self, as_of: date) -> str:
        if not self.used_fallback:
            return f"{self.model}: converged, {_params_text(self.scoring_parameters)}"
        return (
            f"{self.model}: did not converge ({self.message}); scored with the parameters "
            f"of {self.parameters_from} instead of {as_of}: {_params_text(self.scoring_parameters)}"
        )


@dataclass(frozen=True)
class ScoringRun:
    as_of: date
    runs: tuple[ModelRun, ...]
    customers: int
    total_clv: float
    early: tuple[EarlyRun, ...]

    @property
    def used_fallback(self) -> bool:
        return any(run.used_fallback for run in self.runs)

    def render(self) -> str:
        lines = [
            f"score_clv {self.as_of}: {self.customers:,} buyers scored over {HORIZON_DAYS} days, "
            f"total CLV {self.total_clv:,.2f}"
            + (" (with fallback parameters)" if self.used_fallback else "")
        ]
        lines += [f"  {run.describe(self.as_of)}" for run in self.runs]
        lines += [f"  {run.describe(self.as_of)}" for run in self.early]
        return "\n".join(lines)


def score_clv(as_of: date, warehouse_url: str | None = None) -> ScoringRun:
    """Fit, score and record D's CLV in the warehouse (see the module doc)."""
    if warehouse_url is None:
        from ladder.warehouse import resolve_warehouse

        warehouse_url = resolve_warehouse().url
    rate = annual_discount_rate()
    migrate(warehouse_url)
    with psycopg.connect(warehouse_url) as conn:
        summaries = read_summary(conn, as_of)
        summary = summaries.now
        fit, failure = _try_fit(summary)
        runs = _model_runs(conn, as_of, summary, fit, failure)
        for run in runs:
            (log.warning if run.used_fallback else log.info)(run.describe(as_of))
        bgnbd = BgNbdParams(**runs[0].scoring_parameters)
        gamma_gamma = GammaGammaParams(**runs[1].scoring_parameters)
        scores = score(summary, bgnbd, gamma_gamma, HORIZON_DAYS, "D", rate)
        then = score(summaries.lookback, bgnbd, gamma_gamma, HORIZON_DAYS, "D", rate)
        days = discounted_horizon(HORIZON_DAYS, "D", rate)
        table = pa.table(
            [
                pa.array(np.full(summary.size, np.datetime64(as_of, "D"))),
                pa.array(summary.customer_id, pa.string()),
                scores.p_alive,
                scores.expected_purchases,
                scores.discounted_purchases,
                scores.expected_margin,
                scores.clv,
                scores.p_alive * days,
                interpurchase_time(bgnbd, summary.frequency, summary.T),
                *(
                    _spread(values, summaries.lookback_at, summary.size)
                    for values in (
                        then.p_alive,
                        then.discounted_purchases,
                        then.p_alive * days,
                        then.clv,
                    )
                ),
            ],
            names=list(SCORE_COLUMNS),
        )
        early = score_early(conn, as_of, days / HORIZON_DAYS)
        _replace(conn, as_of, runs, table, early)
    return ScoringRun(
        as_of, runs, summary.size, float(np.sum(scores.clv)), tuple(e.run for e in early)
    )


def _spread(values: np.ndarray, at: np.ndarray, size: int) -> pa.Array:
    """The lookback scores on D's rows, null for buyers who had not bought before L."""
    full = np.full(size, np.nan)
    full[at] = values
    return pa.array(full, from_pandas=True)


def read_summary(conn: psycopg.Connection, as_of: date) -> Summaries:
    """D's purchase summary, and L's, from the warehouse; refuses a summary built for
    another date."""
    require_built_for(conn, SUMMARY, as_of)
    columns = ", ".join(
        f"{name}{suffix}::float8"
        if name != "mean_repeat_margin"
        else f"coalesce({name}{suffix}, 0)::float8"
        for suffix in ("", "_lookback")
        for name in SUMMARY_COLUMNS
    )
    query = f"""
        copy (
            select customer_id, {columns} from {SUMMARY} order by customer_id
        ) to stdout (format csv)
    """
    buffer = io.BytesIO()
    with conn.cursor().copy(query) as copy:
        for block in copy:
            buffer.write(block)
    fields = ["frequency", "recency", "T", "mean_margin"]
    names = ["customer_id", *fields, *(f"{name}_lookback" for name in fields)]
    types = {"customer_id": pa.string(), **{name: pa.float64() for name in names[1:]}}
    table = pacsv.read_csv(
        io.BytesIO(buffer.getvalue()),
        read_options=pacsv.ReadOptions(column_names=names),
        convert_options=pacsv.ConvertOptions(column_types=types),
    )
    ids = table["customer_id"].to_numpy(zero_copy_only=False)
    now = CustomerSummary(ids, *(table[name].to_numpy() for name in fields))
    then = [table[f"{name}_lookback"].to_numpy(zero_copy_only=False) for name in fields]
    (at,) = np.nonzero(np.isfinite(then[0]))
    lookback = CustomerSummary(ids[at], *(values[at] for values in then))
    return Summaries(now, lookback, at)


def _try_fit(summary: CustomerSummary) -> tuple[ClvFit | None, str]:
    """Tonight's fit, or None and why it could not run at all."""
    try:
        return fit_clv(summary), ""
    except LadderError as exc:
        return None, str(exc)


def _model_runs(
    conn: psycopg.Connection,
    as_of: date,
    summary: CustomerSummary,
    fit: ClvFit | None,
    failure: str,
) -> tuple[ModelRun, ModelRun]:
    if fit is None:
        bg = _model_run(conn, as_of, "bgnbd", None, None, summary.size, 0, False, failure)
        gg = _model_run(conn, as_of, "gamma_gamma", None, None, summary.size, 0, False, failure)
        return bg, gg
    bgnbd, gamma_gamma = fit.bgnbd, fit.gamma_gamma
    return (
        _model_run(
            conn, as_of, "bgnbd", asdict(bgnbd.params), bgnbd.log_likelihood, summary.size,
            summary.size, bgnbd.converged, bgnbd.message,
        ),
        _model_run(
            conn, as_of, "gamma_gamma", asdict(gamma_gamma.params), gamma_gamma.log_likelihood,
            summary.size, gamma_gamma.customers, gamma_gamma.converged, gamma_gamma.message,
        ),
    )  # fmt: skip


def _model_run(
    conn: psycopg.Connection,
    as_of: date,
    model: str,
    params: dict[str, float] | None,
    log_likelihood: float | None,
    customers: int,
    fitted_customers: int,
    converged: bool,
    message: str,
) -> ModelRun:
    """Tonight's run of one model; one that did not converge scores with the last good
    parameters from before D."""
    if converged and params is not None:
        return ModelRun(
            model, params, log_likelihood, customers, fitted_customers, True, message,
            params, as_of,
        )  # fmt: skip
    last_good = conn.execute(
        "select as_of_date, parameters from clv.model_runs"
        " where model = %s and converged and as_of_date < %s"
        " order by as_of_date desc limit 1",
        (model, as_of),
    ).fetchone()
    if last_good is None:
        raise LadderError(
            f"the {model} fit for {as_of} did not converge ({message}) and no earlier run "
            f"converged, so there are no good parameters to score with: nothing was written "
            f"for {as_of}. Check {SUMMARY} for that date, or run an earlier as-of date first."
        )
    good_from, good_params = last_good
    return ModelRun(
        model, params, log_likelihood, customers, fitted_customers, False, message,
        good_params, good_from,
    )  # fmt: skip


def _replace(
    conn: psycopg.Connection,
    as_of: date,
    runs: tuple[ModelRun, ...],
    scores: pa.Table,
    early: list[EarlyScored],
) -> None:
    """D's runs and scores, CLV and early, in place of the old ones, in one transaction."""
    fitted_at = datetime.now().astimezone()
    csv = io.BytesIO()
    pacsv.write_csv(scores, csv, pacsv.WriteOptions(include_header=False))
    with conn.transaction():
        conn.execute("delete from clv.customer_scores where as_of_date = %s", (as_of,))
        conn.execute("delete from clv.model_runs where as_of_date = %s", (as_of,))
        with conn.cursor() as cursor:
            cursor.executemany(
                "insert into clv.model_runs values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                [
                    (
                        as_of,
                        run.model,
                        _json(run.parameters),
                        run.log_likelihood,
                        run.customers,
                        run.fitted_customers,
                        run.converged,
                        run.message,
                        run.used_fallback,
                        run.parameters_from,
                        fitted_at,
                    )
                    for run in runs
                ],
            )
            columns = ", ".join(SCORE_COLUMNS)
            statement = f"copy clv.customer_scores ({columns}) from stdin (format csv)"
            with cursor.copy(statement) as copy:
                copy.write(csv.getbuffer())
        write_early(conn, as_of, early, fitted_at)


def _json(params: dict[str, float] | None) -> str | None:
    return None if params is None else json.dumps(params)


def _params_text(params: dict[str, float]) -> str:
    return ", ".join(f"{name} = {value:.4g}" for name, value in params.items())
