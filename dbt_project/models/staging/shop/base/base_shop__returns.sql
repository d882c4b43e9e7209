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
        ordered_at,
        order_status,
        charged_amount
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
        orders.charged_amount as _order_charged_amount,
        {{ is_superseded() }} as _superseded,
        case
            {{ version_checks() }}
            {{ unusable_value_checks(source('shop', 'returns')) }}
            when orders.order_id is null then 'unknown order'
            when coalesce(versions.customer_id, '') <> orders.customer_id
                then 'customer_id is not the customer of the order'
            when orders.order_status <> 'completed' then 'return of an order that was not completed'
            {{ event_time_checks('returned_at') }}
            when versions.returned_at < orders.ordered_at
                then format(
                    'returned_at %s is before its order was placed, at %s',
                    {{ instant_text('versions.returned_at') }},
                    {{ instant_text('orders.ordered_at') }}
                )
            when versions.refund_amount is null or versions.refund_amount < 0
                then 'refund_amount is missing or negative'
        end as _row_reject_reason

    from versions
    left join orders on versions.order_id = orders.order_id

),

-- The order's refunds so far, in the order they were made, over the returns usable on
-- their own: the return that takes them above what the order charged, and every later
-- one, are quarantined.
refunds_so_far as (

    select
        *,
        case
            when not _superseded and _row_reject_reason is null
                then sum(refund_amount) over (
                    partition by order_id, not _superseded and _row_reject_reason is null
                    order by returned_at, return_id
                    rows between unbounded preceding and current row
                )
        end as _order_refunds_so_far

    from checked

),

bounded as (

    select
        refunds_so_far.return_id,
        refunds_so_far.order_id,
        refunds_so_far.customer_id,
        refunds_so_far.returned_at,
        refunds_so_far.refund_amount,
        refunds_so_far.reason,
        refunds_so_far.updated_at,
        refunds_so_far._ladder_row_hash,
        refunds_so_far._superseded,
        case
            when refunds_so_far._row_reject_reason is not null
                then refunds_so_far._row_reject_reason
            when
                refunds_so_far._order_refunds_so_far
                > bounds.refunds_share_of_charged_max * refunds_so_far._order_charged_amount
                then format(
                    'refund_amount %s brings the order''s refunds to %s, above the limit %s'
                    ' (%s times what the order charged;'
                    ' plausibility_bounds.refunds_share_of_charged_max)',
                    {{ amount_text('refunds_so_far.refund_amount') }},
                    {{ amount_text('refunds_so_far._order_refunds_so_far') }},
                    {{ amount_text(
                        'round(bounds.refunds_share_of_charged_max'
                        ~ ' * refunds_so_far._order_charged_amount, 2)'
                    ) }},
                    {{ amount_text('bounds.refunds_share_of_charged_max') }}
                )
        end as _reject_reason

    from refunds_so_far
    {{ plausibility_bounds() }}

)

select * from bounded
