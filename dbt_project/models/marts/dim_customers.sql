with

customers as (

    select * from {{ ref('stg_shop__customers') }}

),

purchases as (

    select * from {{ ref('int_customer_purchases_summarised') }}

),

consent as (

    select * from {{ ref('stg_shop__marketing_consent') }}

),

unreadable_consent as (

    select * from {{ ref('stg_shop__marketing_consent_unreadable') }}

),

suppression as (

    select * from {{ ref('stg_ops__marketing_suppression') }}

),

-- The latest readable record before D; at one instant an opt-out beats an opt-in, and
-- the source's ids break the remaining ties.
latest_consent as (

    select
        customer_id,
        consent_status,
        recorded_at,
        row_number() over (
            partition by customer_id
            order by
                recorded_at desc,
                consent_status = 'opted_out' desc,
                updated_at desc,
                consent_id desc
        ) as recency_rank

    from consent

),

-- The latest unreadable record; one without a time counts as the latest of all.
latest_unreadable as (

    select
        customer_id,
        case when bool_and(counts_from is not null) then max(counts_from) end as counts_from

    from unreadable_consent
    group by 1

),

-- Named on the suppression list by customer id or by normalised e-mail address.
suppression_matches as (

    select
        customers.customer_id,
        suppression.requested_at

    from customers
    inner join suppression on customers.customer_id = suppression.customer_id

    union all

    select
        customers.customer_id,
        suppression.requested_at

    from customers
    inner join suppression
        on {{ normalised_email('customers.email') }} = suppression.normalised_email

),

suppressed as (

    select
        customer_id,
        min(requested_at) as suppressed_since

    from suppression_matches
    group by 1

),

standing as (

    select
        customers.customer_id,
        latest_consent.consent_status,
        latest_consent.recorded_at,
        latest_unreadable.counts_from as blocked_from,
        suppressed.suppressed_since,
        suppressed.customer_id is not null as is_suppressed,
        -- An unreadable record at or after the latest readable one blocks marketing.
        latest_unreadable.customer_id is not null
        and (
            latest_consent.customer_id is null
            or latest_unreadable.counts_from is null
            or latest_unreadable.counts_from >= latest_consent.recorded_at
        ) as is_blocked

    from customers
    left join latest_consent
        on
            customers.customer_id = latest_consent.customer_id
            and latest_consent.recency_rank = 1
    left join latest_unreadable on customers.customer_id = latest_unreadable.customer_id
    left join suppressed on customers.customer_id = suppressed.customer_id

),

-- Fails closed (DESIGN §6): the suppression list overrides everything, then a block,
-- and only then the latest readable record.
decided as (

    select
        customer_id,
        case
            when is_suppressed then 'suppressed'
            when is_blocked then 'unreadable'
            else coalesce(consent_status, 'unknown')
        end as consent_status,
        case
            when is_suppressed then suppressed_since
            when is_blocked then blocked_from
            else recorded_at
        end as consent_recorded_at

    from standing

),

final as (

    select
        customers.customer_id,
        customers.email,
        customers.full_name,
        customers.country,
        customers.acquisition_channel,
        customers.created_at,
        purchases.first_order_at,
        purchases.last_order_at,
        coalesce(purchases.orders_lifetime, 0) as completed_orders,
        coalesce(purchases.purchase_days, 0) as purchase_days,
        purchases.customer_id is null as is_prospect,
        {{ as_of_date() }} - cast(timezone('UTC', customers.created_at) as date) as tenure_days,
        decided.consent_status,
        decided.consent_recorded_at,
        decided.consent_status = 'opted_in' as has_marketing_consent,
        {{ as_of_date() }} as as_of_date

    from customers
    left join purchases on customers.customer_id = purchases.customer_id
    left join decided on customers.customer_id = decided.customer_id

)

select * from final
