with

source as (

    select * from {{ source('ops', 'publish_deliveries') }}

),

renamed as (

    select
        destination,
        customer_id,
        as_of_date,
        system,
        treatment_code,
        action,
        run_id,
        recorded_at

    from source

)

select * from renamed
