{#- customer_value gives the tier with top_share 1 to everyone below the other cuts and
    to the customers without a value: without it they would have no tier. -#}
select count(*) as tiers_at_one
from {{ ref('value_tiers') }}
where top_share = 1
having count(*) <> 1
