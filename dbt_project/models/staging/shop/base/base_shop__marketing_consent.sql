with

source as (

    select * from {{ source('shop', 'marketing_consent') }}

),

versions as (

    {{ latest_versions('source', ['consent_id']) }}

),

customers as (

    select customer_id from {{ ref('stg_shop__customers') }}

),

checked as (

    select
        versions.consent_id,
        versions.customer_id,
        versions.status,
        versions.recorded_at,
        versions.updated_at,
        versions._ladder_row_hash,
        {{ is_superseded() }} as _superseded,
        case
            {{ version_checks() }}
            {{ unusable_value_checks(source('shop', 'marketing_consent')) }}
            when customers.customer_id is null then 'unknown customer'
            {{ event_time_checks('recorded_at') }}
            when versions.status is null or versions.status not in ('opted_in', 'opted_out')
                then 'status is not opted_in or opted_out'
        end as _reject_reason

    from versions
    left join customers on versions.customer_id = customers.customer_id

)

select * from checked
