"""Airflow connections Ladder reads, and turning one into what a client needs.

Credentials never live in the repository: in Airflow they are connections (the UI, a
secrets backend, or AIRFLOW_CONN_<ID> variables); outside Airflow the same
AIRFLOW_CONN_<ID> variables work, so one `.env` serves both.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from urllib.parse import quote, urlencode

# Every connection id the code looks up, with what it is for. docker-compose's
# .env.example is checked against this list.
WAREHOUSE = "ladder_warehouse"
SALES_DB = "ladder_sales_db"
HELPDESK = "ladder_helpdesk"
MARKETING = "ladder_marketing"
SERVICE = "ladder_service"
SERVICE_DB = "ladder_service_db"

CONNECTION_IDS: dict[str, str] = {
    WAREHOUSE: "the PostgreSQL warehouse (raw, staging, marts, clv, ops)",
    SALES_DB: "the sales database the extract reads (any SQLAlchemy URL)",
    HELPDESK: "the helpdesk export API: host and port, the API token as password",
    MARKETING: "the marketing audience API the marketing list goes to: the token as password",
    SERVICE: "the service profile API the service list goes to: the token as password",
    SERVICE_DB: "the service desk's PostgreSQL database the service list is written to",
}


@dataclass(frozen=True)
class ConnectionInfo:
    conn_id: str
    conn_type: str
    host: str | None = None
    port: int | None = None
    login: str | None = None
    password: str | None = None
    schema: str | None = None
    extra: dict = field(default_factory=dict)

    def postgres_url(self) -> str:
        user = quote(self.login or "", safe="")
        password = f":{quote(self.password, safe='')}" if self.password else ""
        auth = f"{user}{password}@" if user else ""
        port = f":{self.port}" if self.port else ""
        query = {k: v for k, v in self.extra.items() if isinstance(v, str | int)}
        suffix = f"?{urlencode(query)}" if query else ""
        return f"postgresql://{auth}{self.host or '127.0.0.1'}{port}/{self.schema or ''}{suffix}"

    def http_base_url(self) -> str:
        host = self.host or "127.0.0.1"
        if "://" not in host:
            scheme = "https" if self.conn_type == "https" else "http"
            host = f"{scheme}://{host}"
        port = f":{self.port}" if self.port else ""
        return f"{host.rstrip('/')}{port}"


def env_var(conn_id: str) -> str:
    return f"AIRFLOW_CONN_{conn_id.upper()}"


def airflow_connection(conn_id: str) -> ConnectionInfo | None:
    """The connection as Airflow defines it, or None when Airflow does not define it.

    Airflow is only asked when it is already loaded (we run inside a task) or when the
    connection's environment variable is set: importing Airflow costs seconds.
    """
    if env_var(conn_id) not in os.environ and "airflow.sdk" not in sys.modules:
        return None
    from airflow.sdk import Connection
    from airflow.sdk.exceptions import AirflowNotFoundException, AirflowRuntimeError

    try:
        conn = Connection.get(conn_id)
    except (AirflowNotFoundException, AirflowRuntimeError):
        return None
    if conn is None:
        return None
    return ConnectionInfo(
        conn_id=conn_id,
        conn_type=conn.conn_type or "",
        host=conn.host,
        port=conn.port,
        login=conn.login,
        password=conn.password,
        schema=conn.schema,
        extra=conn.extra_dejson,
    )


def airflow_connection_url(conn_id: str) -> str | None:
    """The connection as a postgresql:// URL, or None when Airflow does not define it."""
    info = airflow_connection(conn_id)
    return info.postgres_url() if info else None


def http_endpoint(conn_id: str, sandbox: dict, system: str) -> tuple[str, str | None, str]:
    """Base URL, API token and where they came from (for messages; never the token):
    the Airflow connection `conn_id`, else the demo's sandbox of `system`."""
    info = airflow_connection(conn_id)
    if info is not None:
        return info.http_base_url(), info.password, f"Airflow connection {conn_id}"
    return (
        f"http://127.0.0.1:{sandbox['port']}",
        sandbox["token"],
        f"the demo {system} sandbox (no connection {conn_id} is defined)",
    )
