{#- Fails on each text value holding a word of the internal vocabulary (the seed
    ladder_vocabulary: rung, segment and flag names, internal field names, the analysts'
    figures): whole words, any case, plurals too. On a column, that column; on a model,
    every text column but those in `exclude` (the customer's own identifiers, which are
    theirs whatever they spell). An empty vocabulary fails too: it would prove nothing. -#}
{% test no_internal_vocabulary(model, column_name=none, exclude=[]) %}

{%- set scanned = [] -%}
{%- if column_name is not none -%}
    {%- do scanned.append(column_name) -%}
{%- elif execute -%}
    {%- for column in adapter.get_columns_in_relation(model) -%}
        {%- if column.is_string() and column.name not in exclude -%}
            {%- do scanned.append(column.name) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if not scanned -%}
        {{ exceptions.raise_compiler_error(
            "no_internal_vocabulary: " ~ model ~ " has no text column to scan") }}
    {%- endif -%}
{%- endif %}

with

vocabulary as (

    -- Each term as a literal in a regular expression: every character but letters,
    -- digits, spaces and underscores escaped (P(alive), cost-to-serve).
    select string_agg(regexp_replace(term, '([^[:alnum:] _])', '\\\1', 'g'), '|') as terms
    from {{ ref('ladder_vocabulary') }}

),

scanned as (

    {%- for name in scanned %}
    select distinct
        '{{ name }}' as column_name,
        cast({{ adapter.quote(name) }} as text) as scanned_value
    from {{ model }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
    {%- if not scanned %}
    select null as column_name, null as scanned_value
    {%- endif %}

)

select
    scanned.column_name,
    scanned.scanned_value
from scanned
cross join vocabulary
where
    vocabulary.terms is null
    or scanned.scanned_value
    ~* ('(^|[^[:alnum:]_])(' || vocabulary.terms || ')s?($|[^[:alnum:]_])')

{% endtest %}
