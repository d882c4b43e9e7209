with

customers as (

    select * from {{ ref('stg_shop__customers') }}

),

activities as (

    select * from {{ ref('int_customer_activities_costed') }}

),

revenue as (

    select
        customer_id,
        sum(net_revenue) as net_revenue_365d

    from {{ ref('int_orders_priced') }}
    where is_completed and ordered_at >= {{ trailing_start_ts() }}
    group by 1

),

final as (

    select
        customers.customer_id,
        coalesce(activities.completed_orders_365d, 0) as completed_orders_365d,
        coalesce(activities.returns_365d, 0) as returns_365d,
        coalesce(activities.service_contacts_365d, 0) as service_contacts_365d,
        coalesce(activities.agent_minutes_365d, 0) as agent_minutes_365d,
        coalesce(activities.payment_failures_365d, 0) as payment_failures_365d,
        coalesce(activities.chargebacks_365d, 0) as chargebacks_365d,
        coalesce(activities.order_handling_cost_365d, 0) as order_handling_cost_365d,
        coalesce(activities.delivery_cost_365d, 0) as delivery_cost_365d,
        coalesce(activities.return_processing_cost_365d, 0) as return_processing_cost_365d,
        coalesce(activities.service_phone_cost_365d, 0) as service_phone_cost_365d,
        coalesce(activities.service_email_cost_365d, 0) as service_email_cost_365d,
        coalesce(activities.service_chat_cost_365d, 0) as service_chat_cost_365d,
        coalesce(activities.service_self_service_cost_365d, 0)
            as service_self_service_cost_365d,
        coalesce(activities.payment_failure_cost_365d, 0) as payment_failure_cost_365d,
        coalesce(activities.chargeback_cost_365d, 0) as chargeback_cost_365d,
        coalesce(activities.cost_to_serve_365d, 0) as cost_to_serve_365d,
        coalesce(activities.cost_to_serve_lifetime, 0) as cost_to_serve_lifetime,
        coalesce(revenue.net_revenue_365d, 0) as net_revenue_365d,
        round(activities.cost_to_serve_365d / nullif(revenue.net_revenue_365d, 0), 4)
            as cost_to_revenue_ratio_365d,
        {{ as_of_date() }} as as_of_date

    from customers
    left join activities on customers.customer_id = activities.customer_id
    left join revenue on customers.customer_id = revenue.customer_id

)

select * from final
