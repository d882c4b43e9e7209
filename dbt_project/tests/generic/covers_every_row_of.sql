{#- Fails on each `key` of `to` missing from the model: the model drops no row of it. -#}
{% test covers_every_row_of(model, to, key) %}

select source.{{ key }}
from {{ to }} as source
where not exists (
    select 1 from {{ model }} as covering
    where covering.{{ key }} = source.{{ key }}
)

{% endtest %}
