"""The marketing and service sandboxes: the systems the treatment lists are published to,
as real HTTP JSON batch APIs, modelled on marketing audiences and service profiles.

    Authorization: Bearer <token>
    Idempotency-Key: <any string, optional>

Marketing (`ladder sandbox marketing`):

    POST /api/audiences/{audience}/members:batchUpsert  {"members": [{customer_id,
         treatment_code, offer, channel, email, reason}]}
    POST /api/audiences/{audience}/members:batchRemove  {"customer_ids": [...]}
    GET  /api/audiences/{audience}/members

Service (`ladder sandbox service`):

    POST /api/profiles:batchUpsert  {"profiles": [{customer_id, tier, treatment_code, reason,
         agent_note}]}
    POST /api/profiles:batchClear   {"customer_ids": [...]}
    GET  /api/profiles

A record with a field outside these is refused (a system stores only its contract). A
batch answers 200 `{"applied": n, "rejected": []}` when every record was valid and
applied, and 207 with `rejected: [{index, customer_id, reason}]` when some were not (the
valid ones are applied). More records than `max_batch` is 413 and nothing is applied. A
replayed Idempotency-Key returns the first answer without applying anything again; the
same key with another body is 422. Every answer is decided and stored in one SQLite
transaction, so a connection dropped after it (an injected fault) loses only the answer.

The state lives in a SQLite file: per record, its payload, whether it is present, and
how many times it was applied and removed, so a test or a user can see exactly what the
system holds (`sqlite3 .ladder/sandbox/marketing.sqlite 'select * from records'`).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from ladder.sandbox.guard import Faults, add_guard

MARKETING_CODES = {
    "ADVOCATE_REFERRAL", "VIP_RECOGNITION", "WINBACK", "NEW_CUSTOMER_ONBOARDING",
    "GROW_CROSS_SELL", "PROFIT_ALTERNATIVES", "PROSPECT_NURTURE", "SUPPRESS_PROMOTIONS",
}  # fmt: skip
SERVICE_CODES = {
    "PRIORITY_SUPPORT", "SERVICE_RECOVERY", "SELF_SERVICE_GUIDANCE", "TRANSACTIONAL_ONLY",
    "ACCOUNT_REVIEW",
}  # fmt: skip
TIERS = {"priority", "standard", "review"}

SCHEMA = """
create table if not exists records (
    scope text not null,
    customer_id text not null,
    payload text not null,
    present integer not null,
    applied_count integer not null,
    removed_count integer not null,
    primary key (scope, customer_id)
);
create table if not exists idempotency (
    key text primary key,
    request_hash text not null,
    status integer not null,
    body text not null
);
"""


def _missing_text(record: dict, name: str) -> str | None:
    value = record.get(name)
    return (
        None if isinstance(value, str) and value.strip() else f"{name} must be a non-empty string"
    )


def _unknown_fields(record: dict, fields: tuple[str, ...]) -> str | None:
    """A system stores only what its contract names: a field outside it (an internal
    label, say) refuses the record rather than landing beside it."""
    unknown = sorted(set(record) - set(fields))
    if unknown:
        return f"unknown field(s) {', '.join(unknown)}: the contract takes {', '.join(fields)}"
    return None


MARKETING_FIELDS = ("customer_id", "treatment_code", "offer", "channel", "email", "reason")
SERVICE_FIELDS = ("customer_id", "tier", "treatment_code", "reason", "agent_note")


def _marketing_problem(record: object) -> str | None:
    if not isinstance(record, dict):
        return "not an object"
    if problem := _unknown_fields(record, MARKETING_FIELDS):
        return problem
    for name in ("customer_id", "treatment_code", "offer", "channel", "reason"):
        if problem := _missing_text(record, name):
            return problem
    if record["treatment_code"] not in MARKETING_CODES:
        return f"unknown treatment_code {record['treatment_code']!r}"
    if not isinstance(record.get("email"), str | None):
        return "email must be a string or null"
    return None


def _service_problem(record: object) -> str | None:
    if not isinstance(record, dict):
        return "not an object"
    if problem := _unknown_fields(record, SERVICE_FIELDS):
        return problem
    for name in SERVICE_FIELDS:
        if problem := _missing_text(record, name):
            return problem
    if record["tier"] not in TIERS:
        return f"unknown tier {record['tier']!r}: use one of {', '.join(sorted(TIERS))}"
    if record["treatment_code"] not in SERVICE_CODES:
        return f"unknown treatment_code {record['treatment_code']!r}"
    return None


@dataclass(frozen=True)
class System:
    name: str
    records_field: str  # the upsert body's list
    problem: Callable[[dict], str | None]


SYSTEMS = {
    "marketing": System("marketing", "members", _marketing_problem),
    "service": System("service", "profiles", _service_problem),
}


@dataclass(frozen=True)
class BatchKind:
    """How a batch's records are checked, and what applying the valid ones does."""

    problem: Callable[[object], str | None]
    apply: Callable[[str, list], None]


def _id_problem(item: object) -> str | None:
    return None if isinstance(item, str) and item.strip() else "customer id must be a string"


