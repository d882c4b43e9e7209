with

orders as (

    select * from {{ ref('stg_shop__orders') }}

),

order_lines as (

    select * from {{ ref('stg_shop__order_lines') }}

),

returns as (

    select * from {{ ref('stg_shop__returns') }}

),

lines_summed as (

    select
        order_id,
        count(*) as line_count,
        sum(quantity) as items,
        sum(quantity * unit_price) as gross_revenue,
        sum(quantity * unit_cost) as line_cogs

    from order_lines
    group by 1

),

returns_summed as (

    select
        order_id,
        count(*) as return_count,
        sum(refund_amount) as refund_amount

    from returns
    group by 1

),

joined as (

    select
        orders.order_id,
        orders.customer_id,
        orders.ordered_at,
        orders.order_status,
        orders.shipping_method,
        orders.shipping_charged,
        orders.shipping_cost,
        orders.discount_amount,
        orders.order_status = 'completed' as is_completed,
        cast(timezone('UTC', orders.ordered_at) as date) as order_day,
        coalesce(lines_summed.line_count, 0) as line_count,
        coalesce(lines_summed.items, 0) as items,
        coalesce(lines_summed.gross_revenue, 0) as gross_revenue,
        coalesce(lines_summed.line_cogs, 0) as line_cogs,
        coalesce(returns_summed.return_count, 0) as return_count,
        coalesce(returns_summed.refund_amount, 0) as refund_amount

    from orders
    left join lines_summed on orders.order_id = lines_summed.order_id
    left join returns_summed on orders.order_id = returns_summed.order_id

),

priced as (

    select
        order_id,
        customer_id,
        ordered_at,
        order_day,
        order_status,
        is_completed,
        shipping_method,
        line_count,
        items,
        gross_revenue,
        discount_amount,
        shipping_charged,
        shipping_cost,
        return_count,
        refund_amount,
        -- A cancelled order earns and costs nothing (DESIGN §6 counts completed orders).
        case when is_completed then gross_revenue - discount_amount else 0 end as net_revenue,
        case when is_completed then line_cogs else 0 end as cogs,
        case
            when is_completed then gross_revenue - discount_amount - line_cogs - refund_amount
            else 0
        end as gross_margin

    from joined

)

select * from priced
