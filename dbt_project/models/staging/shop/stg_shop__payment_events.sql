with

payment_events as (

    select * from {{ ref('base_shop__payment_events') }}
    where not _superseded and _reject_reason is null

),

renamed as (

    select
        event_id,
        order_id,
        customer_id,
        occurred_at,
        kind as payment_event_kind,
        amount,
        coalesce(fraud_confirmed, false) as is_fraud_confirmed,
        updated_at

    from payment_events

)

select * from renamed
