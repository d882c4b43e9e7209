{#- Models land in the schema named in their config (staging, intermediate, marts,
    ops), not in "<target schema>_<name>": DESIGN §5 fixes the schema names BI reads.
    The marts go to var('marts_schema'): the nightly run builds them into a shadow
    schema that replaces `marts` only once validate_marts has passed (DESIGN §8). -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- set schema = custom_schema_name | trim if custom_schema_name else target.schema -%}
    {{ var('marts_schema') if schema == 'marts' else schema }}
{%- endmacro %}
