with

value as (

    select * from {{ ref('customer_value') }}

),

cost_to_serve as (

    select * from {{ ref('customer_cost_to_serve') }}

),

profit as (

    select
        value.customer_id,
        value.purchase_days_lifetime = 0 as is_prospect,
        value.gross_margin_365d,
        cost_to_serve.cost_to_serve_365d,
        value.gross_margin_365d - cost_to_serve.cost_to_serve_365d as profit_365d,
        value.gross_margin_lifetime,
        cost_to_serve.cost_to_serve_lifetime,
        value.gross_margin_lifetime - cost_to_serve.cost_to_serve_lifetime as profit_lifetime

    from value
    inner join cost_to_serve on value.customer_id = cost_to_serve.customer_id

),

-- Ranked among customers who have bought (prospects are not on the whale curve).
ranked as (

    select
        customer_id,
        row_number() over (order by profit_365d desc, customer_id asc) as profit_rank,
        sum(profit_365d) over (
            order by profit_365d desc, customer_id asc rows unbounded preceding
        ) as cumulative_profit_365d,
        sum(profit_365d) over () as total_profit_365d,
        count(*) over () as ranked_customers

    from profit
    where not is_prospect

),

final as (

    select
        profit.customer_id,
        profit.is_prospect,
        profit.gross_margin_365d,
        profit.cost_to_serve_365d,
        profit.profit_365d,
        profit.gross_margin_lifetime,
        profit.cost_to_serve_lifetime,
        profit.profit_lifetime,
        ranked.profit_rank,
        cast(ceil(10.0 * ranked.profit_rank / ranked.ranked_customers) as integer)
            as profit_decile,
        ranked.cumulative_profit_365d,
        round(ranked.cumulative_profit_365d / nullif(ranked.total_profit_365d, 0), 6)
            as cumulative_profit_share,
        {{ as_of_date() }} as as_of_date

    from profit
    left join ranked on profit.customer_id = ranked.customer_id

)

select * from final
