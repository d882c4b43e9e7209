"""Airflow connections Ladder reads, and turning one into what a client needs.

Credentials never live in the repository: in Airflow they are connections (the UI, a
secrets backend, or AIRFLOW_CONN_<ID> variables); outside Airflow the same
AIRFLOW_CONN_<ID> variables work, so one `.env` serves both.

A connection that is not defined is an error (MissingConnectionError), except in demo
mode (ladder.mode), where the caller uses the demo's stand-in instead.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from urllib.parse import quote, urlencode

from ladder import mode
from ladder.errors import LadderError

# Every connection id the code looks up, with what it is for. docker-compose's
# .env.example is checked against this list.
WAREHOUSE = "ladder_warehouse"
SALES_DB = "ladder_sales_db"
HELPDESK = "ladder_helpdesk"
MARKETING = "ladder_marketing"
SERVICE = "ladder_service"
SERVICE_DB = "ladder_service_db"
ALERTS_WEBHOOK = "ladder_alerts_webhook"
SMTP = "smtp_default"

CONNECTION_IDS: dict[str, str] = {
    WAREHOUSE: "the PostgreSQL warehouse (raw, staging, marts, clv, ops)",
    SALES_DB: "the sales database the extract reads (any SQLAlchemy URL)",
    HELPDESK: "the helpdesk export API: host and port, the API token as password",
    MARKETING: "the marketing audience API the marketing list goes to: the token as password",
    SERVICE: "the service profile API the service list goes to: the token as password",
    SERVICE_DB: "the service desk's PostgreSQL database the service list is written to",
    ALERTS_WEBHOOK: "optional: where alerts are POSTed as JSON (a Slack or Teams webhook)",
    SMTP: "optional: the SMTP server alerts are e-mailed through (ladder.yml alerts.email_to)",
}

# What each connection looks like as an AIRFLOW_CONN_<ID> URI, for the error that asks
# for it (.env.example has the same shapes, filled in).
_POSTGRES = "postgresql://<user>:<password>@<host>:5432/<database>"
_API = "https://:<api-token>@<host>:443"
URI_SHAPES: dict[str, str] = {
    WAREHOUSE: _POSTGRES,
    SALES_DB: _POSTGRES,
    HELPDESK: _API,
    MARKETING: _API,
    SERVICE: _API,
    SERVICE_DB: _POSTGRES,
    ALERTS_WEBHOOK: "https://hooks.slack.com/services/<workspace>/<channel>/<secret>",
    SMTP: "smtp://<user>:<password>@<host>:587",
}


class MissingConnectionError(LadderError):
    """Connections a command needs are not defined, and the demo may not stand in."""

    def __init__(self, conn_ids: list[str]) -> None:
        self.conn_ids = conn_ids
        plural = len(conn_ids) > 1
        lines = [
            f"the Airflow connection{'s' if plural else ''} {', '.join(conn_ids)} "
            f"{'are' if plural else 'is'} not defined:",
            *(
                f"  {conn_id}: {CONNECTION_IDS[conn_id]}; for example "
                f"{env_var(conn_id)}='{URI_SHAPES[conn_id]}'"
                for conn_id in conn_ids
            ),
            f"Define {'each' if plural else 'it'} in Airflow (Admin > Connections, or a secrets "
            "backend) or as the environment variable shown, which the `ladder` command reads "
            f"too. The demo's sandboxes and databases stand in only in demo mode "
            f"({mode.VARIABLE}={mode.DEMO}, which `make demo` sets).",
        ]
        super().__init__("\n".join(lines))


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


def require(*conn_ids: str) -> None:
    """Check up front, before anything is read or sent, that every connection of `conn_ids`
    is defined: one error naming all that are not. In demo mode, stand-ins fill in."""
    if mode.is_demo():
        return
    missing = [conn_id for conn_id in conn_ids if airflow_connection(conn_id) is None]
    if missing:
        raise MissingConnectionError(missing)


def connection_or_demo(conn_id: str) -> ConnectionInfo | None:
    """The connection; None in demo mode when it is not defined (the caller uses the
    demo's stand-in); outside demo mode a missing connection is MissingConnectionError."""
    demo = mode.is_demo()  # asked first: a mistyped LADDER_MODE is always an error
    info = airflow_connection(conn_id)
    if info is None and not demo:
        raise MissingConnectionError([conn_id])
    return info


def airflow_connection_url(conn_id: str) -> str | None:
    """The connection as a postgresql:// URL, or None when Airflow does not define it."""
    info = airflow_connection(conn_id)
    return info.postgres_url() if info else None


def http_endpoint(conn_id: str, sandbox: dict, system: str) -> tuple[str, str | None, str]:
    """Base URL, API token and where they came from (for messages; never the token):
    the Airflow connection `conn_id`, else (demo mode only) the demo's sandbox of `system`."""
    info = connection_or_demo(conn_id)
    if info is not None:
        return info.http_base_url(), info.password, f"Airflow connection {conn_id}"
    return (
        f"http://127.0.0.1:{sandbox['port']}",
        sandbox["token"],
        f"the demo {system} sandbox (no connection {conn_id} is defined)",
    )
