"""The payload models (DESIGN §7), built by dbt with their tests from a random customer
mix and random helpdesk tickets: each holds exactly its list's customers, the winning
rule's reason for the customer and, for service, the agent's facts recomputed here from
the random tickets; what `ladder publish` and the daily file then deliver carries no
internal label. A label planted in a rule's customer reason fails the build."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import psycopg
import pytest

from ladder.errors import LadderError
from ladder.publish.files import drop_service_file
from ladder.publish.lists import MARKETING, SERVICE
from ladder.publish.run import publish
from ladder.transform import run_dbt
from tests.conftest import dbt_build
from tests.publish.conftest import sandbox
from tests.publish.test_publish import customer_reasons
from tests.publish.vocabulary import assert_destinations_clean
from tests.transform.standins import (
    EXCLUDE,
    MIDNIGHT,
    SELECT,
    D,
    no_unreadable_consent_nor_suppression,
    random_mix,
    write,
)

PAYLOADS = ["ladder_vocabulary", "payload_marketing_audience", "payload_service_profile"]
NOTE = re.compile(
    r"^(\d+) complaints? in 180 days, (?:last satisfaction (\d)/5 on (\S+)|no satisfaction"
    r" rating), (\d+) open tickets?(?:, (\d+) abuse reports? by \d+ agents? in 365 days)?"
    r"(?:, (\d+) chargebacks? confirmed as fraud in 365 days)?$"
)


def random_tickets(rng: np.random.Generator, ids: list[str]) -> pd.DataFrame:
    """0-4 tickets per customer in the last year; some rated, some complaints, some open,
    and ties on the same instant (told apart by the ticket id)."""
    rows = []
    for customer in ids:
        for _ in range(int(rng.integers(0, 5))):
            at = MIDNIGHT - timedelta(days=int(rng.integers(1, 365)))
            if rows and rows[-1][1] == customer and rng.random() < 0.2:
                at = rows[-1][2]
            rows.append((
                f"T{len(rows):06d}", customer, at, "email", "delivery",
                str(rng.choice(["open", "pending", "solved", "solved"])),
                bool(rng.random() < 0.3),
                int(rng.integers(1, 6)) if rng.random() < 0.5 else None, at,
            ))  # fmt: skip
    columns = ["ticket_id", "customer_id", "created_at", "channel", "category", "ticket_status",
               "is_complaint", "satisfaction", "updated_at"]  # fmt: skip
    tickets = pd.DataFrame(rows, columns=columns)
    tickets["satisfaction"] = tickets["satisfaction"].astype("Int64")
    return tickets


def write_tickets(url: str, tickets: pd.DataFrame) -> None:
    """The stand-in of staging.stg_helpdesk__tickets the service payload reads."""
    with psycopg.connect(url) as conn:
        conn.execute(
            "create table staging.stg_helpdesk__tickets (ticket_id varchar, customer_id varchar,"
            " created_at timestamptz, channel text, category text, ticket_status text,"
            " is_complaint boolean, satisfaction integer, updated_at timestamptz)"
        )
        with conn.cursor().copy("copy staging.stg_helpdesk__tickets from stdin") as copy:
            for row in tickets.itertuples(index=False):
                copy.write_row([None if pd.isna(v) else v for v in row])


def expected_facts(tickets: pd.DataFrame, customer: str) -> tuple:
    """(latest rating, its day, open tickets) of one customer, from the random tickets."""
    own = tickets[tickets.customer_id == customer]
    rated = own[own.satisfaction.notna()].sort_values(["created_at", "ticket_id"])
    latest = rated.iloc[-1] if len(rated) else None
    return (
        None if latest is None else int(latest.satisfaction),
        None if latest is None else latest.created_at.date().isoformat(),
        int((~own.ticket_status.isin(["solved", "closed"])).sum()),
    )


def test_payload_models_send_the_customers_reason_and_the_agents_facts_only(world) -> None:
    url, ports, folder = world
    rng = np.random.default_rng(19)
    tables = random_mix(rng, 500)
    ids = list(tables["staging.stg_shop__customers"].customer_id)
    tickets = random_tickets(rng, ids)
    write(url, tables)
    no_unreadable_consent_nor_suppression(url)
    write_tickets(url, tickets)
    # The consent test recomputes consent from raw, which these stand-ins replace.
    dbt_build(url, D, ["build", "--select", *SELECT, *PAYLOADS, *EXCLUDE])

    reasons = customer_reasons()
    with psycopg.connect(url) as conn:
        for system, lst, mart in (("marketing", MARKETING, "marts.treatment_marketing"),
                                  ("service", SERVICE, "marts.treatment_service")):  # fmt: skip
            columns = [
                c.name for c in conn.execute(f"select * from {lst.mart} limit 0").description
            ]
            assert tuple(columns) == lst.columns
            # Held-out customers are never sent (tests/publish/test_holdouts.py).
            rows = conn.execute(
                f"select list.customer_id, list.rule_priority, payload.reason"
                f" from (select * from {mart} where not is_holdout) as list"
                f" full join {lst.mart} as payload using (customer_id)"
            ).fetchall()
            assert len(rows) > 50
            assert all(reason == reasons[system, priority] for _, priority, reason in rows)
        signals = {c: counts for c, *counts in conn.execute(
            "select customer_id, recent_complaints, abuse_reports, fraud_chargebacks"
            " from intermediate.int_customer_signals_summarised"
        )}  # fmt: skip
        notes = conn.execute(f"select customer_id, agent_note from {SERVICE.mart}").fetchall()
    for customer, note in notes:
        match = NOTE.match(note)
        assert match, note
        complaints, rating, rated_on, unsolved, abuse, fraud = match.groups()
        assert [int(complaints), int(abuse or 0), int(fraud or 0)] == signals[customer], note
        facts = (int(rating) if rating else None, rated_on, int(unsolved))
        assert facts == expected_facts(tickets, customer), note

    with sandbox("marketing", ports, folder), sandbox("service", ports, folder):
        results = publish(D, warehouse_url=url)
    assert all(r.sent > 50 and r.rejected == 0 for r in results)
    drop = Path(drop_service_file(D, url).removeprefix("file://"))
    scanned = assert_destinations_clean(
        sandboxes=[folder / "marketing.sqlite", folder / "service.sqlite"],
        tables=[url + "_desk"],
        files=[drop],
    )
    assert len(scanned) == 4

    # A rule's customer reason that names a rung fails the payload's vocabulary test.
    with psycopg.connect(url) as conn:
        conn.execute(
            "update staging.treatment_rules set customer_reason = 'Thanks, valued Client.'"
            " where system = 'marketing' and priority = 100"
        )
    with pytest.raises(LadderError, match="no_internal_vocabulary_payload_marketing_audience"):
        run_dbt(["build", "--select", "payload_marketing_audience"], D, warehouse_url=url,
                capture=True)  # fmt: skip
