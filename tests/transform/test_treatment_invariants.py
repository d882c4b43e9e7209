"""The two rules that hold everywhere (DESIGN §6), as properties over random customers:

- no customer without marketing consent at D is in a marketing list, except the
  suppression list;
- nobody gets a service tier below standard for being unprofitable (only Terrorists go
  to `review`).

Each example writes a random customer mix and random consent histories (ties on the
same instant included) into a database of its own, in place of the upstream models, and
lets dbt build dim_customers, the segments and both lists from them, with the project's
own tests. The properties are then checked here from the random inputs, not from the
lists' own columns.
"""

from __future__ import annotations

import uuid

import numpy as np
import psycopg
import pytest

from tests.transform.standins import build, random_mix


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_lists_respect_consent_and_never_serve_anyone_worse_for_being_unprofitable(
    warehouse, seed: int
) -> None:
    database = f"inv_{uuid.uuid4().hex[:10]}"
    warehouse.ensure_database(database)
    url = warehouse.url(database)
    tables = random_mix(np.random.default_rng(seed), 600)
    build(url, tables)

    history = tables["staging.stg_shop__marketing_consent"].sort_values(
        ["recorded_at", "updated_at", "consent_id"]
    )
    consented = set(
        history.groupby("customer_id").tail(1).query("consent_status == 'opted_in'").customer_id
    )
    with psycopg.connect(url) as conn:
        marketing = conn.execute(
            "select customer_id, treatment_code from marts.treatment_marketing"
        ).fetchall()
        service = conn.execute(
            "select g.customer_id, s.service_tier, g.ladder_rung, g.value_segment"
            " from marts.customer_segments as g"
            " left join marts.treatment_service as s on s.customer_id = g.customer_id"
        ).fetchall()
        terrorists, toxic = (
            {
                row[0]
                for row in conn.execute(
                    "select customer_id from marts.customer_segments where ladder_rung = %s",
                    [rung],
                )
            }
            for rung in ("Terrorist", "Toxic")
        )
    listed = dict(marketing)
    # The mix is varied enough to exercise both sides of each rule.
    assert 0 < len(consented) < 600 and len(terrorists) > 5
    assert {c for c, code in listed.items() if code != "SUPPRESS_PROMOTIONS"} <= consented
    assert {c for c, code in listed.items() if code != "SUPPRESS_PROMOTIONS"}
    # The suppression list reaches every Terrorist and Toxic customer, consented or not.
    assert toxic
    assert {c for c, code in listed.items() if code == "SUPPRESS_PROMOTIONS"} == terrorists | toxic
    unprofitable = [row for row in service if row[3] == "bad" or row[2] == "Toxic"]
    assert unprofitable
    assert all(tier in (None, "standard", "priority") for _, tier, _, _ in unprofitable)
    assert all(
        tier in (None, "standard", "priority") for c, tier, _, _ in service if c not in terrorists
    )
