with

source as (

    select * from {{ source('shop', 'payment_events') }}

),

versions as (

    {{ latest_versions('source', ['event_id']) }}

),

customers as (

    select customer_id from {{ ref('stg_shop__customers') }}

),

checked as (

    select
        versions.event_id,
        versions.order_id,
        versions.customer_id,
        versions.occurred_at,
        versions.kind,
        versions.amount,
        versions.fraud_confirmed,
        versions.updated_at,
        versions._ladder_row_hash,
        {{ is_superseded() }} as _superseded,
        case
            {{ version_checks() }}
            {{ unusable_value_checks(source('shop', 'payment_events')) }}
            when customers.customer_id is null then 'unknown customer'
            {{ event_time_checks('occurred_at') }}
            when versions.kind is null or versions.kind not in ('failed', 'chargeback')
                then 'kind is not failed or chargeback'
            when versions.amount is null or versions.amount < 0
                then 'amount is missing or negative'
        end as _reject_reason

    from versions
    left join customers on versions.customer_id = customers.customer_id

)

select * from checked
