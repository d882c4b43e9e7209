-- DESIGN §6: no treatment lowers the standard service level of a customer for being
-- unprofitable. Below standard (`review`) is for Terrorists only, in the rules and in
-- today's list; bad and Toxic customers get alternatives at standard or better.
select
    'rule' as found_in,
    treatment_code as what,
    coalesce(ladder_rung, 'any rung') as rung
from {{ ref('treatment_rules') }}
where
    system = 'service'
    and service_tier not in ('standard', 'priority')
    and coalesce(ladder_rung, '') <> 'Terrorist'

union all

select
    'list' as found_in,
    customer_id as what,
    ladder_rung as rung
from {{ ref('treatment_service') }}
where service_tier not in ('standard', 'priority') and ladder_rung <> 'Terrorist'
