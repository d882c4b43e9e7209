"""Seed 001 on behaviour: an unprofitable customer is offered alternatives, never served
worse.

Each customer of a random mix gets two twins whose only change is economic: one became
unprofitable (a loss, costs above revenue, a negative predicted value), the other took
more than they give and stayed so after an outreach (heavy returns of their own, an
outreach delivered 60 days ago, no improvement since, and, as Toxic requires, no
grievance in the year and no sign of engagement). The unprofitable twin has no
outreach behind it, whatever its original had. dbt builds the segments and both
lists for all three, and each twin's service is compared with what the service tiers
promise at the standard level: the standing, the first-response time and the open
contact channels never fall below it, and a strictly transactional treatment
(treatment_catalogue.is_transactional) never goes to a twin for being unprofitable alone.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import numpy as np
import pandas as pd
import psycopg
import pytest

from tests.transform.standins import D, build, random_mix

UNPROFITABLE, TOXIC = "~unprofitable", "~toxic"


def with_twins(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    twins = {}
    for name, table in tables.items():
        copies = [table]
        for suffix in (UNPROFITABLE, TOXIC):
            copy = table.copy()
            copy["customer_id"] = copy.customer_id + suffix
            if "consent_id" in copy:
                copy["consent_id"] = copy.consent_id + suffix
            copies.append(copy)
        twins[name] = pd.concat(copies, ignore_index=True)
    ids = twins["marts.customer_value"].customer_id
    bought = twins["marts.customer_value"].frequency.notna()
    changed = ids.str.endswith((UNPROFITABLE, TOXIC)) & bought
    twins["marts.customer_profitability"].loc[changed, "profit_365d"] = -75
    cost = twins["marts.customer_cost_to_serve"]
    cost.loc[changed, "cost_to_serve_365d"] = cost.net_revenue_365d[changed] + 100
    twins["marts.customer_value"].loc[changed, "net_value_365d"] = -40
    toxic = ids.str.endswith(TOXIC) & bought
    signals = twins["intermediate.int_customer_signals_summarised"]
    orders = cost.completed_orders_365d
    signals.loc[toxic, "customer_fault_returns_365d"] = np.maximum(2, orders[toxic])
    # What Toxic asks besides: no grievance in the year and no sign of engagement.
    quiet = ["recent_complaints", "recent_low_satisfaction", "complaints_365d",
             "low_satisfaction_365d", "shop_fault_returns_365d",
             "product_questions_365d"]  # fmt: skip
    signals.loc[toxic, quiet] = 0
    signals.loc[toxic, ["has_recent_detractor_score", "has_detractor_score_365d",
                        "has_recent_positive_score"]] = False  # fmt: skip
    outreached = ids[toxic]
    # Unprofitable alone: no outreach behind them, so nothing but the loss tells them apart.
    history = twins["marts.treatment_history"]
    history = history[
        ~history.customer_id.isin(outreached) & ~history.customer_id.str.endswith(UNPROFITABLE)
    ]
    twins["marts.treatment_history"] = pd.concat([history, pd.DataFrame({
        "customer_id": outreached, "system": "service",
        "treatment_code": "SELF_SERVICE_GUIDANCE", "valid_from": D - timedelta(days=60),
        "valid_to": None, "is_current": True,
    })], ignore_index=True)  # fmt: skip
    daily = twins["intermediate.int_customer_heavy_use_daily"]
    steady = pd.DataFrame([
        (customer, D - timedelta(days=day), 1, 0)
        for customer in outreached for day in range(5, 400, 30)
    ], columns=daily.columns)  # fmt: skip
    twins["intermediate.int_customer_heavy_use_daily"] = pd.concat(
        [daily[~daily.customer_id.isin(outreached)], steady], ignore_index=True
    )
    return twins


@pytest.mark.parametrize("seed", [4, 5])
def test_becoming_unprofitable_or_toxic_never_lowers_the_service(warehouse, seed: int) -> None:
    database = f"worse_{uuid.uuid4().hex[:10]}"
    warehouse.ensure_database(database)
    url = warehouse.url(database)
    build(url, with_twins(random_mix(np.random.default_rng(seed), 300)))

    with psycopg.connect(url) as conn:
        standard = conn.execute(
            "select standing, first_response_hours, contact_channels"
            " from staging.service_tiers where service_tier = 'standard'"
        ).fetchone()
        received = pd.DataFrame(conn.execute(
            "select g.customer_id, g.ladder_rung, g.value_segment, s.treatment_code,"
            " t.standing, t.first_response_hours, t.contact_channels,"
            " coalesce(sc.is_transactional, false) as service_transactional,"
            " coalesce(mc.is_transactional, false) as marketing_transactional"
            " from marts.customer_segments as g"
            " left join marts.treatment_service as s using (customer_id)"
            " left join staging.service_tiers as t using (service_tier)"
            " left join staging.treatment_catalogue as sc on sc.treatment_code = s.treatment_code"
            " left join marts.treatment_marketing as m using (customer_id)"
            " left join staging.treatment_catalogue as mc on mc.treatment_code = m.treatment_code"
        ).fetchall(), columns=["customer_id", "rung", "segment", "service", "standing",
                               "response_hours", "channels", "service_transactional",
                               "marketing_transactional"])  # fmt: skip
    received["original"] = received.customer_id.str.replace(
        f"({UNPROFITABLE}|{TOXIC})$", "", regex=True
    )
    received["twin"] = received.customer_id.str.extract(f"({UNPROFITABLE}|{TOXIC})$")[0]
    originals = received[received.twin.isna()].set_index("original")
    twins = received[received.twin.notna()].join(originals, on="original", rsuffix="_before")
    # Conduct is not economics: a Terrorist stays one in both twins, with the review tier.
    twins = twins[twins.rung_before != "Terrorist"]

    # The twins exercise what they are meant to: many lose money, some became Toxic.
    assert (twins.segment == "bad").sum() > 50
    assert (twins.rung == "Toxic").sum() > 10
    assert (twins[twins.twin == UNPROFITABLE].rung != "Toxic").all()

    served = twins[twins.service.notna()]
    assert (served.standing >= standard[0]).all()
    assert (served.response_hours <= standard[1]).all()
    open_channels = set(standard[2].split())
    assert all(open_channels <= set(channels.split()) for channels in served.channels)

    unprofitable = twins[twins.twin == UNPROFITABLE]
    for kind in ("service_transactional", "marketing_transactional"):
        newly = unprofitable[unprofitable[kind] & ~unprofitable[f"{kind}_before"]]
        assert newly.empty, newly[["customer_id", "rung", "segment", "service"]]
