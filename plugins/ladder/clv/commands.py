"""`ladder clv fit` and `ladder clv score`: transactions file in, JSON or a scores file out.

The nightly run calls the same functions (check_transactions, summarise, fit_clv, score)
on what it reads from the warehouse.
"""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path

import pandas as pd

from ladder.clv.fit import fit_clv
from ladder.clv.score import Scores, score
from ladder.clv.summary import CustomerSummary, TimeUnit, summarise
from ladder.clv.transactions import Columns, read_transactions
from ladder.errors import LadderError


def fit_file(path: Path, as_of: date, time_unit: TimeUnit, columns: Columns) -> None:
    """Fit both models on the purchases in `path` before `as_of`, and print the fit as
    JSON; a fit that did not converge also says why on stderr."""
    fit = fit_clv(summarise(read_transactions(path, columns), as_of, time_unit))
    print(json.dumps(fit.as_dict(), indent=2))
    for problem in fit.problems():
        print(f"ladder: warning: {problem}", file=sys.stderr)


def score_file(
    path: Path,
    as_of: date,
    time_unit: TimeUnit,
    columns: Columns,
    horizon: float,
    out: Path,
    annual_discount_rate: float,
) -> None:
    """Fit on the purchases in `path` before `as_of`, score every customer over `horizon`
    periods and write the scores to `out` as CSV."""
    summary = summarise(read_transactions(path, columns), as_of, time_unit)
    fit = fit_clv(summary)
    if not fit.converged:
        raise LadderError(
            "the fit did not converge, so its scores would be unreliable: "
            + "; ".join(fit.problems())
        )
    scores = score(
        summary,
        fit.bgnbd.params,
        fit.gamma_gamma.params,
        horizon,
        time_unit,
        annual_discount_rate,
    )
    table = scores_table(summary, scores)
    try:
        table.to_csv(out, index=False)
    except OSError as exc:
        raise LadderError(f"cannot write {out}: {exc.strerror}") from None
    unit = {"D": "days", "W": "weeks"}[time_unit]
    print(
        f"scored {summary.size:,} customers over {horizon:g} {unit} "
        f"(annual discount rate {annual_discount_rate:g}): {out}"
    )


def scores_table(summary: CustomerSummary, scores: Scores) -> pd.DataFrame:
    """The columns of `ladder clv score`'s output, one row per customer."""
    return pd.DataFrame(
        {
            "customer_id": summary.customer_id,
            "frequency": summary.frequency.astype("int64"),
            "recency": summary.recency,
            "T": summary.T,
            "p_alive": scores.p_alive,
            "expected_purchases": scores.expected_purchases,
            "expected_margin": scores.expected_margin,
            "clv": scores.clv,
        }
    )
