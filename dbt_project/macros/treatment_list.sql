{#- Today's treatment list of one system (DESIGN §6): per customer, the rule of the seed
    treatment_rules with the lowest priority among those the customer meets, with a
    reason naming the rule, the rung and the segment. treatment_marketing and
    treatment_service are this, for their system. -#}
{% macro treatment_list(system) %}

with

segments as (

    select * from {{ ref('customer_segments') }}

),

rules as (

    select * from {{ ref('treatment_rules') }}
    where system = '{{ system }}'

),

-- Every rule a customer meets; an empty rung, segment or flag in a rule matches anyone.
matches as (

    select
        segments.customer_id,
        segments.ladder_rung,
        segments.value_segment,
        segments.has_marketing_consent,
        segments.ladder_rung_reason,
        segments.value_segment_reason,
        rules.priority,
        rules.treatment_code,
        rules.channel,
        rules.offer,
        rules.service_tier,
        rules.flag,
        rules.rationale

    from segments
    inner join rules
        on
            (rules.ladder_rung is null or segments.ladder_rung = rules.ladder_rung)
            and (rules.value_segment is null or segments.value_segment = rules.value_segment)
            and (
                rules.flag is null
                or (rules.flag = 'frustrated' and segments.is_frustrated)
                or (rules.flag = 'at_risk' and segments.is_at_risk)
                or (rules.flag = 'new_high_potential' and segments.is_new_high_potential)
            )
            -- Only the suppression rule (requires_consent false) reaches customers
            -- without marketing consent; service rules never require it.
            and (segments.has_marketing_consent or not rules.requires_consent)

),

-- The highest-priority match (the lowest number) is today's treatment.
ranked as (

    select
        *,
        row_number() over (partition by customer_id order by priority) as match_rank

    from matches

),

chosen as (

    select * from ranked
    where match_rank = 1

),

final as (

    select
        customer_id,
        treatment_code,
        channel,
        offer,
        {%- if system == 'service' %}
        service_tier,
        {%- endif %}
        priority as rule_priority,
        format(
            '%s Rung %s: %s. Segment %s: %s.%s', rationale, ladder_rung, ladder_rung_reason,
            value_segment, value_segment_reason,
            case when flag is not null then format(' Flag: %s.', flag) else '' end
        ) as reason,
        ladder_rung,
        value_segment,
        has_marketing_consent,
        {{ as_of_date() }} as as_of_date

    from chosen

)

select * from final

{% endmacro %}
