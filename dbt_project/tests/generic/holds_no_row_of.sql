{#- Fails on each `key` of the model naming a row of `to` that meets `source_filter` (a
    condition on `source`): the model holds none of those rows. -#}
{% test holds_no_row_of(model, to, key, source_filter) %}

select held.{{ key }}
from {{ model }} as held
inner join {{ to }} as source on held.{{ key }} = source.{{ key }}
where {{ source_filter }}

{% endtest %}
