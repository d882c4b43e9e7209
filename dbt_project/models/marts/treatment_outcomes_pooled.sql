with

units as (

    {{ outcome_units() | indent(4) }}

),

catalogue as (

    select * from {{ ref('treatment_catalogue') }}

),

-- Every customer of every completed cohort counts once, as in one big cohort: the
-- means weigh each cohort by its size.
final as (

    select
        units.treatment_code,
        catalogue.system,
        units.window_days,
        count(distinct units.cohort_date) as cohorts,
        min(units.cohort_date) as first_cohort_date,
        max(units.cohort_date) as last_cohort_date,
        {{ outcome_summary() | indent(8) }},
        {{ as_of_date() }} as as_of_date

    from units
    inner join catalogue on units.treatment_code = catalogue.treatment_code
    group by 1, 2, 3

)

select * from final
