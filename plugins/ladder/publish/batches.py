"""The HTTP JSON batch destination: the marketing audience API and the service profile
API (the sandboxes' contracts, README: Destination sandboxes).

Every batch carries an Idempotency-Key derived from the destination, D and the batch's
content, so a batch resent after a lost answer (a dropped connection, a timeout, a run
killed and rerun) is applied once. urllib3's Retry resends on 429 and 5xx with
exponential backoff and jitter, honouring Retry-After; a transport error (a connection
dropped half-way through the answer) is resent here, with the same key.
"""

from __future__ import annotations

import hashlib
import random
import time

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from ladder.errors import LadderError

TRANSPORT_ATTEMPTS = 8


class BatchClient:
    def __init__(self, base_url: str, token: str | None, origin: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.origin = origin
        self.session = requests.Session()
        retry = Retry(
            total=10,
            backoff_factor=0.2,
            backoff_max=20,
            backoff_jitter=0.3,
            status_forcelist=(429, 500, 502, 503, 504),
            allowed_methods=None,  # POST too: every batch is idempotent by its key
            respect_retry_after_header=True,
            raise_on_status=False,
        )
        self.session.mount(self.base_url, HTTPAdapter(max_retries=retry))
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"

    def send(self, path: str, payload: str, key: str) -> dict[int, str]:
        """POST one batch (its JSON body); returns the rejected records (index -> reason)."""
        attempt = 0
        while True:
            attempt += 1
            try:
                answer = self.session.post(
                    self.base_url + path,
                    data=payload,
                    headers={"Content-Type": "application/json", "Idempotency-Key": key},
                    timeout=(5, 30),
                )
                result = answer.json() if answer.status_code in (200, 207) else None
            except (requests.ConnectionError, requests.Timeout,
                    requests.exceptions.ChunkedEncodingError, ValueError) as exc:  # fmt: skip
                if attempt == TRANSPORT_ATTEMPTS:
                    raise LadderError(
                        f"{self.origin}: no answer for a batch after {attempt} attempts ({exc})"
                    ) from None
                time.sleep(min(20.0, 0.2 * 2**attempt) * (0.5 + random.random()))
                continue
            if result is None:
                raise LadderError(
                    f"{self.origin} answered {answer.status_code} for a batch: {answer.text[:300]}"
                )
            return {r["index"]: r["reason"] for r in result.get("rejected", [])}


def batch_key(destination: str, as_of: str, action: str, payload: str) -> str:
    """The same batch (destination, D, action and body) always gets the same key."""
    return hashlib.sha256(f"{destination}\n{as_of}\n{action}\n{payload}".encode()).hexdigest()
