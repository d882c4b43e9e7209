with

referrals as (

    select * from {{ ref('base_shop__referrals') }}
    where not _superseded and _reject_reason is null

),

renamed as (

    select
        referral_id,
        referrer_customer_id,
        referred_customer_id,
        referred_at,
        updated_at

    from referrals

)

select * from renamed
