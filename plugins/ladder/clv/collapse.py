"""Collapsing per-customer rows into their distinct values, counted.

Customers with the same (x, t_x, T) contribute the same log-likelihood and get the same
predictions, so the model works on the distinct rows and weights them by their count
(Fader, Hardie and Lee do the same in their spreadsheets). Whole-day data of a million
customers has far fewer distinct rows than customers, most of all among the x = 0 ones.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def collapse(*columns: np.ndarray) -> tuple[tuple[np.ndarray, ...], np.ndarray, np.ndarray]:
    """The distinct rows of `columns` (in order of first appearance), how many customers
    have each, and for every customer the index of its row, so that
    `distinct[i][inverse]` gives back `columns[i]`."""
    size = columns[0].size
    # Hashing (pandas' factorize) is linear; sorting the rows took four times as long.
    # Re-factorising after each column keeps the combined key below size**2.
    inverse = np.zeros(size, dtype=np.int64)
    for column in columns:
        codes, distinct = pd.factorize(column)
        inverse, _ = pd.factorize(inverse * distinct.size + codes)
    inverse = inverse.astype(np.int64)
    rows = int(inverse.max()) + 1 if size else 0
    first = np.empty(rows, dtype=np.int64)
    # Reversed, so the first occurrence of each row is the one that stays written.
    first[inverse[::-1]] = np.arange(size - 1, -1, -1)
    counts = np.bincount(inverse, minlength=rows)
    return tuple(c[first] for c in columns), counts, inverse


def weighted_sum(weights: np.ndarray, values: np.ndarray) -> float:
    """sum(weights * values), without a temporary. Not `weights @ values`: OpenBLAS runs a
    dot product of this size on several threads, and on a busy two-core machine their
    spin-waiting made each log-likelihood several times slower than its arithmetic."""
    return float(np.einsum("i,i->", weights, values))
