-- A treatment's rules agree on its holdout share (seed treatment_rules): a customer's
-- group is decided by the treatment, so it must not change with the rule that matched.
select
    treatment_code,
    count(distinct holdout_share) as holdout_shares

from {{ ref('treatment_rules') }}
group by 1
having count(distinct holdout_share) > 1
