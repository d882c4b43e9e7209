with

scores as (

    select * from {{ source('clv', 'early_scores') }}
    where as_of_date = {{ as_of_date() }}

),

renamed as (

    select
        customer_id,
        basis,
        predicted_profit_365d,
        value_365d

    from scores

)

select * from renamed
