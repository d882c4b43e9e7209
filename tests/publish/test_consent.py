"""Consent fails closed (DESIGN §6).

- Consent withdrawn today leaves the marketing audience today: dbt builds the lists from
  a random customer mix for D, `ladder publish` sends them to the marketing sandbox, then
  some listed customers opt out during D; the build and publish of D + 1 remove exactly
  them, and every record was applied once.
- The malformed opt-outs of issue 19 (`OPTED_OUT`, `opted_out `, no recorded_at), sent
  after an opt-in, are found in raw, then in ops.quarantine with their reason, and their
  customers are not marketable; nor are customers on the operator's suppression list.
  Both independent recomputations of the rule (dbt's test, validate_marts) pass on that
  night and catch a list that markets to a blocked customer.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import psycopg
import pytest

from ladder.errors import LadderError
from ladder.publish.run import publish
from ladder.quality.gates import GateFailed, run_gate
from ladder.transform import run_dbt
from ladder.transform.stages import INDIRECT_SELECTION
from tests.conftest import dbt_build
from tests.publish.conftest import held, sandbox
from tests.publish.consent_nights import AS_OF, D, consent_world, drop, night
from tests.publish.vocabulary import assert_destinations_clean
from tests.transform.standins import (
    EXCLUDE,
    MIDNIGHT,
    SELECT,
    no_unreadable_consent_nor_suppression,
    random_mix,
    write,
)
from tests.transform.standins import D as MIX_D

__all__ = ["consent_world"]

OPTED_IN_AT = D - timedelta(days=60)
CHANGED_AT = D - timedelta(days=30)
NOT_READABLE = "status is not opted_in or opted_out"
# kind: (status, recorded_at of the opt-out sent after an opt-in, its quarantine reason)
MALFORMED_OPT_OUTS = {
    "capitals": ("OPTED_OUT", CHANGED_AT, NOT_READABLE),
    "trailing space": ("opted_out ", CHANGED_AT, NOT_READABLE),
    "no recorded_at": ("opted_out", None, "recorded_at is missing"),
}

# The lists and what the marketing audience receives of them, with the tests the nightly
# would run on them (not the service payload's, which is not built here).
BUILD = [*SELECT, "ladder_vocabulary", "payload_marketing_audience", *EXCLUDE,
         "--indirect-selection", INDIRECT_SELECTION]  # fmt: skip


def test_consent_withdrawn_today_removes_the_customer_from_the_audience_today(world) -> None:
    url, ports, folder = world
    write(url, random_mix(np.random.default_rng(11), 600))
    no_unreadable_consent_nor_suppression(url)
    dbt_build(url, MIX_D, ["build", "--select", *BUILD])
    with sandbox("marketing", ports, folder):
        first = publish(MIX_D, ["marketing"], warehouse_url=url)[0]
        with psycopg.connect(url) as conn:
            # Held-out customers are never sent (docs/holdouts.md).
            listed = [
                c
                for (c,) in conn.execute(
                    "select customer_id from marts.treatment_marketing"
                    " where treatment_code <> 'SUPPRESS_PROMOTIONS' and not is_holdout"
                    " order by customer_id"
                )
            ]
            (listed_d,) = conn.execute(
                "select count(*) from marts.treatment_marketing where not is_holdout"
            ).fetchone()
            leavers = listed[::25]
            conn.cursor().executemany(
                "insert into staging.stg_shop__marketing_consent values"
                " (%s, %s, 'opted_out', %s, %s)",
                [
                    (f"W{n:04d}", c, MIDNIGHT + timedelta(hours=9), MIDNIGHT + timedelta(hours=9))
                    for n, c in enumerate(leavers)
                ],
            )
        following = MIX_D + timedelta(days=1)
        dbt_build(url, following, ["build", "--select", *BUILD])
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


@pytest.fixture(scope="module")
def malformed_night(consent_world, tmp_path_factory):
    """One night: three customers opt in, then send a malformed opt-out each; two more
    opt in and are on the suppression list (by id, and by an e-mail address written in
    capitals with a +tag); one only opts in."""
    people = list(consent_world.population[:6])
    consent, suppression = [], []
    for n, customer in enumerate(people):
        consent.append((f"IN-{n}", customer, "opted_in", OPTED_IN_AT, OPTED_IN_AT))
    for n, (status, recorded_at, _) in enumerate(MALFORMED_OPT_OUTS.values()):
        consent.append((f"OUT-{n}", people[n], status, recorded_at, CHANGED_AT))
    local, domain = consent_world.emails[people[4]].split("@")
    suppression = [(people[3], None), (None, f"{local.upper()}+Complaint@{domain.upper()}")]
    target = night(consent_world, consent, suppression, tmp_path_factory.mktemp("dlt"), people)
    yield target, people
    drop(target.server, target.database)


def test_malformed_opt_outs_are_quarantined_and_block_marketing(malformed_night) -> None:
    target, people = malformed_night
    with psycopg.connect(target.url) as conn:
        for n, (kind, (status, _, reason)) in enumerate(MALFORMED_OPT_OUTS.items()):
            raw = conn.execute(
                "select status from raw.shop_marketing_consent where consent_id = %s",
                (f"OUT-{n}",),
            ).fetchall()
            assert raw == [(status,)], kind
            quarantined = conn.execute(
                "select reason from ops.quarantine"
                " where source_table = 'shop.marketing_consent' and source_key = %s",
                (f"OUT-{n}",),
            ).fetchall()
            assert quarantined == [(reason,)], kind
        consent = dict(
            (c, (status, marketable))
            for c, status, marketable in conn.execute(
                "select customer_id, consent_status, has_marketing_consent"
                " from marts.dim_customers where customer_id = any(%s)",
                (people,),
            )
        )
        listed = dict(
            conn.execute(
                "select customer_id, treatment_code from marts.treatment_marketing"
                " where customer_id = any(%s)",
                (people,),
            ).fetchall()
        )
    assert consent == {
        people[0]: ("unreadable", False),
        people[1]: ("unreadable", False),
        people[2]: ("unreadable", False),
        people[3]: ("suppressed", False),
        people[4]: ("suppressed", False),
        people[5]: ("opted_in", True),
    }
    assert all(listed.get(c, "SUPPRESS_PROMOTIONS") == "SUPPRESS_PROMOTIONS" for c in people[:5])


def test_both_recomputations_pass_and_catch_a_blocked_customer_in_the_list(
    malformed_night,
) -> None:
    target, people = malformed_night
    assert run_gate("marts", target.url, AS_OF, data_docs=False).success
    consent_test = ["test", "--select", "marketing_lists_only_consented_customers"]
    run_dbt(consent_test, AS_OF, warehouse_url=target.url, capture=True)
    with psycopg.connect(target.url) as conn:
        # A list built by a broken model: a blocked customer takes a listed one's place.
        listed = conn.execute(
            "select customer_id from marts.treatment_marketing"
            " where treatment_code <> 'SUPPRESS_PROMOTIONS' and customer_id <> all(%s) limit 1",
            (people,),
        ).fetchone()[0]
        conn.execute("delete from marts.treatment_marketing where customer_id = %s", (people[0],))
        conn.execute(
            "update marts.treatment_marketing set customer_id = %s where customer_id = %s",
            (people[0], listed),
        )
    with pytest.raises(GateFailed, match="only customers marketable at D"):
        run_gate("marts", target.url, AS_OF, data_docs=False)
    with pytest.raises(LadderError, match="marketing_lists_only_consented_customers"):
        run_dbt(consent_test, AS_OF, warehouse_url=target.url, capture=True)
