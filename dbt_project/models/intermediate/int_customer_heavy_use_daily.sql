-- The heavy-use measures of the Toxic rule, per customer and day, so the rule can
-- compare a customer's rate before an outreach with their rate since.
with

thresholds as (

    select * from {{ ref('segment_thresholds') }}

),

returns as (

    select * from {{ ref('stg_shop__returns') }}

),

return_reasons as (

    select * from {{ ref('return_reasons') }}

),

tickets as (

    select * from {{ ref('stg_helpdesk__tickets') }}

),

interactions as (

    select * from {{ ref('stg_helpdesk__interactions') }}

),

-- An outreach counts for outreach_memory_days, and the rate before it is taken over the
-- trailing window before it: nothing older than their sum is ever read.
window_start as (

    select
        {{ as_of_ts() }}
        - make_interval(days => outreach_memory_days + {{ var("trailing_days") }}) as starts_at

    from thresholds

),

customer_fault_returns as (

    select
        returns.customer_id,
        cast(returns.returned_at as date) as activity_day,
        count(*) as customer_fault_returns,
        0 as ordinary_contacts

    from returns
    inner join return_reasons
        on
            returns.return_reason = return_reasons.return_reason
            and not return_reasons.is_shop_fault
    cross join window_start
    where returns.returned_at >= window_start.starts_at
    group by 1, 2

),

ordinary_contacts as (

    select
        interactions.customer_id,
        cast(interactions.occurred_at as date) as activity_day,
        0 as customer_fault_returns,
        count(*) as ordinary_contacts

    from interactions
    left join tickets on interactions.ticket_id = tickets.ticket_id
    cross join window_start
    where
        interactions.occurred_at >= window_start.starts_at
        and not coalesce(tickets.is_complaint, false)
    group by 1, 2

),

activities as (

    select * from customer_fault_returns
    union all
    select * from ordinary_contacts

),

final as (

    select
        customer_id,
        activity_day,
        sum(customer_fault_returns) as customer_fault_returns,
        sum(ordinary_contacts) as ordinary_contacts

    from activities
    group by 1, 2

)

select * from final
