{#- Fails on rows where the column is below zero (nulls pass; add not_null for those). -#}
{% test not_negative(model, column_name) %}

select {{ column_name }}
from {{ model }}
where {{ column_name }} < 0

{% endtest %}
