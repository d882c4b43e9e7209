"""Outreach memory and connected programs (DESIGN §6), on a random customer mix built by
dbt with the project's own tests (the stand-ins of tests/transform/standins.py), and a delivery log
written as `ladder publish` writes it:

- marts.treatment_history versions what each system held, night by night, from the
  deliveries before D only;
- a customer in service recovery gets no promotional marketing until the window closes;
- the contact-frequency cap keeps a recent promotional treatment instead of moving the
  customer to another, until the cap has passed, and never against consent or recovery.
"""

from __future__ import annotations

import csv
import uuid
from datetime import date, timedelta

import numpy as np
import psycopg
import pytest

from ladder import config
from ladder.transform.stages import INDIRECT_SELECTION
from tests.conftest import dbt_build
from tests.transform.standins import (
    EXCLUDE,
    SELECT,
    D,
    no_unreadable_consent_nor_suppression,
    random_mix,
    write,
)

SEEDS = config.PROJECT_ROOT / "dbt_project" / "seeds"
HISTORY = ["stg_ops__publish_deliveries", "treatment_history"]
LISTS = [*HISTORY, "treatment_marketing", "treatment_service"]


def seed(name: str) -> list[dict[str, str]]:
    with (SEEDS / f"{name}.csv").open() as rows:
        return list(csv.DictReader(rows))


PROMOTIONAL = {r["treatment_code"] for r in seed("treatment_catalogue")
               if r["is_promotional"] == "true"}  # fmt: skip
POLICY = {r["system"]: r for r in seed("contact_policy")}
CAP = int(POLICY["marketing"]["contact_cap_days"])
RECOVERY = POLICY["service"]["recovery_treatment_code"]
WINDOW = int(POLICY["service"]["recovery_window_days"])


def deliver(url: str, night: date, rows: list[tuple[str, str, str | None, str]]) -> None:
    """Log (destination, customer, treatment code, action) as delivered on `night`, under
    a publish run of their own, as the ledger records them."""
    with psycopg.connect(url) as conn:
        for destination in sorted({r[0] for r in rows}):
            (run_id,) = conn.execute(
                "insert into ops.publish_runs (destination, as_of_date, dry_run, full_resync,"
                " upserts, removals, status) values (%s, %s, false, false, 0, 0, 'succeeded')"
                " returning run_id",
                (destination, night),
            ).fetchone()
            conn.cursor().executemany(
                "insert into ops.publish_deliveries (destination, customer_id, as_of_date,"
                " system, treatment_code, action, run_id) values (%s, %s, %s, %s, %s, %s, %s)",
                [
                    (d, c, night, "marketing" if d == "marketing" else "service", code, a, run_id)
                    for d, c, code, a in rows
                    if d == destination
                ],
            )


def build(url: str, as_of: date, select: list[str]) -> None:
    dbt_build(url, as_of, ["build", "--select", *select, *EXCLUDE, "--indirect-selection",
                           INDIRECT_SELECTION])  # fmt: skip


def rows(url: str, query: str) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(query).fetchall()


@pytest.fixture()
def mix(warehouse) -> str:
    """A random customer mix in a database of its own, built for D without deliveries."""
    database = f"out_{uuid.uuid4().hex[:10]}"
    warehouse.ensure_database(database)
    url = warehouse.url(database)
    write(url, random_mix(np.random.default_rng(7), 600))
    no_unreadable_consent_nor_suppression(url)
    build(url, D, SELECT)
    return url


def marketing(url: str) -> dict[str, tuple[str, str, int]]:
    return {
        c: (code, reason, priority)
        for c, code, reason, priority in rows(
            url,
            "select customer_id, treatment_code, reason, rule_priority"
            " from marts.treatment_marketing",
        )
    }


def test_treatment_history_versions_three_nights_of_deliveries(mix) -> None:
    url = mix
    n1, n2, n3 = D - timedelta(days=3), D - timedelta(days=2), D - timedelta(days=1)
    deliver(url, n1, [("service", "C00001", RECOVERY, "upsert"),
                      ("service_table", "C00001", RECOVERY, "upsert"),
                      ("marketing", "C00002", "GROW_CROSS_SELL", "upsert")])  # fmt: skip
    deliver(url, n2, [("service_table", "C00001", "PRIORITY_SUPPORT", "upsert"),
                      ("service", "C00001", "PRIORITY_SUPPORT", "upsert"),
                      ("marketing", "C00002", "GROW_CROSS_SELL", "upsert")])  # fmt: skip
    deliver(url, n3, [("marketing", "C00002", "GROW_CROSS_SELL", "removal")])
    deliver(url, D, [("marketing", "C00002", "WINBACK", "upsert")])
    query = (
        "select customer_id, system, treatment_code, valid_from, valid_to, is_current"
        " from marts.treatment_history order by 1, 2, 4"
    )
    build(url, D, HISTORY)
    at_d = rows(url, query)
    assert at_d == [
        ("C00001", "service", RECOVERY, n1, n2, False),
        ("C00001", "service", "PRIORITY_SUPPORT", n2, None, True),
        ("C00002", "marketing", "GROW_CROSS_SELL", n1, n3, False),
    ]
    assert rows(url, "select distinct as_of_date from marts.treatment_history") == [(D,)]
    # A rerun of D changes nothing; the night before saw the first two nights only.
    build(url, D, HISTORY)
    assert rows(url, query) == at_d
    build(url, n3, HISTORY)
    assert rows(url, query) == [
        ("C00001", "service", RECOVERY, n1, n2, False),
        ("C00001", "service", "PRIORITY_SUPPORT", n2, None, True),
        ("C00002", "marketing", "GROW_CROSS_SELL", n1, None, True),
    ]


