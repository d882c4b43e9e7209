with

customers as (

    select * from {{ ref('stg_shop__customers') }}

),

purchases as (

    select * from {{ ref('int_customer_purchases_summarised') }}

),

final as (

    select
        customers.customer_id,
        purchases.first_purchase_day,
        purchases.last_purchase_day,
        coalesce(purchases.purchase_days, 0) as purchase_days_lifetime,
        coalesce(purchases.purchase_days_365d, 0) as purchase_days_365d,
        coalesce(purchases.orders_lifetime, 0) as orders_lifetime,
        coalesce(purchases.orders_365d, 0) as orders_365d,
        coalesce(purchases.net_revenue_lifetime, 0) as net_revenue_lifetime,
        coalesce(purchases.net_revenue_365d, 0) as net_revenue_365d,
        coalesce(purchases.gross_margin_lifetime, 0) as gross_margin_lifetime,
        coalesce(purchases.gross_margin_365d, 0) as gross_margin_365d,
        purchases.frequency,
        purchases.recency_days,
        purchases.tenure_days,
        purchases.mean_repeat_margin,
        {{ as_of_date() }} as as_of_date

    from customers
    left join purchases on customers.customer_id = purchases.customer_id

)

select * from final
