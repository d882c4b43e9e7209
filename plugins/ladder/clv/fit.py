"""Fitting both models on a customer summary: what `ladder clv fit` prints and what the
nightly run records in clv.model_runs (and falls back from when `converged` is false)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ladder.clv.bgnbd import BgNbdFit, fit_bgnbd
from ladder.clv.gamma_gamma import GammaGammaFit, fit_gamma_gamma, in_fit
from ladder.clv.summary import CustomerSummary
from ladder.errors import LadderError


@dataclass(frozen=True)
class ClvFit:
    bgnbd: BgNbdFit
    gamma_gamma: GammaGammaFit
    customers: int
    repeat_customers: int

    @property
    def converged(self) -> bool:
        """Both fits reached an interior maximum (and q > 1): safe to score with."""
        return self.bgnbd.converged and self.gamma_gamma.converged

    def problems(self) -> list[str]:
        """Why the fit is not usable, one line per model that failed."""
        fits = (("BG/NBD", self.bgnbd), ("Gamma-Gamma", self.gamma_gamma))
        return [f"{name}: {fit.message}" for name, fit in fits if not fit.converged]

    def as_dict(self) -> dict[str, Any]:
        bg, gg = self.bgnbd, self.gamma_gamma
        return {
            "bgnbd": {
                "r": bg.params.r,
                "alpha": bg.params.alpha,
                "a": bg.params.a,
                "b": bg.params.b,
                "log_likelihood": bg.log_likelihood,
            },
            "gamma_gamma": {
                "p": gg.params.p,
                "q": gg.params.q,
                "gamma": gg.params.gamma,
                "log_likelihood": gg.log_likelihood,
            },
            "customers": self.customers,
            "repeat_customers": self.repeat_customers,
            "converged": self.converged,
        }


def fit_clv(summary: CustomerSummary, max_iterations: int = 500) -> ClvFit:
    """Both models by maximum likelihood. Data that cannot identify them at all is a
    LadderError; a fit that runs but finds no maximum comes back with converged false."""
    if summary.size == 0:
        raise LadderError("no customers to fit the CLV models on")
    if summary.repeat_customers == 0:
        raise LadderError(
            f"none of the {summary.size:,} customers made a repeat purchase (a second "
            "purchase day): BG/NBD and Gamma-Gamma need repeat buyers to learn from; use a "
            "longer history (an earlier first date or a later --as-of)"
        )
    x, m = summary.frequency, summary.mean_margin
    if not in_fit(x, m).any():
        raise LadderError(
            "no repeat buyer has a positive mean margin: Gamma-Gamma cannot be fitted; "
            "check that the amount column holds margins or sales values"
        )
    return ClvFit(
        bgnbd=fit_bgnbd(x, summary.recency, summary.T, max_iterations),
        gamma_gamma=fit_gamma_gamma(x, m, max_iterations),
        customers=summary.size,
        repeat_customers=summary.repeat_customers,
    )