def test_recovery_holds_back_promotions_and_the_cap_keeps_a_recent_treatment(mix) -> None:
    url = mix
    before = marketing(url)
    promoted = sorted(c for c, (code, _, _) in before.items() if code in PROMOTIONAL)
    assert len(promoted) >= 8
    other = {code: next(o for o in sorted(PROMOTIONAL - {"ADVOCATE_REFERRAL"}) if o != code)
             for code in PROMOTIONAL}  # fmt: skip
    in_recovery, recovered, capped, released, same, both = (
        promoted[0],
        promoted[1],
        promoted[2],
        promoted[3],
        promoted[4],
        promoted[5],
    )
    # Without consent, a recent promotion is never kept (nor is anything sent but the
    # suppression treatment).
    query = "select customer_id from marts.customer_segments where not has_marketing_consent"
    unconsented = min(c for (c,) in rows(url, query))
    deliver(url, D - timedelta(days=WINDOW - 1), [("service", in_recovery, RECOVERY, "upsert")])
    deliver(url, D - timedelta(days=WINDOW), [("service_table", recovered, RECOVERY, "upsert")])
    deliver(url, D - timedelta(days=CAP - 1), [
        ("marketing", capped, other[before[capped][0]], "upsert"),
        ("marketing", same, before[same][0], "upsert"),
        ("marketing", both, other[before[both][0]], "upsert"),
        ("marketing", unconsented, "GROW_CROSS_SELL", "upsert"),
    ])  # fmt: skip
    deliver(url, D - timedelta(days=CAP), [("marketing", released, other[before[released][0]],
                                            "upsert")])  # fmt: skip
    deliver(url, D - timedelta(days=2), [("service", both, RECOVERY, "upsert")])
    build(url, D, LISTS)
    after = marketing(url)

    for customer in (in_recovery, both):
        # The next non-promotional match (the suppression rule needs a Terrorist), or none.
        assert customer not in after or after[customer][0] not in PROMOTIONAL
    assert after[recovered] == before[recovered]  # the window closed on D
    code, reason, priority = after[capped]
    assert code == other[before[capped][0]] != before[capped][0]
    assert f"Kept by the contact cap: delivered since {D - timedelta(days=CAP - 1)}" in reason
    assert f"{before[capped][0]} waits" in reason
    rules = {int(r["priority"]): r for r in seed("treatment_rules") if r["system"] == "marketing"}
    assert rules[priority]["treatment_code"] == code  # the payload's reason is the kept rule's
    assert after[released] == before[released]  # first delivered CAP days ago: free to move
    assert after[same] == before[same]
    assert after.get(unconsented) == before.get(unconsented)
    # Everyone else is untouched.
    touched = {in_recovery, recovered, capped, released, same, both, unconsented}
    assert {c: v for c, v in after.items() if c not in touched} == {
        c: v for c, v in before.items() if c not in touched
    }

    # Once the cap and the window have passed, both get today's match again.
    later = D + timedelta(days=1)
    build(url, later, LISTS)
    assert rows(url, "select count(*) from marts.treatment_history where is_current") == [(8,)]
    # (The mix's segments move with D, so "today's match" is today's list without memory.)
    with psycopg.connect(url) as conn:
        conn.execute("delete from ops.publish_deliveries")
    build(url, later, LISTS)
    free = marketing(url)
    deliver(url, D - timedelta(days=WINDOW - 1), [("service", in_recovery, RECOVERY, "upsert")])
    deliver(url, D - timedelta(days=CAP - 1), [
        ("marketing", capped, other[before[capped][0]], "upsert")
    ])  # fmt: skip
    build(url, later, LISTS)
    assert marketing(url)[in_recovery] == free[in_recovery]
    assert marketing(url)[capped] == free[capped]
