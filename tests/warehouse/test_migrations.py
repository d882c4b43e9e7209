"""The tables Ladder writes outside dbt are versioned migrations, applied once each."""

from __future__ import annotations

import psycopg
import pytest

from ladder.errors import LadderError
from ladder.warehouse.migrations import WAREHOUSE, migrate, service_desk_track
from tests.conftest import new_target


def test_a_new_warehouse_gets_every_migration_once(warehouse, tmp_path) -> None:
    target = new_target(warehouse, tmp_path / "dlt")
    applied = migrate(target.url)
    assert [m.version for m in applied] == [m.version for m in WAREHOUSE.migrations]
    assert migrate(target.url) == []
    with psycopg.connect(target.url) as conn:
        recorded = conn.execute(
            "select version from ops.ladder_migrations where track = 'warehouse' order by 1"
        ).fetchall()
        tables = {
            f"{schema}.{name}"
            for schema, name in conn.execute(
                "select table_schema, table_name from information_schema.tables"
                " where table_schema in ('ops', 'clv')"
            )
        }
    assert [v for (v,) in recorded] == [m.version for m in WAREHOUSE.migrations]
    assert {
        "clv.model_runs", "clv.customer_scores", "ops.publish_state", "ops.publish_runs",
        "ops.publish_rejects", "ops.gate_runs", "ops.marketing_suppression",
    } <= tables  # fmt: skip


def test_a_warehouse_migrated_by_a_newer_ladder_is_refused(warehouse, tmp_path) -> None:
    target = new_target(warehouse, tmp_path / "dlt")
    migrate(target.url)
    with psycopg.connect(target.url) as conn:
        conn.execute(
            "insert into ops.ladder_migrations (track, version, name)"
            " values ('warehouse', 999, 'from the future')"
        )
    with pytest.raises(LadderError, match=r"\[999\].*newer Ladder"):
        migrate(target.url)


def test_the_service_desk_table_is_its_own_track(warehouse, tmp_path) -> None:
    target = new_target(warehouse, tmp_path / "dlt")
    track = service_desk_track("desk.profiles")
    assert [m.version for m in migrate(target.url, track)] == [1, 2]
    assert migrate(target.url, track) == []
    with psycopg.connect(target.url) as conn:
        columns = [
            c
            for (c,) in conn.execute(
                "select column_name from information_schema.columns where table_schema = 'desk'"
                " and table_name = 'profiles' order by ordinal_position"
            )
        ]
    assert columns[0] == "customer_id" and "as_of_date" in columns
