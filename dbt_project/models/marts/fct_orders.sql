{{ config(materialized='view') }}

with

orders as (

    select * from {{ ref('int_orders_priced') }}

),

final as (

    select
        order_id,
        customer_id,
        ordered_at,
        order_day,
        order_status,
        shipping_method,
        line_count,
        items,
        gross_revenue,
        discount_amount,
        net_revenue,
        cogs,
        refund_amount,
        gross_margin,
        shipping_charged,
        shipping_cost,
        return_count,
        is_completed,
        not is_completed as is_cancelled,
        return_count > 0 as has_return,
        discount_amount > 0 as has_discount,
        line_count = 0 as has_no_lines,
        {{ as_of_date() }} as as_of_date

    from orders

)

select * from final