class Store:
    """The system's state in SQLite; one lock, so a batch is applied as a whole."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self.conn.execute("pragma journal_mode = wal")
        self.conn.executescript(SCHEMA)
        self.lock = threading.Lock()

    def batch(self, key: str | None, request_hash: str, apply: Callable[[], tuple[int, dict]]):
        """(status, body) of a batch: the stored answer when `key` was seen, else `apply`
        run and its answer stored, in one transaction."""
        with self.lock:
            self.conn.execute("begin immediate")
            try:
                if key is not None:
                    seen = self.conn.execute(
                        "select request_hash, status, body from idempotency where key = ?", (key,)
                    ).fetchone()
                    if seen and seen[0] != request_hash:
                        self.conn.execute("rollback")
                        return 422, {"error": "Idempotency-Key reused with another request body"}
                    if seen:
                        self.conn.execute("rollback")
                        return seen[1], json.loads(seen[2])
                status, body = apply()
                if key is not None:
                    self.conn.execute(
                        "insert into idempotency values (?, ?, ?, ?)",
                        (key, request_hash, status, json.dumps(body)),
                    )
                self.conn.execute("commit")
                return status, body
            except BaseException:
                self.conn.execute("rollback")
                raise

    def upsert(self, scope: str, records: list[dict]) -> None:
        self.conn.executemany(
            """
            insert into records values (?, ?, ?, 1, 1, 0)
            on conflict (scope, customer_id) do update set
                payload = excluded.payload, present = 1, applied_count = applied_count + 1
            """,
            [(scope, r["customer_id"], json.dumps(r, sort_keys=True)) for r in records],
        )

    def remove(self, scope: str, customer_ids: list[str]) -> None:
        self.conn.executemany(
            "update records set present = 0, removed_count = removed_count + 1"
            " where scope = ? and customer_id = ? and present = 1",
            [(scope, c) for c in customer_ids],
        )

    def present(self, scope: str) -> list[dict]:
        rows = self.conn.execute(
            "select payload, applied_count from records where scope = ? and present = 1"
            " order by customer_id",
            (scope,),
        ).fetchall()
        return [{**json.loads(payload), "applied_count": count} for payload, count in rows]


def create_app(system: str, state: Path, token: str, max_batch: int = 1000,
               rate_limit: float | None = None, faults: Faults | None = None):  # fmt: skip
    spec = SYSTEMS[system]
    store = Store(state)
    app = FastAPI(title=f"Ladder {system} sandbox", docs_url=None, redoc_url=None)
    add_guard(app, token, rate_limit, faults or Faults())

    async def run_batch(request: Request, scope: str, field: str, kind: BatchKind) -> JSONResponse:
        raw = await request.body()
        try:
            body = json.loads(raw)
            items = body[field]
            if not isinstance(items, list):
                raise TypeError
        except (ValueError, KeyError, TypeError):
            return JSONResponse({"error": f'the body must be JSON: {{"{field}": [...]}}'}, 400)
        if len(items) > max_batch:
            return JSONResponse(
                {"error": f"{len(items)} records in one batch; at most {max_batch}"}, 413
            )
        request_hash = hashlib.sha256(request.url.path.encode() + b"\n" + raw).hexdigest()

        def apply() -> tuple[int, dict]:
            valid, rejected = [], []
            for index, item in enumerate(items):
                problem = kind.problem(item)
                if problem:
                    customer = item.get("customer_id") if isinstance(item, dict) else item
                    rejected.append({"index": index, "customer_id": customer, "reason": problem})
                else:
                    valid.append(item)
            kind.apply(scope, valid)
            return (207 if rejected else 200), {"applied": len(valid), "rejected": rejected}

        status, answer = store.batch(request.headers.get("idempotency-key"), request_hash, apply)
        return JSONResponse(answer, status)

    upsert = BatchKind(spec.problem, store.upsert)
    removal = BatchKind(_id_problem, store.remove)

    if system == "marketing":

        @app.post("/api/audiences/{audience}/members:batchUpsert")
        async def upsert_members(audience: str, request: Request):
            return await run_batch(request, audience, spec.records_field, upsert)

        @app.post("/api/audiences/{audience}/members:batchRemove")
        async def remove_members(audience: str, request: Request):
            return await run_batch(request, audience, "customer_ids", removal)

        @app.get("/api/audiences/{audience}/members")
        def members(audience: str) -> dict:
            return {"members": store.present(audience)}

    else:

        @app.post("/api/profiles:batchUpsert")
        async def upsert_profiles(request: Request):
            return await run_batch(request, "profiles", spec.records_field, upsert)

        @app.post("/api/profiles:batchClear")
        async def clear_profiles(request: Request):
            return await run_batch(request, "profiles", "customer_ids", removal)

        @app.get("/api/profiles")
        def profiles() -> dict:
            return {"profiles": store.present("profiles")}

    return app


def present_treatments(state: Path, scope: str) -> list[tuple[str, str]]:
    """(customer_id, treatment_code) of every record `scope` holds now, read from a
    system's state file without opening it for writing; none when it was never written."""
    if not state.exists():
        return []
    with sqlite3.connect(f"file:{state}?mode=ro", uri=True) as conn:
        return conn.execute(
            "select customer_id, json_extract(payload, '$.treatment_code') from records"
            " where scope = ? and present = 1",
            (scope,),
        ).fetchall()


def serve(system: str, state: Path, token: str, port: int, max_batch: int,
          rate_limit: float | None, faults: Faults) -> None:  # fmt: skip
    import uvicorn

    app = create_app(system, state, token, max_batch, rate_limit, faults)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
