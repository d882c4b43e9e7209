{#- Fails on each `key` of `to` missing from the model: the model drops no row of it
    (of its rows meeting `source_filter`, a condition on `source`, when given). -#}
{% test covers_every_row_of(model, to, key, source_filter=none) %}

select source.{{ key }}
from {{ to }} as source
where
    not exists (
        select 1 from {{ model }} as covering
        where covering.{{ key }} = source.{{ key }}
    )
    {%- if source_filter is not none %}
        and ({{ source_filter }})
    {%- endif %}

{% endtest %}
