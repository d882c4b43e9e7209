with

source as (

    select * from {{ source('shop', 'returns') }}

),

versions as (

    {{ latest_versions('source', ['return_id']) }}

),

orders as (

    select
        order_id,
        customer_id,
        order_status
    from {{ ref('stg_shop__orders') }}

),

checked as (

    select
        versions.return_id,
        versions.order_id,
        versions.customer_id,
        versions.returned_at,
        versions.refund_amount,
        versions.reason,
        versions.updated_at,
        versions._ladder_row_hash,
        {{ is_superseded() }} as _superseded,
        case
            {{ version_checks() }}
            {{ unusable_value_checks(source('shop', 'returns')) }}
            when orders.order_id is null then 'unknown order'
            when coalesce(versions.customer_id, '') <> orders.customer_id
                then 'customer_id is not the customer of the order'
            when orders.order_status <> 'completed' then 'return of an order that was not completed'
            {{ event_time_checks('returned_at') }}
            when versions.refund_amount is null or versions.refund_amount < 0
                then 'refund_amount is missing or negative'
        end as _reject_reason

    from versions
    left join orders on versions.order_id = orders.order_id

)

select * from checked
