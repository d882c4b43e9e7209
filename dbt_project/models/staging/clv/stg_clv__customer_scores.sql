with

scores as (

    select * from {{ source('clv', 'customer_scores') }}
    where as_of_date = {{ as_of_date() }}

),

renamed as (

    select
        customer_id,
        p_alive,
        expected_purchases_365d,
        discounted_purchases_365d,
        expected_margin_per_purchase,
        clv_365d,
        discounted_alive_days_365d,
        expected_interpurchase_days,
        p_alive_lookback,
        discounted_purchases_lookback_365d,
        discounted_alive_days_lookback_365d,
        clv_lookback_365d

    from scores

)

select * from renamed
