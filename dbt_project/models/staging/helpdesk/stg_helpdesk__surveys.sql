with

surveys as (

    select * from {{ ref('base_helpdesk__surveys') }}
    where not _superseded and _reject_reason is null

),

renamed as (

    select
        survey_id,
        customer_id,
        answered_at,
        nps,
        updated_at

    from surveys

)

select * from renamed
