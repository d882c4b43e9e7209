{#-
    SCD2 by as-of date, rebuilt around D on every run: the versions before D and from the
    next recorded run N on are kept, [D, N) takes D's state, and adjacent versions in the
    same state merge. So a rerun of D changes nothing, and a backfill of an older D
    splits the version it falls in without touching later ones.
-#}
{{
    config(
        materialized='incremental',
        unique_key='customer_id',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
        full_refresh=false,
    )
}}

with

today as (

    select * from {{ ref('customer_segments') }}

),

runs as (

    select * from {{ ref('segment_runs') }}

),

next_run as (

    select coalesce(min(as_of_date), cast('infinity' as date)) as next_as_of
    from runs
    where as_of_date > {{ as_of_date() }}

),

-- The versions so far, open ends as infinity; none on the first build.
versions as (

    {% if is_incremental() %}
        select
            customer_id,
            value_segment,
            ladder_rung,
            ladder_level,
            valid_from,
            coalesce(valid_to, cast('infinity' as date)) as valid_to
        from {{ this }}
    {% else %}
        select
            customer_id,
            value_segment,
            ladder_rung,
            ladder_level,
            cast(null as date) as valid_from,
            cast(null as date) as valid_to
        from today
        where false
    {% endif %}

),

-- What is kept: the versions before D, and from the next recorded run on.
kept as (

    select
        customer_id,
        value_segment,
        ladder_rung,
        ladder_level,
        valid_from,
        least(valid_to, {{ as_of_date() }}) as valid_to

    from versions
    where valid_from < {{ as_of_date() }}

    union all

    select
        versions.customer_id,
        versions.value_segment,
        versions.ladder_rung,
        versions.ladder_level,
        greatest(versions.valid_from, next_run.next_as_of) as valid_from,
        versions.valid_to

    from versions
    cross join next_run
    where versions.valid_to > next_run.next_as_of

),

pieces as (

    select
        today.customer_id,
        today.value_segment,
        today.ladder_rung,
        today.ladder_level,
        {{ as_of_date() }} as valid_from,
        next_run.next_as_of as valid_to

    from today
    cross join next_run

    union all

    select * from kept

),

with_previous as (

    select
        *,
        lag(value_segment) over (partition by customer_id order by valid_from)
            as previous_segment,
        lag(ladder_rung) over (partition by customer_id order by valid_from)
            as previous_rung,
        lag(valid_to) over (partition by customer_id order by valid_from)
            as previous_valid_to

    from pieces
    where valid_from < valid_to

),

-- Gaps and islands: a new version starts where the state changes or time jumps.
numbered as (

    select
        *,
        sum(
            case
                when
                    previous_segment is distinct from value_segment
                    or previous_rung is distinct from ladder_rung
                    or previous_valid_to is distinct from valid_from
                    then 1
                else 0
            end
        ) over (
            partition by customer_id order by valid_from rows unbounded preceding
        ) as version_number

    from with_previous

),

merged as (

    select
        customer_id,
        version_number,
        value_segment,
        ladder_rung,
        ladder_level,
        min(valid_from) as valid_from,
        max(valid_to) as valid_to

    from numbered
    group by 1, 2, 3, 4, 5

),

final as (

    select
        customer_id,
        value_segment,
        ladder_rung,
        ladder_level,
        valid_from,
        nullif(valid_to, cast('infinity' as date)) as valid_to,
        valid_to = cast('infinity' as date) as is_current

    from merged

)

select * from final
