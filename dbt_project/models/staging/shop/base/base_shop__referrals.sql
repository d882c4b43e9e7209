with

source as (

    select * from {{ source('shop', 'referrals') }}

),

versions as (

    {{ latest_versions('source', ['referral_id']) }}

),

customers as (

    select customer_id from {{ ref('stg_shop__customers') }}

),

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
        end as _reject_reason

    from versions
    left join customers as referrers
        on versions.referrer_customer_id = referrers.customer_id
    left join customers as referred
        on versions.referred_customer_id = referred.customer_id

)

select * from checked
