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
        count(*) as orders,
        min(ordered_at) as first_ordered_at,
        max(ordered_at) as last_ordered_at,
        sum(net_revenue) as day_revenue,
        sum(gross_margin) as day_margin,
        -- D and the window start are midnights UTC, so a day is wholly in or out.
        order_day >= cast({{ trailing_start_ts() }} as date) as is_recent,
        -- The purchase history as it stood at D - clv_lookback_days, for P(alive) then.
        order_day < {{ as_of_date() }} - {{ var('clv_lookback_days') }} as is_before_lookback

    from orders
    group by 1, 2

),

numbered as (

    select
        *,
        row_number() over (partition by customer_id order by order_day) as purchase_number

    from purchase_days

),

summarised as (

    select
        customer_id,
        min(first_ordered_at) as first_order_at,
        max(last_ordered_at) as last_order_at,
        cast(sum(orders) as bigint) as orders_lifetime,
        cast(coalesce(sum(orders) filter (where is_recent), 0) as bigint) as orders_365d,
        sum(day_revenue) as net_revenue_lifetime,
        coalesce(sum(day_revenue) filter (where is_recent), 0) as net_revenue_365d,
        sum(day_margin) as gross_margin_lifetime,
        coalesce(sum(day_margin) filter (where is_recent), 0) as gross_margin_365d,
        min(order_day) as first_purchase_day,
        max(order_day) as last_purchase_day,
        count(*) as purchase_days,
        count(*) filter (where is_recent) as purchase_days_365d,
        count(*) - 1 as frequency,
        max(order_day) - min(order_day) as recency_days,
        -- T runs to the last observed day, D - 1, as in Fader-Hardie's data and `ladder clv`.
        {{ as_of_date() }} - 1 - min(order_day) as tenure_days,
        avg(day_margin) filter (where purchase_number > 1) as mean_repeat_margin,
        -- The same summary as of the lookback date L = D - clv_lookback_days (null when
        -- the first purchase is on or after L): score_clv scores it with tonight's fit.
        nullif(count(*) filter (where is_before_lookback), 0) - 1 as frequency_lookback,
        max(order_day) filter (where is_before_lookback)
        - min(order_day) filter (where is_before_lookback) as recency_days_lookback,
        {{ as_of_date() }} - {{ var('clv_lookback_days') }} - 1
        - min(order_day) filter (where is_before_lookback) as tenure_days_lookback,
        avg(day_margin) filter (
            where purchase_number > 1 and is_before_lookback
        ) as mean_repeat_margin_lookback,
        -- score_clv checks this, so it never fits on a summary built for another date.
        {{ as_of_date() }} as as_of_date

    from numbered
    group by 1

)

select * from summarised
