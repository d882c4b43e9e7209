-- depends_on: {{ ref('ladder_vocabulary') }}
-- (read by this model's no_internal_vocabulary test: as a parent, the seed lets the test
-- run in the stage that builds the model)

with

treatments as (

    select * from {{ ref('treatment_marketing') }}
    -- A held-out customer is never sent: the diff removes them where they were.
    where not is_holdout

),

customers as (

    select * from {{ ref('dim_customers') }}

),

rules as (

    select * from {{ ref('treatment_rules') }}
    where system = 'marketing'

),

-- Left joins: a listed customer is never dropped on the way out (the suppression list
-- must arrive whole); a missing reason fails the contract's not_null instead.
final as (

    select
        treatments.customer_id,
        treatments.treatment_code,
        treatments.offer,
        treatments.channel,
        customers.email,
        rules.customer_reason as reason,
        treatments.as_of_date

    from treatments
    left join customers on treatments.customer_id = customers.customer_id
    left join rules on treatments.rule_priority = rules.priority

)

select * from final
