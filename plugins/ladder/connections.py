"""Airflow connections Ladder reads, and turning one into a SQLAlchemy/libpq URL.

Credentials never live in the repository: in Airflow they are connections (the UI, a
secrets backend, or AIRFLOW_CONN_<ID> variables); outside Airflow the same
AIRFLOW_CONN_<ID> variables work, so one `.env` serves both.
"""

from __future__ import annotations

import os
import sys
from urllib.parse import quote, urlencode

# Every connection id the code looks up, with what it is for. docker-compose's
# .env.example is checked against this list.
WAREHOUSE = "ladder_warehouse"

CONNECTION_IDS: dict[str, str] = {
    WAREHOUSE: "the PostgreSQL warehouse (raw, staging, marts, clv, ops)",
}


def env_var(conn_id: str) -> str:
    return f"AIRFLOW_CONN_{conn_id.upper()}"


def airflow_connection_url(conn_id: str) -> str | None:
    """The connection as a postgresql:// URL, or None when Airflow does not define it.

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
    user = quote(conn.login or "", safe="")
    password = f":{quote(conn.password, safe='')}" if conn.password else ""
    auth = f"{user}{password}@" if user else ""
    port = f":{conn.port}" if conn.port else ""
    query = {k: v for k, v in conn.extra_dejson.items() if isinstance(v, str | int)}
    suffix = f"?{urlencode(query)}" if query else ""
    return f"postgresql://{auth}{conn.host or '127.0.0.1'}{port}/{conn.schema or ''}{suffix}"
