with

source as (

    select * from {{ source('shop', 'orders') }}

),

versions as (

    {{ latest_versions('source', ['order_id']) }}

),

customers as (

    select customer_id from {{ ref('stg_shop__customers') }}

),

checked as (

    select
        versions.order_id,
        versions.customer_id,
        versions.ordered_at,
        versions.status,
        versions.shipping_method,
        versions.shipping_charged,
        versions.shipping_cost,
        versions.discount_amount,
        versions.updated_at,
        versions._ladder_row_hash,
        {{ is_superseded() }} as _superseded,
        case
            {{ version_checks() }}
            {{ unusable_value_checks(source('shop', 'orders')) }}
            when customers.customer_id is null then 'unknown customer'
            {{ event_time_checks('ordered_at') }}
            when
                versions.status is null
                or versions.status not in ('completed', 'cancelled')
                then 'status is not completed or cancelled'
            when versions.shipping_charged < 0 then 'shipping_charged is negative'
            when versions.shipping_cost < 0 then 'shipping_cost is negative'
            when versions.discount_amount < 0 then 'discount_amount is negative'
        end as _reject_reason

    from versions
    left join customers on versions.customer_id = customers.customer_id

)

select * from checked
