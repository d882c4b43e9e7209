{#- "1 complaint", "2 complaints": a count and its noun, for sentences built in SQL. -#}
{% macro counted(number, singular, plural) -%}
    format(
        '%s %s', {{ number }}, case when {{ number }} = 1 then '{{ singular }}' else '{{ plural }}' end
    )
{%- endmacro %}
