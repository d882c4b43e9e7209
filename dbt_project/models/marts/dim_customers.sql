with

customers as (

    select * from {{ ref('stg_shop__customers') }}

),

purchases as (

    select * from {{ ref('int_customer_purchases_summarised') }}

),

consent as (

    select * from {{ ref('stg_shop__marketing_consent') }}

),

-- The latest consent record before D decides; the source's ids break exact ties.
latest_consent as (

    select
        customer_id,
        consent_status,
        recorded_at,
        row_number() over (
            partition by customer_id
            order by recorded_at desc, updated_at desc, consent_id desc
        ) as recency_rank

    from consent

),

final as (

    select
        customers.customer_id,
        customers.email,
        customers.full_name,
        customers.country,
        customers.acquisition_channel,
        customers.created_at,
        purchases.first_order_at,
        purchases.last_order_at,
        coalesce(purchases.orders_lifetime, 0) as completed_orders,
        coalesce(purchases.purchase_days, 0) as purchase_days,
        purchases.customer_id is null as is_prospect,
        {{ as_of_date() }} - cast(timezone('UTC', customers.created_at) as date) as tenure_days,
        coalesce(latest_consent.consent_status, 'unknown') as consent_status,
        latest_consent.recorded_at as consent_recorded_at,
        coalesce(latest_consent.consent_status = 'opted_in', false) as has_marketing_consent,
        {{ as_of_date() }} as as_of_date

    from customers
    left join purchases on customers.customer_id = purchases.customer_id
    left join latest_consent
        on
            customers.customer_id = latest_consent.customer_id
            and latest_consent.recency_rank = 1

)

select * from final
