-- DESIGN §6: nobody is in a marketing list at D, except with the suppression treatment,
-- unless marketable at D: their latest consent record before D is a readable opt-in (at
-- one instant an opt-out beats an opt-in), no unreadable record of theirs is dated at or
-- after it, and the operator's suppression list does not name them. Recomputed here
-- straight from raw and ops.marketing_suppression, not from the staging models the list
-- is built from (plugins/ladder/quality/consent.py does the same for validate_marts).
{#- Columns holding values of another type, or numbers Arrow cannot carry. -#}
{%- set unlanded_columns = [] -%}
{%- if execute -%}
    {%- for column in adapter.get_columns_in_relation(source('shop', 'marketing_consent')) -%}
        {%- if column.name.endswith('__v_text') or column.name == '_ladder_unrepresentable' -%}
            {%- do unlanded_columns.append(column.name) -%}
        {%- endif -%}
    {%- endfor -%}
{%- endif %}

with

-- Every row the source sent that is known at D (one without updated_at always is).
known as (

    select * from {{ source('shop', 'marketing_consent') }}
    where updated_at is null or updated_at < {{ as_of_ts() }}

),

-- Per consent_id, the version with the latest updated_at (then load) is the record;
-- a row without consent_id or updated_at is a record of its own.
versioned as (

    select
        *,
        coalesce(consent_id, '') = '' or updated_at is null as stands_alone,
        rank() over (
            partition by consent_id, updated_at is null
            order by updated_at desc, _dlt_load_id desc
        ) as version_rank,
        count(*) over (partition by consent_id, updated_at, _dlt_load_id) as rows_at_version,
        coalesce(
            recorded_at < {{ as_of_ts() }}
            and recorded_at >= cast('{{ var("earliest_plausible_date") }}' as timestamptz),
            false
        ) as has_usable_time

    from known

),

records as (

    select
        customer_id,
        status,
        recorded_at,
        updated_at,
        has_usable_time,
        -- A value that could not be landed in its column makes the row unreadable.
        coalesce(
            not stands_alone
            and rows_at_version = 1
            and status in ('opted_in', 'opted_out')
            and has_usable_time
            {%- for column in unlanded_columns %}
                and {{ column }} is null
            {%- endfor %},
            false
        ) as is_readable

    from versioned
    where stands_alone or version_rank = 1

),

-- Per customer in one pass: the latest readable record (at one instant an opt-out beats an
-- opt-in) and when their unreadable records count from (a usable recorded_at, else the
-- updated_at; with neither, the latest of all). One pass rather than a join of two
-- aggregates of `records`: the planner cannot estimate those and chose a nested loop
-- that took 136 s at 50,000 customers.
consent_state as (

    select
        customer_id,
        (
            array_agg(status order by recorded_at desc, status = 'opted_out' desc)
            filter (where is_readable)
        )[1] as status,
        max(recorded_at) filter (where is_readable) as recorded_at,
        max(
            case
                when has_usable_time then recorded_at
                else coalesce(updated_at, 'infinity')
            end
        ) filter (where not is_readable) as counts_from

    from records
    group by 1

),

-- The current version of each customer row, for the address a list would use.
customer_versions as (

    select
        customer_id,
        email,
        rank() over (
            partition by customer_id order by updated_at desc, _dlt_load_id desc
        ) as version_rank

    from {{ source('shop', 'customers') }}
    where updated_at < {{ as_of_ts() }}

),

suppression as (

    select
        trim(customer_id) as customer_id,
        {{ normalised_email('email') }} as email

    from {{ source('ops', 'marketing_suppression') }}

),

suppressed as (

    select customer_versions.customer_id
    from customer_versions
    inner join suppression on customer_versions.customer_id = suppression.customer_id
    where customer_versions.version_rank = 1

    union all

    select customer_versions.customer_id
    from customer_versions
    inner join suppression
        on {{ normalised_email('customer_versions.email') }} = suppression.email
    where customer_versions.version_rank = 1

),

marketable as (

    select consent_state.customer_id
    from consent_state
    left join suppressed on consent_state.customer_id = suppressed.customer_id
    where
        consent_state.status = 'opted_in'
        and (
            consent_state.counts_from is null
            or consent_state.counts_from < consent_state.recorded_at
        )
        and suppressed.customer_id is null

)

select
    marketing.customer_id,
    marketing.treatment_code

from {{ ref('treatment_marketing') }} as marketing
left join marketable on marketing.customer_id = marketable.customer_id
where
    marketing.treatment_code <> 'SUPPRESS_PROMOTIONS'
    and marketable.customer_id is null
