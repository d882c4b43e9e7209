-- DESIGN §6: no customer without marketing consent at D is in a marketing list, except
-- the suppression list. Consent is recomputed here from the consent history, not taken
-- from the list's own column.
with

ranked as (

    select
        customer_id,
        consent_status,
        row_number() over (
            partition by customer_id
            order by recorded_at desc, updated_at desc, consent_id desc
        ) as recency_rank
    from {{ ref('stg_shop__marketing_consent') }}

),

consent as (

    select * from ranked
    where recency_rank = 1

)

select
    marketing.customer_id,
    marketing.treatment_code,
    consent.consent_status
from {{ ref('treatment_marketing') }} as marketing
left join consent on marketing.customer_id = consent.customer_id
where
    marketing.treatment_code <> 'SUPPRESS_PROMOTIONS'
    and coalesce(consent.consent_status, 'none') <> 'opted_in'
