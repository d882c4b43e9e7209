with

ranked as (

    select
        profit_rank,
        cumulative_profit_365d

    from {{ ref('customer_profitability') }}
    where profit_rank is not null

),

totals as (

    select
        count(*) as customers,
        coalesce(sum(profit_365d), 0) as total_profit_365d

    from {{ ref('customer_profitability') }}
    where profit_rank is not null

),

percentiles as (

    select cast(percentile as integer) as percentile
    from generate_series(1, 100) as percentile

),

-- Percentile p holds the top p % of customers by trailing profit, rounded down.
curve as (

    select
        percentiles.percentile,
        totals.customers,
        totals.total_profit_365d,
        cast(floor(totals.customers * percentiles.percentile / 100.0) as bigint)
            as cumulative_customers

    from percentiles
    cross join totals

),

joined as (

    select
        curve.percentile,
        curve.cumulative_customers,
        curve.total_profit_365d,
        coalesce(ranked.cumulative_profit_365d, 0) as cumulative_profit_365d

    from curve
    left join ranked on curve.cumulative_customers = ranked.profit_rank

),

shares as (

    select
        percentile,
        cumulative_customers,
        cumulative_profit_365d,
        round(percentile / 100.0, 2) as cumulative_customer_share,
        round(cumulative_profit_365d / nullif(total_profit_365d, 0), 6)
            as cumulative_profit_share

    from joined

),

final as (

    select
        percentile,
        cumulative_customers,
        cumulative_customer_share,
        cumulative_profit_365d,
        cumulative_profit_share,
        percentile = min(percentile) filter (
            where cumulative_profit_365d = max_profit
        ) over () as is_peak,
        {{ as_of_date() }} as as_of_date

    from (
        select
            *,
            max(cumulative_profit_365d) over () as max_profit
        from shares
    ) as with_peak

)

select * from final
