{{
    config(
        materialized='incremental',
        unique_key='as_of_date',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
        full_refresh=false,
    )
}}

with

segments as (

    select * from {{ ref('customer_segments') }}

),

final as (

    select
        {{ as_of_date() }} as as_of_date,
        count(*) as customers,
        {% for segment in ['good', 'bad', 'ugly', 'unproven'] %}
            round(avg(case when value_segment = '{{ segment }}' then 1.0 else 0 end), 6)
                as {{ segment }}_share,
        {% endfor %}
        round(avg(case when is_frustrated then 1.0 else 0 end), 6) as frustrated_share

    from segments

)

select * from final
