-- The daily costs (int_customer_days_costed) and the trailing-year totals
-- (int_customer_activities_costed) price the same activities with the same rates: over
-- the trailing window they agree per customer, up to the totals' rounding of each of
-- their nine activity costs to cents (at most 9 half cents).
with

days as (

    select
        customer_id,
        sum(completed_orders) as completed_orders,
        sum(cost_to_serve) as cost_to_serve

    from {{ ref('int_customer_days_costed') }}
    where activity_day >= {{ as_of_date() }} - {{ var('trailing_days') }}
    group by 1

),

totals as (

    select * from {{ ref('int_customer_activities_costed') }}

)

select
    coalesce(totals.customer_id, days.customer_id) as customer_id,
    totals.cost_to_serve_365d,
    days.cost_to_serve as summed_days,
    totals.completed_orders_365d,
    days.completed_orders as summed_orders

from totals
full outer join days on totals.customer_id = days.customer_id
where
    abs(coalesce(totals.cost_to_serve_365d, 0) - coalesce(days.cost_to_serve, 0)) > 0.045
    or coalesce(totals.completed_orders_365d, 0) != coalesce(days.completed_orders, 0)
