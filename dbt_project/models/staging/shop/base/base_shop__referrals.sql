with

source as (

    select * from {{ source('shop', 'referrals') }}

),

versions as (

    {{ latest_versions('source', ['referral_id']) }}

),

customers as (

    select
        customer_id,
        created_at as customer_created_at,
        {{ normalised_email('email') }} as normalised_email
    from {{ ref('stg_shop__customers') }}

),

-- Only the referrer must have existed before the referral: the referral is what creates
-- the referred customer's account.
checked as (

    select
        versions.referral_id,
        versions.referrer_customer_id,
        versions.referred_customer_id,
        versions.referred_at,
        versions.updated_at,
        versions._ladder_row_hash,
        {{ is_superseded() }} as _superseded,
        case
            {{ version_checks() }}
            {{ unusable_value_checks(source('shop', 'referrals')) }}
            when referrers.customer_id is null then 'unknown referrer customer'
            when referred.customer_id is null then 'unknown referred customer'
            {{ event_time_checks('referred_at') }}
            when versions.referrer_customer_id = versions.referred_customer_id
                then 'referrer_customer_id is the referred customer: a self-referral'
            when
                bounds.self_referral_by_email
                and referrers.normalised_email = referred.normalised_email
                then format(
                    'referrer %s and referred %s share one e-mail address once normalised:'
                    ' a self-referral (plausibility_bounds.self_referral_by_email)',
                    versions.referrer_customer_id, versions.referred_customer_id
                )
            {{ before_customer_check(
                'versions.referred_at', 'referrers.customer_created_at', 'the referrer'
            ) }}
        end as _reject_reason

    from versions
    {{ plausibility_bounds() }}
    left join customers as referrers
        on versions.referrer_customer_id = referrers.customer_id
    left join customers as referred
        on versions.referred_customer_id = referred.customer_id

)

select * from checked
