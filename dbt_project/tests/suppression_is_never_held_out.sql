-- The suppression list (the marketing treatment the catalogue calls transactional) keeps
-- promotions from customers who must not get them: a protection, never an experiment,
-- so none of its rules holds anyone out (docs/holdouts.md).
with

rules as (

    select * from {{ ref('treatment_rules') }}

),

catalogue as (

    select * from {{ ref('treatment_catalogue') }}

)

select
    rules.priority,
    rules.treatment_code,
    rules.holdout_share

from rules
inner join catalogue on rules.treatment_code = catalogue.treatment_code
where
    catalogue.system = 'marketing'
    and catalogue.is_transactional
    and rules.holdout_share > 0
