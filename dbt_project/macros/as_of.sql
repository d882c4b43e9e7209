{#- The run's as-of date D (DESIGN §4). Only events strictly before D count. -#}
{% macro as_of_date_literal() -%}
    {%- set value = var('as_of_date') | string -%}
    {%- if not modules.re.match('^\d{4}-\d{2}-\d{2}$', value) -%}
        {{ exceptions.raise_compiler_error(
            "var('as_of_date') must be a date like 2025-12-31, got '" ~ value
            ~ "'. Pass it as: dbt build --vars '{as_of_date: 2025-12-31}'") }}
    {%- endif -%}
    {{ return(value) }}
{%- endmacro %}

{% macro as_of_date() -%}
    cast('{{ as_of_date_literal() }}' as date)
{%- endmacro %}

{#- D as an instant: midnight UTC at the start of the as-of date. -#}
{% macro as_of_ts() -%}
    cast('{{ as_of_date_literal() }} 00:00:00+00' as timestamptz)
{%- endmacro %}

{#- Start of the trailing window: events at or after it and before D are "recent". -#}
{% macro trailing_start_ts() -%}
    ({{ as_of_ts() }} - interval '{{ var("trailing_days") }} days')
{%- endmacro %}

{#- Reject reasons for an event timestamp: missing, on or after D, or implausibly old. -#}
{% macro event_time_checks(column) -%}
    when {{ column }} is null then '{{ column }} is missing'
    when {{ column }} >= {{ as_of_ts() }} then '{{ column }} is on or after the as-of date'
    when {{ column }} < cast('{{ var("earliest_plausible_date") }}' as timestamptz)
        then '{{ column }} is before {{ var("earliest_plausible_date") }}'
{%- endmacro %}
