"""What every sandbox API shares: bearer-token auth, a rate limit answered with 429 and
Retry-After, and injected faults (5xx answers, slow answers, connections dropped half-way
through a body), each at a configurable rate and repeatable with a seed."""

from __future__ import annotations

import asyncio
import random
import threading
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Faults:
    """Per request: the chance of a 5xx, of a slow answer and of a dropped connection."""

    error_rate: float = 0.0
    slow_rate: float = 0.0
    slow_seconds: float = 0.5
    drop_rate: float = 0.0
    seed: int | None = None


class RateLimiter:
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


def add_guard(app, token: str, rate_limit: float | None, faults: Faults) -> None:
    """Auth, rate limit and faults in front of every route but /health. A dropped
    connection happens after the route ran: the client never learns that it did."""
    from fastapi import Request
    from fastapi.responses import JSONResponse

    limiter = RateLimiter(rate_limit) if rate_limit else None
    chance = random.Random(faults.seed)

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
            return DroppedResponse(response)
        return response

    @app.get("/health")
    def health() -> dict:
        return {"status": "ok"}


class DroppedResponse:
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
