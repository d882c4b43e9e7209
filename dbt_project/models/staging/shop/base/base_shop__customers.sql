with

source as (

    select * from {{ source('shop', 'customers') }}

),

versions as (

    {{ latest_versions('source', ['customer_id']) }}

),

checked as (

    select
        customer_id,
        email,
        full_name,
        country,
        acquisition_channel,
        created_at,
        updated_at,
        _ladder_row_hash,
        {{ is_superseded() }} as _superseded,
        case
            {{ version_checks() }}
            {{ unusable_value_checks(source('shop', 'customers')) }}
            {{ event_time_checks('created_at') }}
        end as _reject_reason

    from versions

)

select * from checked
