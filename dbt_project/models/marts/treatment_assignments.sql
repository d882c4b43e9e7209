{#-
    The assignment log (docs/holdouts.md): every night's treatment per customer and
    system, treated or held out. Each run writes D's rows and rewrites the later nights'
    (none, except on a backfill), whose cohorts D may join or split; the nights before D
    stay as they are. A rerun of D replaces D's rows. The previous logged night P is read
    for the cohorts that continue into D.
-#}
{{
    config(
        materialized='incremental',
        unique_key='as_of_date',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
        full_refresh=false,
        indexes=[{'columns': ['as_of_date']}],
    )
}}

with

marketing as (

    select * from {{ ref('treatment_marketing') }}

),

service as (

    select * from {{ ref('treatment_service') }}

),

catalogue as (

    select * from {{ ref('treatment_catalogue') }}

),

listed as (

    select
        customer_id,
        treatment_code,
        is_holdout

    from marketing

    union all

    select
        customer_id,
        treatment_code,
        is_holdout

    from service

),

-- The system of each list is its treatment codes' (treatment_catalogue.system).
tonight as (

    select
        {{ as_of_date() }} as as_of_date,
        listed.customer_id,
        catalogue.system,
        listed.treatment_code,
        listed.is_holdout,
        cast(null as date) as logged_cohort_date

    from listed
    inner join catalogue on listed.treatment_code = catalogue.treatment_code

),

-- The previous logged night P (with its cohorts) and the nights after D; none on the
-- first build.
logged as (

    {% if is_incremental() %}
        select
            as_of_date,
            customer_id,
            system,
            treatment_code,
            is_holdout,
            -- P's cohorts carry on; the later nights' are worked out again.
            case
                when as_of_date < {{ as_of_date() }} then cohort_date
            end as logged_cohort_date

        from {{ this }}
        where
            as_of_date > {{ as_of_date() }}
            or as_of_date = (
                select max(earlier.as_of_date) from {{ this }} as earlier
                where earlier.as_of_date < {{ as_of_date() }}
            )
    {% else %}
        select * from tonight
        where false
    {% endif %}

),

assignments as (

    select * from tonight

    union all

    select * from logged

),

night_numbers as (

    select
        as_of_date,
        row_number() over (order by as_of_date) as night_number

    from assignments
    group by 1

),

-- Gaps and islands: a cohort runs while the customer keeps the treatment from one logged
-- night to the next.
with_previous as (

    select
        assignments.*,
        night_numbers.night_number,
        lag(night_numbers.night_number) over (
            partition by assignments.customer_id, assignments.system, assignments.treatment_code
            order by assignments.as_of_date
        ) as previous_night_number

    from assignments
    inner join night_numbers on assignments.as_of_date = night_numbers.as_of_date

),

runs as (

    select
        *,
        sum(
            case when previous_night_number = night_number - 1 then 0 else 1 end
        ) over (
            partition by customer_id, system, treatment_code
            order by as_of_date rows unbounded preceding
        ) as run_number

    from with_previous

),

-- A cohort starts on its first night, or, continuing from P, where P's row says.
final as (

    select
        as_of_date,
        customer_id,
        system,
        treatment_code,
        is_holdout,
        first_value(coalesce(logged_cohort_date, as_of_date)) over (
            partition by customer_id, system, treatment_code, run_number
            order by as_of_date
        ) as cohort_date

    from runs

)

select * from final
where as_of_date >= {{ as_of_date() }}
