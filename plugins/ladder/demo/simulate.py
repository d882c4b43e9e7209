"""Vectorised draws from the BG/NBD and Gamma-Gamma processes (no loops over customers)."""

from __future__ import annotations

import numpy as np


def repeat_purchases(
    rng: np.random.Generator,
    lam: np.ndarray,
    dropout_after: np.ndarray,
    window_days: np.ndarray,
    cap: int = 500,
) -> tuple[np.ndarray, np.ndarray]:
    """Repeat-purchase times of a BG/NBD process over each customer's window.

    While alive a customer buys at Poisson rate `lam`; they drop out right after their
    `dropout_after`-th repeat purchase (a Geometric(p) draw). Given the count N of Poisson
    events in the window, the event times are N sorted uniforms, so we draw them all at
    once and keep each customer's first min(N, dropout_after).

    Returns (customer index, offset in days from the window start), sorted by customer
    and time.
    """
    counts = np.minimum(rng.poisson(lam * window_days), cap)
    owner = np.repeat(np.arange(lam.size), counts)
    offset = rng.random(owner.size) * window_days[owner]
    order = np.lexsort((offset, owner))
    owner, offset = owner[order], offset[order]
    first_of_owner = np.cumsum(counts) - counts
    rank = np.arange(owner.size) - first_of_owner[owner]
    keep = rank < dropout_after[owner]
    return owner[keep], offset[keep]


def customer_rates(
    rng: np.random.Generator, r: np.ndarray, alpha: np.ndarray, a: np.ndarray, b: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-customer purchase rate, dropout probability and the repeat purchase after
    which they drop out."""
    lam = rng.gamma(shape=r, scale=1.0 / alpha)
    p = rng.beta(a, b)
    dropout_after = rng.geometric(np.clip(p, 1e-9, 1.0))
    return lam, p, dropout_after


def margins(rng: np.random.Generator, nu: np.ndarray, p_gg: np.ndarray) -> np.ndarray:
    """Margin of each purchase: Gamma(shape=p_gg, rate=nu) per purchase."""
    return rng.gamma(shape=p_gg, scale=1.0 / nu)
