with

source as (

    select * from {{ source('shop', 'payment_events') }}

),

versions as (

    {{ latest_versions('source', ['event_id']) }}

),

customers as (

    select
        customer_id,
        created_at as customer_created_at
    from {{ ref('stg_shop__customers') }}

),

orders as (

    select
        order_id,
        charged_amount
    from {{ ref('stg_shop__orders') }}

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
            {{ before_customer_check('versions.occurred_at', 'customers.customer_created_at') }}
            when versions.kind is null or versions.kind not in ('failed', 'chargeback')
                then 'kind is not failed or chargeback'
            when versions.amount is null or versions.amount < 0
                then 'amount is missing or negative'
            -- A chargeback loses its amount, so it is bounded by what its order charged;
            -- a failed payment loses nothing and its amount is not used.
            when versions.kind = 'failed' then null
            when orders.order_id is null then 'chargeback of an unknown order'
            {{ above_share_check(
                'versions.amount', 'amount', 'chargeback_share_of_charged_max',
                'orders.charged_amount', 'what the order charged'
            ) }}
        end as _reject_reason

    from versions
    {{ plausibility_bounds() }}
    left join customers on versions.customer_id = customers.customer_id
    left join orders on versions.order_id = orders.order_id

)

select * from checked
