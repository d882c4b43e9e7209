with

source as (

    select * from {{ source('helpdesk', 'interactions') }}

),

versions as (

    {{ latest_versions('source', ['interaction_id']) }}

),

customers as (

    select
        customer_id,
        created_at as customer_created_at
    from {{ ref('stg_shop__customers') }}

),

checked as (

    select
        versions.interaction_id,
        versions.ticket_id,
        versions.customer_id,
        versions.occurred_at,
        versions.channel,
        versions.agent_id,
        versions.handle_minutes,
        versions.abuse_reported,
        versions.updated_at,
        versions._ladder_row_hash,
        {{ is_superseded() }} as _superseded,
        case
            {{ version_checks() }}
            {{ unusable_value_checks(source('helpdesk', 'interactions')) }}
            when customers.customer_id is null then 'unknown customer'
            {{ event_time_checks('occurred_at') }}
            {{ before_customer_check('versions.occurred_at', 'customers.customer_created_at') }}
            when
                versions.channel is null
                or versions.channel not in ('phone', 'email', 'chat', 'self_service')
                then 'channel is not phone, email, chat or self_service'
            when versions.handle_minutes < 0 then 'handle_minutes is negative'
            {{ above_bound_check('versions.handle_minutes', 'handle_minutes_max') }}
        end as _reject_reason

    from versions
    {{ plausibility_bounds() }}
    left join customers on versions.customer_id = customers.customer_id

)

select * from checked
