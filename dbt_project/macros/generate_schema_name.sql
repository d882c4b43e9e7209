{#- Models land in the schema named in their config (staging, intermediate, marts,
    ops), not in "<target schema>_<name>": DESIGN §5 fixes the schema names BI reads. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {{ custom_schema_name | trim if custom_schema_name else target.schema }}
{%- endmacro %}
