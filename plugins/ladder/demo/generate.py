"""Generating the demo company's rows as Arrow tables, vectorised over customers.

Time is measured in days since the generation's epoch (its start date, midnight UTC).
One function, `activity`, produces everything customers do in a window of time, so the
initial history and each `--append-day` come from the same code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ladder.demo import personas as cast
from ladder.demo import simulate
from ladder.demo.personas import PERSONAS, TRAITS

N_AGENTS = 80
AGENT_IDS = np.array([f"A{i:03d}" for i in range(1, N_AGENTS + 1)])
PERSONA_NAMES = np.array([p.name for p in PERSONAS])
TRAIT_NAMES = np.array([t.name for t in TRAITS])
# Share of each persona's customers carrying each trait: [trait, persona].
TRAIT_SHARES = np.array([[t.shares.get(p.name, 0.0) for p in PERSONAS] for t in TRAITS])
FIRST_NAMES = np.array(
    [
        "Ada",
        "Alan",
        "Anna",
        "Ben",
        "Carla",
        "Chen",
        "David",
        "Elif",
        "Emma",
        "Farah",
        "Grace",
        "Hugo",
        "Ines",
        "Ivan",
        "Jonas",
        "Julia",
        "Kai",
        "Lena",
        "Luca",
        "Maya",
        "Mia",
        "Noah",
        "Nora",
        "Omar",
        "Priya",
        "Rosa",
        "Sam",
        "Sofia",
        "Tom",
        "Yara",
        "Zoe",
    ]
)
LAST_NAMES = np.array(
    [
        "Andersen",
        "Bauer",
        "Costa",
        "Dubois",
        "Evans",
        "Fischer",
        "Garcia",
        "Hansen",
        "Ito",
        "Jensen",
        "Kowalski",
        "Larsen",
        "Martin",
        "Nakamura",
        "Novak",
        "Olsen",
        "Patel",
        "Quinn",
        "Rossi",
        "Schmidt",
        "Silva",
        "Tanaka",
        "Smith",
        "Weber",
        "Young",
    ]
)
COUNTRIES = np.array(["US", "GB", "DE", "FR", "NL", "SE", "ES", "IT", "CA", "AU"])
COUNTRY_WEIGHTS = np.array([0.3, 0.15, 0.12, 0.1, 0.07, 0.05, 0.06, 0.05, 0.06, 0.04])
CHANNELS = np.array(["organic_search", "paid_search", "social", "email", "marketplace"])
CHANNEL_WEIGHTS = np.array([0.3, 0.25, 0.2, 0.1, 0.15])
SHIPPING = np.array(["standard", "express", "pickup"])
SHIPPING_WEIGHTS = np.array([0.75, 0.15, 0.10])
SHIPPING_COST_MEAN = np.array([6.5, 14.0, 2.0])
SHIPPING_FEE = np.array([4.95, 9.95, 0.0])
FREE_SHIPPING_FROM = 50.0
SHOP_FAULT_REASONS = np.array(cast.SHOP_FAULT_REASONS)
CUSTOMER_REASONS = np.array(cast.CUSTOMER_REASONS)
TICKET_CATEGORIES = np.array(["delivery", "returns", "billing", "product", "account"])
ORDINARY_CATEGORIES = np.array(["delivery", "returns", "billing", "account"])
NON_PHONE_CHANNELS = np.array(["email", "chat", "self_service"])
NON_PHONE_WEIGHTS = np.array([0.45, 0.35, 0.20])
HANDLE_MINUTES_MEAN = {"phone": 12.0, "email": 6.0, "chat": 9.0, "self_service": 0.0}
DUPLICATE_ORDER_SHARE = 0.01  # a second order on the same day
CANCELLED_ORDER_SHARE = 0.025
LATE_UPDATE_SHARE = 0.03  # rows touched again days after the event
CONSENT_CHANGE_SHARE = 0.08  # of customers, over the initial history
REFERRED_SHARE = 0.065  # of new customers, who came through a referral

ID_PREFIXES = {
    "customers": "C",
    "orders": "O",
    "returns": "R",
    "payment_events": "P",
    "referrals": "F",
    "marketing_consent": "M",
    "tickets": "T",
    "interactions": "I",
    "surveys": "S",
}
ID_WIDTH = 9


def persona_param(name: str, persona: np.ndarray) -> np.ndarray:
    return np.array([getattr(p, name) for p in PERSONAS])[persona]


def trait_bit(name: str) -> int:
    return 1 << int(np.flatnonzero(name == TRAIT_NAMES)[0])


def has_trait(traits: np.ndarray, name: str) -> np.ndarray:
    return (traits & trait_bit(name)) != 0


def return_chance(persona: np.ndarray) -> np.ndarray:
    """Per order: a return for the shop's fault or for the customer's own reasons."""
    return persona_param("shop_fault_return_rate", persona) + persona_param("return_rate", persona)


def return_reasons(rng: np.random.Generator, persona: np.ndarray) -> np.ndarray:
    """The reason of each return, given it happened: the shop's fault in proportion to the
    persona's shop-fault rate."""
    shop = persona_param("shop_fault_return_rate", persona)
    shop_fault = rng.random(persona.size) * return_chance(persona) < shop
    return np.where(
        shop_fault,
        SHOP_FAULT_REASONS[rng.integers(0, SHOP_FAULT_REASONS.size, persona.size)],
        CUSTOMER_REASONS[rng.integers(0, CUSTOMER_REASONS.size, persona.size)],
    )


