with

line_versions as (

    select * from {{ ref('base_shop__order_line_versions') }}

),

orders as (

    select order_id from {{ ref('stg_shop__orders') }}

),

-- A line's own problem comes first: the line that quarantined its order says why.
checked as (

    select
        line_versions.order_id,
        line_versions.line_no,
        line_versions.product_id,
        line_versions.quantity,
        line_versions.unit_price,
        line_versions.unit_cost,
        line_versions.updated_at,
        line_versions._ladder_row_hash,
        line_versions._superseded,
        case
            when line_versions._line_reject_reason is not null
                then line_versions._line_reject_reason
            when line_versions._superseded then null
            when orders.order_id is null then 'unknown order'
        end as _reject_reason

    from line_versions
    left join orders on line_versions.order_id = orders.order_id

)

select * from checked
