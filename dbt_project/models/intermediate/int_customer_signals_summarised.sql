with

customers as (

    select customer_id from {{ ref('stg_shop__customers') }}

),

thresholds as (

    select * from {{ ref('segment_thresholds') }}

),

tickets as (

    select * from {{ ref('stg_helpdesk__tickets') }}

),

interactions as (

    select * from {{ ref('stg_helpdesk__interactions') }}

),

surveys as (

    select * from {{ ref('stg_helpdesk__surveys') }}

),

payment_events as (

    select * from {{ ref('stg_shop__payment_events') }}

),

referrals as (

    select * from {{ ref('stg_shop__referrals') }}

),

returns as (

    select * from {{ ref('stg_shop__returns') }}

),

return_reasons as (

    select * from {{ ref('return_reasons') }}

),

purchases as (

    select * from {{ ref('int_customer_purchases_summarised') }}

),

-- Conduct is judged on agents' reports: how many, and from how many different agents,
-- so one agent's bad day cannot make anyone hostile.
abuse as (

    select
        interactions.customer_id,
        count(*) as abuse_reports,
        count(distinct interactions.agent_id) as abuse_reporting_agents

    from interactions
    cross join thresholds
    where
        interactions.is_abuse_reported
        and interactions.occurred_at
        >= {{ as_of_ts() }} - make_interval(days => thresholds.abuse_window_days)
    group by 1

),

fraud as (

    select
        payment_events.customer_id,
        count(*) as fraud_chargebacks

    from payment_events
    cross join thresholds
    where
        payment_events.payment_event_kind = 'chargeback'
        and payment_events.is_fraud_confirmed
        and payment_events.occurred_at
        >= {{ as_of_ts() }} - make_interval(days => thresholds.abuse_window_days)
    group by 1

),

recent_tickets as (

    select
        tickets.customer_id,
        count(*) filter (where tickets.is_complaint) as recent_complaints,
        count(*) filter (
            where tickets.satisfaction <= thresholds.frustrated_satisfaction_max
        ) as recent_low_satisfaction

    from tickets
    cross join thresholds
    where
        tickets.created_at
        >= {{ as_of_ts() }} - make_interval(days => thresholds.frustrated_window_days)
    group by 1

),

-- Service use that counts against a customer: contacts about anything but a complaint
-- (a complaint is about the shop's own failure).
service_use as (

    select
        interactions.customer_id,
        count(*) as non_complaint_contacts_365d

    from interactions
    left join tickets on interactions.ticket_id = tickets.ticket_id
    where
        interactions.occurred_at >= {{ trailing_start_ts() }}
        and not coalesce(tickets.is_complaint, false)
    group by 1

),

-- A return the shop caused (damaged, late, not as described) never counts against the
-- customer; neither does a reason the seed does not know, so a new reason code cannot
-- make anyone Toxic before someone has classified it.
trailing_returns as (

    select
        returns.customer_id,
        count(*) filter (where return_reasons.is_shop_fault) as shop_fault_returns_365d,
        count(*) filter (where not return_reasons.is_shop_fault) as customer_fault_returns_365d

    from returns
    left join return_reasons on returns.return_reason = return_reasons.return_reason
    where returns.returned_at >= {{ trailing_start_ts() }}
    group by 1

),

-- What a customer writes to the helpdesk about: claims (complaints) against questions
-- about the products (seed 004's Stu, who "is still important").
trailing_tickets as (

    select
        tickets.customer_id,
        count(*) filter (where tickets.is_complaint) as complaints_365d,
        count(*) filter (
            where tickets.satisfaction <= thresholds.frustrated_satisfaction_max
        ) as low_satisfaction_365d,
        count(*) filter (where tickets.category = 'product' and not tickets.is_complaint)
            as product_questions_365d

    from tickets
    cross join thresholds
    where tickets.created_at >= {{ trailing_start_ts() }}
    group by 1

),

ranked_surveys as (

    select
        customer_id,
        nps as latest_nps,
        answered_at as latest_nps_at,
        row_number() over (
            partition by customer_id order by answered_at desc, survey_id desc
        ) as recency_rank

    from surveys

),

latest_survey as (

    select * from ranked_surveys
    where recency_rank = 1

),

referred_buyers as (

    select
        referrals.referrer_customer_id as customer_id,
        count(distinct referrals.referred_customer_id) as referred_buyers

    from referrals
    inner join purchases on referrals.referred_customer_id = purchases.customer_id
    group by 1

),

final as (

    select
        customers.customer_id,
        coalesce(abuse.abuse_reports, 0) as abuse_reports,
        coalesce(abuse.abuse_reporting_agents, 0) as abuse_reporting_agents,
        coalesce(fraud.fraud_chargebacks, 0) as fraud_chargebacks,
        coalesce(recent_tickets.recent_complaints, 0) as recent_complaints,
        coalesce(recent_tickets.recent_low_satisfaction, 0) as recent_low_satisfaction,
        coalesce(service_use.non_complaint_contacts_365d, 0) as non_complaint_contacts_365d,
        coalesce(trailing_returns.shop_fault_returns_365d, 0) as shop_fault_returns_365d,
        coalesce(trailing_returns.customer_fault_returns_365d, 0)
            as customer_fault_returns_365d,
        coalesce(trailing_tickets.complaints_365d, 0) as complaints_365d,
        coalesce(trailing_tickets.low_satisfaction_365d, 0) as low_satisfaction_365d,
        coalesce(trailing_tickets.product_questions_365d, 0) as product_questions_365d,
        latest_survey.latest_nps,
        latest_survey.latest_nps_at,
        coalesce(
            latest_survey.latest_nps <= thresholds.detractor_nps_max
            and latest_survey.latest_nps_at
            >= {{ as_of_ts() }} - make_interval(days => thresholds.frustrated_window_days),
            false
        ) as has_recent_detractor_score,
        coalesce(
            latest_survey.latest_nps <= thresholds.detractor_nps_max
            and latest_survey.latest_nps_at
            >= {{ as_of_ts() }} - make_interval(days => thresholds.engagement_window_days),
            false
        ) as has_detractor_score_365d,
        coalesce(
            latest_survey.latest_nps >= thresholds.supporter_nps_min
            and latest_survey.latest_nps_at
            >= {{ as_of_ts() }} - make_interval(days => thresholds.engagement_window_days),
            false
        ) as has_recent_positive_score,
        coalesce(referred_buyers.referred_buyers, 0) as referred_buyers

    from customers
    cross join thresholds
    left join abuse on customers.customer_id = abuse.customer_id
    left join fraud on customers.customer_id = fraud.customer_id
    left join recent_tickets on customers.customer_id = recent_tickets.customer_id
    left join service_use on customers.customer_id = service_use.customer_id
    left join trailing_returns on customers.customer_id = trailing_returns.customer_id
    left join trailing_tickets on customers.customer_id = trailing_tickets.customer_id
    left join latest_survey on customers.customer_id = latest_survey.customer_id
    left join referred_buyers on customers.customer_id = referred_buyers.customer_id

)

select * from final
