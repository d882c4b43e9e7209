{#-
    The outreach memory (DESIGN §6): rebuilt whole from the delivery log on every run,
    from the deliveries before D only (D's marts are built before D's publish), so a
    rerun of D gives the same versions and a backfill of an older D sees the history as
    it stood then.
-#}

with

deliveries as (

    select * from {{ ref('stg_ops__publish_deliveries') }}
    where as_of_date < {{ as_of_date() }}

),

-- What a system held after each night it was sent a change: the destinations of one
-- system (the service API and the service desk's table) count as one. A treatment sent
-- to any of them that night wins over a removal, the last one recorded over the others.
ranked as (

    select
        customer_id,
        system,
        as_of_date as delivered_on,
        case when action = 'upsert' then treatment_code end as held_code,
        row_number() over (
            partition by customer_id, system, as_of_date
            order by case when action = 'upsert' then 0 else 1 end asc, recorded_at desc
        ) as night_rank

    from deliveries

),

nightly as (

    select
        customer_id,
        system,
        delivered_on,
        held_code

    from ranked
    where night_rank = 1

),

-- Gaps and islands: a new state starts where what the system holds changes.
with_previous as (

    select
        *,
        lag(held_code) over (
            partition by customer_id, system order by delivered_on
        ) as previous_code,
        row_number() over (
            partition by customer_id, system order by delivered_on
        ) as night_number

    from nightly

),

numbered as (

    select
        *,
        sum(
            case
                when night_number = 1 or previous_code is distinct from held_code then 1
                else 0
            end
        ) over (
            partition by customer_id, system order by delivered_on rows unbounded preceding
        ) as state_number

    from with_previous

),

states as (

    select
        customer_id,
        system,
        state_number,
        held_code,
        min(delivered_on) as valid_from

    from numbered
    group by 1, 2, 3, 4

),

-- A state ends where the next begins; a removal's state (nothing held) is no version.
bounded as (

    select
        *,
        lead(valid_from) over (
            partition by customer_id, system order by valid_from
        ) as valid_to

    from states

),

final as (

    select
        customer_id,
        system,
        held_code as treatment_code,
        valid_from,
        valid_to,
        valid_to is null as is_current,
        {{ as_of_date() }} as as_of_date

    from bounded
    where held_code is not null

)

select * from final
