"""The marketing and service sandboxes over real HTTP: auth, batches and their limit,
per-record rejects, idempotent replays, removal, rate limit, faults, and the state a
test can read back (what the system holds, and how often each record was applied)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import requests

from ladder.demo.run import SandboxProcess
from tests.conftest import free_port

TOKEN = "ladder-demo-token"
UPSERT = "/api/audiences/daily/members:batchUpsert"
REMOVE = "/api/audiences/daily/members:batchRemove"


def member(customer: str, code: str = "GROW_CROSS_SELL") -> dict:
    return {"customer_id": customer, "treatment_code": code, "offer": "recommendations",
            "channel": "email", "email": f"{customer.lower()}@example.com",
            "reason": "Recommendations to go with what you already buy from us."}  # fmt: skip


def post(api: str, path: str, body: dict, key: str | None = None, token: str = TOKEN):
    headers = {"Authorization": f"Bearer {token}"}
    if key:
        headers["Idempotency-Key"] = key
    return requests.post(api + path, json=body, headers=headers, timeout=30)


def applied(state: Path) -> dict[str, tuple[int, int, int]]:
    """customer -> (present, applied, removed), straight from the sandbox's state file."""
    with sqlite3.connect(state) as conn:
        rows = conn.execute(
            "select customer_id, present, applied_count, removed_count from records"
        ).fetchall()
    return {row[0]: row[1:] for row in rows}


@pytest.fixture()
def marketing(tmp_path: Path):
    state, port = tmp_path / "marketing.sqlite", free_port()
    with SandboxProcess("marketing", port, ("--state", str(state), "--max-batch", "3")):
        yield f"http://127.0.0.1:{port}", state


def test_batches_apply_reject_per_record_and_respect_the_limit(marketing) -> None:
    api, state = marketing
    assert post(api, UPSERT, {"members": [member("C1")]}, token="guess").status_code == 401

    answer = post(api, UPSERT, {"members": [member("C1"), member("C2", "NOT_A_CODE"),
                                            {"customer_id": "", "offer": "x"}]})  # fmt: skip
    assert answer.status_code == 207
    assert answer.json()["applied"] == 1
    assert [(r["index"], r["customer_id"]) for r in answer.json()["rejected"]] == [
        (1, "C2"),
        (2, ""),
    ]
    assert "unknown treatment_code 'NOT_A_CODE'" in answer.json()["rejected"][0]["reason"]
    # A field outside the contract is refused, never stored beside the others.
    labelled = post(api, UPSERT, {"members": [{**member("C3"), "ladder_rung": "Toxic"}]})
    assert labelled.json()["rejected"][0]["reason"].startswith(
        "unknown field(s) ladder_rung: the contract takes customer_id, treatment_code"
    )

    too_many = post(api, UPSERT, {"members": [member(f"C{i}") for i in range(4)]})
    assert too_many.status_code == 413
    assert post(api, UPSERT, {"members": "C1"}).status_code == 400
    assert applied(state) == {"C1": (1, 1, 0)}


def test_a_replayed_idempotency_key_returns_the_first_answer_and_applies_nothing(marketing):
    api, state = marketing
    body = {"members": [member("C1"), member("C2")]}
    first = post(api, UPSERT, body, key="daily-2025-12-31-0")
    again = post(api, UPSERT, body, key="daily-2025-12-31-0")
    assert first.status_code == again.status_code == 200 and first.json() == again.json()
    assert (
        post(api, UPSERT, {"members": [member("C3")]}, key="daily-2025-12-31-0").status_code == 422
    )
    assert applied(state) == {"C1": (1, 1, 0), "C2": (1, 1, 0)}
    # Without a key, a resend is applied again, and the sandbox counts it.
    post(api, UPSERT, {"members": [member("C1")]})
    assert applied(state)["C1"] == (1, 2, 0)


def test_removal_takes_members_out_of_the_audience(marketing) -> None:
    api, state = marketing
    post(api, UPSERT, {"members": [member("C1"), member("C2")]})
    assert post(api, REMOVE, {"customer_ids": ["C1", "UNKNOWN"]}).json() == {
        "applied": 2, "rejected": []
    }  # fmt: skip
    listed = requests.get(f"{api}/api/audiences/daily/members",
                          headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30)  # fmt: skip
    assert [m["customer_id"] for m in listed.json()["members"]] == ["C2"]
    assert applied(state) == {"C1": (0, 1, 1), "C2": (1, 1, 0)}


def test_service_profiles_check_the_tier_and_clear(tmp_path: Path) -> None:
    state, port = tmp_path / "service.sqlite", free_port()
    with SandboxProcess("service", port, ("--state", str(state))):
        api = f"http://127.0.0.1:{port}"
        profile = {"customer_id": "C1", "tier": "standard",
                   "treatment_code": "SELF_SERVICE_GUIDANCE", "reason": "Quicker ways.",
                   "agent_note": "0 complaints in 180 days"}  # fmt: skip
        worse = {**profile, "customer_id": "C2", "tier": "worse"}
        answer = post(api, "/api/profiles:batchUpsert", {"profiles": [profile, worse]})
        assert (
            answer.status_code == 207
            and "unknown tier 'worse'" in answer.json()["rejected"][0]["reason"]
        )
        assert post(api, "/api/profiles:batchClear", {"customer_ids": ["C1"]}).status_code == 200
    assert applied(state) == {"C1": (0, 1, 1)}


def test_rate_limit_and_injected_faults(tmp_path: Path) -> None:
    state, port = tmp_path / "marketing.sqlite", free_port()
    args = ("--state", str(state), "--rate-limit", "5", "--fault-rate", "0.3", "--seed", "3")
    with SandboxProcess("marketing", port, args):
        api = f"http://127.0.0.1:{port}"
        codes = [post(api, UPSERT, {"members": [member(f"C{i}")]}, key=f"k{i}").status_code
                 for i in range(40)]  # fmt: skip
    assert {429, 503} <= set(codes) and 200 in codes
    # Only the answered 200s were applied, each once.
    held = applied(state)
    assert len(held) == codes.count(200) and all(row == (1, 1, 0) for row in held.values())
