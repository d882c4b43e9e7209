with

orders as (

    select * from {{ ref('base_shop__orders') }}
    where not _superseded and _reject_reason is null

),

renamed as (

    select
        order_id,
        customer_id,
        ordered_at,
        status as order_status,
        shipping_method,
        coalesce(shipping_charged, 0) as shipping_charged,
        coalesce(shipping_cost, 0) as shipping_cost,
        coalesce(discount_amount, 0) as discount_amount,
        -- What the customer was charged: the bound on its refunds and chargebacks.
        basket_amount - coalesce(discount_amount, 0) + coalesce(shipping_charged, 0)
            as charged_amount,
        updated_at

    from orders

)

select * from renamed
