"""Transactions to the per-customer summary the models read: x, t_x, T and mean margin.

As the CLV literature does (Fader, Hardie and Lee 2005), a purchase is a purchase day:
orders on the same day are one purchase, their amounts added. For each customer who
bought before the as-of date D:

- x, the frequency: purchase days after the first one (repeat purchases);
- t_x, the recency: days from the first purchase day to the last;
- T, the age: days from the first purchase day to the last observed day, D - 1, so a
  purchase on the last day has t_x = T. This is the convention of Fader and Hardie's
  CDNOW data and of `lifetimes` (observation end D - 1, inclusive);
- the mean margin: the mean amount of the repeat purchase days. The first purchase is
  left out, as in the Gamma-Gamma papers, because it is often unlike the rest (a
  welcome offer, a first big basket). It is 0 for customers with x = 0, who have no
  repeat purchase to average; the Gamma-Gamma conditional expectation gives that
  observation zero weight.

Times are in days or weeks (days / 7). Only transactions before D count: a customer whose
first purchase is on or after D is not a customer yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

import numpy as np

from ladder.clv.transactions import Transactions
from ladder.errors import LadderError

TimeUnit = Literal["D", "W"]
DAYS_PER_UNIT: dict[str, float] = {"D": 1.0, "W": 7.0}
UNIX_EPOCH = date(1970, 1, 1)


@dataclass(frozen=True)
class CustomerSummary:
    """One entry per customer; the nightly run may also build one from SQL aggregates,
    so the checks live here and not only in `summarise`."""

    customer_id: np.ndarray
    frequency: np.ndarray  # x
    recency: np.ndarray  # t_x
    T: np.ndarray
    mean_margin: np.ndarray

    def __post_init__(self) -> None:
        arrays = (self.frequency, self.recency, self.T, self.mean_margin)
        if any(a.shape != self.customer_id.shape for a in arrays):
            raise LadderError("customer summary columns have different lengths")
        for name, values in zip(("frequency", "recency", "T", "mean margin"), arrays, strict=True):
            if not np.all(np.isfinite(values)):
                raise LadderError(f"customer summary: {name} has NaN or infinite values")
        x, t_x, age = self.frequency, self.recency, self.T
        if np.any(x < 0) or np.any(x != np.floor(x)):
            raise LadderError("customer summary: frequency must be a whole number >= 0")
        if np.any(t_x < 0) or np.any(t_x > age):
            raise LadderError("customer summary: recency must lie between 0 and T")
        if np.any((x == 0) & (t_x != 0)):
            raise LadderError("customer summary: recency must be 0 when frequency is 0")

    @property
    def size(self) -> int:
        return int(self.customer_id.size)

    @property
    def repeat_customers(self) -> int:
        return int(np.count_nonzero(self.frequency))


def summarise(transactions: Transactions, as_of: date, time_unit: TimeUnit) -> CustomerSummary:
    """The summary of everything bought before `as_of`, times in `time_unit`."""
    if time_unit not in DAYS_PER_UNIT:
        raise LadderError(f"time unit {time_unit!r} is not one of D (days) or W (weeks)")
    cutoff = (as_of - UNIX_EPOCH).days
    before = transactions.day < cutoff
    ids = transactions.customer_id[before]
    day = transactions.day[before]
    amount = transactions.amount[before]
    if ids.size == 0:
        raise LadderError(f"no transactions before the as-of date {as_of}: nothing to model")

    code, customers = _codes(ids)
    # Sort by customer, then day; a new purchase day starts where either changes.
    order = np.lexsort((day, code))
    code, day, amount = code[order], day[order], amount[order]
    new_day = np.ones(code.size, dtype=bool)
    new_day[1:] = (code[1:] != code[:-1]) | (day[1:] != day[:-1])
    day_start = np.flatnonzero(new_day)
    day_code = code[day_start]
    day_of = day[day_start]
    day_amount = np.add.reduceat(amount, day_start)

    new_customer = np.ones(day_code.size, dtype=bool)
    new_customer[1:] = day_code[1:] != day_code[:-1]
    first = np.flatnonzero(new_customer)
    last = np.append(first[1:], day_code.size) - 1
    frequency = (last - first).astype(np.float64)
    first_day = day_of[first]
    repeat_total = np.add.reduceat(day_amount, first) - day_amount[first]
    mean_margin = np.divide(
        repeat_total, frequency, out=np.zeros_like(repeat_total), where=frequency > 0
    )
    unit = DAYS_PER_UNIT[time_unit]
    return CustomerSummary(
        customer_id=customers[day_code[first]],
        frequency=frequency,
        recency=(day_of[last] - first_day) / unit,
        T=(cutoff - 1 - first_day) / unit,
        mean_margin=mean_margin,
    )


def _codes(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes for customer ids, and the ids in code order."""
    customers, code = np.unique(ids.astype(str), return_inverse=True)
    return code, customers.astype(object)
