{#-
    The seed cost_drivers as one row with a column per driver: what both costed models
    (int_customer_activities_costed, int_customer_days_costed) price activities with.
    The seed's tests make sure each driver is there.
-#}
{% macro cost_rates() -%}
    {%- set drivers = [
        'order_handling', 'delivery', 'return_processing', 'contact_phone', 'contact_email',
        'contact_chat', 'contact_self_service', 'agent_minute', 'payment_failure',
        'chargeback_fee', 'chargeback_loss',
    ] -%}
    select
        {% for driver in drivers %}
            max(rate) filter (where driver = '{{ driver }}') as {{ driver }}
            {%- if not loop.last %},{% endif %}
        {% endfor %}

    from {{ ref('cost_drivers') }}
{%- endmacro %}


{#- The helpdesk channels each contact is priced by (a rate contact_<channel> each). -#}
{% macro contact_channels() -%}
    {{ return(['phone', 'email', 'chat', 'self_service']) }}
{%- endmacro %}
