"""The helpdesk sandbox over real HTTP: auth, cursor export, bounds, rate limit, faults."""

from __future__ import annotations

import time

import pytest
import requests

from ladder.demo.run import HelpdeskSandbox
from tests.conftest import connect, ensure_demo_company, free_port

TOKEN = "ladder-demo-token"


@pytest.fixture(scope="module")
def api(warehouse) -> str:
    ensure_demo_company(warehouse)
    port = free_port()
    with HelpdeskSandbox(port):
        yield f"http://127.0.0.1:{port}"


def get(url: str, token: str | None = TOKEN, **params) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.get(url, params=params, headers=headers, timeout=30)


def export_all(api: str, entity: str, per_page: int, **params) -> tuple[list[dict], int]:
    rows, pages = [], 0
    response = get(f"{api}/api/{entity}/export", per_page=per_page, **params).json()
    while True:
        pages += 1
        assert len(response[entity]) <= per_page
        rows += response[entity]
        if response["end_of_stream"]:
            return rows, pages
        response = get(
            f"{api}/api/{entity}/export", per_page=per_page, cursor=response["after_cursor"]
        ).json()


def test_requests_without_the_right_token_get_401(api: str) -> None:
    assert get(f"{api}/api/tickets/export", token=None, start_time=0).status_code == 401
    assert get(f"{api}/api/tickets/export", token="guess", start_time=0).status_code == 401
    assert get(f"{api}/api/tickets/export", start_time=0).status_code == 200


@pytest.mark.parametrize("entity, key", [("tickets", "ticket_id"), ("surveys", "survey_id")])
def test_the_cursor_export_returns_every_row_once_in_order(
    api: str, demo_company, entity: str, key: str
) -> None:
    rows, pages = export_all(api, entity, per_page=997, start_time="1970-01-01T00:00:00Z")
    with connect(demo_company, "helpdesk") as conn:
        expected = conn.execute(f"select count(*) from {entity}").fetchone()[0]
    ids = [r[key] for r in rows]
    assert len(ids) == len(set(ids)) == expected
    assert pages == expected // 997 + 1
    order = [(r["updated_at"], r[key]) for r in rows]
    assert order == sorted(order)


def test_start_and_end_time_bound_the_export(api: str, demo_company) -> None:
    start, end = "2024-06-01T00:00:00Z", "2024-07-01T00:00:00Z"
    rows, _ = export_all(api, "tickets", per_page=1000, start_time=start, end_time=end)
    with connect(demo_company, "helpdesk") as conn:
        expected = conn.execute(
            "select count(*) from tickets where updated_at >= %s and updated_at < %s",
            (start, end),
        ).fetchone()[0]
    assert len(rows) == expected > 0
    assert all(start[:10] <= r["updated_at"][:10] < end[:10] for r in rows)
    unix = get(f"{api}/api/tickets/export", start_time=1717200000, end_time=1719792000).json()
    assert unix["tickets"][0] == rows[0]  # Unix seconds mean the same instants


def test_bad_parameters_get_400_with_a_reason(api: str) -> None:
    for params, reason in [
        ({}, "give start_time"),
        ({"start_time": "last tuesday"}, "neither ISO 8601 nor Unix seconds"),
        ({"cursor": "not-a-cursor"}, "cursor is not one this API issued"),
        ({"start_time": 0, "per_page": 5000}, "per_page must be 1..1000"),
    ]:
        response = get(f"{api}/api/tickets/export", **params)
        assert response.status_code == 400 and reason in response.json()["error"]
    assert get(f"{api}/api/agents/export", start_time=0).status_code == 404


def test_over_the_rate_limit_answers_429_with_retry_after(demo_company) -> None:
    port = free_port()
    with HelpdeskSandbox(port, ("--rate-limit", "5")):
        url = f"http://127.0.0.1:{port}/api/surveys/export"
        statuses = [get(url, start_time=0, per_page=1) for _ in range(30)]
    limited = [r for r in statuses if r.status_code == 429]
    assert limited and all(r.headers["Retry-After"] == "1" for r in limited)
    assert any(r.status_code == 200 for r in statuses)


def test_injected_faults_are_5xx_slow_answers_and_dropped_connections(demo_company) -> None:
    port = free_port()
    args = ("--fault-rate", "0.3", "--slow-rate", "0.2", "--drop-rate", "0.3", "--seed", "1")
    outcomes = {"503": 0, "dropped": 0, "ok": 0, "slow": 0}
    with HelpdeskSandbox(port, args):
        url = f"http://127.0.0.1:{port}/api/surveys/export"
        for _ in range(60):
            began = time.monotonic()
            try:
                response = get(url, start_time=0, per_page=50)
                response.json()
            except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError,
                    ValueError):  # fmt: skip
                outcomes["dropped"] += 1
                continue
            if response.status_code == 503:
                outcomes["503"] += 1
            elif time.monotonic() - began >= 0.5:
                outcomes["slow"] += 1
            else:
                outcomes["ok"] += 1
    assert all(count > 0 for count in outcomes.values()), outcomes


def test_the_export_follows_updates_of_existing_rows(api: str, demo_company) -> None:
    with connect(demo_company, "helpdesk") as conn:
        ticket = conn.execute(
            "select ticket_id from tickets order by ticket_id limit 1"
        ).fetchone()[0]
        before = conn.execute("select updated_at from tickets where ticket_id = %s", (ticket,))
        old = before.fetchone()[0]
        conn.execute(
            "update tickets set updated_at = '2031-01-01', status = 'solved' where ticket_id = %s",
            (ticket,),
        )
    try:
        page = get(f"{api}/api/tickets/export", start_time="2030-12-31T00:00:00Z").json()
        assert [r["ticket_id"] for r in page["tickets"]] == [ticket]
    finally:
        with connect(demo_company, "helpdesk") as conn:
            conn.execute("update tickets set updated_at = %s where ticket_id = %s", (old, ticket))
