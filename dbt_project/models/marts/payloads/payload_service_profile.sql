-- depends_on: {{ ref('ladder_vocabulary') }}
-- (read by this model's no_internal_vocabulary test: as a parent, the seed lets the test
-- run in the stage that builds the model)

with

treatments as (

    select * from {{ ref('treatment_service') }}
    -- A held-out customer is never sent: the diff removes them where they were.
    where not is_holdout

),

rules as (

    select * from {{ ref('treatment_rules') }}
    where system = 'service'

),

signals as (

    select * from {{ ref('int_customer_signals_summarised') }}

),

thresholds as (

    select * from {{ ref('segment_thresholds') }}

),

tickets as (

    select * from {{ ref('stg_helpdesk__tickets') }}

),

ranked_ratings as (

    select
        customer_id,
        satisfaction,
        cast(created_at as date) as rated_on,
        row_number() over (
            partition by customer_id order by created_at desc, ticket_id desc
        ) as recency_rank

    from tickets
    where satisfaction is not null

),

latest_rating as (

    select * from ranked_ratings
    where recency_rank = 1

),

unsolved as (

    select
        customer_id,
        count(*) as open_tickets

    from tickets
    where ticket_status not in ('solved', 'closed')
    group by 1

),

-- The agent's note: facts from the helpdesk and payments, each with its window, and no
-- judgement (the rung, segment and figures stay in the warehouse).
facts as (

    select
        treatments.customer_id,
        format(
            '%s in %s days',
            {{ counted('coalesce(signals.recent_complaints, 0)', 'complaint', 'complaints') }},
            thresholds.frustrated_window_days
        ) as complaints,
        case
            when latest_rating.satisfaction is not null
                then format(
                    'last satisfaction %s/5 on %s', latest_rating.satisfaction,
                    latest_rating.rated_on
                )
            else 'no satisfaction rating'
        end as satisfaction,
        {{ counted('coalesce(unsolved.open_tickets, 0)', 'open ticket', 'open tickets') }}
            as open_tickets,
        case
            when signals.abuse_reports > 0
                then format(
                    '%s by %s in %s days',
                    {{ counted('signals.abuse_reports', 'abuse report', 'abuse reports') }},
                    {{ counted('signals.abuse_reporting_agents', 'agent', 'agents') }},
                    thresholds.abuse_window_days
                )
        end as abuse,
        case
            when signals.fraud_chargebacks > 0
                then format(
                    '%s in %s days',
                    {{ counted(
                        'signals.fraud_chargebacks',
                        'chargeback confirmed as fraud',
                        'chargebacks confirmed as fraud'
                    ) }},
                    thresholds.abuse_window_days
                )
        end as fraud

    from treatments
    cross join thresholds
    left join signals on treatments.customer_id = signals.customer_id
    left join latest_rating on treatments.customer_id = latest_rating.customer_id
    left join unsolved on treatments.customer_id = unsolved.customer_id

),

final as (

    select
        treatments.customer_id,
        treatments.service_tier as tier,
        treatments.treatment_code,
        rules.customer_reason as reason,
        concat_ws(
            ', ', facts.complaints, facts.satisfaction, facts.open_tickets, facts.abuse,
            facts.fraud
        ) as agent_note,
        treatments.as_of_date

    from treatments
    left join rules on treatments.rule_priority = rules.priority
    left join facts on treatments.customer_id = facts.customer_id

)

select * from final
