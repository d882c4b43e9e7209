"""The demo company's confounders (personas.py, TRAITS): no signal the ladder reads is
planted in one persona only, each trait shows in the data as documented, and first orders
say something, not everything, about a customer's future."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from ladder.demo.load import append_day, create_demo_company
from ladder.demo.personas import CUSTOMER_REASONS, PERSONAS, SHOP_FAULT_REASONS, TRAITS
from tests.conftest import DEMO, connect


def frame(conn, query: str) -> pd.DataFrame:
    cursor = conn.execute(query)
    return pd.DataFrame(cursor.fetchall(), columns=[c.name for c in cursor.description])


class Company:
    """The small demo company's tables, with each customer's persona and traits."""

    def __init__(self, server) -> None:
        with connect(server, "shop") as shop:
            self.persona = dict(
                shop.execute("select customer_id, persona from demo_truth.customer_persona")
            )
            self.traits = frame(shop, "select customer_id, trait from demo_truth.customer_trait")
            self.orders = frame(
                shop,
                "select o.customer_id, o.ordered_at, o.shipping_method, o.discount_amount, "
                "sum(l.quantity * (l.unit_price - l.unit_cost))::float8 as margin "
                "from orders o join order_lines l using (order_id) "
                "where o.status = 'completed' group by o.order_id",
            )
            self.returns = frame(shop, "select customer_id, reason from returns")
            self.referrers = set(
                frame(shop, "select referrer_customer_id from referrals").iloc[:, 0]
            )
        with connect(server, "helpdesk") as helpdesk:
            self.abuse = frame(
                helpdesk,
                "select customer_id, count(*) as reports, count(distinct agent_id) as agents "
                "from interactions where abuse_reported group by 1",
            )
            self.surveys = frame(helpdesk, "select customer_id, nps from surveys")
            self.tickets = frame(
                helpdesk, "select customer_id, category, is_complaint from tickets"
            )

    def holders(self, trait: str) -> set[str]:
        return set(self.traits.customer_id[self.traits.trait == trait])

    def of(self, persona: str) -> set[str]:
        return {c for c, p in self.persona.items() if p == persona}

    def personas(self, customers) -> set[str]:
        return {self.persona[c] for c in customers}


@pytest.fixture(scope="module")
def company(warehouse) -> Company:
    from tests.conftest import ensure_demo_company

    return Company(ensure_demo_company(warehouse))


def test_trait_shares_are_as_configured(company: Company) -> None:
    counts = company.traits.groupby("trait").size()
    population = pd.Series(company.persona).value_counts()
    for trait in TRAITS:
        expected = sum(share * population.get(p, 0) for p, share in trait.shares.items())
        # Binomial draws: within 4 standard deviations (and a customer or two).
        assert abs(counts.get(trait.name, 0) - expected) <= 4 * np.sqrt(expected) + 2, trait.name


def test_lone_abuse_reports_fall_outside_the_abusive_one_agent_each(company: Company) -> None:
    abuse = company.abuse[~company.abuse.customer_id.isin(company.of("abusive"))]
    assert (abuse.reports == 1).all() and (abuse.agents == 1).all()
    assert set(abuse.customer_id) <= company.holders("one_abuse_report")
    assert {"frustrated_fixable", "occasional"} <= company.personas(abuse.customer_id)
    frustrated_reported = company.of("frustrated_fixable") & set(abuse.customer_id)
    assert len(frustrated_reported) > 0.15 * len(company.of("frustrated_fixable"))


def test_frustrated_with_ordinary_contacts_call_about_more_than_complaints(company) -> None:
    holders = company.holders("ordinary_contacts")
    others = company.of("frustrated_fixable") - holders
    tickets = company.tickets
    theirs = tickets[tickets.customer_id.isin(holders)]
    rest = tickets[tickets.customer_id.isin(others)]
    assert len(theirs) / len(holders) > 2 * len(rest) / len(others)
    assert (~theirs.is_complaint).mean() > (~rest.is_complaint).mean()


def test_stu_asks_about_products_and_scores_well_yet_buys_on_discount(company) -> None:
    stu = company.holders("stu")
    tickets = company.tickets[company.tickets.customer_id.isin(stu)]
    assert (tickets.category == "product").mean() > 0.6
    assert not tickets[tickets.category == "product"].is_complaint.all()
    scores = company.surveys.nps[company.surveys.customer_id.isin(stu)]
    assert len(scores) > 0 and scores.min() >= 7 and (scores >= 9).any()
    orders = company.orders[company.orders.customer_id.isin(stu)]
    assert (orders.discount_amount > 0).mean() > 0.7


def test_promoters_advocates_and_referrers_are_not_one_persona(company: Company) -> None:
    promoters = set(company.surveys.customer_id[company.surveys.nps >= 9])
    assert company.personas(promoters) - {"advocate"}
    silent_promoters = company.holders("silent_promoter")
    assert promoters & silent_promoters and not company.referrers & silent_promoters
    survey_silent = company.holders("survey_silent")
    assert not survey_silent & set(company.surveys.customer_id)
    assert survey_silent & company.referrers
    assert company.personas(company.referrers) - {"advocate", "loyal_client"}


def test_quiet_loyal_clients_stop_buying(company: Company) -> None:
    """Among loyal clients whose first order is over a year old, those who went quiet have
    mostly not bought in the last 60 days; the others mostly have."""
    end = pd.Timestamp(DEMO["end"], tz="UTC")
    span = company.orders.groupby("customer_id").ordered_at.agg(["min", "max"])
    span = span[span["min"] < end - pd.Timedelta(days=365)]
    recent = span["max"] >= end - pd.Timedelta(days=60)
    quiet = recent.index.isin(company.holders("goes_quiet"))
    loyal = recent.index.isin(company.of("loyal_client")) & ~quiet
    assert quiet.sum() > 10
    assert recent[quiet].mean() < 0.5 * recent[loyal].mean()


def test_every_buying_persona_returns_for_the_shops_fault(company: Company) -> None:
    returns = company.returns.assign(persona=company.returns.customer_id.map(company.persona))
    shop_fault = returns.reason.isin(SHOP_FAULT_REASONS)
    buying = {p.name for p in PERSONAS if p.buys}
    assert set(returns.persona[shop_fault]) == buying
    high_cost = returns[returns.persona == "high_cost_to_serve"]
    assert high_cost.reason.isin(CUSTOMER_REASONS).mean() > 0.8


def test_first_orders_tell_something_not_everything_about_the_future(company) -> None:
    orders = company.orders.sort_values("ordered_at")
    firsts = orders.groupby("customer_id").head(1)
    first = firsts.set_index("customer_id")
    later = orders.drop(firsts.index)
    future = later.groupby("customer_id").margin.sum().reindex(first.index, fill_value=0.0)
    # Rank correlation of the first basket's margin with the later margin: positive...
    assert first.margin.rank().corr(future.rank()) > 0.1
    # ...but a valuable customer may start with a cheap discounted basket, and a bargain
    # hunter with a big undiscounted one.
    persona = first.index.map(company.persona)
    discounted = first.discount_amount > 0
    assert discounted[persona == "loyal_client"].mean() > 0.1
    assert (~discounted[persona == "bargain_hunter"]).sum() > 0
    express = first.shipping_method == "express"
    assert express[persona == "loyal_client"].mean() > express[persona == "bargain_hunter"].mean()


def test_appended_days_keep_the_traits(warehouse) -> None:
    from ladder.demo.generate import TRAIT_NAMES, has_trait
    from ladder.demo.load import _read_state

    day = date(2024, 12, 1)
    create_demo_company(customers=1500, seed=11, start=date(2024, 1, 1), end=day)
    with connect(warehouse, "shop") as conn:
        planted = set(conn.execute("select customer_id, trait from demo_truth.customer_trait"))
        population = _read_state(conn, day).population
    ids = [f"C{n:09d}" for n in population.number]
    read_back = {
        (ids[i], name)
        for name in TRAIT_NAMES
        for i in np.flatnonzero(has_trait(population.traits, name))
    }
    assert read_back == planted and planted

    append_day(day)
    with connect(warehouse, "shop") as conn:
        persona = dict(conn.execute("select customer_id, persona from demo_truth.customer_persona"))
        orphans = conn.execute(
            "select count(*) from demo_truth.customer_trait t left join customers c "
            "using (customer_id) where c.customer_id is null"
        ).fetchone()[0]
    with connect(warehouse, "helpdesk") as conn:
        reports = conn.execute(
            "select customer_id, count(*) from interactions where abuse_reported group by 1"
        ).fetchall()
    assert orphans == 0
    # A lone abuse report stays the only one on later days.
    assert all(n == 1 for c, n in reports if persona[c] != "abusive")
