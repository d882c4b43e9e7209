{#- Today's treatment list of one system (DESIGN §6): per customer, the rule of the seed
    treatment_rules with the lowest priority among those the customer meets, with a
    reason naming the rule, the rung and the segment. treatment_marketing and
    treatment_service are this, for their system.

    Programs are connected (seed contact_policy, docs/outreach.md), judged on what was
    delivered before D (treatment_history, never the other list: treatment_service is
    built from this macro too, and reading it here would be a cycle):
    - a customer in a recovery window gets no promotional treatment, but their best
      non-promotional match, or nothing;
    - a customer whose held treatment was first delivered within the contact cap keeps
      it instead of a different promotional match, if they may still receive it.

    Holdouts (docs/holdouts.md): `is_holdout` says the customer is held out of the
    treatment (the rule's holdout_share, by the salted hash of macro is_holdout). They
    keep their row here and the payload models leave them out, so nothing is sent. -#}
{% macro treatment_list(system) %}

{#- The rule match joins on ORs no planner can estimate: it expects one match where there
    are tens of thousands, then picks nested loops that took minutes at 50,000 customers
    once treatment_history had a night of deliveries (0.3 s with hash joins). -#}
{{ config(pre_hook="set local enable_nestloop = off") }}

with

segments as (

    select * from {{ ref('customer_segments') }}

),

rules as (

    select * from {{ ref('treatment_rules') }}
    where system = '{{ system }}'

),

catalogue as (

    select * from {{ ref('treatment_catalogue') }}

),

policy as (

    select * from {{ ref('contact_policy') }}

),

history as (

    select * from {{ ref('treatment_history') }}

),

-- In recovery at D: some system delivered its recovery treatment, and the window from
-- its first delivery has not closed.
in_recovery as (

    select
        history.customer_id,
        max(history.valid_from) as recovery_since,
        max(history.valid_from + policy.recovery_window_days) as recovery_until

    from history
    inner join policy
        on
            history.system = policy.system
            and history.treatment_code = policy.recovery_treatment_code
    where history.valid_from + policy.recovery_window_days > {{ as_of_date() }}
    group by 1

),

-- What this system holds for the customer, first delivered within the contact cap.
recent_delivery as (

    select
        history.customer_id,
        history.treatment_code,
        history.valid_from,
        policy.contact_cap_days

    from history
    inner join policy on history.system = policy.system
    where
        history.system = '{{ system }}'
        and history.is_current
        and history.valid_from > {{ as_of_date() }} - policy.contact_cap_days

),

-- Every rule a customer meets; a promotional one is held back during recovery.
matches as (

    select
        segments.customer_id,
        rules.priority,
        rules.treatment_code,
        rules.channel,
        rules.offer,
        rules.service_tier,
        rules.flag,
        rules.rationale,
        rules.holdout_share,
        catalogue.is_promotional,
        in_recovery.recovery_since,
        in_recovery.recovery_until,
        catalogue.is_promotional and in_recovery.customer_id is not null as is_held_back

    from segments
    inner join rules on {{ meets_rule('segments', 'rules') }}
    inner join catalogue on rules.treatment_code = catalogue.treatment_code
    left join in_recovery on segments.customer_id = in_recovery.customer_id

),

-- The highest-priority match (the lowest number) not held back is today's.
ranked as (

    select
        *,
        row_number() over (
            partition by customer_id order by is_held_back, priority
        ) as match_rank,
        min(case when is_held_back then priority end) over (
            partition by customer_id
        ) as first_held_back_priority

    from matches

),

chosen as (

    select * from ranked
    where match_rank = 1 and not is_held_back

),

-- Today's match is a different promotion, but the held treatment is too recent to move.
capped as (

    select
        chosen.customer_id,
        chosen.treatment_code as waiting_code,
        recent_delivery.treatment_code as held_code,
        recent_delivery.valid_from as held_since,
        recent_delivery.contact_cap_days

    from chosen
    inner join recent_delivery on chosen.customer_id = recent_delivery.customer_id
    where chosen.is_promotional and chosen.treatment_code <> recent_delivery.treatment_code

),

-- The rule that keeps the held treatment: the best one of its code the customer meets,
-- else the first of its code. Never one consent forbids, nor a promotion in recovery:
-- then today's match goes out after all.
kept as (

    select distinct on (capped.customer_id)
        capped.customer_id,
        rules.priority,
        rules.treatment_code,
        rules.channel,
        rules.offer,
        rules.service_tier,
        case when {{ meets_rule('segments', 'rules') }} then rules.flag end as flag,
        rules.rationale,
        rules.holdout_share,
        format(
            ' Kept by the contact cap: delivered since %s, less than %s days ago; %s waits.',
            capped.held_since, capped.contact_cap_days, capped.waiting_code
        ) as note

    from capped
    inner join segments on capped.customer_id = segments.customer_id
    inner join rules on capped.held_code = rules.treatment_code
    inner join catalogue on rules.treatment_code = catalogue.treatment_code
    left join in_recovery on capped.customer_id = in_recovery.customer_id
    where
        (segments.has_marketing_consent or not rules.requires_consent)
        and not (catalogue.is_promotional and in_recovery.customer_id is not null)
    order by capped.customer_id, not {{ meets_rule('segments', 'rules') }}, rules.priority

),

decided as (

    select
        chosen.customer_id,
        chosen.priority,
        chosen.treatment_code,
        chosen.channel,
        chosen.offer,
        chosen.service_tier,
        chosen.flag,
        chosen.rationale,
        chosen.holdout_share,
        case
            when chosen.first_held_back_priority < chosen.priority
                then format(
                    ' Promotions held back: service recovery since %s, until %s.',
                    chosen.recovery_since, chosen.recovery_until
                )
            else ''
        end as note

    from chosen
    left join kept on chosen.customer_id = kept.customer_id
    where kept.customer_id is null

    union all

    select * from kept

),

final as (

    select
        decided.customer_id,
        decided.treatment_code,
        decided.channel,
        decided.offer,
        {%- if system == 'service' %}
        decided.service_tier,
        {%- endif %}
        decided.priority as rule_priority,
        {{ is_holdout('decided.customer_id', 'decided.treatment_code', 'decided.holdout_share') }}
            as is_holdout,
        format(
            '%s Rung %s: %s. Segment %s: %s.%s%s', decided.rationale, segments.ladder_rung,
            segments.ladder_rung_reason, segments.value_segment,
            segments.value_segment_reason,
            case
                when decided.flag is not null then format(' Flag: %s.', decided.flag)
                else ''
            end,
            decided.note
        ) as reason,
        segments.ladder_rung,
        segments.value_segment,
        segments.has_marketing_consent,
        {{ as_of_date() }} as as_of_date

    from decided
    inner join segments on decided.customer_id = segments.customer_id

)

select * from final

{% endmacro %}

{#- A customer (`segments`) meets a rule (`rules`): an empty rung, segment or flag in the
    rule matches anyone. Only the suppression rule (requires_consent false) reaches
    customers without marketing consent; service rules never require it. -#}
{% macro meets_rule(segments, rules) -%}
    (
        ({{ rules }}.ladder_rung is null or {{ segments }}.ladder_rung = {{ rules }}.ladder_rung)
        and (
            {{ rules }}.value_segment is null
            or {{ segments }}.value_segment = {{ rules }}.value_segment
        )
        and (
            {{ rules }}.flag is null
            or ({{ rules }}.flag = 'frustrated' and {{ segments }}.is_frustrated)
            or ({{ rules }}.flag = 'at_risk' and {{ segments }}.is_at_risk)
            or (
                {{ rules }}.flag = 'new_high_potential'
                and {{ segments }}.is_new_high_potential
            )
        )
        and ({{ segments }}.has_marketing_consent or not {{ rules }}.requires_consent)
    )
{%- endmacro %}
