"""Consent fails closed, as a property over random consent histories (DESIGN §6).

Each example gives a few hundred demo customers a random consent history, with every
malformed shape of issue 19 (`OPTED_OUT`, `opted_out `, no recorded_at) and more (an
unknown status, an implausible or future recorded_at, no updated_at, no consent_id),
duplicates (two different rows at one version of a consent_id),
ties (an opt-in and an opt-out at one instant), corrected versions, records updated
after D, and rows on the suppression list; then extracts and builds a whole night. An
oracle written here from the rule's words, over the histories as sent, decides who is
marketable: nobody else is in a marketing list (the suppression treatment aside), and
everybody it finds marketable has marketing consent in dim_customers. validate_marts'
own recomputation (ladder.quality.consent) must find exactly the oracle's customers.

An example costs a full extract and build, so there are few, and no shrinking.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

import psycopg
from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis import strategies as st

from ladder.quality.consent import marketable_customers
from tests.publish.consent_nights import (
    AS_OF,
    EARLIEST,
    EXTRACTED_ON,
    ConsentWorld,
    D,
    consent_world,
    drop,
    night,
)

__all__ = ["consent_world"]

POPULATION = 250
EARLIEST_PLAUSIBLE = datetime(2000, 1, 1, tzinfo=D.tzinfo)
LATEST_KNOWN = datetime(EXTRACTED_ON.year, EXTRACTED_ON.month, EXTRACTED_ON.day, tzinfo=D.tzinfo)

# kind: (status, how its recorded_at and updated_at are made from its instant)
KINDS = {
    "in": "opted_in",
    "out": "opted_out",
    "out in capitals": "OPTED_OUT",
    "out with a trailing space": "opted_out ",
    "in in capitals": "Opted_In",
    "unknown status": "maybe",
    "no status": None,
    "out without recorded_at": "opted_out",
    "in recorded in 1990": "opted_in",
    "out recorded after D": "opted_out",
    "out without updated_at": "opted_out",
    "out without any time": "opted_out",
    "out without consent_id": "opted_out",
    "out updated after D": "opted_out",
    "in updated after D": "opted_in",
    "out in capitals updated after D": "OPTED_OUT",
}
READABLE = {"opted_in", "opted_out"}
ALWAYS = datetime.max.replace(tzinfo=D.tzinfo)
# How a record relates to the one before it in the customer's history.
# (A row sent twice in one load lands twice in raw, and ops.quarantine's unique test on
# raw_row_hash then stops the night: that is the extract's to fix, so not generated here.)
LINKS = ["new", "new", "new", "corrects the previous", "twin of the previous"]

# Readable records are the common case, every malformed shape comes up.
record = st.tuples(
    st.sampled_from(["in"] * 8 + ["out"] * 4 + list(KINDS)),
    st.integers(0, 7),
    st.sampled_from(LINKS),
)
history = st.lists(record, max_size=4)
suppressed = st.sampled_from([None] * 12 + ["by id", "by e-mail", "by tagged e-mail"])


def instant(slot: int) -> datetime:
    """Eight instants a fortnight apart, the last a month before D: histories that pick
    the same slot tie."""
    return EARLIEST + timedelta(days=10 + 15 * slot)


def history_rows(customer: str, steps: list[tuple[str, int, str]], ids: list[int]) -> list:
    """The rows the source sends for one customer's history."""
    rows: list[tuple] = []
    for kind, slot, link in steps:
        at = instant(slot)
        status = KINDS[kind]
        recorded, updated = at, at + timedelta(hours=slot % 3)
        if kind == "out without recorded_at":
            recorded = None
        elif kind == "in recorded in 1990":
            recorded = datetime(1990, 1, 1, tzinfo=D.tzinfo)
        elif kind == "out recorded after D":
            recorded = D + timedelta(days=2)
        elif kind == "out without updated_at":
            updated = None
        elif kind == "out without any time":
            recorded = updated = None
        elif kind.endswith("updated after D"):
            updated = D + timedelta(days=1 + slot)
        previous = rows[-1] if rows else None
        ids[0] += 1
        consent_id = None if kind == "out without consent_id" else f"H{ids[0]:06d}"
        if previous and previous[0] and previous[4] and link != "new":
            consent_id = previous[0]
            if link == "corrects the previous" and updated is not None:
                updated = max(updated, previous[4] + timedelta(hours=1))
            elif link == "twin of the previous":
                updated = previous[4]
        row = (consent_id, customer, status, recorded, updated)
        if row not in rows:  # a row sent twice is the extract's case, see LINKS
            rows.append(row)
    return rows


def normalised(email: str) -> str:
    local, _, domain = email.strip().lower().rpartition("@")
    return f"{local.split('+')[0]}@{domain}"


