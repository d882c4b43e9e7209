{#-
    SCD2 by as-of date, rebuilt around D on every run: the versions before D and from the
    next recorded run N on are kept, [D, N) takes D's state, and adjacent versions with
    the same state merge. So a rerun of D changes nothing, and a backfill of an older D
    splits the version it falls in without touching later ones.
-#}
-- depends_on: {{ ref('segment_runs') }}
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

{% if is_incremental() %}

runs as (

    select * from {{ ref('segment_runs') }}

),

next_run as (

    select coalesce(min(as_of_date), cast('infinity' as date)) as next_as_of
    from runs
    where as_of_date > {{ as_of_date() }}

),

versions as (

    select
        customer_id,
        value_segment,
        ladder_rung,
        ladder_level,
        valid_from,
        coalesce(valid_to, cast('infinity' as date)) as valid_to

    from {{ this }}

),

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

{% endif %}

pieces as (

    select
        today.customer_id,
        today.value_segment,
        today.ladder_rung,
        today.ladder_level,
        {{ as_of_date() }} as valid_from,
        {% if is_incremental() %}
            next_run.next_as_of as valid_to
        {% else %}
            cast('infinity' as date) as valid_to
        {% endif %}

    from today
    {% if is_incremental() %}
        cross join next_run

    union all

    select * from kept
    {% endif %}

),

-- Gaps and islands: a new version starts where the state changes or time jumps.
flagged as (

    select
        *,
        case
            when
                lag(value_segment) over by_time is distinct from value_segment
                or lag(ladder_rung) over by_time is distinct from ladder_rung
                or lag(valid_to) over by_time is distinct from valid_from
                then 1
            else 0
        end as starts_version

    from pieces
    where valid_from < valid_to
    window by_time as (partition by customer_id order by valid_from)

),

numbered as (

    select
        *,
        sum(starts_version) over (
            partition by customer_id order by valid_from rows unbounded preceding
        ) as version_number

    from flagged

),

final as (

    select
        customer_id,
        value_segment,
        ladder_rung,
        ladder_level,
        min(valid_from) as valid_from,
        nullif(max(valid_to), cast('infinity' as date)) as valid_to,
        max(valid_to) = cast('infinity' as date) as is_current

    from numbered
    group by customer_id, version_number, value_segment, ladder_rung, ladder_level

)

select * from final
