with

returns as (

    select * from {{ ref('base_shop__returns') }}
    where not _superseded and _reject_reason is null

),

renamed as (

    select
        return_id,
        order_id,
        customer_id,
        returned_at,
        refund_amount,
        reason as return_reason,
        updated_at

    from returns

)

select * from renamed
