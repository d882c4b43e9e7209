with

marketing_consent as (

    select * from {{ ref('base_shop__marketing_consent') }}
    where not _superseded and _reject_reason is null

),

renamed as (

    select
        consent_id,
        customer_id,
        status as consent_status,
        recorded_at,
        updated_at

    from marketing_consent

)

select * from renamed
