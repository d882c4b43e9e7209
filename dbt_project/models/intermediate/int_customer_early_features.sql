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

activities as (

    select * from {{ ref('int_customer_activities_costed') }}

),

thresholds as (

    select * from {{ ref('segment_thresholds') }}

),

-- The first purchase day's basket, as it was known that day: margin before any later
-- refund, the discount's share of the list price, how it was shipped.
first_baskets as (

    select
        orders.customer_id,
        sum(orders.net_revenue - orders.cogs) as first_basket_margin,
        round(
            coalesce(sum(orders.discount_amount) / nullif(sum(orders.gross_revenue), 0), 0), 4
        ) as first_basket_discount_share,
        min(orders.shipping_method) as first_shipping_method

    from orders
    inner join purchases
        on
            orders.customer_id = purchases.customer_id
            and orders.order_day = purchases.first_purchase_day
    group by 1

),

-- The early model's target window is the trailing window [L, D): a model fitted on who
-- was new or a prospect at L and what they earned since predicts the next 365 days
-- for who is new or a prospect at D.
dated as (

    select
        customers.customer_id,
        customers.country,
        customers.acquisition_channel,
        cast(timezone('UTC', customers.created_at) as date) as signed_up_day,
        purchases.first_purchase_day,
        coalesce(purchases.purchase_days, 0) as purchase_days,
        coalesce(purchases.purchase_days, 0) - coalesce(purchases.purchase_days_365d, 0)
            as purchase_days_before_window,
        coalesce(purchases.gross_margin_365d, 0) - activities.cost_to_serve_365d
            as profit_365d,
        cast({{ trailing_start_ts() }} as date) as window_start_day,
        thresholds.new_customer_days

    from customers
    inner join activities on customers.customer_id = activities.customer_id
    left join purchases on customers.customer_id = purchases.customer_id
    cross join thresholds

),

based as (

    select
        dated.*,
        case
            when dated.purchase_days = 0 then 'sign_up'
            when
                dated.purchase_days = 1
                and dated.first_purchase_day >= {{ as_of_date() }} - dated.new_customer_days
                then 'first_order'
        end as basis,
        case
            when dated.purchase_days_before_window = 0
                then case when dated.signed_up_day < dated.window_start_day then 'sign_up' end
            when
                dated.purchase_days_before_window = 1
                and dated.first_purchase_day
                >= dated.window_start_day - dated.new_customer_days
                then 'first_order'
        end as training_basis

    from dated

),

final as (

    select
        based.customer_id,
        based.basis,
        based.training_basis,
        based.country,
        based.acquisition_channel,
        based.first_purchase_day,
        first_baskets.first_basket_margin,
        first_baskets.first_basket_discount_share,
        first_baskets.first_shipping_method,
        -- greatest() skips nulls: a prospect's would be 0, not null, without the case.
        case
            when based.first_purchase_day is not null
                then greatest(based.first_purchase_day - based.signed_up_day, 0)
        end as days_to_first_purchase,
        greatest(
            {{ as_of_date() }} - coalesce(based.first_purchase_day, based.signed_up_day), 0
        ) as days_known,
        case based.training_basis
            when 'first_order' then based.window_start_day - based.first_purchase_day
            when 'sign_up' then greatest(based.window_start_day - based.signed_up_day, 0)
        end as days_known_at_window_start,
        case when based.training_basis is not null then based.profit_365d end
            as window_profit,
        {{ as_of_date() }} as as_of_date

    from based
    left join first_baskets on based.customer_id = first_baskets.customer_id
    where based.basis is not null or based.training_basis is not null

)

select * from final
