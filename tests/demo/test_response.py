"""The demo company responds to what its systems hold (response.py): a customer the
marketing audience or the service profiles hold reacts once to a treatment's first receipt
as planted, one who is not held does not, and the truth records who reacted."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import yaml

from ladder import config
from ladder.config import PROJECT_ROOT
from ladder.demo.load import append_day, create_demo_company
from ladder.demo.response import EFFECTS, IMPROVED_HEAVY_USE, RESPONSE_DAYS
from ladder.sandbox.destinations import Store
from tests.conftest import connect

END = date(2025, 3, 1)
SHOP = "response_shop"


@pytest.fixture()
def own_company(warehouse, fresh_config, tmp_path):
    settings = yaml.safe_load((PROJECT_ROOT / "ladder.yml").read_text())
    settings["demo"].update(sales_database=SHOP, helpdesk_database="response_helpdesk")
    for system in ("marketing", "service"):
        settings["destinations"][system]["sandbox"]["state"] = str(tmp_path / f"{system}.sqlite")
    fresh_config(yaml.safe_dump(settings))
    create_demo_company(customers=4000, seed=8, start=date(2024, 3, 1), end=END)
    yield settings
    config.load_config.cache_clear()


def hold(settings: dict, system: str, codes: dict[str, str]) -> None:
    """What a publish would leave in the sandbox: records through its own store."""
    state = settings["destinations"][system]["sandbox"]["state"]
    scope = settings["destinations"]["marketing"]["audience"] if system == "marketing" else (
        "profiles"
    )  # fmt: skip
    Store(config.project_path(state)).upsert(
        scope, [{"customer_id": c, "treatment_code": t} for c, t in codes.items()]
    )


def test_held_customers_respond_once_as_planted_and_others_not_at_all(warehouse, own_company):
    with connect(warehouse, SHOP) as conn:
        buyers = [r[0] for r in conn.execute(
            "select customer_id from demo_truth.customer_parameters where lambda_per_day > 0 "
            "order by customer_id"
        )]  # fmt: skip
    winback, placebo, guided = buyers[:1200], buyers[1200:1800], buyers[1800:2400]
    hold(own_company, "marketing", {c: "WINBACK" for c in winback}
         | {c: "VIP_RECOGNITION" for c in placebo})  # fmt: skip
    hold(own_company, "service", {c: "SELF_SERVICE_GUIDANCE" for c in guided + winback[:10]})

    for offset in range(RESPONSE_DAYS + 1):
        append_day(END + timedelta(days=offset))

    with connect(warehouse, SHOP) as conn:
        received = conn.execute(
            "select treatment_code, count(*), count(*) filter (where responds_on is not null), "
            "count(*) filter (where improves), min(received_on), max(received_on) "
            "from demo_truth.treatment_received group by 1 order by 1"
        ).fetchall()
        responses = dict(conn.execute(
            "select r.treatment_code, count(*) from demo_truth.response_orders r "
            "join public.orders o using (order_id, customer_id) "
            "where o.status = 'completed' "
            "and (o.ordered_at at time zone 'UTC')::date = r.ordered_on group by 1"
        ).fetchall())  # fmt: skip
        drawn = conn.execute(
            "select count(*) from demo_truth.treatment_received t left join "
            "demo_truth.response_orders r using (customer_id, treatment_code) "
            "where t.responds_on is not null and (r.ordered_on is distinct from t.responds_on)"
        ).fetchone()[0]
        heavy = dict(conn.execute(
            "select t.improves, avg(p.heavy_use) from demo_truth.treatment_received t "
            "join demo_truth.customer_parameters p using (customer_id) "
            "where t.treatment_code = 'SELF_SERVICE_GUIDANCE' group by 1"
        ).fetchall())  # fmt: skip
        outsiders = conn.execute(
            "select count(*) from demo_truth.response_orders where not customer_id = any(%s)",
            (winback + placebo + guided,),
        ).fetchone()[0]

    by_code = {row[0]: row[1:] for row in received}
    # Every held customer was received once, on the first day, though held for 29 days.
    assert {c: n for c, (n, *_) in by_code.items()} == {
        "WINBACK": 1200, "VIP_RECOGNITION": 600, "SELF_SERVICE_GUIDANCE": 610,
    }  # fmt: skip
    assert all(first == last == END for *_, first, last in by_code.values())
    # Each drawn response became one completed order on its day, within RESPONSE_DAYS.
    assert drawn == 0 and outsiders == 0
    assert responses["WINBACK"] == by_code["WINBACK"][1]
    # The share responding is the planted one (binomial: 1200 draws, 4 standard errors).
    share = EFFECTS["WINBACK"].purchase_response
    assert abs(responses["WINBACK"] / 1200 - share) < 4 * (share * (1 - share) / 1200) ** 0.5
    # The placebo does nothing; guidance improves about half, whose heavy use is cut.
    assert "VIP_RECOGNITION" not in responses and by_code["VIP_RECOGNITION"][2] == 0
    improved = by_code["SELF_SERVICE_GUIDANCE"][2]
    assert 0.4 < improved / 610 < 0.6
    assert heavy == {True: pytest.approx(IMPROVED_HEAVY_USE), False: pytest.approx(1.0)}
