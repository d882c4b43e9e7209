with

source as (

    select * from {{ source('helpdesk', 'surveys') }}

),

versions as (

    {{ latest_versions('source', ['survey_id']) }}

),

customers as (

    select
        customer_id,
        created_at as customer_created_at
    from {{ ref('stg_shop__customers') }}

),

checked as (

    select
        versions.survey_id,
        versions.customer_id,
        versions.answered_at,
        versions.nps,
        versions.updated_at,
        versions._ladder_row_hash,
        {{ is_superseded() }} as _superseded,
        case
            {{ version_checks() }}
            {{ unusable_value_checks(source('helpdesk', 'surveys')) }}
            when customers.customer_id is null then 'unknown customer'
            {{ event_time_checks('answered_at') }}
            {{ before_customer_check('versions.answered_at', 'customers.customer_created_at') }}
            when versions.nps is null or versions.nps not between 0 and 10
                then 'nps is missing or outside 0-10'
        end as _reject_reason

    from versions
    {{ plausibility_bounds() }}
    left join customers on versions.customer_id = customers.customer_id

)

select * from checked
