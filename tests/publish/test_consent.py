"""Consent withdrawn today leaves the marketing audience today: dbt builds the lists from a
random customer mix for D, `ladder publish` sends them to the marketing sandbox, then
some listed customers opt out during D; the build and publish of D + 1 remove exactly
them, and every record was applied once."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import psycopg

from ladder.publish.run import publish
from ladder.transform import run_dbt
from ladder.transform.stages import INDIRECT_SELECTION
from tests.publish.conftest import held, sandbox
from tests.publish.vocabulary import assert_destinations_clean
from tests.transform.test_treatment_invariants import MIDNIGHT, SELECT, D, random_mix, write

# The lists and what the marketing audience receives of them, with the tests the nightly
# would run on them (not the service payload's, which is not built here).
BUILD = [*SELECT, "ladder_vocabulary", "payload_marketing_audience",
         "--indirect-selection", INDIRECT_SELECTION]  # fmt: skip


def test_consent_withdrawn_today_removes_the_customer_from_the_audience_today(world) -> None:
    url, ports, folder = world
    write(url, random_mix(np.random.default_rng(11), 600))
    run_dbt(["build", "--select", *BUILD], D, warehouse_url=url, capture=True)
    with sandbox("marketing", ports, folder):
        first = publish(D, ["marketing"], warehouse_url=url)[0]
        with psycopg.connect(url) as conn:
            listed = [
                c
                for (c,) in conn.execute(
                    "select customer_id from marts.treatment_marketing"
                    " where treatment_code <> 'SUPPRESS_PROMOTIONS' order by customer_id"
                )
            ]
            (listed_d,) = conn.execute("select count(*) from marts.treatment_marketing").fetchone()
            leavers = listed[::25]
            conn.cursor().executemany(
                "insert into staging.stg_shop__marketing_consent values"
                " (%s, %s, 'opted_out', %s, %s)",
                [
                    (f"W{n:04d}", c, MIDNIGHT + timedelta(hours=9), MIDNIGHT + timedelta(hours=9))
                    for n, c in enumerate(leavers)
                ],
            )
        following = D + timedelta(days=1)
        run_dbt(["build", "--select", *BUILD], following, warehouse_url=url, capture=True)
        second = publish(following, ["marketing"], warehouse_url=url)[0]
    assert first.sent == listed_d  # D's whole list, the suppression list included
    assert len(leavers) > 5 and second.removals == len(leavers)
    state = held(folder / "marketing.sqlite")
    assert {c for c, (present, _, _) in state.items() if not present} == set(leavers)
    assert all(state[c] == (0, 1, 1) for c in leavers)
    # Nothing applied twice: every application is one record sent.
    applied = sum(count for _, count, _ in state.values())
    assert applied == first.sent + second.sent - second.removals
    assert_destinations_clean(sandboxes=[folder / "marketing.sqlite"])
