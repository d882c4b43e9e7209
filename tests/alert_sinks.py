"""Where a test's alerts arrive: a real HTTP server and a real SMTP server (aiosmtpd) on
loopback, each keeping what it was sent."""

from __future__ import annotations

import json
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller

from tests.conftest import free_port
from tests.loopback import LoopbackServer


class WebhookSink(LoopbackServer):
    """Answers every POST 200 and keeps its JSON body."""

    def __init__(self) -> None:
        super().__init__()
        self.received: list[dict] = []
        self.connection = f"{self.url}/hooks/ladder"

    def answer(self, method, path, headers, body):
        self.received.append(json.loads(body))
        return 200, {}, b""


class SmtpSink:
    """An SMTP server that keeps every message it is given."""

    def __init__(self) -> None:
        self.received: list[EmailMessage] = []
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        # smtp_default as an AIRFLOW_CONN_ URI: plain SMTP, no login.
        self.connection = f"smtp://127.0.0.1:{self.port}?disable_tls=true&disable_ssl=true"

    async def handle_DATA(self, server, session, envelope) -> str:
        self.received.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"

    def __enter__(self) -> SmtpSink:
        self.controller.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.controller.stop()
