with

customers as (

    select * from {{ ref('base_shop__customers') }}
    where not _superseded and _reject_reason is null

),

renamed as (

    select
        customer_id,
        email,
        full_name,
        country,
        acquisition_channel,
        created_at,
        updated_at

    from customers

)

select * from renamed
