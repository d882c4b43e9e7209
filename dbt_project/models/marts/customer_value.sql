with

customers as (

    select * from {{ ref('stg_shop__customers') }}

),

orders as (

    select * from {{ ref('int_orders_priced') }}
    where is_completed

),

purchases as (

    select * from {{ ref('int_customer_purchases_summarised') }}

),

order_totals as (

    select
        customer_id,
        sum(net_revenue) as net_revenue_lifetime,
        sum(gross_margin) as gross_margin_lifetime,
        count(*) as orders_lifetime,
        sum(net_revenue) filter (
            where ordered_at >= {{ trailing_start_ts() }}
        ) as net_revenue_365d,
        sum(gross_margin) filter (
            where ordered_at >= {{ trailing_start_ts() }}
        ) as gross_margin_365d,
        count(*) filter (where ordered_at >= {{ trailing_start_ts() }}) as orders_365d,
        count(distinct order_day) filter (
            where ordered_at >= {{ trailing_start_ts() }}
        ) as purchase_days_365d

    from orders
    group by 1

),

final as (

    select
        customers.customer_id,
        purchases.first_purchase_day,
        purchases.last_purchase_day,
        coalesce(purchases.purchase_days, 0) as purchase_days_lifetime,
        coalesce(order_totals.purchase_days_365d, 0) as purchase_days_365d,
        coalesce(order_totals.orders_lifetime, 0) as orders_lifetime,
        coalesce(order_totals.orders_365d, 0) as orders_365d,
        coalesce(order_totals.net_revenue_lifetime, 0) as net_revenue_lifetime,
        coalesce(order_totals.net_revenue_365d, 0) as net_revenue_365d,
        coalesce(order_totals.gross_margin_lifetime, 0) as gross_margin_lifetime,
        coalesce(order_totals.gross_margin_365d, 0) as gross_margin_365d,
        purchases.frequency,
        purchases.recency_days,
        purchases.tenure_days,
        purchases.mean_repeat_margin,
        {{ as_of_date() }} as as_of_date

    from customers
    left join order_totals on customers.customer_id = order_totals.customer_id
    left join purchases on customers.customer_id = purchases.customer_id

)

select * from final
