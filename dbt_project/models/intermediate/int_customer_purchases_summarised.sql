with

orders as (

    select * from {{ ref('int_orders_priced') }}
    where is_completed

),

-- Two orders on one day are one purchase, as the CLV literature counts them.
purchase_days as (

    select
        customer_id,
        order_day,
        sum(gross_margin) as day_margin

    from orders
    group by 1, 2

),

numbered as (

    select
        customer_id,
        order_day,
        day_margin,
        row_number() over (partition by customer_id order by order_day) as purchase_number

    from purchase_days

),

summarised as (

    select
        customer_id,
        min(order_day) as first_purchase_day,
        max(order_day) as last_purchase_day,
        count(*) as purchase_days,
        count(*) - 1 as frequency,
        max(order_day) - min(order_day) as recency_days,
        {{ as_of_date() }} - min(order_day) as tenure_days,
        avg(day_margin) filter (where purchase_number > 1) as mean_repeat_margin,
        sum(day_margin) as total_margin

    from numbered
    group by 1

)

select * from summarised
