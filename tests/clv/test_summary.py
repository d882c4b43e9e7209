"""Transactions to (x, t_x, T, mean margin): purchase days, the as-of cut, time units."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pytest

from ladder.clv.collapse import collapse
from ladder.clv.summary import summarise
from ladder.clv.transactions import Columns, read_transactions

ROWS = """\
customer_id,date,amount
a,2024-01-01,10
a,2024-01-01,5
a,2024-01-11,20
a,2024-01-21T23:30:00+00:00,30
a,2024-01-22T00:30:00+02:00,1
b,2024-01-31,7
c,2024-01-30,8
c,2024-02-01,100
d,2024-02-01,9
"""
AS_OF = date(2024, 2, 1)


def summary(tmp_path: Path, unit: str = "D"):
    path = tmp_path / "tx.csv"
    path.write_text(ROWS)
    return summarise(read_transactions(path, Columns()), AS_OF, unit)


def test_purchase_days_as_of_and_mean_of_repeat_days(tmp_path: Path) -> None:
    s = summary(tmp_path)
    # d first bought on the as-of date: not a customer yet; c's second purchase is too late.
    assert list(s.customer_id) == ["a", "b", "c"]
    # a: days 1 (two orders, one purchase), 11, 21 (the 22nd at 00:30+02:00 is the 21st
    # in UTC, so it adds to that day's purchase). Repeat days: the 11th and the 21st.
    assert list(s.frequency) == [2, 0, 0]
    assert list(s.recency) == [20, 0, 0]
    # T runs to the last observed day, 2024-01-31.
    assert list(s.T) == [30, 0, 1]
    assert list(s.mean_margin) == [(20 + 31) / 2, 0, 0]


def test_weeks_are_days_over_seven(tmp_path: Path) -> None:
    days, weeks = summary(tmp_path, "D"), summary(tmp_path, "W")
    np.testing.assert_allclose(weeks.recency, days.recency / 7)
    np.testing.assert_allclose(weeks.T, days.T / 7)
    assert np.array_equal(weeks.frequency, days.frequency)


def test_other_column_names(tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_text("who,when,margin,extra\nx,2024-01-01,1,z\nx,2024-01-05,3,z\n")
    s = summarise(read_transactions(path, Columns("who", "when", "margin")), AS_OF, "D")
    assert (s.customer_id[0], s.frequency[0], s.mean_margin[0]) == ("x", 1, 3)


@pytest.mark.parametrize("size", [0, 1, 1000])
def test_collapse_round_trips(size: int) -> None:
    rng = np.random.default_rng(size)
    columns = (rng.integers(0, 3, size).astype(float), rng.integers(0, 4, size).astype(float))
    distinct, counts, inverse = collapse(*columns)
    assert counts.sum() == size
    for original, kept in zip(columns, distinct, strict=True):
        assert np.array_equal(kept[inverse], original)
    assert len(set(zip(*distinct, strict=True))) == distinct[0].size
