{#-
    Plausibility bounds (DESIGN §5.4). Every limit lives in the one-row seed
    plausibility_bounds; a base model cross joins it as `bounds` (one row, so the join
    costs nothing per row) and adds these case branches after its type checks. Each
    reason names the value, the limit and the seed column, so the operator knows what
    to correct and which bound to change if the row is right after all.
-#}

{#- The seed's one row, to cross join as `bounds`. -#}
{% macro plausibility_bounds() -%}
    cross join {{ ref('plausibility_bounds') }} as bounds
{%- endmacro %}

{#- An amount as the source wrote it: no trailing zeros of the column's scale. -#}
{% macro amount_text(value) -%}
    cast(trim_scale(cast({{ value }} as numeric)) as text)
{%- endmacro %}

{#- An instant in UTC, whatever the session's time zone. -#}
{% macro instant_text(value) -%}
    (to_char({{ value }} at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS') || ' UTC')
{%- endmacro %}

{#- Reject when `column` is above the bound `bound` of the seed. -#}
{% macro above_bound_check(column, bound) -%}
    when {{ column }} > bounds.{{ bound }}
        then format(
            '{{ column.split('.')[-1] }} %s is above the limit %s (plausibility_bounds.{{ bound }})',
            {{ amount_text(column) }}, {{ amount_text('bounds.' ~ bound) }}
        )
{%- endmacro %}

{#-
    Reject when `value` is above `share_bound` × `base` (a cross-row relation, e.g.
    the discount against the basket). `what` names the value in the reason, `base_name`
    what the share is of.
-#}
{% macro above_share_check(value, what, share_bound, base, base_name) -%}
    when {{ value }} > bounds.{{ share_bound }} * {{ base }}
        then format(
            '{{ what }} %s is above the limit %s (%s times {{ base_name }}; '
            'plausibility_bounds.{{ share_bound }})',
            {{ amount_text(value) }},
            {{ amount_text('round(bounds.' ~ share_bound ~ ' * ' ~ base ~ ', 2)') }},
            {{ amount_text('bounds.' ~ share_bound) }}
        )
{%- endmacro %}

{#- Reject an event dated before its customer existed, beyond the seed's tolerance. -#}
{% macro before_customer_check(column, created_at, whose='the customer') -%}
    when
        {{ column }} < {{ created_at }}
        - bounds.customer_event_tolerance_hours * interval '1 hour'
        then format(
            '{{ column.split('.')[-1] }} %s is more than %s hours before {{ whose }} was created,'
            ' at %s (plausibility_bounds.customer_event_tolerance_hours)',
            {{ instant_text(column) }},
            {{ amount_text('bounds.customer_event_tolerance_hours') }},
            {{ instant_text(created_at) }}
        )
{%- endmacro %}
