with

orders as (

    select * from {{ ref('int_orders_priced') }}
    where is_completed

),

returns as (

    select * from {{ ref('stg_shop__returns') }}

),

interactions as (

    select * from {{ ref('stg_helpdesk__interactions') }}

),

payment_events as (

    select * from {{ ref('stg_shop__payment_events') }}

),

cost_drivers as (

    select * from {{ ref('cost_drivers') }}

),

-- One row per unit of work a customer caused, named by its cost driver (DESIGN §6).
activities as (

    select
        customer_id,
        ordered_at as occurred_at,
        'order_handling' as driver,
        null as channel,
        1 as quantity
    from orders

    union all

    select
        customer_id,
        ordered_at as occurred_at,
        'delivery' as driver,
        null as channel,
        shipping_cost - shipping_charged as quantity
    from orders

    union all

    select
        customer_id,
        returned_at as occurred_at,
        'return_processing' as driver,
        null as channel,
        1 as quantity
    from returns

    union all

    select
        customer_id,
        occurred_at,
        'contact_' || channel as driver,
        channel,
        1 as quantity
    from interactions

    union all

    select
        customer_id,
        occurred_at,
        'agent_minute' as driver,
        channel,
        cast(handle_minutes as numeric) as quantity
    from interactions

    union all

    select
        customer_id,
        occurred_at,
        'payment_failure' as driver,
        null as channel,
        1 as quantity
    from payment_events
    where payment_event_kind = 'failed'

    union all

    select
        customer_id,
        occurred_at,
        'chargeback_fee' as driver,
        null as channel,
        1 as quantity
    from payment_events
    where payment_event_kind = 'chargeback'

    union all

    select
        customer_id,
        occurred_at,
        'chargeback_loss' as driver,
        null as channel,
        amount as quantity
    from payment_events
    where payment_event_kind = 'chargeback'

),

costed as (

    select
        activities.customer_id,
        activities.driver,
        activities.channel,
        activities.quantity,
        activities.quantity * cost_drivers.rate as activity_cost,
        activities.occurred_at >= {{ trailing_start_ts() }} as is_recent

    from activities
    -- The seed's tests make sure every driver has a rate.
    inner join cost_drivers on activities.driver = cost_drivers.driver

),

summed as (

    select
        customer_id,
        count(*) filter (where is_recent and driver = 'order_handling') as completed_orders_365d,
        count(*) filter (where is_recent and driver = 'return_processing') as returns_365d,
        count(*) filter (
            where is_recent and driver like 'contact\_%'
        ) as service_contacts_365d,
        round(coalesce(sum(quantity) filter (
            where is_recent and driver = 'agent_minute'
        ), 0), 2) as agent_minutes_365d,
        count(*) filter (where is_recent and driver = 'payment_failure') as payment_failures_365d,
        count(*) filter (where is_recent and driver = 'chargeback_fee') as chargebacks_365d,
        {% for name, drivers in [
            ('order_handling', "'order_handling'"),
            ('delivery', "'delivery'"),
            ('return_processing', "'return_processing'"),
            ('payment_failure', "'payment_failure'"),
            ('chargeback', "'chargeback_fee', 'chargeback_loss'"),
        ] %}
            round(coalesce(sum(activity_cost) filter (
                where is_recent and driver in ({{ drivers }})
            ), 0), 2) as {{ name }}_cost_365d,
        {% endfor %}
        {% for channel in ['phone', 'email', 'chat', 'self_service'] %}
            round(coalesce(sum(activity_cost) filter (
                where is_recent and channel = '{{ channel }}'
            ), 0), 2) as service_{{ channel }}_cost_365d,
        {% endfor %}
        round(sum(activity_cost), 2) as cost_to_serve_lifetime

    from costed
    group by 1

),

-- The total is the sum of the activity costs in cents, so the parts add up to it.
totalled as (

    select
        *,
        order_handling_cost_365d
        + delivery_cost_365d
        + return_processing_cost_365d
        + payment_failure_cost_365d
        + chargeback_cost_365d
        + service_phone_cost_365d
        + service_email_cost_365d
        + service_chat_cost_365d
        + service_self_service_cost_365d as cost_to_serve_365d

    from summed

)

select * from totalled
