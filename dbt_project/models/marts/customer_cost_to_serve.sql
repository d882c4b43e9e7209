with

activities as (

    select * from {{ ref('int_customer_activities_costed') }}

),

purchases as (

    select * from {{ ref('int_customer_purchases_summarised') }}

),

final as (

    select
        activities.customer_id,
        activities.completed_orders_365d,
        activities.returns_365d,
        activities.service_contacts_365d,
        activities.agent_minutes_365d,
        activities.payment_failures_365d,
        activities.chargebacks_365d,
        activities.order_handling_cost_365d,
        activities.delivery_cost_365d,
        activities.return_processing_cost_365d,
        activities.service_phone_cost_365d,
        activities.service_email_cost_365d,
        activities.service_chat_cost_365d,
        activities.service_self_service_cost_365d,
        activities.payment_failure_cost_365d,
        activities.chargeback_cost_365d,
        activities.cost_to_serve_365d,
        activities.cost_to_serve_lifetime,
        coalesce(purchases.net_revenue_365d, 0) as net_revenue_365d,
        round(activities.cost_to_serve_365d / nullif(purchases.net_revenue_365d, 0), 4)
            as cost_to_revenue_ratio_365d,
        {{ as_of_date() }} as as_of_date

    from activities
    left join purchases on activities.customer_id = purchases.customer_id

)

select * from final
