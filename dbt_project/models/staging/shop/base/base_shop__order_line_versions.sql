with

source as (

    select * from {{ source('shop', 'order_lines') }}

),

versions as (

    {{ latest_versions('source', ['order_id', 'line_no']) }}

),

-- What is wrong with a line on its own. base_shop__orders quarantines the order of a
-- current line rejected here; base_shop__order_lines then adds the lines of orders
-- that are unknown or quarantined (the two steps keep the order's checks, which need
-- its lines, apart from the lines' check of their order).
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
        versions._key_problem is null as _has_key,
        {{ is_superseded() }} as _superseded,
        case
            {{ version_checks() }}
            {{ unusable_value_checks(source('shop', 'order_lines')) }}
            when versions.quantity is null or versions.quantity <= 0
                then 'quantity is not a positive number'
            when versions.unit_price is null or versions.unit_price < 0
                then 'unit_price is missing or negative'
            when versions.unit_cost is null or versions.unit_cost < 0
                then 'unit_cost is missing or negative'
            {{ above_bound_check('versions.unit_price', 'unit_price_max') }}
            {{ above_bound_check('versions.quantity', 'quantity_max') }}
            {{ above_bound_check('versions.unit_cost', 'unit_cost_max') }}
        end as _line_reject_reason

    from versions
    {{ plausibility_bounds() }}

)

select * from checked
