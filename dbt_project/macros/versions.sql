{#-
    Raw keeps every version of every row the source sent (DESIGN §5.3). This picks the
    version current at D for each key and says what is wrong with the others:

    - _version_problem: why the row cannot be used whatever its values are (no key, no
      updated_at, recorded on or after D, or two different rows for one key at the
      same version), else null;
    - _superseded: a usable row that a later version of the same key replaced.

    Rows are ordered by updated_at, then by load: a source that changes a row without
    touching updated_at still has its later load win.
-#}
{% macro latest_versions(relation, key_columns, recorded_at='updated_at') -%}
    {%- set keys = key_columns | join(', ') -%}
    {%- set version = recorded_at ~ ', _dlt_load_id' -%}
    select
        flagged.*,
        first_value({{ recorded_at }}) over versions as _latest_recorded_at,
        first_value(_dlt_load_id) over versions as _latest_load_id,
        lag(({{ version }})) over versions = ({{ version }})
        or lead(({{ version }})) over versions = ({{ version }}) as _has_twin
    from (
        select
            {{ relation }}.*,
            case
                {%- for key in key_columns %}
                    when {{ key }} is null or cast({{ key }} as text) = ''
                        then 'missing key {{ key }}'
                {%- endfor %}
                when {{ recorded_at }} is null
                    then '{{ recorded_at }} is missing: the current version cannot be told'
                when {{ recorded_at }} >= {{ as_of_ts() }}
                    then 'recorded on or after the as-of date'
            end as _key_problem
        from {{ relation }}
    ) as flagged
    window versions as (
        partition by {{ keys }}, _key_problem is null
        order by {{ recorded_at }} desc, _dlt_load_id desc
    )
{%- endmacro %}

{#- Case branches for the version problems found by latest_versions(). -#}
{% macro version_checks(recorded_at='updated_at') -%}
    when _key_problem is not null then _key_problem
    when ({{ recorded_at }}, _dlt_load_id) <> (_latest_recorded_at, _latest_load_id)
        then null
    when _has_twin then 'duplicate key: several different rows at the same version'
{%- endmacro %}

{#- Superseded: a clean key whose row is not the latest version. -#}
{% macro is_superseded(recorded_at='updated_at') -%}
    (_key_problem is null
        and ({{ recorded_at }}, _dlt_load_id) <> (_latest_recorded_at, _latest_load_id))
{%- endmacro %}

{#-
    Case branches for values the extract could not land in their typed column: a
    value of another type sits in "<column>__v_text" (schema drift), a NaN is named in
    _ladder_unrepresentable. Those columns exist only once such a value arrived, so
    the relation's columns are looked up when the model runs.
-#}
{% macro unusable_value_checks(relation) -%}
    {%- if execute -%}
        {%- for column in adapter.get_columns_in_relation(relation) -%}
            {%- if column.name.endswith('__v_text') %}
    when {{ column.name }} is not null
        then '{{ column.name[:-8] }} has a value of another type: '
        || left({{ column.name }}, 60)
            {%- elif column.name == '_ladder_unrepresentable' %}
    when _ladder_unrepresentable is not null
        then 'unrepresentable value: ' || _ladder_unrepresentable
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}
