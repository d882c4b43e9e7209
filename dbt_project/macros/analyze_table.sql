{#- Post-hook: statistics for a table as soon as it is built, so the models and tests
    after it are planned on real row counts (a new table has none). Views are skipped. -#}
{% macro analyze_table() -%}
    {%- if model.config.materialized == 'table' -%}
        analyze {{ this }}
    {%- endif -%}
{%- endmacro %}
