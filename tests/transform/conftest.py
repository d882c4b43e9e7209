"""Transform fixtures: the demo company extracted into a warehouse database of its own,
and dbt built on it for the demo's as-of date."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from ladder.demo.run import HelpdeskSandbox
from ladder.extract.helpdesk import extract_helpdesk
from ladder.extract.sales import extract_sales
from ladder.transform.stages import build_warehouse
from tests.conftest import (
    DEMO,
    TOKEN,
    RawTarget,
    dbt_session,
    ensure_demo_company,
    free_port,
    new_target,
)

AS_OF: date = DEMO["end"]
MARTS = [
    "dim_customers",
    "fct_orders",
    "customer_value",
    "customer_cost_to_serve",
    "customer_profitability",
    "whale_curve",
]


@pytest.fixture(scope="session", autouse=True)
def dbt_target_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    # dbt's artefacts go to the session's own folder, not to the project's target/.
    folder = tmp_path_factory.mktemp("dbt")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DBT_TARGET_PATH", str(folder / "target"))
        patch.setenv("DBT_LOG_PATH", str(folder / "logs"))
        yield


def extract_into(target: RawTarget, as_of: date, helpdesk_url: str) -> None:
    with pytest.MonkeyPatch.context() as patch:
        for name, value in target.env().items():
            patch.setenv(name, value)
        patch.setenv("AIRFLOW_CONN_LADDER_HELPDESK", helpdesk_url)
        extract_sales(as_of)
        extract_helpdesk(as_of)


def build(target: RawTarget, as_of: date) -> None:
    build_warehouse(as_of, warehouse_url=target.url, capture=True,
                    session=dbt_session(target.url))  # fmt: skip


@pytest.fixture(scope="module")
def built(warehouse, tmp_path_factory: pytest.TempPathFactory) -> RawTarget:
    """The demo company, extracted and built as of the demo date, in a database of its own."""
    ensure_demo_company(warehouse)
    target = new_target(warehouse, tmp_path_factory.mktemp("dlt"))
    port = free_port()
    with HelpdeskSandbox(port):
        extract_into(target, AS_OF, f"http://:{TOKEN}@127.0.0.1:{port}")
    build(target, AS_OF)
    return target


def mart_checksums(url: str) -> dict[str, tuple[int, str]]:
    """Per mart and CLV table: rows and a digest of the whole content (for the model runs,
    all but the time of the fit)."""
    tables = {f"marts.{mart}": sql.SQL("t") for mart in MARTS}
    tables["clv.customer_scores"] = sql.SQL("t")
    tables["clv.model_runs"] = sql.SQL("(t.as_of_date, t.model, t.parameters, t.log_likelihood,"
                                       " t.customers, t.converged, t.used_fallback)")  # fmt: skip
    sums = {}
    with psycopg.connect(url) as conn:
        for table, row in tables.items():
            schema, name = table.split(".")
            query = sql.SQL(
                "select count(*), md5(coalesce(string_agg({row}::text, chr(10)"
                " order by {row}::text), '')) from {table} as t"
            ).format(row=row, table=sql.Identifier(schema, name))
            sums[table] = conn.execute(query).fetchone()
    return sums


def seed_rates() -> dict[str, str]:
    import csv

    path = Path(__file__).parents[2] / "dbt_project" / "seeds" / "cost_drivers.csv"
    with path.open() as rows:
        return {row["driver"]: row["rate"] for row in csv.DictReader(rows)}
