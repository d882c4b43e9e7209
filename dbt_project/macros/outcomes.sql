{#-
    Treatment outcomes (docs/outcomes.md). outcome_units() is a query with one row per
    customer, treatment, cohort and completed window: the customer's group on the
    cohort's first night (intention to treat: assignment, not delivery) and what they
    did in [cohort_date, cohort_date + window_days). outcome_summary() compares the
    treated with the held-out customers of a group of those rows; both outcome marts
    use it, per cohort and pooled over cohorts.
-#}
{% macro outcome_units() -%}

with

assignments as (

    select * from {{ ref('treatment_assignments') }}

),

windows as (

    select * from {{ ref('outcome_windows') }}

),

customer_days as (

    select * from {{ ref('int_customer_days_costed') }}

),

rungs as (

    select * from {{ ref('segment_history') }}

),

-- The group on the cohort's first night decides: a customer who is later moved into
-- or out of the holdout stays where they started.
cohorts as (

    select
        customer_id,
        treatment_code,
        cohort_date,
        is_holdout

    from assignments
    where as_of_date = cohort_date

),

completed as (

    select
        cohorts.*,
        windows.window_days,
        cohorts.cohort_date + windows.window_days as window_end

    from cohorts
    cross join windows
    where cohorts.cohort_date + windows.window_days <= {{ as_of_date() }}

),

in_window as (

    select
        completed.customer_id,
        completed.treatment_code,
        completed.cohort_date,
        completed.window_days,
        completed.window_end,
        completed.is_holdout,
        coalesce(sum(customer_days.completed_orders), 0) as purchases,
        coalesce(sum(customer_days.gross_margin), 0) as margin,
        coalesce(sum(customer_days.cost_to_serve), 0) as cost_to_serve,
        coalesce(sum(customer_days.completed_orders) filter (
            where customer_days.activity_day
            >= completed.window_end - {{ var('outcome_recent_days') }}
        ), 0) as recent_purchases

    from completed
    left join customer_days
        on
            completed.customer_id = customer_days.customer_id
            and customer_days.activity_day >= completed.cohort_date
            and customer_days.activity_day < completed.window_end
    group by 1, 2, 3, 4, 5, 6

),

-- The rung on the cohort's night and on the window's end: the segment_history version
-- valid on each date (the ladder as the run of that night saw it).
final as (

    select
        in_window.customer_id,
        in_window.treatment_code,
        in_window.cohort_date,
        in_window.window_days,
        in_window.is_holdout,
        in_window.purchases,
        case when in_window.purchases > 0 then 1 else 0 end as repurchased,
        case when in_window.recent_purchases > 0 then 1 else 0 end as purchased_recently,
        in_window.margin,
        in_window.cost_to_serve,
        in_window.margin - in_window.cost_to_serve as profit,
        case when at_end.ladder_level > at_start.ladder_level then 1 else 0 end as moved_up,
        case when at_end.ladder_level < at_start.ladder_level then 1 else 0 end as moved_down

    from in_window
    left join rungs as at_start
        on
            in_window.customer_id = at_start.customer_id
            and in_window.cohort_date >= at_start.valid_from
            and (at_start.valid_to is null or in_window.cohort_date < at_start.valid_to)
    left join rungs as at_end
        on
            in_window.customer_id = at_end.customer_id
            and in_window.window_end >= at_end.valid_from
            and (at_end.valid_to is null or in_window.window_end < at_end.valid_to)

)

select * from final

{%- endmacro %}


{#- The means of each group, `uplift` (treated minus held out) and its 95 % interval. -#}
{% macro outcome_summary() -%}
    {%- set outcomes = {
        'repurchase_rate': 'repurchased',
        'purchases': 'purchases',
        'margin': 'margin',
        'cost_to_serve': 'cost_to_serve',
        'profit': 'profit',
        'moved_up_share': 'moved_up',
        'moved_down_share': 'moved_down',
        'recent_purchase_share': 'purchased_recently',
    } -%}
    count(*) filter (where not is_holdout) as n_treated,
    count(*) filter (where is_holdout) as n_holdout,
    {% for name, unit in outcomes.items() %}
        avg({{ unit }}) filter (where not is_holdout) as treated_{{ name }},
        avg({{ unit }}) filter (where is_holdout) as holdout_{{ name }},
    {% endfor %}
    {{ uplift_interval('profit', '') }},
    {{ uplift_interval('repurchased', 'repurchase_') }},
    {{ uplift_interval('purchases', 'purchases_') }},
    {{ is_harmful() }} as is_harmful
{%- endmacro %}


{#-
    Treated minus held-out mean of `unit`, and its 95 % interval by the normal
    approximation with Welch's standard error sqrt(var_t / n_t + var_h / n_h); the
    interval is null when either group has fewer than 2 customers.
-#}
{% macro uplift_interval(unit, prefix) -%}
    {{ uplift_estimate(unit) }} as {{ prefix }}uplift,
    {{ uplift_estimate(unit) }} - {{ uplift_margin(unit) }} as {{ prefix }}ci_low,
    {{ uplift_estimate(unit) }} + {{ uplift_margin(unit) }} as {{ prefix }}ci_high
{%- endmacro %}


{#- Harm: the profit uplift's whole 95 % interval below zero (report, validate_marts). -#}
{% macro is_harmful() -%}
    coalesce({{ uplift_estimate('profit') }} + {{ uplift_margin('profit') }} < 0, false)
{%- endmacro %}


{% macro uplift_estimate(unit) -%}
    avg({{ unit }}) filter (where not is_holdout) - avg({{ unit }}) filter (where is_holdout)
{%- endmacro %}


{% macro uplift_margin(unit) -%}
    1.959964 * sqrt(
        var_samp({{ unit }}) filter (where not is_holdout)
        / nullif(count(*) filter (where not is_holdout), 0)
        + var_samp({{ unit }}) filter (where is_holdout)
        / nullif(count(*) filter (where is_holdout), 0)
    )
{%- endmacro %}
