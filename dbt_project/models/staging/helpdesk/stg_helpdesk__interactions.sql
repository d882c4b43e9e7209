with

interactions as (

    select * from {{ ref('base_helpdesk__interactions') }}
    where not _superseded and _reject_reason is null

),

renamed as (

    select
        interaction_id,
        ticket_id,
        customer_id,
        occurred_at,
        channel,
        agent_id,
        coalesce(handle_minutes, 0) as handle_minutes,
        coalesce(abuse_reported, false) as is_abuse_reported,
        updated_at

    from interactions

)

select * from renamed
