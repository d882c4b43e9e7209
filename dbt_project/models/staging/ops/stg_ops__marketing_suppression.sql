with

source as (

    select * from {{ source('ops', 'marketing_suppression') }}

),

renamed as (

    select
        suppression_id,
        nullif(trim(customer_id), '') as customer_id,
        {{ normalised_email('email') }} as normalised_email,
        reason,
        requested_at,
        added_by

    from source

)

select * from renamed
