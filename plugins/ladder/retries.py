"""One retry budget per system Ladder talks to over HTTP: the helpdesk API it extracts
from and the marketing and service APIs it publishes to (`retry:` under each in
ladder.yml; docs/retries.md).

A request may take `attempts` tries and `seconds` in all, waits and timeouts included;
nothing beneath retries again inside a try (the session has no urllib3 or dlt retry of
its own), so the worst case is the budget, not a product of layers. Every retry is
logged with its cause and its wait. When the budget is spent, the request fails with one
error naming the system, what it answered last and the budget; Airflow's task retry (or
the next night) then starts a fresh budget, and the Idempotency-Keys make a resent batch
apply once.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import TypeVar

import requests
import tenacity
from requests.hooks import default_hooks, dispatch_hook

from ladder.errors import LadderError

log = logging.getLogger(__name__)

T = TypeVar("T")

# Answers that say "not now": rate limited, or the server's trouble, not the request's.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
# The longest wait between tries, whatever the backoff or a Retry-After asks for.
MAX_WAIT = 30.0
CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 30.0


class Retryable(Exception):
    """A try that failed for a reason another try may not meet."""

    def __init__(self, cause: str, retry_after: float | None = None) -> None:
        super().__init__(cause)
        self.retry_after = retry_after


class RetriesExhausted(LadderError):
    """The budget is spent; chained to the last try's own error."""


@dataclass(frozen=True)
class RetryBudget:
    system: str  # what the log and the error call it, with where its settings live
    attempts: int
    seconds: float

    def call(self, attempt: Callable[[float], T]) -> T:
        """`attempt(seconds_left)` until it returns, raising Retryable to try again,
        within the budget."""
        began = time.monotonic()
        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception_type(Retryable),
            stop=tenacity.stop_after_attempt(self.attempts)
            | tenacity.stop_before_delay(self.seconds),
            wait=_wait,
            before_sleep=self._log_retry,
            reraise=True,
        )
        try:
            return retrying(lambda: attempt(max(self.seconds - (time.monotonic() - began), 0.1)))
        except Retryable as last:
            tries = retrying.statistics.get("attempt_number", self.attempts)
            raise RetriesExhausted(
                f"{self.system}: gave up after {tries} {'try' if tries == 1 else 'tries'} in "
                f"{time.monotonic() - began:.0f} s (the budget is {self.attempts} tries in "
                f"{self.seconds:g} s); the last: {last}"
            ) from (last.__cause__ or last)

    def _log_retry(self, state: tenacity.RetryCallState) -> None:
        log.warning(
            "%s: try %d of %d failed (%s); trying again in %.1f s",
            self.system, state.attempt_number, self.attempts,
            state.outcome.exception() if state.outcome else "?", state.upcoming_sleep,
        )  # fmt: skip


_backoff = tenacity.wait_exponential_jitter(multiplier=0.5, max=MAX_WAIT, jitter=0.5)


def _wait(state: tenacity.RetryCallState) -> float:
    """Exponential backoff with jitter, or longer when the answer said Retry-After."""
    failure = state.outcome.exception() if state.outcome else None
    asked = getattr(failure, "retry_after", None) or 0.0
    return min(max(_backoff(state), asked), MAX_WAIT)


def retry_after(value: str | None) -> float | None:
    """Retry-After in seconds: a number of seconds or an HTTP date."""
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        return max(parsedate_to_datetime(value).timestamp() - time.time(), 0.0)
    except (TypeError, ValueError):
        return None


class BudgetedSession(requests.Session):
    """A requests session whose every request spends one RetryBudget: a connection
    refused or dropped, a timeout, or a RETRY_STATUSES answer is tried again; any
    other answer, or the last, is the caller's (and its hooks') to judge."""

    def __init__(self, budget: RetryBudget) -> None:
        super().__init__()
        self.budget = budget

    def send(self, request: requests.PreparedRequest, **kwargs) -> requests.Response:
        def attempt(left: float) -> requests.Response:
            kwargs["timeout"] = (min(CONNECT_TIMEOUT, left), min(READ_TIMEOUT, left))
            try:
                response = requests.Session.send(self, request, **kwargs)
            except (requests.ConnectionError, requests.Timeout,
                    requests.exceptions.ChunkedEncodingError) as exc:  # fmt: skip
                raise Retryable(f"{type(exc).__name__}: {exc}") from exc
            if response.status_code in RETRY_STATUSES:
                raise Retryable(
                    f"answered HTTP {response.status_code}: {response.text[:200]}",
                    retry_after(response.headers.get("Retry-After")),
                )
            return response

        # The request's response hooks (dlt's raise_for_status among them) judge the
        # answer the budget ends with, not each try: requests runs them inside send.
        hooks, request.hooks = request.hooks, default_hooks()
        try:
            response = self.budget.call(attempt)
        finally:
            request.hooks = hooks
        return dispatch_hook("response", hooks, response, **kwargs)


def budget(system: str, settings: dict) -> RetryBudget:
    """The budget in a system's `retry:` settings (`system` names where they live)."""
    retry = settings["retry"]
    return RetryBudget(system, int(retry["attempts"]), float(retry["seconds"]))
