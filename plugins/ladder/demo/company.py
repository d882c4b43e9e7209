"""Composing the demo company: the initial history, and one more day of it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pyarrow as pa

from ladder.demo import generate as g
from ladder.demo import response
from ladder.demo.personas import PERSONAS

# Per day, the share of existing customers who change their marketing consent.
DAILY_CONSENT_CHANGE_SHARE = 0.0003
# Per day, the share of a recent order's return probability that falls on that day.
DAILY_RETURN_HAZARD = 1 / 28


@dataclass
class Batch:
    """Rows for the two source systems plus the ground truth, by table name."""

    shop: dict[str, pa.Table]
    helpdesk: dict[str, pa.Table]
    truth: dict[str, pa.Table]


def _concat(parts: list[dict[str, pa.Table]]) -> dict[str, pa.Table]:
    names = [name for name in parts[0] if all(name in p for p in parts)]
    return {name: pa.concat_tables([p[name] for p in parts]) for name in names}


def _split(tables: dict[str, pa.Table]) -> tuple[dict[str, pa.Table], dict[str, pa.Table]]:
    helpdesk_names = {"tickets", "interactions", "surveys"}
    shop = {k: v for k, v in tables.items() if k not in helpdesk_names}
    helpdesk = {k: v for k, v in tables.items() if k in helpdesk_names}
    return shop, helpdesk


def trait_table(pop: g.Population) -> pa.Table:
    """One row per customer and trait they carry (the confounders of personas.py)."""
    bits = (1 << np.arange(g.TRAIT_NAMES.size, dtype=np.int64))[None, :]
    customer, trait = np.nonzero((pop.traits[:, None] & bits) != 0)
    return pa.table(
        {
            "customer_id": g.make_ids("customers", pop.number[customer]),
            "trait": g.TRAIT_NAMES[trait],
        }
    )


def truth_tables(pop: g.Population) -> dict[str, pa.Table]:
    ids = g.make_ids("customers", pop.number)
    return {
        "customer_persona": pa.table({"customer_id": ids, "persona": g.PERSONA_NAMES[pop.persona]}),
        "customer_trait": trait_table(pop),
        "customer_parameters": pa.table(
            {
                "customer_id": ids,
                "lambda_per_day": pop.lam,
                "dropout_p": pop.p,
                "dropout_after": pop.dropout_after,
                "nu": pop.nu,
                "repeat_purchases": pop.repeats,
                "opted_in": pop.opted_in,
                "created_day": pop.created,
                "heavy_use": pop.heavy_use,
            }
        ),
    }


def initial_history(customers: int, seed: int, start: date, end: date) -> Batch:
    rng = np.random.default_rng(seed)
    clock = g.Clock(start)
    window_end = float((end - start).days)
    ids = g.IdCounter()
    persona = g.assign_personas(rng, customers)
    pop = g.new_population(rng, ids.take("customers", customers), persona, 0.0, window_end)
    referrals, referred = g.referrals(rng, pop, pop, clock, ids)
    customers_table = g.customers_table(rng, pop, clock, window_end, referred)
    window = g.Window(pop, start=pop.created.copy(), end=window_end, first_purchase=True)
    tables = g.activity(rng, window, clock, ids)
    consent = g.consent_records(
        rng, pop, True, g.CONSENT_CHANGE_SHARE, pop.created, window_end, clock, ids
    )
    shop, helpdesk = _split(tables)
    shop.update(customers=customers_table, referrals=referrals, marketing_consent=consent)
    truth = truth_tables(pop)
    nothing = response.no_responses()
    truth["treatment_received"] = nothing.received
    truth["response_orders"] = _response_order_rows(tables["orders"].slice(0, 0), nothing, end)
    truth["planted_effects"] = response.planted_effects_table()
    truth["generation"] = pa.table(
        {
            "seed": [seed],
            "customers": [customers],
            "start_date": [start],
            "end_date": [end],
            "covered_until": [end],
        }
    )
    return Batch(shop, helpdesk, truth)


@dataclass
class State:
    """What a new day needs to know about the company so far."""

    seed: int
    customers: int
    start: date
    end: date
    population: g.Population
    ids: g.IdCounter
    recent_orders: pa.Table  # order_id, customer_id, net, persona, heavy_use
    # What the company's systems hold (response.py), the treatments customers received
    # before, and the responses drawn earlier that fall on this day.
    held: dict[str, set[str]]
    received_before: set[tuple[str, str]]
    due: list[tuple[str, str]]


def next_day(state: State, day: date) -> Batch:
    """New customers, their purchases and service contacts, and follow-ups of old ones."""
    rng = np.random.default_rng([state.seed, day.toordinal()])
    clock = g.Clock(state.start)
    d0 = clock.day(day)
    d1 = d0 + 1.0
    old = state.population
    daily_new = state.customers / max((state.end - state.start).days, 1)
    n_new = int(rng.poisson(daily_new))
    shares = np.array([p.share for p in PERSONAS])
    persona = rng.choice(len(PERSONAS), n_new, p=shares).astype(np.int8)
    new = g.new_population(rng, state.ids.take("customers", n_new), persona, d0, d1)
    new.created = d0 + rng.random(n_new)  # churners' early acquisition is for the history only

    referrals, referred = g.referrals(rng, old, new, clock, state.ids)
    customers_table = g.customers_table(rng, new, clock, d1, referred)
    old_window = g.Window(old, start=np.full(old.size, d0), end=d1, first_purchase=False)
    new_window = g.Window(new, start=new.created.copy(), end=d1, first_purchase=True)
    tables = _concat(
        [
            g.activity(rng, old_window, clock, state.ids),
            g.activity(rng, new_window, clock, state.ids),
        ]
    )
    tables["returns"] = pa.concat_tables([tables["returns"], _late_returns(rng, state, d0, clock)])
    responses = response.receive(rng, old, state.held, state.received_before, list(state.due), day)
    responded = _response_orders(rng, old, responses, d0, clock, state.ids)
    for name, rows in responded.items():
        tables[name] = pa.concat_tables([tables[name], rows])
    consent = pa.concat_tables(
        [
            g.consent_records(rng, new, True, 0.0, new.created, d1, clock, state.ids),
            g.consent_records(
                rng,
                old,
                False,
                DAILY_CONSENT_CHANGE_SHARE,
                np.full(old.size, d0),
                d1,
                clock,
                state.ids,
            ),
        ]
    )
    shop, helpdesk = _split(tables)
    shop.update(customers=customers_table, referrals=referrals, marketing_consent=consent)
    old_truth, new_truth = truth_tables(old), truth_tables(new)
    truth = {
        "customer_persona": new_truth["customer_persona"],
        "customer_trait": new_truth["customer_trait"],
        # Replaced whole: old customers' purchase counts and consent moved on today.
        "customer_parameters": pa.concat_tables(
            [old_truth["customer_parameters"], new_truth["customer_parameters"]]
        ),
        "treatment_received": responses.received,
        "response_orders": _response_order_rows(responded["orders"], responses, day),
        "planted_effects": response.planted_effects_table(),
    }
    return Batch(shop, helpdesk, truth)


def _response_order_rows(orders: pa.Table, responses: response.Responses, day: date) -> pa.Table:
    return pa.table(
        {
            "order_id": orders["order_id"],
            "customer_id": orders["customer_id"],
            "treatment_code": pa.array(responses.due_codes.tolist(), pa.string()),
            "ordered_on": pa.array([day] * orders.num_rows, pa.date32()),
        }
    )


def _response_orders(
    rng: np.random.Generator,
    pop: g.Population,
    responses: response.Responses,
    d0: float,
    clock: g.Clock,
    ids: g.IdCounter,
) -> dict[str, pa.Table]:
    """One completed order per response due today, in the order of `responses.due_*`:
    the customer's usual basket times the treatment's basket factor."""
    buyers = pop.take(responses.due_today)
    factor = np.array([response.EFFECTS[c].basket_factor for c in responses.due_codes])
    buyers.nu = buyers.nu / factor  # the mean margin per purchase is p / nu
    n = buyers.size
    window = g.Window(buyers, start=np.full(n, d0), end=d0 + 1.0, first_purchase=False)
    none = np.zeros(n, dtype=bool)
    owner = np.arange(n)
    return g.order_tables(rng, window, owner, d0 + rng.random(n), none, none, clock, ids)


def _late_returns(rng: np.random.Generator, state: State, d0: float, clock: g.Clock) -> pa.Table:
    """Returns arriving today for orders of the last 30 days."""
    recent = state.recent_orders
    persona = np.asarray(recent["persona"])
    chance = g.return_chance(persona) * np.asarray(recent["heavy_use"]) * DAILY_RETURN_HAZARD
    idx = np.flatnonzero(rng.random(persona.size) < chance)
    when = d0 + rng.random(idx.size)
    partial = rng.random(idx.size) < 0.4
    net = np.asarray(recent["net"])[idx]
    refund = np.round(net * np.where(partial, 0.2 + 0.6 * rng.random(idx.size), 1.0), 2)
    return pa.table(
        {
            "return_id": g.make_ids("returns", state.ids.take("returns", idx.size)),
            "order_id": recent["order_id"].take(pa.array(idx)),
            "customer_id": recent["customer_id"].take(pa.array(idx)),
            "returned_at": clock.timestamps(when),
            "refund_amount": refund,
            "reason": g.return_reasons(rng, persona[idx]),
            "updated_at": clock.timestamps(when),
        }
    )