def oracle(rows: list[tuple], emails: dict[str, str], suppression: list[tuple]) -> set[str]:
    """Who is marketable at D, from the rows the source sent, in the words of DESIGN §6."""
    # Raw holds what the extract read (updated before it ran, or without updated_at),
    # each distinct row once; D knows what was updated before D.
    landed = {r for r in rows if r[4] is None or r[4] < LATEST_KNOWN}
    known = [r for r in landed if r[4] is None or r[4] < D]
    records: list[tuple[tuple, bool]] = []  # (row, several different rows at its version)
    versions = defaultdict(list)
    for row in known:
        if row[0] and row[4] is not None:
            versions[row[0]].append(row)
        else:
            records.append((row, False))
    for rows_of_id in versions.values():
        latest = max(r[4] for r in rows_of_id)
        current = [r for r in rows_of_id if r[4] == latest]
        records += [(r, len(current) > 1) for r in current]

    def usable(at: datetime | None) -> bool:
        return at is not None and EARLIEST_PLAUSIBLE <= at < D

    readable = defaultdict(list)
    blocked_from: dict[str, datetime] = {}
    for (consent_id, customer, status, recorded, updated), twin in records:
        if consent_id and updated and not twin and status in READABLE and usable(recorded):
            readable[customer].append((recorded, status))
        else:
            # Made at its usable recorded_at, else at its updated_at, else the latest.
            since = recorded if usable(recorded) else (updated or ALWAYS)
            blocked_from[customer] = max(since, blocked_from.get(customer, since))
    addresses = {normalised(email) for _, email in suppression if email}
    named = {c for c, _ in suppression if c}
    named |= {c for c, email in emails.items() if email and normalised(email) in addresses}
    marketable = set()
    for customer, made in readable.items():
        # The latest record decides; at one instant an opt-out beats an opt-in.
        at, status = max(made, key=lambda m: (m[0], m[1] == "opted_out"))
        unblocked = blocked_from.get(customer, at - timedelta(seconds=1)) < at
        if status == "opted_in" and unblocked and customer not in named:
            marketable.add(customer)
    return marketable


@settings(
    max_examples=4,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
    ],
)
@given(
    histories=st.lists(history, min_size=POPULATION, max_size=POPULATION),
    listed=st.lists(suppressed, min_size=POPULATION, max_size=POPULATION),
)
def test_only_customers_marketable_by_the_rule_are_in_a_marketing_list(
    consent_world: ConsentWorld, tmp_path_factory, histories, listed
) -> None:
    population = list(consent_world.population[10 : 10 + POPULATION])
    assert len(population) == POPULATION
    ids = [0]
    rows = [
        row
        for customer, steps in zip(population, histories, strict=True)
        for row in history_rows(customer, steps, ids)
    ]
    suppression = [("C-NOBODY", None), (None, "nobody@example.com")]
    for customer, how in zip(population, listed, strict=True):
        local, _, domain = consent_world.emails[customer].rpartition("@")
        if how == "by id":
            suppression.append((customer, None))
        elif how == "by e-mail":
            suppression.append((None, consent_world.emails[customer]))
        elif how == "by tagged e-mail":
            suppression.append((None, f" {local.upper()}+Promo@{domain.upper()}"))
    with psycopg.connect(consent_world.warehouse.url(consent_world.shop_template)) as conn:
        demo_rows = conn.execute(
            "select consent_id, customer_id, status, recorded_at, updated_at"
            " from marketing_consent where customer_id <> all(%s)",
            (population,),
        ).fetchall()
        emails = dict(conn.execute("select customer_id, email from customers").fetchall())

    marketable = oracle([*demo_rows, *rows], emails, suppression)
    # Only populations that exercise both sides of the rule are worth a night's build.
    assume(len(marketable & {*population}) > 10 and len({*population} - marketable) > 100)

    target = night(consent_world, rows, suppression, tmp_path_factory.mktemp("dlt"), population)
    try:
        with psycopg.connect(target.url) as conn:
            in_lists = {
                c
                for c, code in conn.execute(
                    "select customer_id, treatment_code from marts.treatment_marketing"
                )
                if code != "SUPPRESS_PROMOTIONS"
            }
            consented = dict(
                conn.execute("select customer_id, has_marketing_consent from marts.dim_customers")
            )
            gate = {c for (c,) in conn.execute(marketable_customers(f"date '{AS_OF}'"))}
    finally:
        drop(target.server, target.database)

    expected = marketable & consented.keys()
    assert {*population} <= consented.keys()
    assert in_lists <= expected
    assert {c for c, yes in consented.items() if yes} == expected
    assert gate & consented.keys() == expected
