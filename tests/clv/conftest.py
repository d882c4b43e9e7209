"""CDNOW, the data set of the BG/NBD and Gamma-Gamma papers, as a CSV `ladder clv` reads.

The 1/10 sample (2,357 customers who first bought in 1997 Q1) ships inside the
`lifetimes` wheel as datasets/CDNOW_sample.txt: master id, sample id, date (YYYYMMDD),
CDs, dollars. We read it by path: `lifetimes.datasets` imports pkg_resources, which
setuptools no longer provides and this project does not install.
"""

from __future__ import annotations

import importlib.resources
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ladder.clv.summary import CustomerSummary, summarise
from ladder.clv.transactions import Columns, read_transactions

LIFETIMES_DATA = importlib.resources.files("lifetimes") / "datasets"
# The papers' calibration period is the 39 weeks 1997-01-01 to 1997-09-30, both included,
# so the as-of date (the first day not used) is 1997-10-01.
CDNOW_AS_OF = date(1997, 10, 1)


@pytest.fixture(scope="session")
def cdnow_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    raw = pd.read_csv(
        LIFETIMES_DATA / "CDNOW_sample.txt",
        sep=r"\s+",
        header=None,
        names=["master_id", "customer_id", "date", "cds", "amount"],
        dtype={"customer_id": str, "date": str},
    )
    raw["date"] = pd.to_datetime(raw["date"], format="%Y%m%d").dt.strftime("%Y-%m-%d")
    path = tmp_path_factory.mktemp("cdnow") / "cdnow.csv"
    raw[["customer_id", "date", "amount"]].to_csv(path, index=False)
    return path


@pytest.fixture(scope="session")
def cdnow_weeks(cdnow_csv: Path) -> CustomerSummary:
    return summarise(read_transactions(cdnow_csv, Columns()), CDNOW_AS_OF, "W")


@pytest.fixture(scope="session")
def cdnow_days(cdnow_csv: Path) -> CustomerSummary:
    return summarise(read_transactions(cdnow_csv, Columns()), CDNOW_AS_OF, "D")


def summary_of(x, t_x, T, mean_margin) -> CustomerSummary:
    """A summary straight from arrays, as the nightly run may build one from SQL."""
    x, t_x, T, m = (np.asarray(v, dtype=np.float64) for v in (x, t_x, T, mean_margin))
    return CustomerSummary(np.arange(x.size).astype(str).astype(object), x, t_x, T, m)


# int_customer_early_features as dbt builds it (the columns ladder.clv.early reads).
EARLY_FEATURES_DDL = """
    create table intermediate.int_customer_early_features (
        customer_id varchar, basis text, training_basis text, country varchar,
        acquisition_channel varchar, first_purchase_day date, first_basket_margin numeric,
        first_basket_discount_share numeric, first_shipping_method varchar,
        days_to_first_purchase integer, days_known integer,
        days_known_at_window_start integer, window_profit numeric, as_of_date date
    )
"""


def write_early_features(url: str, as_of: date, rows: pd.DataFrame | None = None) -> None:
    """What dbt's int_customer_early_features holds for D: `rows` (its columns but
    as_of_date), or nothing."""
    import psycopg

    table = "intermediate.int_customer_early_features"
    with psycopg.connect(url) as conn:
        conn.execute(f"create schema if not exists intermediate; drop table if exists {table}")
        conn.execute(EARLY_FEATURES_DDL)
        if rows is None:
            return
        columns = [*rows.columns, "as_of_date"]
        with conn.cursor().copy(f"copy {table} ({', '.join(columns)}) from stdin") as copy:
            for row in rows.itertuples(index=False):
                values = [None if pd.isna(v) else getattr(v, "item", lambda v=v: v)() for v in row]
                copy.write_row([*values, as_of])
