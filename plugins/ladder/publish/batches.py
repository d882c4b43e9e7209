"""The HTTP JSON batch destination: the marketing audience API and the service profile
API (the sandboxes' contracts, README: Destination sandboxes).

Every batch carries an Idempotency-Key derived from the destination, D and the batch's
content, so a batch resent after a lost answer (a dropped connection, a timeout, a run
killed and rerun) is applied once. The session resends within the destination's retry
budget (ladder.retries): dropped connections, timeouts, 429 and 5xx, honouring
Retry-After.
"""

from __future__ import annotations

import hashlib

from ladder.errors import LadderError
from ladder.retries import BudgetedSession, RetryBudget


class BatchClient:
    def __init__(self, base_url: str, token: str | None, budget: RetryBudget) -> None:
        self.base_url = base_url.rstrip("/")
        self.origin = budget.system
        self.session = BudgetedSession(budget)
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"

    def send(self, path: str, payload: str, key: str) -> dict[int, str]:
        """POST one batch (its JSON body); returns the rejected records (index -> reason)."""
        answer = self.session.post(
            self.base_url + path,
            data=payload,
            headers={"Content-Type": "application/json", "Idempotency-Key": key},
        )
        if answer.status_code not in (200, 207):
            raise LadderError(
                f"{self.origin} answered {answer.status_code} for a batch: {answer.text[:300]}"
            )
        try:
            result = answer.json()
        except ValueError:
            raise LadderError(
                f"{self.origin} answered {answer.status_code} with a body that is not JSON:"
                f" {answer.text[:300]}"
            ) from None
        return {r["index"]: r["reason"] for r in result.get("rejected", [])}


def batch_key(destination: str, as_of: str, action: str, payload: str) -> str:
    """The same batch (destination, D, action and body) always gets the same key."""
    return hashlib.sha256(f"{destination}\n{as_of}\n{action}\n{payload}".encode()).hexdigest()
