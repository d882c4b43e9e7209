"""What each treatment list sends: one JSON payload per customer, built in SQL from the
treatment marts. A payload's md5 is what the diff compares, so a customer is resent only
when something they would receive changed. The reason sent is the rule's rationale (and
the rung and segment), not the mart's full reason: its figures (trailing profit, P(alive))
move every day, and would resend a third of each list every night for nothing."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TreatmentList:
    name: str  # also the destination name in ladder.yml (destinations.<name>)
    mart: str
    payload_sql: str  # select customer_id, payload (jsonb) from the mart for D
    fields: tuple[str, ...]  # the payload's keys, customer_id first (a table's columns)


MARKETING = TreatmentList(
    "marketing",
    "marts.treatment_marketing",
    """
    select
        list.customer_id,
        jsonb_build_object(
            'customer_id', list.customer_id,
            'treatment_code', list.treatment_code,
            'offer', list.offer,
            'channel', list.channel,
            'attributes', jsonb_build_object(
                'email', customers.email,
                'ladder_rung', list.ladder_rung,
                'value_segment', list.value_segment,
                'reason', rules.rationale
            )
        ) as payload
    from marts.treatment_marketing as list
    inner join marts.dim_customers as customers on customers.customer_id = list.customer_id
    inner join staging.treatment_rules as rules
        on rules.system = 'marketing' and rules.priority = list.rule_priority
    """,
    ("customer_id", "treatment_code", "offer", "channel", "attributes"),
)

SERVICE = TreatmentList(
    "service",
    "marts.treatment_service",
    """
    select
        list.customer_id,
        jsonb_build_object(
            'customer_id', list.customer_id,
            'tier', list.service_tier,
            'treatment_code', list.treatment_code,
            'reason', rules.rationale || ' (rung ' || list.ladder_rung || ', segment '
                || list.value_segment || ')'
        ) as payload
    from marts.treatment_service as list
    inner join staging.treatment_rules as rules
        on rules.system = 'service' and rules.priority = list.rule_priority
    """,
    ("customer_id", "tier", "treatment_code", "reason"),
)

LISTS = {lst.name: lst for lst in (MARKETING, SERVICE)}