def make_ids(table: str, numbers: np.ndarray) -> pa.Array:
    text = pc.utf8_lpad(pc.cast(pa.array(numbers, pa.int64()), pa.string()), ID_WIDTH, "0")
    return pc.binary_join_element_wise(ID_PREFIXES[table], text, "")


def own_id_pattern(table: str) -> str:
    """The ids make_ids writes for `table`, as a PostgreSQL regular expression: the prefix
    and its padded number (up to 18 digits, what int64 holds). Rows someone added by hand
    with ids of another shape (`cust-x`, `ORD-weird`) are not the generator's to number
    after, edit or follow up."""
    return f"^{ID_PREFIXES[table]}[0-9]{{{ID_WIDTH},18}}$"


def id_numbers(ids: pa.Array | np.ndarray) -> np.ndarray:
    return np.asarray(pc.cast(pc.utf8_slice_codeunits(pa.array(ids), 1), pa.int64()))


@dataclass
class IdCounter:
    """Next free id number per table, so appended days continue the sequences."""

    next_number: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ID_PREFIXES, 1))

    def take(self, table: str, count: int) -> np.ndarray:
        first = self.next_number[table]
        self.next_number[table] = first + count
        return np.arange(first, first + count, dtype=np.int64)


@dataclass
class Population:
    """The customers a window of activity is generated for, with their hidden traits."""

    number: np.ndarray  # id number
    persona: np.ndarray  # index into PERSONAS
    created: np.ndarray  # day
    lam: np.ndarray  # purchases per day while alive
    p: np.ndarray  # dropout probability after a repeat purchase
    dropout_after: np.ndarray  # repeat purchases before dropping out
    nu: np.ndarray  # Gamma-Gamma rate: mean margin per purchase is p_gg / nu
    repeats: np.ndarray  # repeat purchases made so far
    opted_in: np.ndarray  # current marketing consent
    traits: np.ndarray  # bit i set: carries TRAITS[i]
    heavy_use: np.ndarray  # factor on returns and service contacts (response.py)
    # How promising the first order looks (personas.py); only the creation window uses it.
    first_signal: np.ndarray

    def take(self, mask: np.ndarray) -> Population:
        return Population(**{k: v[mask] for k, v in vars(self).items()})

    @property
    def size(self) -> int:
        return int(self.number.size)


class Clock:
    def __init__(self, epoch: date) -> None:
        start = datetime(epoch.year, epoch.month, epoch.day, tzinfo=UTC)
        self.epoch_us = int(start.timestamp()) * 1_000_000

    def timestamps(self, days: np.ndarray) -> pa.Array:
        micros = np.floor(days * 86_400).astype(np.int64) * 1_000_000 + self.epoch_us
        return pa.array(micros, pa.timestamp("us", tz="UTC"))

    def day(self, when: date) -> float:
        start = datetime(when.year, when.month, when.day, tzinfo=UTC)
        return (int(start.timestamp()) * 1_000_000 - self.epoch_us) / 86_400e6


def assign_personas(rng: np.random.Generator, n: int) -> np.ndarray:
    """Exactly round(share * n) customers per persona, the remainder to the largest."""
    shares = np.array([p.share for p in PERSONAS])
    counts = np.floor(shares * n).astype(np.int64)
    counts[np.argmax(shares)] += n - counts.sum()
    return rng.permutation(np.repeat(np.arange(len(PERSONAS), dtype=np.int8), counts))


