with

tickets as (

    select * from {{ ref('base_helpdesk__tickets') }}
    where not _superseded and _reject_reason is null

),

renamed as (

    select
        ticket_id,
        customer_id,
        created_at,
        channel,
        category,
        status as ticket_status,
        coalesce(is_complaint, false) as is_complaint,
        satisfaction,
        updated_at

    from tickets

)

select * from renamed
