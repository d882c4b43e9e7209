"""Maximum likelihood on log parameters, with one definition of convergence.

Both models have strictly positive parameters, so the search runs on their logarithms:
unconstrained in principle, which keeps L-BFGS-B away from the boundary, and scale-free,
so days and weeks converge alike. The objective is the mean log-likelihood per customer,
which keeps the tolerances meaningful from ten customers to ten million.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize

# exp(±20) spans 2e-9 to 5e8, far beyond any plausible parameter in days or weeks; the
# box only keeps a runaway search finite, and the identification check rejects it.
LOG_BOUND = 20.0
# Largest gradient of the mean log-likelihood, per log parameter, that counts as a
# maximum. Rounding alone leaves about 1e-9; a fit stopped early leaves far more.
GRADIENT_TOLERANCE = 1e-5
# Largest standard error of a log parameter for the data to count as identifying it: 1
# means the parameter is known within a factor of e. Runaway fits (one customer, no sign
# of dropout) are flat in some direction and have errors of 10 or far more.
LOG_STANDARD_ERROR_LIMIT = 1.0
# Step in log parameters for the finite-difference Hessian of the analytic gradient.
HESSIAN_STEP = 1e-4

LogLikelihood = Callable[[np.ndarray], tuple[float, np.ndarray]]


@dataclass(frozen=True)
class Maximum:
    params: np.ndarray
    log_likelihood: float
    converged: bool
    message: str
    log_standard_errors: np.ndarray  # infinite where the data do not identify the fit


def maximise(
    log_likelihood: LogLikelihood, start: np.ndarray, customers: float, max_iterations: int
) -> Maximum:
    """Maximise `log_likelihood` (total log-likelihood and its gradient at natural-scale
    parameters) from `start`. Converged means the gradient vanishes there and the data
    pin every parameter down, whatever the optimiser's own stopping reason was."""

    def objective(log_params: np.ndarray) -> tuple[float, np.ndarray]:
        params = np.exp(log_params)
        value, gradient = log_likelihood(params)
        if not np.isfinite(value):
            return np.inf, np.zeros_like(params)
        return -value / customers, -gradient * params / customers

    result = minimize(
        objective,
        np.log(start),
        jac=True,
        method="L-BFGS-B",
        bounds=[(-LOG_BOUND, LOG_BOUND)] * start.size,
        # Parameters to about 1e-6 relative; asking for more only buys failed line
        # searches at the limit of double precision.
        options={"maxiter": max_iterations, "ftol": 1e-12, "gtol": 1e-9},
    )
    params = np.exp(result.x)
    value, gradient = objective(result.x)
    log_likelihood_at = -value * customers
    errors = _log_standard_errors(objective, result.x, customers)
    if not (np.isfinite(value) and np.all(np.abs(gradient) <= GRADIENT_TOLERANCE)):
        message = f"no maximum found after {result.nit} iterations ({result.message})"
        return Maximum(params, log_likelihood_at, False, message, errors)
    if np.all(errors <= LOG_STANDARD_ERROR_LIMIT):
        return Maximum(params, log_likelihood_at, True, "converged", errors)
    detail = (
        "the likelihood is flat in some direction"
        if np.any(np.isinf(errors))
        else f"standard errors of their logarithms {', '.join(f'{e:.3g}' for e in errors)}"
    )
    message = (
        f"the data do not identify the parameters ({detail}); it takes more customers or a "
        "longer history"
    )
    return Maximum(params, log_likelihood_at, False, message, errors)


def _log_standard_errors(
    objective: Callable[[np.ndarray], tuple[float, np.ndarray]], at: np.ndarray, customers: float
) -> np.ndarray:
    """Standard errors of the log parameters from the observed information, the Hessian
    of the total negative log-likelihood; infinite where it is not positive definite."""
    columns = []
    for i in range(at.size):
        step = np.zeros_like(at)
        step[i] = HESSIAN_STEP
        columns.append((objective(at + step)[1] - objective(at - step)[1]) / (2 * HESSIAN_STEP))
    hessian = np.array(columns) * customers
    hessian = (hessian + hessian.T) / 2
    if not np.all(np.isfinite(hessian)) or np.any(np.linalg.eigvalsh(hessian) <= 0):
        return np.full(at.size, np.inf)
    return np.sqrt(np.diag(np.linalg.inv(hessian)))
