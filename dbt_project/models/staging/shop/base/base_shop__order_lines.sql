with

source as (

    select * from {{ source('shop', 'order_lines') }}

),

versions as (

    {{ latest_versions('source', ['order_id', 'line_no']) }}

),

orders as (

    select order_id from {{ ref('stg_shop__orders') }}

),

checked as (

    select
        versions.order_id,
        versions.line_no,
        versions.product_id,
        versions.quantity,
        versions.unit_price,
        versions.unit_cost,
        versions.updated_at,
        versions._ladder_row_hash,
        {{ is_superseded() }} as _superseded,
        case
            {{ version_checks() }}
            {{ unusable_value_checks(source('shop', 'order_lines')) }}
            when orders.order_id is null then 'unknown order'
            when versions.quantity is null or versions.quantity <= 0
                then 'quantity is not a positive number'
            when versions.unit_price is null or versions.unit_price < 0
                then 'unit_price is missing or negative'
            when versions.unit_cost is null or versions.unit_cost < 0
                then 'unit_cost is missing or negative'
        end as _reject_reason

    from versions
    left join orders on versions.order_id = orders.order_id

)

select * from checked
