"""Warehouse resolution (DESIGN §3), the one function everything uses.

First match wins: the Airflow connection `ladder_warehouse`, then LADDER_WAREHOUSE_URL,
then the embedded server configured in ladder.yml.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from ladder import config
from ladder.connections import WAREHOUSE, airflow_connection_url, env_var
from ladder.errors import LadderError
from ladder.warehouse.embedded import EmbeddedWarehouse


@dataclass(frozen=True)
class WarehouseTarget:
    url: str
    source: str  # where the URL came from, for messages and `ladder warehouse status`

    def database_url(self, database: str) -> str:
        """The same server, another database (the demo source systems live beside it)."""
        parts = urlsplit(self.url)
        return urlunsplit(parts._replace(path=f"/{database}"))

    def redacted(self) -> str:
        parts = urlsplit(self.url)
        if parts.password is None:
            return self.url
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return urlunsplit(parts._replace(netloc=netloc))


def embedded_warehouse() -> EmbeddedWarehouse:
    settings = config.section("warehouse").get("embedded", {})
    port_text = os.environ.get("LADDER_WAREHOUSE_PORT", settings.get("port", 54330))
    try:
        port = int(port_text)
    except ValueError:
        raise LadderError(f"LADDER_WAREHOUSE_PORT={port_text!r} is not a port number") from None
    data_dir = config.project_path(settings.get("data_dir", ".ladder/warehouse"))
    return EmbeddedWarehouse(data_dir, port)


def start_embedded_warehouse(port: int | None = None) -> EmbeddedWarehouse:
    """The embedded server (on `port` if given), started, with the warehouse database."""
    server = embedded_warehouse()
    if port:
        server.port = port
    server.start()
    server.ensure_database(config.section("warehouse").get("database", "warehouse"))
    return server


def uses_embedded_warehouse() -> bool:
    """True when neither the Airflow connection nor LADDER_WAREHOUSE_URL is set."""
    return airflow_connection_url(WAREHOUSE) is None and not os.environ.get("LADDER_WAREHOUSE_URL")


def resolve_warehouse() -> WarehouseTarget:
    url = airflow_connection_url(WAREHOUSE)
    if url:
        return WarehouseTarget(url, f"Airflow connection {WAREHOUSE} ({env_var(WAREHOUSE)})")
    url = os.environ.get("LADDER_WAREHOUSE_URL")
    if url:
        return WarehouseTarget(url, "LADDER_WAREHOUSE_URL")
    database = config.section("warehouse").get("database", "warehouse")
    return WarehouseTarget(embedded_warehouse().url(database), "embedded warehouse")
