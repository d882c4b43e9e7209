{%- set channels = contact_channels() -%}

with

customers as (

    select customer_id from {{ ref('stg_shop__customers') }}

),

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

rates as (

    {{ cost_rates() | indent(4) }}

),

-- The activities each customer caused, counted per source before pricing them.
order_activity as (

    select
        customer_id,
        count(*) filter (where ordered_at >= {{ trailing_start_ts() }}) as orders_365d,
        count(*) as orders_lifetime,
        sum(shipping_cost - shipping_charged) filter (
            where ordered_at >= {{ trailing_start_ts() }}
        ) as unpaid_shipping_365d,
        sum(shipping_cost - shipping_charged) as unpaid_shipping_lifetime

    from orders
    group by 1

),

return_activity as (

    select
        customer_id,
        count(*) filter (where returned_at >= {{ trailing_start_ts() }}) as returns_365d,
        count(*) as returns_lifetime

    from returns
    group by 1

),

service_activity as (

    select
        customer_id,
        {% for channel in channels %}
            count(*) filter (
                where channel = '{{ channel }}' and occurred_at >= {{ trailing_start_ts() }}
            ) as {{ channel }}_contacts_365d,
            sum(cast(handle_minutes as numeric)) filter (
                where channel = '{{ channel }}' and occurred_at >= {{ trailing_start_ts() }}
            ) as {{ channel }}_minutes_365d,
            count(*) filter (where channel = '{{ channel }}') as {{ channel }}_contacts_lifetime,
        {% endfor %}
        sum(cast(handle_minutes as numeric)) as minutes_lifetime

    from interactions
    group by 1

),

payment_activity as (

    select
        customer_id,
        count(*) filter (
            where payment_event_kind = 'failed' and occurred_at >= {{ trailing_start_ts() }}
        ) as failures_365d,
        count(*) filter (where payment_event_kind = 'failed') as failures_lifetime,
        count(*) filter (
            where payment_event_kind = 'chargeback' and occurred_at >= {{ trailing_start_ts() }}
        ) as chargebacks_365d,
        count(*) filter (where payment_event_kind = 'chargeback') as chargebacks_lifetime,
        sum(amount) filter (
            where payment_event_kind = 'chargeback' and occurred_at >= {{ trailing_start_ts() }}
        ) as charged_back_365d,
        sum(amount) filter (where payment_event_kind = 'chargeback') as charged_back_lifetime

    from payment_events
    group by 1

),

joined as (

    select
        customers.customer_id,
        coalesce(order_activity.orders_365d, 0) as orders_365d,
        coalesce(order_activity.orders_lifetime, 0) as orders_lifetime,
        coalesce(order_activity.unpaid_shipping_365d, 0) as unpaid_shipping_365d,
        coalesce(order_activity.unpaid_shipping_lifetime, 0) as unpaid_shipping_lifetime,
        coalesce(return_activity.returns_365d, 0) as returns_365d,
        coalesce(return_activity.returns_lifetime, 0) as returns_lifetime,
        {% for channel in channels %}
            coalesce(service_activity.{{ channel }}_contacts_365d, 0)
                as {{ channel }}_contacts_365d,
            coalesce(service_activity.{{ channel }}_minutes_365d, 0)
                as {{ channel }}_minutes_365d,
            coalesce(service_activity.{{ channel }}_contacts_lifetime, 0)
                as {{ channel }}_contacts_lifetime,
        {% endfor %}
        coalesce(service_activity.minutes_lifetime, 0) as minutes_lifetime,
        coalesce(payment_activity.failures_365d, 0) as failures_365d,
        coalesce(payment_activity.failures_lifetime, 0) as failures_lifetime,
        coalesce(payment_activity.chargebacks_365d, 0) as chargebacks_365d,
        coalesce(payment_activity.chargebacks_lifetime, 0) as chargebacks_lifetime,
        coalesce(payment_activity.charged_back_365d, 0) as charged_back_365d,
        coalesce(payment_activity.charged_back_lifetime, 0) as charged_back_lifetime

    from customers
    left join order_activity on customers.customer_id = order_activity.customer_id
    left join return_activity on customers.customer_id = return_activity.customer_id
    left join service_activity on customers.customer_id = service_activity.customer_id
    left join payment_activity on customers.customer_id = payment_activity.customer_id

),

-- Each activity's cost is rounded to cents; the trailing total adds those cents up.
costed as (

    select
        joined.customer_id,
        joined.orders_365d as completed_orders_365d,
        joined.returns_365d,
        {% for channel in channels %}
            joined.{{ channel }}_contacts_365d
            {%- if not loop.last %} + {% endif %}
        {%- endfor %} as service_contacts_365d,
        round(
            {% for channel in channels %}
                joined.{{ channel }}_minutes_365d
                {%- if not loop.last %} + {% endif %}
            {%- endfor %}, 2
        ) as agent_minutes_365d,
        joined.failures_365d as payment_failures_365d,
        joined.chargebacks_365d,
        round(joined.orders_365d * rates.order_handling, 2) as order_handling_cost_365d,
        round(joined.unpaid_shipping_365d * rates.delivery, 2) as delivery_cost_365d,
        round(joined.returns_365d * rates.return_processing, 2)
            as return_processing_cost_365d,
        round(joined.failures_365d * rates.payment_failure, 2) as payment_failure_cost_365d,
        round(
            joined.chargebacks_365d * rates.chargeback_fee
            + joined.charged_back_365d * rates.chargeback_loss, 2
        ) as chargeback_cost_365d,
        {% for channel in channels %}
            round(
                joined.{{ channel }}_contacts_365d * rates.contact_{{ channel }}
                + joined.{{ channel }}_minutes_365d * rates.agent_minute, 2
            ) as service_{{ channel }}_cost_365d,
        {% endfor %}
        round(
            joined.orders_lifetime * rates.order_handling
            + joined.unpaid_shipping_lifetime * rates.delivery
            + joined.returns_lifetime * rates.return_processing
            {% for channel in channels %}
                + joined.{{ channel }}_contacts_lifetime * rates.contact_{{ channel }}
            {% endfor %}
            + joined.minutes_lifetime * rates.agent_minute
            + joined.failures_lifetime * rates.payment_failure
            + joined.chargebacks_lifetime * rates.chargeback_fee
            + joined.charged_back_lifetime * rates.chargeback_loss, 2
        ) as cost_to_serve_lifetime,
        round(
            joined.orders_lifetime * rates.order_handling
            + joined.unpaid_shipping_lifetime * rates.delivery
            + joined.returns_lifetime * rates.return_processing
            + joined.failures_lifetime * rates.payment_failure
            + joined.chargebacks_lifetime * rates.chargeback_fee
            + joined.charged_back_lifetime * rates.chargeback_loss, 2
        ) as purchase_cost_lifetime

    from joined
    cross join rates

),

-- Purchase costs come with each purchase (handling, delivery, returns, payment
-- trouble); service contacts come with the relationship, complaints about our own
-- failures included. Net CLV projects the first kind per future purchase.
totalled as (

    select
        *,
        order_handling_cost_365d
        + delivery_cost_365d
        + return_processing_cost_365d
        + payment_failure_cost_365d
        + chargeback_cost_365d as purchase_cost_365d,
        order_handling_cost_365d
        + delivery_cost_365d
        + return_processing_cost_365d
        + payment_failure_cost_365d
        + chargeback_cost_365d
        {% for channel in channels %}
            + service_{{ channel }}_cost_365d
        {% endfor %} as cost_to_serve_365d

    from costed

)

select * from totalled
