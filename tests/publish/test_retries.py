"""One retry budget per request (ladder.retries), against real HTTP servers on loopback:
a destination that is down, one that hangs, one that comes back half-way through, and
one that refuses the batch. Each retry is logged with its cause and its wait; a spent
budget is one error naming the system and what it met last."""

from __future__ import annotations

import json
import logging
import re
import socket
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from ladder.errors import LadderError
from ladder.publish.batches import BatchClient
from ladder.retries import RetriesExhausted, RetryBudget
from tests.conftest import free_port
from tests.loopback import LoopbackServer

BODY = '{"members":[{"customer_id":"C1"}]}'
SYSTEM = "the marketing destination (a test server)"


class Destination(LoopbackServer):
    """Answers each POST with the next of `answers` (status, Retry-After), then 200,
    and keeps each request's Idempotency-Key."""

    def __init__(self, answers: list[tuple[int, str | None]]) -> None:
        super().__init__()
        self.answers = answers
        self.keys: list[str] = []

    def answer(self, method, path, headers, body):
        self.keys.append(headers["Idempotency-Key"])
        status, after = self.answers.pop(0) if self.answers else (200, None)
        reply = json.dumps({"rejected": []} if status == 200 else {"error": "busy"})
        return status, {} if after is None else {"Retry-After": after}, reply.encode()


@contextmanager
def hanging_server() -> Iterator[str]:
    """Accepts connections and never answers."""
    with socket.socket() as listening:
        listening.bind(("127.0.0.1", 0))
        listening.listen()
        yield f"http://127.0.0.1:{listening.getsockname()[1]}"


def client(url: str, attempts: int, seconds: float) -> BatchClient:
    return BatchClient(url, "token", RetryBudget(SYSTEM, attempts, seconds))


def retries_logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "ladder.retries"]


def test_a_destination_that_is_down_fails_once_its_tries_are_spent(caplog) -> None:
    caplog.set_level(logging.WARNING, logger="ladder.retries")
    with pytest.raises(RetriesExhausted) as failed:
        client(f"http://127.0.0.1:{free_port()}", attempts=3, seconds=60).send("/b", BODY, "k")
    message = str(failed.value)
    assert message.startswith(f"{SYSTEM}: gave up after 3 tries")
    assert "the budget is 3 tries in 60 s" in message
    assert "ConnectionError" in message
    logged = retries_logged(caplog)
    assert len(logged) == 2  # a warning before each of the two retries
    assert all(re.search(r"try \d of 3 failed \(ConnectionError.*trying again in [\d.]+ s", m)
               for m in logged)  # fmt: skip


def test_a_destination_that_hangs_fails_within_the_budgets_seconds() -> None:
    with hanging_server() as url, pytest.raises(RetriesExhausted) as failed:
        client(url, attempts=10, seconds=1.5).send("/b", BODY, "k")
    # The read timeout is what is left of the budget, so no second try fits in it.
    assert re.search(r"gave up after 1 try .* the last: ReadTimeout", str(failed.value))


def test_a_destination_that_comes_back_half_way_gets_the_batch_once(caplog) -> None:
    caplog.set_level(logging.WARNING, logger="ladder.retries")
    with Destination([(503, None), (429, "1")]) as destination:
        rejected = client(destination.url, attempts=5, seconds=60).send("/b", BODY, "key-1")
    assert rejected == {}
    # Three tries of one batch, all under its key: the destination applies it once.
    assert destination.keys == ["key-1"] * 3
    first, second = retries_logged(caplog)
    assert "answered HTTP 503" in first
    assert "answered HTTP 429" in second
    # The second wait honours the answer's Retry-After.
    assert float(re.search(r"trying again in ([\d.]+) s", second).group(1)) >= 1.0


def test_a_refused_batch_is_not_tried_again(caplog) -> None:
    caplog.set_level(logging.WARNING, logger="ladder.retries")
    with Destination([(400, None)]) as destination, pytest.raises(LadderError) as failed:
        client(destination.url, attempts=5, seconds=60).send("/b", BODY, "k")
    assert not isinstance(failed.value, RetriesExhausted)
    assert str(failed.value).startswith(f"{SYSTEM} answered 400 for a batch")
    assert destination.keys == ["k"]
    assert retries_logged(caplog) == []
