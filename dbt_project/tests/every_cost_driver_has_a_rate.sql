-- Cost-to-serve joins activities to their rates; a driver missing from the seed
-- would drop its cost, so every driver the models use must be there.
with

expected as (

    select driver
    from (
        values
        ('order_handling'), ('delivery'), ('return_processing'), ('contact_phone'),
        ('contact_email'), ('contact_chat'), ('contact_self_service'), ('agent_minute'),
        ('payment_failure'), ('chargeback_fee'), ('chargeback_loss')
    ) as drivers (driver)

)

select expected.driver
from expected
left join {{ ref('cost_drivers') }} as cost_drivers on expected.driver = cost_drivers.driver
where cost_drivers.driver is null
