"""Where the lists go (DESIGN §7): each destination in `ladder.yml` takes one list, and is
one of two kinds that `ladder publish` sends a diff to batch by batch:

- `http`: the marketing audience API and the service profile API (the sandboxes'
  contracts, README: Destination sandboxes), credentials from an Airflow connection;
- `table`: a PostgreSQL table in an operational database (the one the service desk
  reads), one row per customer, from the Airflow connection `ladder_service_db`.

Both answer a batch with the records they refused (index -> reason), so the ledger
records rejects the same way for either. (The daily file drop sends the whole list, not
a diff: `files.py`.)
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Protocol

import psycopg
from psycopg import sql

from ladder import config, retries
from ladder.connections import (
    MARKETING,
    SERVICE,
    SERVICE_DB,
    connection_or_demo,
    http_endpoint,
    require,
)
from ladder.errors import LadderError
from ladder.publish.batches import BatchClient, batch_key
from ladder.publish.lists import LISTS, TreatmentList
from ladder.warehouse.migrations import migrate, service_desk_track


@dataclass(frozen=True)
class Route:
    destination: str  # destinations.<destination> in ladder.yml, and the ledger's key
    list_name: str
    kind: str  # http or table
    connection: str  # the Airflow connection of the system it goes to


ROUTES = {
    route.destination: route
    for route in (
        Route("marketing", "marketing", "http", MARKETING),
        Route("service", "service", "http", SERVICE),
        Route("service_table", "service", "table", SERVICE_DB),
    )
}


class Destination(Protocol):
    origin: str  # where it is, for messages (never a credential)

    def send(self, action: str, records: list[str]) -> dict[int, str]:
        """Apply one batch (`upsert` payloads, JSON text, or `remove` customer ids); the
        refused records by index, with the reason."""

    def close(self) -> None: ...


def route(destination: str) -> Route:
    if destination not in ROUTES:
        raise LadderError(f"unknown destination {destination!r}: use one of {', '.join(ROUTES)}")
    return ROUTES[destination]


def require_connections(destinations: list[str]) -> None:
    """Before anything is sent: every connection these destinations need is defined (one
    error naming all that are not), or the demo's stand-ins may fill in."""
    require(*(route(destination).connection for destination in destinations))


def open_destination(destination: str, as_of: date, warehouse_url: str) -> Destination:
    where = route(destination)
    settings = config.section("destinations").get(destination)
    if not isinstance(settings, dict):
        raise LadderError(
            f"{config.config_path()} has no `destinations.{destination}:` section; add it "
            "(see the README, Publishing)"
        )
    if where.kind == "http":
        return HttpDestination(destination, settings, as_of)
    return TableDestination(LISTS[where.list_name], settings, as_of, warehouse_url)


class HttpDestination:
    """A batch JSON API; the Idempotency-Key makes a resent batch apply once."""

    def __init__(self, system: str, settings: dict, as_of: date) -> None:
        self.system = system
        self.as_of = as_of.isoformat()
        connection = route(system).connection
        base_url, token, self.origin = http_endpoint(connection, settings["sandbox"], system)
        budget = retries.budget(f"the {system} destination ({self.origin})", settings)
        self.client = BatchClient(base_url, token, budget)
        if system == "marketing":
            base = f"/api/audiences/{settings.get('audience', 'daily')}/members"
            self.paths = {"upsert": f"{base}:batchUpsert", "remove": f"{base}:batchRemove"}
            self.records_field = "members"
        else:
            self.paths = {"upsert": "/api/profiles:batchUpsert",
                          "remove": "/api/profiles:batchClear"}  # fmt: skip
            self.records_field = "profiles"

    def send(self, action: str, records: list[str]) -> dict[int, str]:
        # The payloads are JSON already (PostgreSQL's text of the jsonb the diff hashed):
        # joined, not parsed and serialised again, they are the body as they are.
        if action == "upsert":
            body = f'{{"{self.records_field}":[{",".join(records)}]}}'
        else:
            body = json.dumps({"customer_ids": records})
        key = batch_key(self.system, self.as_of, action, body)
        return self.client.send(self.paths[action], body, key)

    def close(self) -> None:
        self.client.session.close()