def new_population(
    rng: np.random.Generator,
    numbers: np.ndarray,
    persona: np.ndarray,
    window_start: float,
    window_end: float,
) -> Population:
    span = window_end - window_start
    early = persona_param("early_acquisition", persona)
    created = window_start + rng.random(numbers.size) * np.where(early, 0.4, 1.0) * span
    lam, p, dropout_after = simulate.customer_rates(
        rng,
        persona_param("r", persona),
        persona_param("alpha", persona),
        persona_param("a", persona),
        persona_param("b", persona),
    )
    buys = persona_param("buys", persona)
    nu = rng.gamma(shape=persona_param("q", persona), scale=1.0 / persona_param("gamma", persona))
    traits = draw_traits(rng, persona)
    quiet = has_trait(traits, "goes_quiet")
    quiet_days = rng.uniform(*cast.QUIET_AFTER_DAYS, numbers.size)
    quiet_after = np.maximum(rng.poisson(lam * quiet_days), 1)
    dropout_after = np.where(quiet, np.minimum(dropout_after, quiet_after), dropout_after)
    return Population(
        number=numbers,
        persona=persona,
        created=created,
        lam=np.where(buys, lam, 0.0),
        p=p,
        dropout_after=dropout_after,
        nu=nu,
        repeats=np.zeros(numbers.size, dtype=np.int64),
        opted_in=rng.random(numbers.size) < persona_param("opt_in_share", persona),
        traits=traits,
        heavy_use=np.ones(numbers.size),
        first_signal=_first_signal(rng, persona, traits, lam, nu),
    )


def draw_traits(rng: np.random.Generator, persona: np.ndarray) -> np.ndarray:
    draws = rng.random((len(TRAITS), persona.size)) < TRAIT_SHARES[:, persona]
    bits = (1 << np.arange(len(TRAITS), dtype=np.int64))[:, None]
    return (draws * bits).sum(axis=0).astype(np.int64)


def _first_signal(
    rng: np.random.Generator,
    persona: np.ndarray,
    traits: np.ndarray,
    lam: np.ndarray,
    nu: np.ndarray,
) -> np.ndarray:
    """The persona's promise (flipped when misleading), tilted by the customer's own rate
    and margin against the persona's mean, plus noise."""
    promise = persona_param("first_order_promise", persona)
    promise = np.where(has_trait(traits, "misleading_first_order"), -promise, promise)
    mean_lam = persona_param("r", persona) / persona_param("alpha", persona)
    mean_nu = persona_param("q", persona) / persona_param("gamma", persona)
    buys = persona_param("buys", persona) & (lam > 0)
    own = np.log(np.where(buys, lam, 1.0) / np.where(buys, mean_lam, 1.0)) + np.log(mean_nu / nu)
    own = np.clip(np.where(buys, own, 0.0), -2.0, 2.0)
    noise = rng.normal(0.0, cast.FIRST_ORDER_NOISE, persona.size)
    return promise + cast.FIRST_ORDER_OWN_VALUE_TILT * own + noise


def customers_table(
    rng: np.random.Generator, pop: Population, clock: Clock, window_end: float, referred: np.ndarray
) -> pa.Table:
    n = pop.size
    first = FIRST_NAMES[rng.integers(0, FIRST_NAMES.size, n)]
    last = LAST_NAMES[rng.integers(0, LAST_NAMES.size, n)]
    ids = make_ids("customers", pop.number)
    full_name = pc.binary_join_element_wise(first, last, " ")
    email = pc.utf8_lower(
        pc.binary_join_element_wise(
            first, ".", last, pc.cast(pa.array(pop.number), pa.string()), "@example.com", ""
        )
    )
    # Channels tilted by the customer's promise: one uniform draw against each customer's
    # cumulative weights keeps this vectorised.
    tilt = np.array([cast.CHANNEL_PROMISE[c] for c in CHANNELS])
    weights = CHANNEL_WEIGHTS * np.exp(np.outer(pop.first_signal, tilt))
    cumulative = np.cumsum(weights, axis=1)
    pick = (rng.random(n) * cumulative[:, -1])[:, None] >= cumulative
    channel = np.where(
        referred, "referral", CHANNELS[np.minimum(pick.sum(axis=1), CHANNELS.size - 1)]
    )
    late = rng.random(n) < LATE_UPDATE_SHARE
    updated = np.where(late, _later(rng, pop.created, window_end), pop.created)
    return pa.table(
        {
            "customer_id": ids,
            "email": email,
            "full_name": full_name,
            "country": COUNTRIES[rng.choice(COUNTRIES.size, n, p=COUNTRY_WEIGHTS)],
            "acquisition_channel": channel,
            "created_at": clock.timestamps(pop.created),
            "updated_at": clock.timestamps(updated),
        }
    )


