{%- set rejecting_models = [
    ('shop', 'customers', ['customer_id']),
    ('shop', 'orders', ['order_id']),
    ('shop', 'order_lines', ['order_id', 'line_no']),
    ('shop', 'returns', ['return_id']),
    ('shop', 'payment_events', ['event_id']),
    ('shop', 'referrals', ['referral_id']),
    ('shop', 'marketing_consent', ['consent_id']),
    ('helpdesk', 'tickets', ['ticket_id']),
    ('helpdesk', 'interactions', ['interaction_id']),
    ('helpdesk', 'surveys', ['survey_id']),
] -%}

with

{% for source_name, table, keys in rejecting_models %}
    {{ source_name }}_{{ table }} as (

        select
            '{{ source_name }}.{{ table }}' as source_table,
            {%- if keys | length == 1 %}
                cast(rejects.{{ keys[0] }} as text) as source_key,
            {%- else %}
                concat_ws(
                    '|'{% for key in keys %}, rejects.{{ key }}{% endfor %}
                )
                    as source_key,
            {%- endif %}
            rejects._reject_reason as reason,
            rejects._ladder_row_hash as raw_row_hash,
            to_jsonb(raw_rows) as raw_row

        from {{ ref('base_' ~ source_name ~ '__' ~ table) }} as rejects
        inner join {{ source(source_name, table) }} as raw_rows
            on rejects._ladder_row_hash = raw_rows._ladder_row_hash
        where rejects._reject_reason is not null

    ),

{% endfor %}
unioned as (

    {% for source_name, table, keys in rejecting_models %}
        select * from {{ source_name }}_{{ table }}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

)

select
    source_table,
    source_key,
    reason,
    raw_row_hash,
    raw_row,
    {{ as_of_date() }} as as_of_date

from unioned
