-- The consent records Ladder cannot read still say something: their customer may have
-- opted out. Each blocks marketing from the time it counts at (DESIGN §6).
with

marketing_consent as (

    select * from {{ ref('base_shop__marketing_consent') }}
    where
        _reject_reason is not null
        and customer_id is not null
        -- A version updated on or after D is not known at D.
        and (updated_at is null or updated_at < {{ as_of_ts() }})

),

dated as (

    select
        consent_id,
        customer_id,
        status,
        _reject_reason as reject_reason,
        -- Made at its recorded_at when that is a usable time, else at its updated_at;
        -- without either it has no time and counts as the latest record (null).
        case
            when
                recorded_at < {{ as_of_ts() }}
                and recorded_at >= cast('{{ var("earliest_plausible_date") }}' as timestamptz)
                then recorded_at
            else updated_at
        end as counts_from,
        updated_at,
        _ladder_row_hash

    from marketing_consent

)

select * from dated
