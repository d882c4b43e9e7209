with

source as (

    select * from {{ source('helpdesk', 'tickets') }}

),

versions as (

    {{ latest_versions('source', ['ticket_id']) }}

),

customers as (

    select
        customer_id,
        created_at as customer_created_at
    from {{ ref('stg_shop__customers') }}

),

checked as (

    select
        versions.ticket_id,
        versions.customer_id,
        versions.created_at,
        versions.channel,
        versions.category,
        versions.status,
        versions.is_complaint,
        versions.satisfaction,
        versions.updated_at,
        versions._ladder_row_hash,
        {{ is_superseded() }} as _superseded,
        case
            {{ version_checks() }}
            {{ unusable_value_checks(source('helpdesk', 'tickets')) }}
            when customers.customer_id is null then 'unknown customer'
            {{ event_time_checks('created_at') }}
            {{ before_customer_check('versions.created_at', 'customers.customer_created_at') }}
            when
                versions.channel is null
                or versions.channel not in ('phone', 'email', 'chat', 'self_service')
                then 'channel is not phone, email, chat or self_service'
            when versions.satisfaction not between 1 and 5
                then 'satisfaction is outside 1-5'
        end as _reject_reason

    from versions
    {{ plausibility_bounds() }}
    left join customers on versions.customer_id = customers.customer_id

)

select * from checked
