with

history as (

    select * from {{ ref('segment_history') }}

),

runs as (

    select * from {{ ref('segment_runs') }}

),

previous_run as (

    select max(as_of_date) as previous_as_of
    from runs
    where as_of_date < {{ as_of_date() }}

),

at_d as (

    select history.*
    from history
    where
        history.valid_from <= {{ as_of_date() }}
        and (history.valid_to is null or history.valid_to > {{ as_of_date() }})

),

at_previous as (

    select history.*
    from history
    cross join previous_run
    where
        history.valid_from <= previous_run.previous_as_of
        and (history.valid_to is null or history.valid_to > previous_run.previous_as_of)

),

final as (

    select
        at_d.customer_id,
        previous_run.previous_as_of as previous_as_of_date,
        at_previous.ladder_rung as from_rung,
        at_d.ladder_rung as to_rung,
        at_previous.value_segment as from_segment,
        at_d.value_segment as to_segment,
        case
            when at_previous.customer_id is null then 'new'
            when at_d.ladder_level > at_previous.ladder_level then 'up'
            when at_d.ladder_level < at_previous.ladder_level then 'down'
            else 'same rung'
        end as direction,
        at_d.ladder_level - at_previous.ladder_level as levels_moved,
        {{ as_of_date() }} as as_of_date

    from at_d
    cross join previous_run
    left join at_previous on at_d.customer_id = at_previous.customer_id
    where
        previous_run.previous_as_of is not null
        and (
            at_previous.customer_id is null
            or at_previous.ladder_rung <> at_d.ladder_rung
            or at_previous.value_segment <> at_d.value_segment
        )

)

select * from final
