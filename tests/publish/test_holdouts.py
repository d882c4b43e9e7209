"""Held-out customers are never sent (docs/holdouts.md): built by dbt from a random customer
mix and published over loopback to the marketing and service sandboxes, the service desk's
table and the daily file, no destination holds a customer held out of their treatment; when
the holdout shares rise, the customers who became holdouts are removed from every
destination that held them, and nobody else is."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import psycopg

from ladder.publish.files import drop_service_file
from ladder.publish.run import publish
from ladder.transform.stages import INDIRECT_SELECTION
from tests.conftest import dbt_build
from tests.publish.conftest import desk, held, sandbox
from tests.publish.test_payloads import PAYLOADS, random_tickets, write_tickets
from tests.publish.vocabulary import file_records
from tests.transform.standins import (
    EXCLUDE,
    SELECT,
    D,
    no_unreadable_consent_nor_suppression,
    random_mix,
    write,
)

LISTS = ["treatment_marketing", "treatment_service", *PAYLOADS]


def groups(url: str, system: str) -> tuple[set[str], set[str]]:
    """(treated, held out) customers of one treatment mart."""
    with psycopg.connect(url) as conn:
        listed = conn.execute(
            f"select customer_id, is_holdout from marts.treatment_{system}"
        ).fetchall()
    return {c for c, h in listed if not h}, {c for c, h in listed if h}


def present(state: Path) -> set[str]:
    return {c for c, (is_present, _, _) in held(state).items() if is_present}


def test_no_destination_holds_a_holdout_and_a_new_holdout_is_removed(world) -> None:
    url, ports, folder = world
    rng = np.random.default_rng(23)
    tables = random_mix(rng, 600)
    write(url, tables)
    no_unreadable_consent_nor_suppression(url)
    write_tickets(url, random_tickets(rng, list(tables["staging.stg_shop__customers"].customer_id)))
    dbt_build(url, D, ["build", "--select", *SELECT, *PAYLOADS, *EXCLUDE])
    states = {s: folder / f"{s}.sqlite" for s in ("marketing", "service")}

    def publish_and_check() -> dict[str, tuple[set[str], set[str]]]:
        with sandbox("marketing", ports, folder), sandbox("service", ports, folder):
            results = publish(D, warehouse_url=url)
        assert all(r.rejected == 0 for r in results)
        lists = {system: groups(url, system) for system in states}
        for system, (treated, _) in lists.items():
            assert present(states[system]) == treated, system
        service_treated, service_held = lists["service"]
        assert set(desk(url)) == service_treated
        drop = Path(drop_service_file(D, url).removeprefix("file://"))
        assert {r["customer_id"] for r in file_records(drop)} == service_treated
        assert not service_held & set(desk(url))
        return lists

    # The seed's defaults: promotional marketing holds some out, service nobody.
    first = publish_and_check()
    assert len(first["marketing"][1]) > 10 and len(first["marketing"][0]) > 100
    assert first["service"][1] == set() and len(first["service"][0]) > 100

    # Every treatment but the protections (the catalogue's transactional ones) now holds
    # out half its customers, for this test only (the seed table, not the CSV).
    with psycopg.connect(url) as conn:
        conn.execute(
            "update staging.treatment_rules set holdout_share = 0.5 where treatment_code in"
            " (select treatment_code from staging.treatment_catalogue where not is_transactional)"
        )
    dbt_build(url, D, ["build", "--select", *LISTS, *EXCLUDE, "--indirect-selection",
                       INDIRECT_SELECTION])  # fmt: skip
    second = publish_and_check()
    for system, state in states.items():
        became_holdouts = first[system][0] & second[system][1]
        assert len(became_holdouts) > 20, system
        records = held(state)
        # Removed once each, and nobody else was removed.
        assert {c for c, (p, _, removed) in records.items() if removed} == became_holdouts
        assert all(records[c] == (0, 1, 1) for c in became_holdouts)