class TableDestination:
    """The list as a table: one transaction per batch. An upsert whose row holds that
    payload already writes nothing, so a batch replayed after a crash changes nothing:
    the table needs no idempotency key of its own. A row the table's constraints refuse
    is a reject with the database's reason; the rest of its batch is written."""

    def __init__(self, lst: TreatmentList, settings: dict, as_of: date,
                 warehouse_url: str) -> None:  # fmt: skip
        url, self.origin = _table_database(settings, warehouse_url)
        table = str(settings.get("table", "public.service_profiles"))
        schema, _, name = table.rpartition(".")
        self.table = sql.Identifier(schema or "public", name)
        self.columns = lst.fields
        self.as_of = as_of
        try:
            self.conn = psycopg.connect(url)
        except psycopg.OperationalError as exc:
            raise LadderError(f"{self.origin}: cannot connect ({exc})") from None
        migrate(url, service_desk_track(table))

    def send(self, action: str, records: list[str]) -> dict[int, str]:
        if action == "remove":
            with self.conn.transaction():
                self.conn.execute(
                    sql.SQL("delete from {} where customer_id = any(%s)").format(self.table),
                    (records,),
                )
            return {}
        rows = [(*map(json.loads(r).get, self.columns), self.as_of) for r in records]
        statement = self._upsert()
        try:
            with self.conn.transaction():
                self.conn.cursor().executemany(statement, rows)
            return {}
        except psycopg.errors.IntegrityError:
            pass
        # Some row broke a constraint: write the batch row by row to find which.
        refused = {}
        with self.conn.transaction():
            for index, row in enumerate(rows):
                try:
                    with self.conn.transaction():
                        self.conn.execute(statement, row)
                except psycopg.errors.IntegrityError as exc:
                    refused[index] = exc.diag.message_primary or type(exc).__name__
        return refused

    def _upsert(self) -> sql.Composed:
        names = [*self.columns, "as_of_date"]
        changed = self.columns[1:]
        return sql.SQL(
            "insert into {table} ({names}) values ({values}) on conflict (customer_id) do update"
            " set {assign}, updated_at = now() where ({current}) is distinct from ({incoming})"
        ).format(
            table=self.table,
            names=sql.SQL(", ").join(map(sql.Identifier, names)),
            values=sql.SQL(", ").join(sql.Placeholder() * len(names)),
            assign=sql.SQL(", ").join(
                sql.SQL("{0} = excluded.{0}").format(sql.Identifier(c)) for c in names[1:]
            ),
            current=sql.SQL(", ").join(
                self.table + sql.SQL(".") + sql.Identifier(c) for c in changed
            ),
            incoming=sql.SQL(", ").join(
                sql.SQL("excluded.{}").format(sql.Identifier(c)) for c in changed
            ),
        )

    def close(self) -> None:
        self.conn.close()


def _table_database(settings: dict, warehouse_url: str) -> tuple[str, str]:
    """The operational database's URL and where it came from: the Airflow connection
    `ladder_service_db`, else (demo mode only: nothing else creates a database) the demo's
    database beside the warehouse."""
    info = connection_or_demo(SERVICE_DB)
    if info is not None:
        return info.postgres_url(), f"Airflow connection {SERVICE_DB}"
    from ladder.warehouse.resolve import WarehouseTarget

    database = settings["demo_database"]
    with psycopg.connect(warehouse_url, autocommit=True) as conn:
        exists = conn.execute("select 1 from pg_database where datname = %s", (database,))
        if exists.fetchone() is None:
            conn.execute(sql.SQL("create database {}").format(sql.Identifier(database)))
    url = WarehouseTarget(warehouse_url, "").database_url(database)
    return url, f"the demo service desk database `{database}` (no connection {SERVICE_DB})"
