"""Reading and checking transactions: one row per purchase (customer, date, amount).

The checks here are the only place bad input is caught, so a CSV given to `ladder clv`
and a frame read from the warehouse by the nightly run get the same messages. Dates are
ISO 8601 dates or timestamps; a timestamp with an offset counts on its UTC calendar day.
Amounts are the margin (or value) of a purchase and must be zero or more: the
Gamma-Gamma model describes positive spend, and a negative row is a refund, which the
caller nets into the purchase it belongs to before it gets here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ladder.errors import LadderError


@dataclass(frozen=True)
class Columns:
    """Which columns of the input hold the customer, the purchase date and the amount."""

    customer: str = "customer_id"
    date: str = "date"
    amount: str = "amount"


@dataclass(frozen=True)
class Transactions:
    customer_id: np.ndarray  # object array of str
    day: np.ndarray  # int64 days since 1970-01-01 (UTC calendar day)
    amount: np.ndarray  # float64, finite, >= 0


def read_transactions(path: Path, columns: Columns) -> Transactions:
    """The checked transactions of a CSV file with a header row."""
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except FileNotFoundError:
        raise LadderError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise LadderError(f"{path} is a directory, not a CSV file") from None
    except pd.errors.EmptyDataError:
        raise LadderError(
            f"{path} is empty: expected a CSV header with the columns "
            f"{columns.customer}, {columns.date}, {columns.amount} and one row per purchase"
        ) from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise LadderError(f"{path} is not a readable CSV file: {exc}") from None
    return check_transactions(frame, columns, source=str(path))


def check_transactions(frame: pd.DataFrame, columns: Columns, source: str) -> Transactions:
    """Typed transactions from `frame`, or one LadderError naming the first bad row.

    Rows are numbered from 1, not counting a CSV file's header."""
    missing = [c for c in (columns.customer, columns.date, columns.amount) if c not in frame]
    if missing:
        raise LadderError(
            f"{source} has no column {', '.join(repr(c) for c in missing)} (it has "
            f"{', '.join(repr(str(c)) for c in frame.columns)}); name the columns with "
            "--customer-col, --date-col and --amount-col"
        )
    customer = frame[columns.customer].astype(object)
    blank = customer.isna().to_numpy() | (customer.astype(str).str.strip() == "").to_numpy()
    _reject(blank, customer, source, f"has no {columns.customer}")

    raw_dates = frame[columns.date]
    dates = pd.to_datetime(raw_dates, format="ISO8601", utc=True, errors="coerce")
    _reject(dates.isna().to_numpy(), raw_dates, source, "has a date that is not ISO 8601")
    day = dates.dt.tz_localize(None).to_numpy().astype("datetime64[D]").astype(np.int64)

    raw_amounts = frame[columns.amount]
    amount = pd.to_numeric(raw_amounts, errors="coerce").to_numpy(dtype=np.float64)
    _reject(~np.isfinite(amount), raw_amounts, source, "has an amount that is not a finite number")
    _reject(amount < 0, raw_amounts, source, "has a negative amount (net refunds first)")
    return Transactions(customer.astype(str).to_numpy(dtype=object), day, amount)


def _reject(bad: np.ndarray, values: pd.Series, source: str, problem: str) -> None:
    if not bad.any():
        return
    first = int(np.argmax(bad))
    count = int(bad.sum())
    more = f" ({count:,} rows in all)" if count > 1 else ""
    raise LadderError(f"{source}: row {first + 1} {problem}: {values.iloc[first]!r}{more}")
