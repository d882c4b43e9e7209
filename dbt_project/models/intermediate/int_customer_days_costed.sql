{#-
    What each customer did and cost on each day before D, for outcome windows that start
    on any day (marts.treatment_outcomes). Priced with the same drivers and rates as
    int_customer_activities_costed; a singular test checks that its trailing-year sums
    match that model's, customer by customer.
-#}
{%- set channels = contact_channels() -%}
{#- Each source's activities, named; a source leaves the others' counts at 0. -#}
{%- set counts = ['completed_orders', 'gross_margin', 'unpaid_shipping', 'returns_received'] -%}
{%- set contacts = {} -%}
{%- for channel in channels -%}
    {%- do counts.append(channel ~ '_contacts') -%}
    {%- do contacts.update({
        channel ~ '_contacts': "case when channel = '" ~ channel ~ "' then 1 else 0 end"
    }) -%}
{%- endfor -%}
{%- do counts.extend(['agent_minutes', 'failures', 'chargebacks', 'charged_back']) -%}
{%- do contacts.update({'agent_minutes': 'cast(handle_minutes as numeric)'}) -%}
{%- set sources = [
    ('orders', 'order_day', 'true', {
        'completed_orders': '1',
        'gross_margin': 'gross_margin',
        'unpaid_shipping': 'shipping_cost - shipping_charged',
    }),
    ('returns', "cast(timezone('UTC', returned_at) as date)", 'true', {
        'returns_received': '1',
    }),
    ('interactions', "cast(timezone('UTC', occurred_at) as date)", 'true', contacts),
    ('payment_events', "cast(timezone('UTC', occurred_at) as date)",
        "payment_event_kind in ('failed', 'chargeback')", {
        'failures': "case when payment_event_kind = 'failed' then 1 else 0 end",
        'chargebacks': "case when payment_event_kind = 'chargeback' then 1 else 0 end",
        'charged_back': "case when payment_event_kind = 'chargeback' then amount else 0 end",
    }),
] -%}

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

rates as (

    {{ cost_rates() | indent(4) }}

),

-- Every activity on its UTC day, one row each; the trailing window starts at a UTC
-- midnight, so whole days add up to it.
activities as (

    {% for source, day, condition, values in sources %}
        select
            customer_id,
            {{ day }} as activity_day,
            {% for count in counts %}
                {{ values.get(count, '0') }} as {{ count }}
                {%- if not loop.last %},{% endif %}
            {% endfor %}

        from {{ source }}
        where {{ condition }}
        {% if not loop.last %}

            union all

        {% endif %}
    {% endfor %}

),

days as (

    select
        customer_id,
        activity_day,
        sum(completed_orders) as completed_orders,
        sum(gross_margin) as gross_margin,
        sum(unpaid_shipping) as unpaid_shipping,
        sum(returns_received) as returns_received,
        {% for channel in channels %}
            sum({{ channel }}_contacts) as {{ channel }}_contacts,
        {% endfor %}
        coalesce(sum(agent_minutes), 0) as agent_minutes,
        sum(failures) as failures,
        sum(chargebacks) as chargebacks,
        sum(charged_back) as charged_back

    from activities
    where activity_day < {{ as_of_date() }}
    group by 1, 2

),

-- Unrounded: a window's cost is the sum of its days, rounded where it is reported.
costed as (

    select
        days.customer_id,
        days.activity_day,
        days.completed_orders,
        days.gross_margin,
        days.completed_orders * rates.order_handling
        + days.unpaid_shipping * rates.delivery
        + days.returns_received * rates.return_processing
        + days.failures * rates.payment_failure
        + days.chargebacks * rates.chargeback_fee
        + days.charged_back * rates.chargeback_loss as purchase_cost,
        {% for channel in channels %}
            days.{{ channel }}_contacts * rates.contact_{{ channel }}
            {%- if not loop.last %} + {% endif %}
        {%- endfor %}
        + days.agent_minutes * rates.agent_minute as service_cost

    from days
    cross join rates

),

final as (

    select
        customer_id,
        activity_day,
        completed_orders,
        gross_margin,
        purchase_cost,
        service_cost,
        purchase_cost + service_cost as cost_to_serve

    from costed

)

select * from final
