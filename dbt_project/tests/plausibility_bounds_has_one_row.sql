{#- The staging models cross join plausibility_bounds: a second row would duplicate every
    source row, and none would drop every one. -#}
select count(*) as bound_rows
from {{ ref('plausibility_bounds') }}
having count(*) <> 1
