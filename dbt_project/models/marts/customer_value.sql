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
        round(
            cast(
                scores.clv_365d
                - cost_per_purchase.expected_cost_per_purchase * scores.discounted_purchases_365d
                as numeric
            ),
            2
        ) as net_clv_365d,
        {{ as_of_date() }} as as_of_date

    from customers
    left join purchases on customers.customer_id = purchases.customer_id
    left join scores on customers.customer_id = scores.customer_id
    left join cost_per_purchase on customers.customer_id = cost_per_purchase.customer_id

)

select * from final
