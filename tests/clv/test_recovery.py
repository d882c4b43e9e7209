"""The fits recover the demo company's generating parameters.

A population of one persona is drawn with the demo generator's own simulation functions
(`ladder.demo.simulate`, the parameters in `ladder.demo.personas`): each customer's first
purchase at time 0, an age T uniform over the demo's two years, repeat purchases from
BG/NBD and margins from Gamma-Gamma, in days. The summary is taken straight from the
simulated times, so this tests the estimators and not the rounding to whole days.

Tolerance: every parameter within 4 standard errors of the truth, on the log scale the
fit works on, with the errors from the fit's own observed information. A correct
estimator misses that by chance about once in 16,000 draws per parameter; a bias of a
few standard errors (about 5 % for r and alpha, 20-30 % for a and b at this size) fails.
With 100,000 customers the errors are 0.6-1 % for r and alpha, 5-9 % for a and b (their
dropout is seen only through the repeat buyers) and 1-3 % for the Gamma-Gamma parameters.
"""

from __future__ import annotations

import numpy as np
import pytest

from ladder.clv.fit import fit_clv
from ladder.demo import simulate
from ladder.demo.personas import PERSONAS
from tests.clv.conftest import summary_of

CUSTOMERS = 100_000
DEMO_DAYS = 730.0
STANDARD_ERRORS = 4.0


def simulated_persona(name: str, seed: int):
    persona = next(p for p in PERSONAS if p.name == name)
    rng = np.random.default_rng(seed)
    n = CUSTOMERS
    T = rng.uniform(0.0, DEMO_DAYS, n)
    lam, _, dropout_after = simulate.customer_rates(
        rng, *(np.full(n, v) for v in (persona.r, persona.alpha, persona.a, persona.b))
    )
    owner, offset = simulate.repeat_purchases(rng, lam, dropout_after, T)
    x = np.bincount(owner, minlength=n).astype(np.float64)
    t_x = np.zeros(n)
    np.maximum.at(t_x, owner, offset)
    nu = rng.gamma(shape=persona.q, scale=1.0 / persona.gamma, size=n)
    margin = simulate.margins(rng, nu[owner], np.full(owner.size, persona.p_gg))
    total = np.bincount(owner, weights=margin, minlength=n)
    mean_margin = np.divide(total, x, out=np.zeros(n), where=x > 0)
    return persona, summary_of(x, t_x, T, mean_margin)


@pytest.mark.parametrize("name", ["loyal_client", "churned"])
def test_fit_recovers_the_persona(name: str) -> None:
    persona, summary = simulated_persona(name, seed=20240101)
    fit = fit_clv(summary)
    assert fit.converged, fit.problems()
    truth = [persona.r, persona.alpha, persona.a, persona.b, persona.p_gg, persona.q, persona.gamma]
    bg, gg = fit.bgnbd.params, fit.gamma_gamma.params
    estimate = [bg.r, bg.alpha, bg.a, bg.b, gg.p, gg.q, gg.gamma]
    errors = np.r_[fit.bgnbd.log_standard_errors, fit.gamma_gamma.log_standard_errors]
    misses = np.abs(np.log(np.array(estimate) / np.array(truth))) / errors
    names = ["r", "alpha", "a", "b", "p", "q", "gamma"]
    assert np.all(misses <= STANDARD_ERRORS), dict(zip(names, misses.round(2), strict=True))
