"""How the demo company responds to what its systems hold (issue 21, deliverable 3).

Each appended day reads what the marketing audience and the service profiles hold for
each customer (the sandboxes' own state, as a real company's systems would act on it) and
applies the planted effect of the treatment held. Held-out customers are never sent, so
nothing acts on them: the difference the holdout measures is the planted effect.

Two kinds of effect, both in `EFFECTS`:

- **A response purchase.** On the first day a customer holds treatment T, they decide
  once, with probability `purchase_response`, to make one extra purchase because of it,
  on a day within `RESPONSE_DAYS` of receiving it (a response orders what the customer
  would have bought, times `basket_factor`: PROFIT_ALTERNATIVES' bundles are larger).
  Customers who never buy (the demo's prospects) cannot respond. So T's effect is about
  `purchase_response` times its buyers' share extra purchases per treated customer within
  any outcome window of at least `RESPONSE_DAYS` days; `make bench-loop` counts the
  response purchases the truth holds per treated customer (the realised effect) and
  compares it with the uplift it measures.
- **Outreach that works.** A share `improves_share` of the customers T reaches cut their
  returns and service contacts to `IMPROVED_HEAVY_USE` of what they were, from that day on
  (seed 004: some customers change when they are offered an alternative). The ladder's
  Toxic rule should spare them and catch those who did not change.

VIP_RECOGNITION is the placebo: it has no effect at all, so a false discovery would show.
Service treatments carry no purchase effect: they have no holdout by default (withholding
service is not an experiment to run by default), so an effect there could not be checked.

What happened is in shop.demo_truth (`treatment_received`, `response_orders`,
`planted_effects`), which the pipeline never reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pyarrow as pa

from ladder import config
from ladder.demo import generate as g

RESPONSE_DAYS = 28
IMPROVED_HEAVY_USE = 0.2


@dataclass(frozen=True)
class Effect:
    purchase_response: float = 0.0  # probability of one extra purchase, per customer
    basket_factor: float = 1.0
    improves_share: float = 0.0  # of those reached, who cut returns and contacts
    description: str = ""


# Sized by the power calculation in benchmarks/loop.py: each non-zero purchase response is
# detectable with 80 % power at the bench's company size and the seed's holdout shares.
EFFECTS = {
    "WINBACK": Effect(0.25, description="revives some at-risk customers: one more purchase"),
    "NEW_CUSTOMER_ONBOARDING": Effect(
        0.30, description="a second purchase comes sooner for some new customers"
    ),
    "PROFIT_ALTERNATIVES": Effect(
        0.25,
        basket_factor=2.0,
        description="some unprofitable customers buy a bundle twice their usual basket",
    ),
    "GROW_CROSS_SELL": Effect(
        0.15, description="a small effect for customers who buy often: an adjacent product"
    ),
    "VIP_RECOGNITION": Effect(description="the placebo: no effect at all"),
    "SELF_SERVICE_GUIDANCE": Effect(
        improves_share=0.5,
        description="half of the unprofitable customers reached cut their returns and "
        f"contacts to {IMPROVED_HEAVY_USE:.0%} of before, for good",
    ),
}


def held_treatments() -> dict[str, set[str]]:
    """treatment code -> the customers the sandboxes hold it for now (marketing audience
    and service profiles); empty when nothing has been published to them."""
    from ladder.sandbox.destinations import present_treatments

    held: dict[str, set[str]] = {}
    destinations = config.section("destinations")
    for system, scope in (("marketing", destinations["marketing"]["audience"]),
                          ("service", "profiles")):  # fmt: skip
        state = config.project_path(destinations[system]["sandbox"]["state"])
        for customer_id, code in present_treatments(state, scope):
            held.setdefault(code, set()).add(customer_id)
    return held


@dataclass
class Responses:
    """Today's part of the truth: first receipts and who responds when."""

    received: pa.Table  # customer_id, treatment_code, received_on, responds_on, improves
    due_today: np.ndarray  # population indexes of today's response purchases
    due_codes: np.ndarray  # their treatment codes


def receive(
    rng: np.random.Generator,
    population: g.Population,
    held: dict[str, set[str]],
    received_before: set[tuple[str, str]],
    due: list[tuple[str, str]],
    day: date,
) -> Responses:
    """First receipts of `held` treatments on `day` (pairs in `received_before` are not
    new), each drawn once for its response; the population's heavy use is cut for those
    who improve. `due` lists (customer_id, code) whose earlier-drawn response falls today."""
    ids = np.asarray(g.make_ids("customers", population.number).to_pylist())
    known = set(ids.tolist())
    rows: dict[str, list] = {k: [] for k in ("customer_id", "treatment_code", "received_on",
                                             "responds_on", "improves")}  # fmt: skip
    for code, effect in sorted(EFFECTS.items()):
        # A sandbox's state may hold another demo company's customers (a developer's own
        # runs beside the tests'): not this company's, so they cannot respond in it.
        fresh = sorted(c for c in held.get(code, set()) & known if (c, code) not in received_before)
        n = len(fresh)
        at = np.searchsorted(ids, np.array(fresh, dtype=ids.dtype))
        # The demo's customers who never buy (its prospects) cannot buy in response.
        responds = (rng.random(n) < effect.purchase_response) & (population.lam[at] > 0)
        offset = rng.integers(0, RESPONSE_DAYS, n)
        improves = rng.random(n) < effect.improves_share
        rows["customer_id"] += fresh
        rows["treatment_code"] += [code] * n
        rows["received_on"] += [day] * n
        rows["responds_on"] += [
            date.fromordinal(day.toordinal() + int(o)) if r else None
            for r, o in zip(responds, offset, strict=True)
        ]
        rows["improves"] += improves.tolist()
        population.heavy_use[at[improves]] = IMPROVED_HEAVY_USE
        # A response drawn for today happens today.
        due += [(c, code) for c, r, o in zip(fresh, responds, offset, strict=True)
                if r and o == 0]  # fmt: skip
    due_ids = np.array([c for c, _ in due], dtype=ids.dtype)
    return Responses(
        _received_table(rows),
        np.searchsorted(ids, due_ids).astype(np.int64),
        np.array([code for _, code in due], dtype=object),
    )


def no_responses() -> Responses:
    """The initial history's: nothing has been sent yet."""
    columns = ("customer_id", "treatment_code", "received_on", "responds_on", "improves")
    empty = _received_table({name: [] for name in columns})
    return Responses(empty, np.zeros(0, dtype=np.int64), np.array([], dtype=object))


def _received_table(rows: dict[str, list]) -> pa.Table:
    return pa.table(
        {
            "customer_id": pa.array(rows["customer_id"], pa.string()),
            "treatment_code": pa.array(rows["treatment_code"], pa.string()),
            "received_on": pa.array(rows["received_on"], pa.date32()),
            "responds_on": pa.array(rows["responds_on"], pa.date32()),
            "improves": pa.array(rows["improves"], pa.bool_()),
        }
    )


def planted_effects_table() -> pa.Table:
    codes = sorted(EFFECTS)
    return pa.table(
        {
            "treatment_code": codes,
            "purchase_response": [EFFECTS[c].purchase_response for c in codes],
            "response_days": [RESPONSE_DAYS] * len(codes),
            "basket_factor": [EFFECTS[c].basket_factor for c in codes],
            "improves_share": [EFFECTS[c].improves_share for c in codes],
            "improved_heavy_use": [IMPROVED_HEAVY_USE] * len(codes),
            "description": [EFFECTS[c].description for c in codes],
        }
    )
