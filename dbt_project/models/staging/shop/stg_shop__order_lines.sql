with

order_lines as (

    select * from {{ ref('base_shop__order_lines') }}
    where not _superseded and _reject_reason is null

),

renamed as (

    select
        order_id,
        line_no,
        product_id,
        quantity,
        unit_price,
        unit_cost,
        updated_at

    from order_lines

)

select * from renamed
