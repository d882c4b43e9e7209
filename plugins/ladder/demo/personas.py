"""The demo company's customer personas and the parameters that generate them.

Purchases follow BG/NBD (Fader, Hardie and Lee 2005) with time in days: while alive, a
customer buys at Poisson rate lambda ~ Gamma(shape=r, rate=alpha); after each repeat
purchase they drop out with probability p ~ Beta(a, b). Margin per purchase follows
Gamma-Gamma: z ~ Gamma(shape=p_gg, rate=nu), nu ~ Gamma(shape=q, rate=gamma). The CLV
tests recover these parameters, so change them here and nowhere else.

The behaviour columns drive cost-to-serve and the ladder: rates are per order (returns,
payment trouble) or per customer-year (tickets, surveys).
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
    return_rate: float  # per completed order
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


PERSONAS: tuple[Persona, ...] = (
    Persona("loyal_client", 0.10, r=2.0, alpha=60.0, a=1.0, b=30.0,
            p_gg=6.0, q=4.0, gamma=15.0, margin_rate=0.35, discount_rate=0.05,
            discounted_share=0.10, return_rate=0.04, payment_failure_rate=0.01,
            chargeback_rate=0.001, fraud_share=0.0, tickets_per_year=0.6, phone_share=0.2,
            complaint_share=0.08, low_satisfaction_share=0.05, abuse_per_interaction=0.0,
            surveys_per_year=0.8, nps_low=7, nps_high=8, referrals_per_customer=0.05,
            opt_in_share=0.85),
    Persona("advocate", 0.04, r=2.0, alpha=50.0, a=1.0, b=30.0,
            p_gg=6.0, q=4.0, gamma=15.0, margin_rate=0.35, discount_rate=0.05,
            discounted_share=0.10, return_rate=0.04, payment_failure_rate=0.01,
            chargeback_rate=0.001, fraud_share=0.0, tickets_per_year=0.5, phone_share=0.2,
            complaint_share=0.05, low_satisfaction_share=0.03, abuse_per_interaction=0.0,
            surveys_per_year=1.5, nps_low=9, nps_high=10, referrals_per_customer=1.5,
            opt_in_share=0.9),
    Persona("occasional", 0.36, r=0.8, alpha=200.0, a=1.0, b=5.0,
            p_gg=5.0, q=4.0, gamma=15.0, margin_rate=0.32, discount_rate=0.08,
            discounted_share=0.15, return_rate=0.05, payment_failure_rate=0.015,
            chargeback_rate=0.001, fraud_share=0.05, tickets_per_year=0.3, phone_share=0.25,
            complaint_share=0.08, low_satisfaction_share=0.08, abuse_per_interaction=0.0,
            surveys_per_year=0.3, nps_low=5, nps_high=8, referrals_per_customer=0.0,
            opt_in_share=0.7),
    Persona("bargain_hunter", 0.10, r=1.2, alpha=90.0, a=1.0, b=8.0,
            p_gg=4.0, q=5.0, gamma=6.0, margin_rate=0.10, discount_rate=0.25,
            discounted_share=0.85, return_rate=0.12, payment_failure_rate=0.04,
            chargeback_rate=0.002, fraud_share=0.05, tickets_per_year=1.0, phone_share=0.35,
            complaint_share=0.10, low_satisfaction_share=0.10, abuse_per_interaction=0.0,
            surveys_per_year=0.3, nps_low=4, nps_high=8, referrals_per_customer=0.0,
            opt_in_share=0.8),
    Persona("high_cost_to_serve", 0.06, r=1.2, alpha=80.0, a=1.0, b=10.0,
            p_gg=5.0, q=4.0, gamma=12.0, margin_rate=0.28, discount_rate=0.08,
            discounted_share=0.2, return_rate=0.40, payment_failure_rate=0.03,
            chargeback_rate=0.002, fraud_share=0.0, tickets_per_year=6.0, phone_share=0.7,
            complaint_share=0.15, low_satisfaction_share=0.10, abuse_per_interaction=0.0,
            surveys_per_year=0.4, nps_low=4, nps_high=8, referrals_per_customer=0.0,
            opt_in_share=0.7),
    Persona("frustrated_fixable", 0.05, r=1.0, alpha=100.0, a=1.0, b=8.0,
            p_gg=5.0, q=4.0, gamma=15.0, margin_rate=0.32, discount_rate=0.08,
            discounted_share=0.15, return_rate=0.08, payment_failure_rate=0.015,
            chargeback_rate=0.001, fraud_share=0.0, tickets_per_year=3.0, phone_share=0.4,
            complaint_share=0.6, low_satisfaction_share=0.7, abuse_per_interaction=0.0,
            surveys_per_year=0.6, nps_low=1, nps_high=6, referrals_per_customer=0.0,
            opt_in_share=0.7),
    Persona("abusive", 0.01, r=1.0, alpha=90.0, a=1.0, b=6.0,
            p_gg=5.0, q=4.0, gamma=12.0, margin_rate=0.30, discount_rate=0.10,
            discounted_share=0.3, return_rate=0.20, payment_failure_rate=0.05,
            chargeback_rate=0.15, fraud_share=0.6, tickets_per_year=4.0, phone_share=0.6,
            complaint_share=0.5, low_satisfaction_share=0.6, abuse_per_interaction=0.6,
            surveys_per_year=0.4, nps_low=0, nps_high=3, referrals_per_customer=0.0,
            opt_in_share=0.5, min_tickets=4),
    Persona("churned", 0.13, r=1.0, alpha=60.0, a=2.0, b=3.0,
            p_gg=5.0, q=4.0, gamma=15.0, margin_rate=0.32, discount_rate=0.08,
            discounted_share=0.15, return_rate=0.05, payment_failure_rate=0.015,
            chargeback_rate=0.001, fraud_share=0.0, tickets_per_year=0.4, phone_share=0.25,
            complaint_share=0.1, low_satisfaction_share=0.1, abuse_per_interaction=0.0,
            surveys_per_year=0.2, nps_low=4, nps_high=8, referrals_per_customer=0.0,
            opt_in_share=0.7, early_acquisition=True),
    Persona("prospect", 0.15, r=0.0, alpha=1.0, a=1.0, b=1.0,
            p_gg=1.0, q=2.0, gamma=1.0, margin_rate=0.0, discount_rate=0.0,
            discounted_share=0.0, return_rate=0.0, payment_failure_rate=0.0,
            chargeback_rate=0.0, fraud_share=0.0, tickets_per_year=0.1, phone_share=0.2,
            complaint_share=0.05, low_satisfaction_share=0.05, abuse_per_interaction=0.0,
            surveys_per_year=0.0, nps_low=5, nps_high=8, referrals_per_customer=0.0,
            opt_in_share=0.6, buys=False),
)  # fmt: skip
