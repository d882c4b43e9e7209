"""Nights on the demo company with consent histories and suppression rows of a test's
own: each night copies the demo's sales database (without constraints, so a source can
send anything), replaces the consent records of some customers, writes the operator's
suppression list, then extracts and builds the whole warehouse for D, as a night does."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from ladder.demo.run import HelpdeskSandbox
from ladder.demo.schema import SHOP_TABLES
from ladder.warehouse.embedded import EmbeddedWarehouse
from ladder.warehouse.migrations import migrate
from tests.conftest import TOKEN, RawTarget, connect, ensure_demo_company, free_port, new_target
from tests.transform.conftest import AS_OF, build, extract_into

D = datetime(AS_OF.year, AS_OF.month, AS_OF.day, tzinfo=UTC)
# Extracted a month after D, built for D: rows updated in between are in raw but not
# known at D, as in a backfill.
EXTRACTED_ON = AS_OF + timedelta(days=30)
# Customers whose consent the tests write were created before every time they use.
EARLIEST = D - timedelta(days=220)
CONSENT_COLUMNS = ("consent_id", "customer_id", "status", "recorded_at", "updated_at")


@dataclass(frozen=True)
class ConsentWorld:
    warehouse: EmbeddedWarehouse
    shop_template: str
    helpdesk_url: str
    population: tuple[str, ...]
    emails: dict[str, str]


@pytest.fixture(scope="module")
def consent_world(warehouse: EmbeddedWarehouse) -> Iterator[ConsentWorld]:
    ensure_demo_company(warehouse)
    template = f"cshop_{uuid.uuid4().hex[:10]}"
    warehouse.ensure_database(template)
    with connect(warehouse, "shop") as source, connect(warehouse, template) as copy:
        for table in SHOP_TABLES:
            copy.execute(table.create_sql("public"))  # no constraints: anything goes
            name = sql.Identifier("public", table.name)
            read = sql.SQL("copy {} to stdout (format binary)").format(name)
            write = sql.SQL("copy {} from stdin (format binary)").format(name)
            with source.cursor().copy(read) as rows, copy.cursor().copy(write) as into:
                for block in rows:
                    into.write(block)
        emails = dict(
            copy.execute(
                "select customer_id, email from customers where created_at < %s"
                " order by customer_id",
                (EARLIEST,),
            ).fetchall()
        )
    port = free_port()
    with HelpdeskSandbox(port):
        yield ConsentWorld(
            warehouse, template, f"http://:{TOKEN}@127.0.0.1:{port}", tuple(emails), emails
        )


def night(
    world: ConsentWorld,
    consent: list[tuple],
    suppression: list[tuple[str | None, str | None]],
    dlt_dir: Path,
    replaced: list[str],
) -> RawTarget:
    """Build D on the demo company with the consent records of `replaced` customers
    replaced by `consent` (rows of CONSENT_COLUMNS) and `suppression` rows
    (customer_id, email) on the operator's list."""
    shop = f"cshop_{uuid.uuid4().hex[:10]}"
    with connect(world.warehouse, "postgres") as conn:
        conn.execute(
            sql.SQL("create database {} template {}").format(
                sql.Identifier(shop), sql.Identifier(world.shop_template)
            )
        )
    with connect(world.warehouse, shop) as conn:
        conn.execute("delete from marketing_consent where customer_id = any(%s)", (replaced,))
        columns = sql.SQL(", ").join(map(sql.Identifier, CONSENT_COLUMNS))
        with conn.cursor().copy(
            sql.SQL("copy marketing_consent ({}) from stdin").format(columns)
        ) as copy:
            for row in consent:
                copy.write_row(row)
    target = new_target(world.warehouse, dlt_dir)
    migrate(target.url)
    with psycopg.connect(target.url) as conn:
        conn.cursor().executemany(
            "insert into ops.marketing_suppression (customer_id, email, reason)"
            " values (%s, %s, 'test')",
            suppression,
        )
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AIRFLOW_CONN_LADDER_SALES_DB", world.warehouse.url(shop))
        extract_into(target, EXTRACTED_ON, world.helpdesk_url)
    build(target, AS_OF)
    drop(world.warehouse, shop)
    return target


def drop(warehouse: EmbeddedWarehouse, database: str) -> None:
    with connect(warehouse, "postgres") as conn:
        conn.execute(sql.SQL("drop database {} with (force)").format(sql.Identifier(database)))