def _later(rng: np.random.Generator, days: np.ndarray, window_end: float) -> np.ndarray:
    """A moment after `days` (a late update), still inside the window."""
    room = np.maximum(window_end - days - 1e-4, 0.0)
    return days + rng.random(days.size) * np.minimum(room, 20.0)


def _group_starts(group: np.ndarray) -> np.ndarray:
    """For each element of sorted `group`, the index where its run of equal values starts."""
    if group.size == 0:
        return group
    starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    return np.repeat(starts, np.diff(np.r_[starts, group.size]))


def _grouped_ranks(owner: np.ndarray) -> np.ndarray:
    """0, 1, 2, ... within each run of equal, sorted `owner` values."""
    if owner.size == 0:
        return owner
    starts = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]])
    lengths = np.diff(np.r_[starts, owner.size])
    return np.arange(owner.size) - np.repeat(starts, lengths)


@dataclass
class Window:
    """Activity of `pop` between each customer's `start` day and `end`."""

    pop: Population
    start: np.ndarray
    end: float
    first_purchase: bool  # the window includes the customers' first purchase


def purchase_times(
    rng: np.random.Generator, w: Window
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Customer index and day of every genuine purchase in the window, and whether it is
    the customer's first."""
    pop = w.pop
    owners, days, firsts = [], [], []
    repeat_from = w.start.copy()
    if w.first_purchase:
        buyer = pop.lam > 0
        first_day = pop.created + rng.random(pop.size) * 0.02
        buyer &= first_day < w.end
        owners.append(np.flatnonzero(buyer))
        days.append(first_day[buyer])
        firsts.append(np.ones(int(buyer.sum()), dtype=bool))
        repeat_from = np.where(buyer, first_day, w.end)
    owner, offset = simulate.repeat_purchases(
        rng,
        pop.lam,
        np.maximum(pop.dropout_after - pop.repeats, 0),
        np.maximum(w.end - repeat_from, 0.0),
    )
    np.add.at(pop.repeats, owner, 1)
    owners.append(owner)
    days.append(repeat_from[owner] + offset)
    firsts.append(np.zeros(owner.size, dtype=bool))
    return np.concatenate(owners), np.concatenate(days), np.concatenate(firsts)


def activity(
    rng: np.random.Generator, w: Window, clock: Clock, ids: IdCounter
) -> dict[str, pa.Table]:
    owner, day, first = purchase_times(rng, w)
    # Untidiness: a second order on the same day, and orders cancelled soon after.
    dup = rng.random(owner.size) < DUPLICATE_ORDER_SHARE
    dup_day = day[dup] + rng.random(dup.sum()) * (np.ceil(day[dup] + 1e-9) - day[dup])
    dup_ok = dup_day < w.end
    cancel = rng.random(owner.size) < CANCELLED_ORDER_SHARE
    owner = np.concatenate([owner, owner[dup][dup_ok], owner[cancel]])
    day = np.concatenate([day, dup_day[dup_ok], day[cancel] - rng.random(cancel.sum()) * 0.1])
    cancelled = np.zeros(owner.size, dtype=bool)
    cancelled[owner.size - cancel.sum() :] = True
    first = np.r_[first, np.zeros(owner.size - first.size, dtype=bool)]
    order = np.lexsort((day, owner))
    owner, day, cancelled, first = owner[order], day[order], cancelled[order], first[order]

    tables = order_tables(rng, w, owner, day, cancelled, first, clock, ids)
    tables.update(_service(rng, w, clock, ids))
    return tables


def order_tables(
    rng: np.random.Generator,
    w: Window,
    owner: np.ndarray,
    day: np.ndarray,
    cancelled: np.ndarray,
    first: np.ndarray,
    clock: Clock,
    ids: IdCounter,
) -> dict[str, pa.Table]:
    pop, n = w.pop, owner.size
    persona = pop.persona[owner]
    order_numbers = ids.take("orders", n)
    order_ids = make_ids("orders", order_numbers)
    customer_ids = make_ids("customers", pop.number[owner])
    # The first order carries the customer's promise (personas.py); later orders do not.
    signal = np.where(first, pop.first_signal[owner], 0.0)

    margin = simulate.margins(rng, pop.nu[owner], persona_param("p_gg", persona))
    margin *= np.exp(cast.FIRST_BASKET_MARGIN_SPREAD * signal)
    margin_rate = persona_param("margin_rate", persona) * np.clip(
        1.0 + cast.FIRST_BASKET_RATE_SPREAD * signal, 0.3, 2.0
    )
    net_target = margin / margin_rate
    share = np.clip(persona_param("discounted_share", persona), 0.01, 0.99)
    log_odds = np.log(share / (1 - share)) - cast.FIRST_ORDER_DISCOUNT_SLOPE * signal
    discounted = rng.random(n) < np.where(first, 1 / (1 + np.exp(-log_odds)), share)
    usual_rate = persona_param("discount_rate", persona)
    welcome = np.where(usual_rate > 0, usual_rate, cast.FIRST_ORDER_DISCOUNT_RATE)
    discount_rate = np.where(discounted, np.where(first, welcome, usual_rate), 0.0)
    gross_target = net_target / (1.0 - discount_rate)
    cost_ratio = (net_target - margin) / gross_target

    # Lines: split the gross value over 1-6 lines with random weights.
    n_lines = 1 + np.minimum(rng.poisson(0.9, n), 5)
    line_order = np.repeat(np.arange(n), n_lines)
    weight = rng.gamma(2.0, size=line_order.size)
    weight /= np.bincount(line_order, weight)[line_order]
    quantity = 1 + rng.poisson(0.3, line_order.size)
    unit_price = np.maximum(np.round(gross_target[line_order] * weight / quantity, 2), 0.5)
    unit_cost = np.round(unit_price * cost_ratio[line_order], 2)
    gross = np.bincount(line_order, quantity * unit_price, minlength=n)
    discount = np.round(gross * discount_rate, 2)

    slopes = np.array([0.0, cast.FIRST_ORDER_EXPRESS_SLOPE, cast.FIRST_ORDER_PICKUP_SLOPE])
    ship_weights = np.cumsum(SHIPPING_WEIGHTS * np.exp(np.outer(signal, slopes)), axis=1)
    ship_pick = (rng.random(n) * ship_weights[:, -1])[:, None] >= ship_weights
    method = np.minimum(ship_pick.sum(axis=1), SHIPPING.size - 1)
    shipping_cost = np.round(np.maximum(rng.normal(SHIPPING_COST_MEAN[method], 1.0), 0.0), 2)
    shipping_charged = np.where(gross - discount >= FREE_SHIPPING_FROM, 0.0, SHIPPING_FEE[method])
    late = rng.random(n) < LATE_UPDATE_SHARE
    updated = np.where(late, _later(rng, day, w.end), day)
    updated = np.where(cancelled, np.minimum(day + rng.random(n) * 0.5, w.end - 1e-4), updated)
    updated = np.maximum(updated, day)
    order_updated = clock.timestamps(updated)

    orders = pa.table(
        {
            "order_id": order_ids,
            "customer_id": customer_ids,
            "ordered_at": clock.timestamps(day),
            "status": np.where(cancelled, "cancelled", "completed"),
            "shipping_method": SHIPPING[method],
            "shipping_charged": shipping_charged,
            "shipping_cost": shipping_cost,
            "discount_amount": discount,
            "updated_at": order_updated,
        }
    )
    order_lines = pa.table(
        {
            "order_id": order_ids.take(pa.array(line_order)),
            "line_no": (_grouped_ranks(line_order) + 1).astype(np.int32),
            "product_id": pc.binary_join_element_wise(
                "SKU", pc.cast(pa.array(rng.integers(1000, 3000, line_order.size)), pa.string()), ""
            ),
            "quantity": quantity.astype(np.int32),
            "unit_price": unit_price,
            "unit_cost": unit_cost,
            "updated_at": order_updated.take(pa.array(line_order)),
        }
    )

    completed = ~cancelled
    net = gross - discount
    returns = _returns(
        rng,
        w,
        owner,
        day,
        net,
        completed & (rng.random(n) < return_chance(persona) * pop.heavy_use[owner]),
        order_ids,
        customer_ids,
        clock,
        ids,
    )
    payments = _payment_events(
        rng, w, persona, day, net + shipping_charged, order_ids, customer_ids, clock, ids
    )
    return {"orders": orders, "order_lines": order_lines, "returns": returns,
            "payment_events": payments}  # fmt: skip


def _chance(rng: np.random.Generator, persona: np.ndarray, rate: str) -> np.ndarray:
    return rng.random(persona.size) < persona_param(rate, persona)


def _returns(rng, w, owner, day, net, returned, order_ids, customer_ids, clock, ids) -> pa.Table:
    idx = np.flatnonzero(returned)
    when = day[idx] + 2 + rng.random(idx.size) * 28
    idx, when = idx[when < w.end], when[when < w.end]
    partial = rng.random(idx.size) < 0.4
    refund = np.round(net[idx] * np.where(partial, 0.2 + 0.6 * rng.random(idx.size), 1.0), 2)
    return pa.table(
        {
            "return_id": make_ids("returns", ids.take("returns", idx.size)),
            "order_id": order_ids.take(pa.array(idx)),
            "customer_id": customer_ids.take(pa.array(idx)),
            "returned_at": clock.timestamps(when),
            "refund_amount": refund,
            "reason": return_reasons(rng, w.pop.persona[owner[idx]]),
            "updated_at": clock.timestamps(when),
        }
    )


def _payment_events(rng, w, persona, day, amount, order_ids, customer_ids, clock, ids) -> pa.Table:
    failed = np.flatnonzero(_chance(rng, persona, "payment_failure_rate"))
    charged_back = np.flatnonzero(_chance(rng, persona, "chargeback_rate"))
    idx = np.concatenate([failed, charged_back])
    is_chargeback = np.r_[np.zeros(failed.size, bool), np.ones(charged_back.size, bool)]
    when = day[idx] + np.where(is_chargeback, 10 + rng.random(idx.size) * 50,
                               rng.random(idx.size) * 0.01)  # fmt: skip
    fraud = is_chargeback & (rng.random(idx.size) < persona_param("fraud_share", persona[idx]))
    keep = when < w.end
    idx, when, is_chargeback, fraud = idx[keep], when[keep], is_chargeback[keep], fraud[keep]
    return pa.table(
        {
            "event_id": make_ids("payment_events", ids.take("payment_events", idx.size)),
            "order_id": order_ids.take(pa.array(idx)),
            "customer_id": customer_ids.take(pa.array(idx)),
            "occurred_at": clock.timestamps(when),
            "kind": np.where(is_chargeback, "chargeback", "failed"),
            "amount": np.round(amount[idx], 2),
            "fraud_confirmed": fraud,
            "updated_at": clock.timestamps(when),
        }
    )


def _service(rng: np.random.Generator, w: Window, clock: Clock, ids: IdCounter) -> dict:
    pop = w.pop
    years = np.maximum(w.end - w.start, 0.0) / 365.25
    count = rng.poisson(persona_param("tickets_per_year", pop.persona) * years * pop.heavy_use)
    if w.first_purchase:
        count = np.maximum(count, persona_param("min_tickets", pop.persona))
        # The one abuse report falls on a contact in the customer's first window.
        count = np.maximum(count, has_trait(pop.traits, "one_abuse_report").astype(np.int64))
    ordinary = rng.poisson(cast.ORDINARY_CONTACTS_PER_YEAR * years * pop.heavy_use) * has_trait(
        pop.traits, "ordinary_contacts"
    )
    questions = rng.poisson(cast.STU_QUESTIONS_PER_YEAR * years) * has_trait(pop.traits, "stu")
    # Kind of ticket: the persona's own (0), an ordinary contact (1), a product question (2).
    kind = np.repeat(
        np.array([0, 1, 2], dtype=np.int8), [count.sum(), ordinary.sum(), questions.sum()]
    )
    owner = np.concatenate(
        [np.repeat(np.arange(pop.size), c) for c in (count, ordinary, questions)]
    )
    order = np.argsort(owner, kind="stable")
    owner, kind = owner[order], kind[order]
    persona = pop.persona[owner]
    own, question = kind == 0, kind == 2
    created = w.start[owner] + rng.random(owner.size) * (w.end - w.start[owner])
    phone_share = np.where(question, cast.STU_PHONE_SHARE, persona_param("phone_share", persona))
    phone = rng.random(owner.size) < phone_share
    channel = np.where(
        phone, "phone", NON_PHONE_CHANNELS[rng.choice(3, owner.size, p=NON_PHONE_WEIGHTS)]
    )
    category = np.where(
        own,
        TICKET_CATEGORIES[rng.integers(0, TICKET_CATEGORIES.size, owner.size)],
        np.where(question, "product", ORDINARY_CATEGORIES[rng.integers(0, 4, owner.size)]),
    )
    complaint = own & (rng.random(owner.size) < persona_param("complaint_share", persona))
    low_share = np.where(
        own,
        persona_param("low_satisfaction_share", persona),
        cast.EXTRA_TICKET_LOW_SATISFACTION_SHARE,
    )
    low = rng.random(owner.size) < low_share
    score = np.where(low, rng.integers(1, 3, owner.size), rng.integers(3, 6, owner.size))
    rated = rng.random(owner.size) < 0.6
    ticket_numbers = ids.take("tickets", owner.size)
    ticket_ids = make_ids("tickets", ticket_numbers)
    customer_ids = make_ids("customers", pop.number[owner])

    # Interactions: the first when the ticket is opened, more over the following days;
    # those that would fall after the window have not happened yet.
    per_ticket = 1 + rng.poisson(np.where(phone | complaint, 1.5, 0.6))
    ticket_of = np.repeat(np.arange(owner.size), per_ticket)
    gap = rng.random(ticket_of.size) * 1.5
    occurred = created[ticket_of] + _grouped_cumsum(ticket_of, gap) - gap[_group_starts(ticket_of)]
    agent = AGENT_IDS[rng.integers(0, N_AGENTS, ticket_of.size)]
    abuse = rng.random(ticket_of.size) < persona_param("abuse_per_interaction", persona[ticket_of])
    if w.first_purchase:
        # Each interaction's ticket order is the customer's, so a customer's first
        # interaction is the first of their run in ticket_of.
        by_customer = np.lexsort((occurred, owner[ticket_of]))
        customer = owner[ticket_of][by_customer]
        first = (
            by_customer[np.r_[True, customer[1:] != customer[:-1]]] if customer.size else customer
        )
        once = first[has_trait(pop.traits[owner[ticket_of[first]]], "one_abuse_report")]
        abuse[once] = True
    happened = occurred < w.end
    ticket_of, occurred, agent, abuse = (a[happened] for a in (ticket_of, occurred, agent, abuse))
    i_channel = channel[ticket_of]
    mean_minutes = np.select(
        [i_channel == c for c in HANDLE_MINUTES_MEAN], list(HANDLE_MINUTES_MEAN.values())
    ) * np.where(question[ticket_of], cast.STU_HANDLE_FACTOR, 1.0)
    minutes = np.round(rng.gamma(4.0, mean_minutes / 4.0 + 1e-9), 1)
    last_touch = created.copy()
    np.maximum.at(last_touch, ticket_of, occurred)
    settled = last_touch < w.end - 3
    status = np.where(settled, "solved", np.where(rng.random(owner.size) < 0.5, "open", "pending"))

    tickets = pa.table(
        {
            "ticket_id": ticket_ids,
            "customer_id": customer_ids,
            "created_at": clock.timestamps(created),
            "updated_at": clock.timestamps(last_touch),
            "channel": channel,
            "category": category,
            "status": status,
            "is_complaint": complaint,
            "satisfaction": pa.array(score, mask=~(rated & settled), type=pa.int16()),
        }
    )
    interactions = pa.table(
        {
            "interaction_id": make_ids("interactions", ids.take("interactions", ticket_of.size)),
            "ticket_id": ticket_ids.take(pa.array(ticket_of)),
            "customer_id": customer_ids.take(pa.array(ticket_of)),
            "occurred_at": clock.timestamps(occurred),
            "updated_at": clock.timestamps(occurred),
            "channel": i_channel,
            "agent_id": agent,
            "handle_minutes": minutes,
            "abuse_reported": abuse,
        }
    )
    return {
        "tickets": tickets,
        "interactions": interactions,
        "surveys": _surveys(rng, w, clock, ids),
    }


def _grouped_cumsum(group: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Running sum of `values` within each run of equal, sorted `group` values."""
    if group.size == 0:
        return values
    total = np.cumsum(values)
    starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    lengths = np.diff(np.r_[starts, group.size])
    before = np.repeat(total[starts] - values[starts], lengths)
    return total - before


def _surveys(rng: np.random.Generator, w: Window, clock: Clock, ids: IdCounter) -> pa.Table:
    pop = w.pop
    years = np.maximum(w.end - w.start, 0.0) / 365.25
    buyers = (pop.lam > 0) & (pop.repeats + (1 if w.first_purchase else 0) > 0)
    rate = persona_param("surveys_per_year", pop.persona)
    low = persona_param("nps_low", pop.persona)
    high = persona_param("nps_high", pop.persona)
    for trait, trait_rate, (trait_low, trait_high) in (
        ("stu", cast.STU_SURVEYS_PER_YEAR, cast.STU_NPS),
        ("silent_promoter", cast.SILENT_PROMOTER_SURVEYS_PER_YEAR, cast.SILENT_PROMOTER_NPS),
    ):
        has = has_trait(pop.traits, trait)
        rate = np.where(has, trait_rate, rate)
        low, high = np.where(has, trait_low, low), np.where(has, trait_high, high)
    rate = np.where(has_trait(pop.traits, "survey_silent"), 0.0, rate)
    count = rng.poisson(rate * years) * buyers
    owner = np.repeat(np.arange(pop.size), count)
    when = w.start[owner] + rng.random(owner.size) * (w.end - w.start[owner])
    nps = rng.integers(low[owner], high[owner] + 1)
    return pa.table(
        {
            "survey_id": make_ids("surveys", ids.take("surveys", owner.size)),
            "customer_id": make_ids("customers", pop.number[owner]),
            "answered_at": clock.timestamps(when),
            "updated_at": clock.timestamps(when),
            "nps": nps.astype(np.int16),
        }
    )


def consent_records(
    rng: np.random.Generator,
    pop: Population,
    initial: bool,
    change_share: float,
    start: np.ndarray,
    end: float,
    clock: Clock,
    ids: IdCounter,
) -> pa.Table:
    """The initial consent of new customers, then changes of mind inside the window."""
    parts = []
    if initial:
        parts.append((np.arange(pop.size), pop.created, pop.opted_in.copy()))
    change = np.flatnonzero(rng.random(pop.size) < change_share)
    when = start[change] + rng.random(change.size) * (end - start[change])
    pop.opted_in[change] = ~pop.opted_in[change]
    parts.append((change, when, pop.opted_in[change]))
    owner = np.concatenate([p[0] for p in parts])
    when = np.concatenate([p[1] for p in parts])
    opted_in = np.concatenate([p[2] for p in parts])
    return pa.table(
        {
            "consent_id": make_ids("marketing_consent", ids.take("marketing_consent", owner.size)),
            "customer_id": make_ids("customers", pop.number[owner]),
            "status": np.where(opted_in, "opted_in", "opted_out"),
            "recorded_at": clock.timestamps(when),
            "updated_at": clock.timestamps(when),
        }
    )


def referrals(
    rng: np.random.Generator,
    referrers: Population,
    new: Population,
    clock: Clock,
    ids: IdCounter,
) -> tuple[pa.Table, np.ndarray]:
    """Some new customers came through a referral by an earlier customer.

    Returns the referral rows and a mask over `new` of who was referred.
    """
    rate = persona_param("referrals_per_customer", referrers.persona)
    casual = has_trait(referrers.traits, "casual_referrer")
    rate = np.where(casual, np.maximum(rate, cast.CASUAL_REFERRALS_PER_CUSTOMER), rate)
    rate = np.where(has_trait(referrers.traits, "silent_promoter"), 0.0, rate)
    referred = rng.random(new.size) < REFERRED_SHARE
    if rate.sum() == 0:
        referred[:] = False
    candidates = np.flatnonzero(referred)
    referrer = (
        rng.choice(referrers.size, candidates.size, p=rate / rate.sum())
        if candidates.size
        else candidates
    )
    # A referral needs a referrer who was already a customer and is not the referred one.
    valid = (referrers.created[referrer] < new.created[candidates]) & (
        referrers.number[referrer] != new.number[candidates]
    )
    candidates, referrer = candidates[valid], referrer[valid]
    referred[:] = False
    referred[candidates] = True
    when = new.created[candidates] - rng.random(candidates.size) * 0.5
    when = np.maximum(when, referrers.created[referrer])
    table = pa.table(
        {
            "referral_id": make_ids("referrals", ids.take("referrals", candidates.size)),
            "referrer_customer_id": make_ids("customers", referrers.number[referrer]),
            "referred_customer_id": make_ids("customers", new.number[candidates]),
            "referred_at": clock.timestamps(when),
            "updated_at": clock.timestamps(when),
        }
    )
    return table, referred
