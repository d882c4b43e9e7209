"""The helpdesk export API through dlt's rest_api source.

Each endpoint is read with the API's cursor-based incremental export: the first request
carries start_time (the incremental cursor on updated_at, kept in the warehouse by dlt)
and end_time (the as-of date D), later pages the `after_cursor` of the page before,
until `end_of_stream`. Each page request spends the helpdesk's retry budget
(ladder.retries): 429 and 5xx answers, timeouts and dropped connections are tried again
with exponential backoff, honouring Retry-After, in one layer (dlt's client and urllib3
retry nothing of their own here).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from ladder import config
from ladder.connections import HELPDESK, env_var, http_endpoint
from ladder.errors import LadderError
from ladder.extract import pipeline
from ladder.extract.rowhash import ROW_HASH, hash_arrow
from ladder.retries import BudgetedSession, RetriesExhausted, budget

RAW_PREFIX = "helpdesk_"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _iso(value) -> str:
    """The incremental cursor (a datetime, from Arrow) as the API's start_time."""
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def field_types() -> dict:
    """The export contract's types (README: the helpdesk sandbox); other fields inferred."""
    import pyarrow as pa

    from ladder.extract.pages import TIMESTAMP

    times = dict.fromkeys(["created_at", "updated_at", "occurred_at", "answered_at"], TIMESTAMP)
    return {
        **times,
        **dict.fromkeys(["satisfaction", "nps"], pa.int16()),
        **dict.fromkeys(["is_complaint", "abuse_reported"], pa.bool_()),
        "handle_minutes": pa.float64(),
    }


def helpdesk_endpoint() -> tuple[str, str | None, str]:
    """Base URL, API token and where they came from."""
    return http_endpoint(HELPDESK, config.section("sources")["helpdesk"]["sandbox"], "helpdesk")


def _paginator():
    from dlt.sources.helpers.rest_client.paginators import JSONResponseCursorPaginator

    class ExportPaginator(JSONResponseCursorPaginator):
        """Follows `after_cursor` until the page that says `end_of_stream`."""

        def update_state(self, response, data=None) -> None:
            super().update_state(response, data)
            if response.json().get("end_of_stream", True):
                self._has_next_page = False

    return ExportPaginator(cursor_path="after_cursor", cursor_param="cursor")


def helpdesk_source(
    base_url: str, token: str, as_of: date, endpoints: list[str] | None = None, origin: str = ""
):
    from dlt.sources.rest_api import rest_api_source

    settings = config.section("sources")["helpdesk"]
    cursor = settings.get("cursor", "updated_at")
    session = BudgetedSession(budget(f"the helpdesk at {base_url} ({origin})", settings))
    resources = [
        {
            "name": f"{RAW_PREFIX}{endpoint}",
            "endpoint": {
                "path": f"api/{endpoint}/export",
                "data_selector": endpoint,
                "params": {
                    "start_time": "{incremental.start_value}",
                    "end_time": as_of.isoformat() + "T00:00:00Z",
                    "per_page": int(settings.get("page_size", 1000)),
                },
                "incremental": {
                    "cursor_path": cursor,
                    "initial_value": EPOCH,
                    "convert": _iso,
                    "on_cursor_value_missing": "include",
                },
            },
        }
        for endpoint in endpoints or settings["endpoints"]
    ]
    source = rest_api_source(
        {
            "client": {
                "base_url": base_url,
                "auth": {"type": "bearer", "token": token},
                "paginator": _paginator(),
                "session": session,
            },
            "resource_defaults": {
                "primary_key": ROW_HASH,
                "write_disposition": {"disposition": "merge", "strategy": "insert-only"},
            },
            "resources": resources,
        }
    )
    from ladder.extract.pages import PagesToArrow

    for resource in source.resources.values():
        resource.add_step(PagesToArrow(field_types()))
        resource.parallelized = True  # endpoints are paged through concurrently
    return source


def explain_error(exc: BaseException, base_url: str, origin: str) -> str | None:
    import requests

    found = list(pipeline.causes(exc))
    cause = next((c for c in found if isinstance(c, requests.RequestException)), None)
    # A spent retry budget says how many tries, how long, and what the last one met.
    spent = next((f"; {c}" for c in found if isinstance(c, RetriesExhausted)), "")
    if isinstance(cause, requests.HTTPError) and cause.response is not None:
        status = cause.response.status_code
        if status in (401, 403):
            return (
                f"the helpdesk at {base_url} ({origin}) refused the API token (HTTP {status}); "
                f"set the right token as the password of the Airflow connection {HELPDESK} "
                f"({env_var(HELPDESK)})"
            )
        return f"the helpdesk at {base_url} ({origin}) answered HTTP {status}: {cause}"
    if isinstance(cause, requests.ConnectionError | requests.Timeout):
        return (
            f"cannot reach the helpdesk at {base_url} ({origin}); check the host and port of "
            f"the Airflow connection {HELPDESK} ({env_var(HELPDESK)}), or for the demo start "
            f"the sandbox with `ladder sandbox helpdesk`{spent}"
        )
    return spent.removeprefix("; ") or None


def extract_helpdesk(as_of: date, endpoints: list[str] | None = None) -> pipeline.ExtractResult:
    """Land the helpdesk exports (all of ladder.yml's, or `endpoints`) in raw."""
    base_url, token, origin = helpdesk_endpoint()
    if not token:
        raise LadderError(
            f"the Airflow connection {HELPDESK} has no password; put the helpdesk API token "
            f"there ({env_var(HELPDESK)}=http://:<token>@host:port)"
        )
    return pipeline.run(
        "helpdesk",
        helpdesk_source(base_url, token, as_of, endpoints, origin),
        hash_arrow,
        lambda cause: explain_error(cause, base_url, origin),
    )
