with

source as (

    select * from {{ source('shop', 'orders') }}

),

versions as (

    {{ latest_versions('source', ['order_id']) }}

),

customers as (

    select
        customer_id,
        created_at as customer_created_at
    from {{ ref('stg_shop__customers') }}

),

current_lines as (

    select * from {{ ref('base_shop__order_line_versions') }}
    where _has_key and not _superseded

),

-- The basket: Σ quantity × unit_price of the order's usable lines.
baskets as (

    select
        order_id,
        sum(quantity * unit_price) as basket_amount

    from current_lines
    where _line_reject_reason is null
    group by 1

),

-- The first rejected line of each order: an order missing a line is not trusted.
rejected_lines as (

    select distinct on (order_id)
        order_id,
        line_no,
        _line_reject_reason

    from current_lines
    where _line_reject_reason is not null
    order by 1, 2

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
        coalesce(baskets.basket_amount, 0) as basket_amount,
        versions.updated_at,
        versions._ladder_row_hash,
        {{ is_superseded() }} as _superseded,
        case
            {{ version_checks() }}
            {{ unusable_value_checks(source('shop', 'orders')) }}
            when customers.customer_id is null then 'unknown customer'
            {{ event_time_checks('ordered_at') }}
            {{ before_customer_check('versions.ordered_at', 'customers.customer_created_at') }}
            when
                versions.status is null
                or versions.status not in ('completed', 'cancelled')
                then 'status is not completed or cancelled'
            when versions.shipping_charged < 0 then 'shipping_charged is negative'
            when versions.shipping_cost < 0 then 'shipping_cost is negative'
            when versions.discount_amount < 0 then 'discount_amount is negative'
            {{ above_bound_check('versions.shipping_charged', 'shipping_charged_max') }}
            {{ above_bound_check('versions.shipping_cost', 'shipping_cost_max') }}
            when rejected_lines.order_id is not null
                then format(
                    'line %s is quarantined: %s',
                    rejected_lines.line_no, rejected_lines._line_reject_reason
                )
            {{ above_share_check(
                'versions.discount_amount', 'discount_amount', 'discount_share_of_basket_max',
                'coalesce(baskets.basket_amount, 0)', 'the basket'
            ) }}
        end as _reject_reason

    from versions
    {{ plausibility_bounds() }}
    left join customers on versions.customer_id = customers.customer_id
    left join baskets on versions.order_id = baskets.order_id
    left join rejected_lines on versions.order_id = rejected_lines.order_id

)

select * from checked
