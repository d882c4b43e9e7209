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

import asyncio
import base64
import binascii
import json
import random
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime

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


@dataclass(frozen=True)
class Faults:
    """Per request: the chance of a 5xx, of a slow answer and of a dropped connection."""

    error_rate: float = 0.0
    slow_rate: float = 0.0
    slow_seconds: float = 0.5
    drop_rate: float = 0.0
    seed: int | None = None


class _RateLimiter:
    """A token bucket over all clients: `per_second` requests, bursts of as many."""

    def __init__(self, per_second: float) -> None:
        self.per_second = per_second
        self.tokens = per_second
        self.updated = time.monotonic()
        self.lock = threading.Lock()

    def allow(self) -> bool:
        with self.lock:
            now = time.monotonic()
            self.tokens = min(self.per_second, self.tokens + (now - self.updated) * self.per_second)
            self.updated = now
            if self.tokens >= 1:
                self.tokens -= 1
                return True
            return False


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
               faults: Faults = Faults()):  # fmt: skip
    import psycopg
    from fastapi import FastAPI, Request
    from fastapi.responses import JSONResponse, Response

    app = FastAPI(title="Ladder helpdesk sandbox", docs_url=None, redoc_url=None)
    limiter = _RateLimiter(rate_limit) if rate_limit else None
    chance = random.Random(faults.seed)
    local = threading.local()

    def connection() -> psycopg.Connection:
        # One connection per worker thread: FastAPI runs sync endpoints in a pool.
        conn = getattr(local, "conn", None)
        if conn is None or conn.closed:
            conn = local.conn = psycopg.connect(database_url, autocommit=True)
        return conn

    @app.middleware("http")
    async def guard(request: Request, call_next):
        if request.url.path == "/health":
            return await call_next(request)
        if request.headers.get("authorization") != f"Bearer {token}":
            return JSONResponse({"error": "missing or wrong bearer token"}, status_code=401)
        if limiter and not limiter.allow():
            return JSONResponse({"error": "rate limit exceeded"}, status_code=429,
                                headers={"Retry-After": "1"})  # fmt: skip
        roll = chance.random()
        if roll < faults.error_rate:
            return JSONResponse({"error": "injected fault"}, status_code=503)
        if roll < faults.error_rate + faults.slow_rate:
            await asyncio.sleep(faults.slow_seconds)
        response = await call_next(request)
        if faults.drop_rate and chance.random() < faults.drop_rate:
            return _DroppedResponse(response)
        return response

    @app.get("/health")
    def health() -> dict:
        return {"status": "ok"}

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


class _DroppedResponse:
    """Sends the headers and half the body, then breaks the connection."""

    def __init__(self, response) -> None:
        self.response = response

    async def __call__(self, scope, receive, send) -> None:
        body = b""
        async for chunk in self.response.body_iterator:
            body += chunk
        headers = [(k.encode(), v.encode()) for k, v in self.response.headers.items()
                   if k.lower() != "content-length"]  # fmt: skip
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body[: len(body) // 2],
                    "more_body": True})  # fmt: skip
        raise ConnectionAbortedError("injected dropped connection")


def serve(database_url: str, token: str, host: str, port: int, rate_limit: float | None,
          faults: Faults) -> None:  # fmt: skip
    import uvicorn

    app = create_app(database_url, token, rate_limit, faults)
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)
