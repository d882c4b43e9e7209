"""A warehouse made by an earlier Ladder upgrades in place and runs a night.

`data/warehouse-77c606d.sql` is a dump of the warehouse that the Ladder of commit
77c606d (before versioned migrations) left after a demo night: every schema's tables as
that version made them (raw and dlt's state tables, staging to marts, clv, ops), with
the rows of its small ledgers (model runs, gate runs, publish runs). Ladder must adopt
it, migrate it and run tonight's night on it without losing a ledger row.
"""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from ladder.demo.run import HelpdeskSandbox
from ladder.publish.run import publish
from ladder.quality.gates import run_gate
from ladder.warehouse.migrations import WAREHOUSE, migrate
from tests.conftest import TOKEN, ensure_demo_company, free_port, new_target
from tests.transform.conftest import AS_OF, build, extract_into

pytestmark = pytest.mark.slow

DUMP = Path(__file__).parent / "data" / "warehouse-77c606d.sql"
LEDGERS = ("clv.model_runs", "ops.gate_runs", "ops.publish_runs")


def ledger_rows(url: str) -> dict[str, int]:
    with psycopg.connect(url) as conn:
        return {t: conn.execute(f"select count(*) from {t}").fetchone()[0] for t in LEDGERS}


def test_a_warehouse_of_commit_77c606d_upgrades_and_runs_a_night(warehouse, tmp_path) -> None:
    ensure_demo_company(warehouse)
    target = new_target(warehouse, tmp_path / "dlt")
    with psycopg.connect(target.url, autocommit=True) as conn:
        conn.execute(DUMP.read_text())
    before = ledger_rows(target.url)
    assert all(before.values()), before

    applied = migrate(target.url)

    assert [m.version for m in applied] == [m.version for m in WAREHOUSE.migrations]
    port = free_port()
    with HelpdeskSandbox(port):
        extract_into(target, AS_OF, f"http://:{TOKEN}@127.0.0.1:{port}")
    run_gate("raw", target.url, AS_OF, data_docs=False)
    build(target, AS_OF)
    run_gate("marts", target.url, AS_OF, data_docs=False)
    results = publish(AS_OF, dry_run=True, warehouse_url=target.url)

    assert all(result.upserts > 0 for result in results)
    after = ledger_rows(target.url)
    assert after["clv.model_runs"] == before["clv.model_runs"] + 2  # tonight's two fits
    assert after["ops.gate_runs"] == before["ops.gate_runs"] + 2
    assert after["ops.publish_runs"] == before["ops.publish_runs"] + len(results)
    with psycopg.connect(target.url) as conn:
        customers = conn.execute("select count(*) from marts.dim_customers").fetchone()[0]
    assert customers > 0
