with

units as (

    {{ outcome_units() | indent(4) }}

),

catalogue as (

    select * from {{ ref('treatment_catalogue') }}

),

final as (

    select
        units.treatment_code,
        catalogue.system,
        units.cohort_date,
        units.window_days,
        units.cohort_date + units.window_days as window_end,
        {{ outcome_summary() | indent(8) }},
        {{ as_of_date() }} as as_of_date

    from units
    inner join catalogue on units.treatment_code = catalogue.treatment_code
    group by 1, 2, 3, 4, 5

)

select * from final
