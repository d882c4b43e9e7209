with

customers as (

    select * from {{ ref('stg_shop__customers') }}

),

purchases as (

    select * from {{ ref('int_customer_purchases_summarised') }}

),

activities as (

    select * from {{ ref('int_customer_activities_costed') }}

),

scores as (

    select * from {{ ref('stg_clv__customer_scores') }}

),

early_scores as (

    select * from {{ ref('stg_clv__early_scores') }}

),

value_tiers as (

    select
        value_tier,
        top_share,
        coalesce(lag(top_share) over (order by top_share), 0) as below_share

    from {{ ref('value_tiers') }}

),

-- A future purchase is expected to cost what this customer's purchases cost lately:
-- trailing purchase costs per trailing purchase day, or over the lifetime when the
-- customer has not bought in the trailing window.
cost_per_purchase as (

    select
        purchases.customer_id,
        round(
            case
                when purchases.purchase_days_365d > 0
                    then activities.purchase_cost_365d / purchases.purchase_days_365d
                else activities.purchase_cost_lifetime / purchases.purchase_days
            end,
            2
        ) as expected_cost_per_purchase

    from purchases
    inner join activities on purchases.customer_id = activities.customer_id

),

-- Service contacts come with the relationship, not with each purchase: the customer's
-- trailing service cost per day, expected to go on while they are alive. P(alive) and
-- the discounting are score_clv's (discounted_alive_days_365d: P(alive) × the horizon's
-- days, each month discounted from its end, as the purchases are).
service_rate as (

    select
        customer_id,
        (cost_to_serve_365d - purchase_cost_365d)
        / {{ var('trailing_days') }} as service_cost_per_day

    from activities

),

predicted as (

    select
        customers.customer_id,
        purchases.last_purchase_day,
        scores.p_alive,
        scores.p_alive_lookback,
        scores.expected_interpurchase_days,
        round(
            cast(service_rate.service_cost_per_day * scores.discounted_alive_days_365d as numeric),
            2
        ) as expected_service_cost_365d,
        scores.clv_365d
        - cost_per_purchase.expected_cost_per_purchase * scores.discounted_purchases_365d
        - service_rate.service_cost_per_day * scores.discounted_alive_days_365d
            as net_clv_365d,
        scores.clv_lookback_365d
        - cost_per_purchase.expected_cost_per_purchase
        * scores.discounted_purchases_lookback_365d
        - service_rate.service_cost_per_day * scores.discounted_alive_days_lookback_365d
            as net_clv_lookback_365d,
        early_scores.value_365d as early_value_365d,
        early_scores.basis as early_basis

    from customers
    left join purchases on customers.customer_id = purchases.customer_id
    left join scores on customers.customer_id = scores.customer_id
    left join cost_per_purchase on customers.customer_id = cost_per_purchase.customer_id
    left join service_rate on customers.customer_id = service_rate.customer_id
    left join early_scores on customers.customer_id = early_scores.customer_id

),

-- One value column for everyone: the early model where it scored the customer (a
-- prospect, or a new customer with one purchase day), net CLV for the other buyers.
valued as (

    select
        *,
        round(cast(coalesce(early_value_365d, net_clv_365d) as numeric), 2) as net_value_365d,
        case
            when early_basis is not null then 'early_' || early_basis
            when net_clv_365d is not null then 'clv'
        end as value_source,
        -- As of L the early model has no prediction: buyers then are valued by net CLV.
        round(cast(net_clv_lookback_365d as numeric), 2) as net_value_lookback_365d

    from predicted

),

ranked as (

    select
        customer_id,
        case
            when net_value_365d is not null
                then
                    cast(
                        row_number() over (
                            order by net_value_365d desc nulls last, customer_id asc
                        ) as numeric
                    )
                    / count(*) over ()
        end as value_rank_share,
        case
            when net_value_lookback_365d is not null
                then
                    cast(
                        row_number() over (
                            order by net_value_lookback_365d desc nulls last, customer_id asc
                        ) as numeric
                    )
                    / count(*) over ()
        end as value_rank_share_lookback

    from valued

),

-- The last tier (top_share 1) takes everyone the other cuts leave, the unvalued too.
last_tier as (

    select value_tier from value_tiers
    where top_share = 1

),

tiered as (

    select
        ranked.customer_id,
        coalesce(now_tier.value_tier, last_tier.value_tier) as value_tier,
        coalesce(then_tier.value_tier, last_tier.value_tier) as value_tier_lookback

    from ranked
    cross join last_tier
    left join value_tiers as now_tier
        on
            ranked.value_rank_share > now_tier.below_share
            and ranked.value_rank_share <= now_tier.top_share
    left join value_tiers as then_tier
        on
            ranked.value_rank_share_lookback > then_tier.below_share
            and ranked.value_rank_share_lookback <= then_tier.top_share

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
        scores.p_alive,
        scores.expected_purchases_365d,
        round(cast(scores.expected_margin_per_purchase as numeric), 2)
            as expected_margin_per_purchase,
        cost_per_purchase.expected_cost_per_purchase,
        round(cast(scores.clv_365d as numeric), 2) as clv_365d,
        valued.expected_service_cost_365d,
        round(cast(valued.net_clv_365d as numeric), 2) as net_clv_365d,
        valued.net_value_365d,
        cast(valued.value_source as varchar) as value_source,
        cast(tiered.value_tier as varchar) as value_tier,
        round(cast(valued.early_value_365d as numeric), 2) as early_value_365d,
        valued.p_alive_lookback,
        valued.net_value_lookback_365d,
        cast(tiered.value_tier_lookback as varchar) as value_tier_lookback,
        valued.expected_interpurchase_days,
        {{ as_of_date() }} - valued.last_purchase_day as days_since_last_purchase,
        {{ as_of_date() }} as as_of_date

    from customers
    left join purchases on customers.customer_id = purchases.customer_id
    left join scores on customers.customer_id = scores.customer_id
    left join cost_per_purchase on customers.customer_id = cost_per_purchase.customer_id
    inner join valued on customers.customer_id = valued.customer_id
    inner join tiered on customers.customer_id = tiered.customer_id

)

select * from final
