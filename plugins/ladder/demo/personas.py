"""The demo company's customer personas and the parameters that generate them.

Purchases follow BG/NBD (Fader, Hardie and Lee 2005) with time in days: while alive, a
customer buys at Poisson rate lambda ~ Gamma(shape=r, rate=alpha); after each repeat
purchase they drop out with probability p ~ Beta(a, b). Margin per purchase follows
Gamma-Gamma: z ~ Gamma(shape=p_gg, rate=nu), nu ~ Gamma(shape=q, rate=gamma). The CLV
tests recover these parameters, so change them here and nowhere else.

The behaviour columns drive cost-to-serve and the ladder: rates are per order (returns,
payment trouble) or per customer-year (tickets, surveys).

Confounders (issue 20): no signal the ladder reads is planted in one persona only. Each
customer carries zero or more traits, drawn at creation with per-persona shares (of the
persona's customers) and recorded in `demo_truth.customer_trait`; change them here and
nowhere else.

TRAITS lists each trait with its shares and what the data shows of it; the constants
after it set the size of each effect.

First orders carry the customer's promise, with noise: `first_order_promise` (per persona,
about -1 to 1) plus FIRST_ORDER_NOISE and a tilt by the customer's own rate and margin
sets a signal s; s raises the first basket's margin and margin rate, lowers the chance of a
discount, tilts shipping towards express and the acquisition channel by CHANNEL_PROMISE. A
misleading first order flips the persona's promise.

Returns: every persona returns some orders for the shop's fault (SHOP_FAULT_REASONS, at
`shop_fault_return_rate`, higher for the frustrated); `return_rate` is the rate of returns
for the customer's own reasons (CUSTOMER_REASONS), where high_cost_to_serve's excess lies.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Persona:
    name: str
    share: float  # of all customers
    # BG/NBD, days. Mean purchase rate r/alpha per day; mean dropout a/(a+b).
    r: float
    alpha: float
    a: float
    b: float
    # Gamma-Gamma margin per purchase; population mean p_gg*gamma/(q-1).
    p_gg: float
    q: float
    gamma: float
    margin_rate: float  # gross margin / net revenue of an order
    discount_rate: float  # discount / gross order value on discounted orders
    discounted_share: float  # share of orders with a discount
    return_rate: float  # per completed order, for the customer's reasons
    payment_failure_rate: float  # per order
    chargeback_rate: float  # per order
    fraud_share: float  # of chargebacks confirmed as fraud
    tickets_per_year: float
    phone_share: float  # of tickets; the rest split email/chat/self-service
    complaint_share: float  # of tickets
    low_satisfaction_share: float  # of rated tickets that score 1-2
    abuse_per_interaction: float
    surveys_per_year: float
    nps_low: int  # survey NPS drawn uniformly from [nps_low, nps_high]
    nps_high: int
    referrals_per_customer: float
    opt_in_share: float  # initial marketing consent
    early_acquisition: bool = False  # acquired in the first 40 % of the window (churners)
    min_tickets: int = 0  # at least this many tickets over the generated history
    buys: bool = True
    first_order_promise: float = 0.0  # how good the first order looks, about -1 to 1
    shop_fault_return_rate: float = 0.02  # per completed order, the shop's fault


PERSONAS: tuple[Persona, ...] = (
    Persona("loyal_client", 0.10, r=2.0, alpha=60.0, a=1.0, b=30.0,
            p_gg=6.0, q=4.0, gamma=15.0, margin_rate=0.35, discount_rate=0.05,
            discounted_share=0.10, return_rate=0.02, payment_failure_rate=0.01,
            chargeback_rate=0.001, fraud_share=0.0, tickets_per_year=0.6, phone_share=0.2,
            complaint_share=0.08, low_satisfaction_share=0.05, abuse_per_interaction=0.0,
            surveys_per_year=0.8, nps_low=7, nps_high=8, referrals_per_customer=0.05,
            opt_in_share=0.85, first_order_promise=0.8),
    Persona("advocate", 0.04, r=2.0, alpha=50.0, a=1.0, b=30.0,
            p_gg=6.0, q=4.0, gamma=15.0, margin_rate=0.35, discount_rate=0.05,
            discounted_share=0.10, return_rate=0.02, payment_failure_rate=0.01,
            chargeback_rate=0.001, fraud_share=0.0, tickets_per_year=0.5, phone_share=0.2,
            complaint_share=0.05, low_satisfaction_share=0.03, abuse_per_interaction=0.0,
            surveys_per_year=1.5, nps_low=9, nps_high=10, referrals_per_customer=1.5,
            opt_in_share=0.9, first_order_promise=0.8),
    Persona("occasional", 0.36, r=0.8, alpha=200.0, a=1.0, b=5.0,
            p_gg=5.0, q=4.0, gamma=15.0, margin_rate=0.32, discount_rate=0.08,
            discounted_share=0.15, return_rate=0.03, payment_failure_rate=0.015,
            chargeback_rate=0.001, fraud_share=0.05, tickets_per_year=0.3, phone_share=0.25,
            complaint_share=0.08, low_satisfaction_share=0.08, abuse_per_interaction=0.0,
            surveys_per_year=0.3, nps_low=5, nps_high=8, referrals_per_customer=0.0,
            opt_in_share=0.7, first_order_promise=0.0),
    Persona("bargain_hunter", 0.10, r=1.2, alpha=90.0, a=1.0, b=8.0,
            p_gg=4.0, q=5.0, gamma=6.0, margin_rate=0.10, discount_rate=0.25,
            discounted_share=0.85, return_rate=0.10, payment_failure_rate=0.04,
            chargeback_rate=0.002, fraud_share=0.05, tickets_per_year=1.0, phone_share=0.35,
            complaint_share=0.10, low_satisfaction_share=0.10, abuse_per_interaction=0.0,
            surveys_per_year=0.3, nps_low=4, nps_high=8, referrals_per_customer=0.0,
            opt_in_share=0.8, first_order_promise=-0.8),
    Persona("high_cost_to_serve", 0.06, r=1.2, alpha=80.0, a=1.0, b=10.0,
            p_gg=5.0, q=4.0, gamma=12.0, margin_rate=0.28, discount_rate=0.08,
            discounted_share=0.2, return_rate=0.38, payment_failure_rate=0.03,
            chargeback_rate=0.002, fraud_share=0.0, tickets_per_year=6.0, phone_share=0.7,
            complaint_share=0.15, low_satisfaction_share=0.10, abuse_per_interaction=0.0,
            surveys_per_year=0.4, nps_low=4, nps_high=8, referrals_per_customer=0.0,
            opt_in_share=0.7, first_order_promise=-0.4),
    Persona("frustrated_fixable", 0.05, r=1.0, alpha=100.0, a=1.0, b=8.0,
            p_gg=5.0, q=4.0, gamma=15.0, margin_rate=0.32, discount_rate=0.08,
            discounted_share=0.15, return_rate=0.02, payment_failure_rate=0.015,
            chargeback_rate=0.001, fraud_share=0.0, tickets_per_year=3.0, phone_share=0.4,
            complaint_share=0.6, low_satisfaction_share=0.7, abuse_per_interaction=0.0,
            surveys_per_year=0.6, nps_low=1, nps_high=6, referrals_per_customer=0.0,
            opt_in_share=0.7, first_order_promise=0.0,
            shop_fault_return_rate=0.08),
    Persona("abusive", 0.01, r=1.0, alpha=90.0, a=1.0, b=6.0,
            p_gg=5.0, q=4.0, gamma=12.0, margin_rate=0.30, discount_rate=0.10,
            discounted_share=0.3, return_rate=0.18, payment_failure_rate=0.05,
            chargeback_rate=0.15, fraud_share=0.6, tickets_per_year=4.0, phone_share=0.6,
            complaint_share=0.5, low_satisfaction_share=0.6, abuse_per_interaction=0.6,
            surveys_per_year=0.4, nps_low=0, nps_high=3, referrals_per_customer=0.0,
            opt_in_share=0.5, min_tickets=4, first_order_promise=-0.5),
    Persona("churned", 0.13, r=1.0, alpha=60.0, a=2.0, b=3.0,
            p_gg=5.0, q=4.0, gamma=15.0, margin_rate=0.32, discount_rate=0.08,
            discounted_share=0.15, return_rate=0.03, payment_failure_rate=0.015,
            chargeback_rate=0.001, fraud_share=0.0, tickets_per_year=0.4, phone_share=0.25,
            complaint_share=0.1, low_satisfaction_share=0.1, abuse_per_interaction=0.0,
            surveys_per_year=0.2, nps_low=4, nps_high=8, referrals_per_customer=0.0,
            opt_in_share=0.7, early_acquisition=True, first_order_promise=0.2),
    Persona("prospect", 0.15, r=0.0, alpha=1.0, a=1.0, b=1.0,
            p_gg=1.0, q=2.0, gamma=1.0, margin_rate=0.0, discount_rate=0.0,
            discounted_share=0.0, return_rate=0.0, payment_failure_rate=0.0,
            chargeback_rate=0.0, fraud_share=0.0, tickets_per_year=0.1, phone_share=0.2,
            complaint_share=0.05, low_satisfaction_share=0.05, abuse_per_interaction=0.0,
            surveys_per_year=0.0, nps_low=5, nps_high=8, referrals_per_customer=0.0,
            opt_in_share=0.6, buys=False, shop_fault_return_rate=0.0),
)  # fmt: skip


@dataclass(frozen=True)
class Trait:
    """A confounder some customers of some personas carry."""

    name: str
    shares: dict[str, float]  # persona name -> share of its customers
    shows: str  # what the data shows of it


_LONE_ABUSE_SHARE = 0.005  # an isolated abuse report against any other non-abusive buyer

TRAITS: tuple[Trait, ...] = (
    Trait("one_abuse_report",
          {**{p.name: _LONE_ABUSE_SHARE for p in PERSONAS if p.buys and p.name != "abusive"},
           "frustrated_fixable": 0.25},
          "one abuse report, by one agent, on the customer's first contact"),
    Trait("ordinary_contacts", {"frustrated_fixable": 0.30},
          "ORDINARY_CONTACTS_PER_YEAR more tickets, no complaint, category not product"),
    Trait("stu", {"bargain_hunter": 0.35},
          "STU_QUESTIONS_PER_YEAR long `product` tickets, no complaint, rated well; surveys "
          "at NPS 7-10; unprofitable (the bargain hunter's margin and discounts)"),
    Trait("silent_promoter", {"occasional": 0.10}, "surveys at NPS 9-10; never refers"),
    Trait("survey_silent", {"advocate": 0.30}, "never answers a survey; refers only"),
    Trait("casual_referrer",
          {"occasional": 0.03, "bargain_hunter": 0.05, "frustrated_fixable": 0.05,
           "high_cost_to_serve": 0.03, "churned": 0.03},
          "refers new customers now and then (CASUAL_REFERRALS_PER_CUSTOMER)"),
    Trait("goes_quiet", {"loyal_client": 0.20},
          "stops buying QUIET_AFTER_DAYS after the first order"),
    Trait("misleading_first_order",
          {"loyal_client": 0.20, "advocate": 0.20, "bargain_hunter": 0.20},
          "a first order that looks like the opposite persona's (promise flipped)"),
)  # fmt: skip

# ordinary_contacts: extra tickets a year about delivery, billing, account or returns.
ORDINARY_CONTACTS_PER_YEAR = 5.0
# stu: product questions a year, their phone share, how much longer they take than the
# channel's usual, and the customer's survey rate and NPS range.
STU_QUESTIONS_PER_YEAR = 3.0
STU_PHONE_SHARE = 0.6
STU_HANDLE_FACTOR = 1.5
STU_SURVEYS_PER_YEAR = 1.0
STU_NPS = (7, 10)
# silent_promoter: survey rate and NPS range (and no referrals).
SILENT_PROMOTER_SURVEYS_PER_YEAR = 0.6
SILENT_PROMOTER_NPS = (9, 10)
# casual_referrer: referral weight, against the personas' referrals_per_customer.
CASUAL_REFERRALS_PER_CUSTOMER = 0.5
# goes_quiet: the customer's last purchase comes this many days (uniform) after the first.
QUIET_AFTER_DAYS = (60.0, 300.0)
# Extra tickets (ordinary contacts, product questions) rated 1-2 this often.
EXTRA_TICKET_LOW_SATISFACTION_SHARE = 0.05

# First order. The signal s = promise (flipped when misleading) + tilt by the customer's
# own value + noise; s moves the first basket's margin (x exp(FIRST_BASKET_MARGIN_SPREAD s)),
# its margin rate (x 1 + FIRST_BASKET_RATE_SPREAD s), the log-odds of a discount
# (- FIRST_ORDER_DISCOUNT_SLOPE s), the express and pickup weights of shipping, and the
# acquisition channel's weights (x exp(CHANNEL_PROMISE s)).
FIRST_ORDER_NOISE = 0.6
FIRST_ORDER_OWN_VALUE_TILT = 0.3
FIRST_BASKET_MARGIN_SPREAD = 0.4
FIRST_BASKET_RATE_SPREAD = 0.25
FIRST_ORDER_DISCOUNT_SLOPE = 1.5
FIRST_ORDER_DISCOUNT_RATE = 0.15  # a welcome discount, where the persona gives none
FIRST_ORDER_EXPRESS_SLOPE = 1.0
FIRST_ORDER_PICKUP_SLOPE = -0.8
CHANNEL_PROMISE = {"organic_search": 0.3, "paid_search": 0.0, "social": -0.4, "email": 0.5,
                   "marketplace": -0.8}  # fmt: skip

SHOP_FAULT_REASONS = ("damaged", "not_as_described", "late")
CUSTOMER_REASONS = ("wrong_size", "changed_mind")
