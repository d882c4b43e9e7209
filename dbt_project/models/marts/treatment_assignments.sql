{#-
    The assignment log (docs/holdouts.md): every night's treatment per customer and
    system, treated or held out. Each run writes D's rows and rewrites the later nights'
    (none, except on a backfill), whose cohorts an earlier first night may change; the
    nights before D stay as they are. A rerun of D replaces D's rows.
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
        listed.is_holdout

    from listed
    inner join catalogue on listed.treatment_code = catalogue.treatment_code

),

-- The nights after D (a backfill's), and each customer's first night of each treatment
-- before D; none on the first build.
later as (

    {% if is_incremental() %}
        select
            as_of_date,
            customer_id,
            system,
            treatment_code,
            is_holdout

        from {{ this }}
        where as_of_date > {{ as_of_date() }}
    {% else %}
        select * from tonight
        where false
    {% endif %}

),

first_before as (

    {% if is_incremental() %}
        select
            customer_id,
            system,
            treatment_code,
            min(as_of_date) as first_assigned

        from {{ this }}
        where as_of_date < {{ as_of_date() }}
        group by 1, 2, 3
    {% else %}
        select
            customer_id,
            system,
            treatment_code,
            as_of_date as first_assigned

        from tonight
        where false
    {% endif %}

),

assignments as (

    select * from tonight

    union all

    select * from later

),

-- Intention to treat: a customer's cohort is the first night they were ever assigned the
-- treatment, however often they left it and came back. Starting a new cohort on a
-- return would select on what the treatment did (a treated customer who responded
-- leaves WINBACK and comes back as a recent buyer; a held-out one stays).
final as (

    select
        assignments.as_of_date,
        assignments.customer_id,
        assignments.system,
        assignments.treatment_code,
        assignments.is_holdout,
        least(
            first_before.first_assigned,
            min(assignments.as_of_date) over (
                partition by
                    assignments.customer_id, assignments.system, assignments.treatment_code
            )
        ) as cohort_date

    from assignments
    left join first_before
        on
            assignments.customer_id = first_before.customer_id
            and assignments.system = first_before.system
            and assignments.treatment_code = first_before.treatment_code

)

select * from final
where as_of_date >= {{ as_of_date() }}
