"""The helpdesk sandbox: the demo company's service system as a real HTTP JSON API.

Modelled on how real helpdesks export incrementally (Zendesk's cursor-based export):

    GET /api/{tickets,interactions,surveys}/export?start_time=...&cursor=...
    Authorization: Bearer <token>

    {"tickets": [...], "after_cursor": "<opaque>", "end_of_stream": false}

Records come ordered by (updated_at, id), at most `per_page` (<= 1,000) per page, with
updated_at >= start_time and, when given, < end_time. A page's `after_cursor` resumes
right after its last record; `end_of_stream` is true on the last page. Over the rate
limit the answer is 429 with Retry-After. For tests the server can inject faults: 5xx
answers, slow answers and connections dropped half-way through a body.
"""

from __future__ import annotations

import base64
import binascii
import json
import threading
from dataclasses import dataclass
from datetime import UTC, datetime

from ladder.sandbox.guard import Faults, add_guard

MAX_PAGE = 1000


@dataclass(frozen=True)
class Entity:
    path: str
    table: str
    key: str


ENTITIES = {
    e.path: e
    for e in (
        Entity("tickets", "tickets", "ticket_id"),
        Entity("interactions", "interactions", "interaction_id"),
        Entity("surveys", "surveys", "survey_id"),
    )
}


def encode_cursor(state: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(state).encode()).decode()


def decode_cursor(cursor: str) -> dict:
    try:
        state = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (binascii.Error, ValueError):
        raise ValueError("cursor is not one this API issued; start again from start_time") from None
    if not isinstance(state, dict) or not {"start", "after_ts", "after_id"} <= state.keys():
        raise ValueError("cursor is not one this API issued; start again from start_time")
    return state


def _parse_time(name: str, value: str) -> str:
    """ISO 8601 or Unix seconds, returned as ISO for PostgreSQL."""
    try:
        if value.lstrip("-").isdigit():
            return datetime.fromtimestamp(int(value), tz=UTC).isoformat()
        return datetime.fromisoformat(value.replace("Z", "+00:00")).isoformat()
    except (ValueError, OverflowError):
        raise ValueError(f"{name}={value!r} is neither ISO 8601 nor Unix seconds") from None


def create_app(database_url: str, token: str, rate_limit: float | None = None,
               faults: Faults | None = None):  # fmt: skip
    import psycopg
    from fastapi import FastAPI
    from fastapi.responses import JSONResponse, Response

    app = FastAPI(title="Ladder helpdesk sandbox", docs_url=None, redoc_url=None)
    add_guard(app, token, rate_limit, faults or Faults())
    local = threading.local()

    def connection() -> psycopg.Connection:
        # One connection per worker thread: FastAPI runs sync endpoints in a pool.
        conn = getattr(local, "conn", None)
        if conn is None or conn.closed:
            conn = local.conn = psycopg.connect(database_url, autocommit=True)
        return conn

    @app.get("/api/{entity}/export")
    def export(
        entity: str,
        start_time: str | None = None,
        cursor: str | None = None,
        end_time: str | None = None,
        per_page: int = MAX_PAGE,
    ):
        if entity not in ENTITIES:
            return JSONResponse({"error": f"unknown export {entity!r}"}, status_code=404)
        if not 1 <= per_page <= MAX_PAGE:
            return JSONResponse({"error": f"per_page must be 1..{MAX_PAGE}"}, status_code=400)
        try:
            if cursor:
                state = decode_cursor(cursor)
            elif start_time:
                state = {
                    "start": _parse_time("start_time", start_time),
                    "end": _parse_time("end_time", end_time) if end_time else None,
                    "after_ts": None,
                    "after_id": None,
                }
            else:
                raise ValueError("give start_time (first page) or cursor (next pages)")
        except ValueError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        body = _page(connection(), ENTITIES[entity], state, per_page)
        return Response(content=body, media_type="application/json")

    return app


def _page(conn, entity: Entity, state: dict, per_page: int) -> str:
    """One page as JSON text, built by PostgreSQL, with the cursor that resumes after it."""
    key, table = entity.key, entity.table
    rows = conn.execute(
        f"""
        with page as (
            select * from {table}
            where updated_at >= %(start)s::timestamptz
              and (%(end)s::timestamptz is null or updated_at < %(end)s::timestamptz)
              and (%(after_ts)s::timestamptz is null
                   or (updated_at, {key}) > (%(after_ts)s::timestamptz, %(after_id)s::text))
            order by updated_at, {key}
            limit %(limit)s
        )
        select
            coalesce(json_agg(page order by updated_at, {key}), '[]'::json)::text,
            count(*),
            (array_agg(updated_at::text order by updated_at desc, {key} desc))[1],
            (array_agg({key} order by updated_at desc, {key} desc))[1]
        from page
        """,
        {**state, "end": state.get("end"), "limit": per_page},
    ).fetchone()
    records, count, last_ts, last_id = rows
    end_of_stream = count < per_page
    if count:
        state = {**state, "after_ts": last_ts, "after_id": last_id}
    body = (
        f'{{"{entity.path}": {records}, "after_cursor": {json.dumps(encode_cursor(state))}, '
        f'"end_of_stream": {json.dumps(end_of_stream)}}}'
    )
    return body


def serve(database_url: str, token: str, host: str, port: int, rate_limit: float | None,
          faults: Faults) -> None:  # fmt: skip
    import uvicorn

    app = create_app(database_url, token, rate_limit, faults)
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)
