{#- Fails unless every row holds the same single, non-null value (e.g. as_of_date). -#}
{% test one_value(model, column_name) %}

select count(distinct {{ column_name }}) as distinct_values
from {{ model }}
having count(distinct {{ column_name }}) > 1 or count(*) > count({{ column_name }})

{% endtest %}
