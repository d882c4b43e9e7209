with

customers as (

    select * from {{ ref('dim_customers') }}

),

value as (

    select * from {{ ref('customer_value') }}

),

cost_to_serve as (

    select * from {{ ref('customer_cost_to_serve') }}

),

profitability as (

    select * from {{ ref('customer_profitability') }}

),

signals as (

    select * from {{ ref('int_customer_signals_summarised') }}

),

thresholds as (

    select * from {{ ref('segment_thresholds') }}

),

joined as (

    select
        customers.customer_id,
        customers.has_marketing_consent,
        value.first_purchase_day,
        value.frequency is not null as has_bought,
        value.purchase_days_365d,
        value.gross_margin_lifetime,
        value.p_alive,
        value.clv_365d,
        value.net_clv_365d,
        cost_to_serve.net_revenue_365d,
        cost_to_serve.cost_to_serve_365d,
        cost_to_serve.completed_orders_365d,
        cost_to_serve.returns_365d,
        profitability.profit_365d,
        signals.abuse_reports,
        signals.abuse_reporting_agents,
        signals.fraud_chargebacks,
        signals.recent_complaints,
        signals.recent_low_satisfaction,
        signals.non_complaint_contacts_365d,
        signals.latest_nps,
        signals.referred_buyers,
        value.first_purchase_day
        >= {{ as_of_date() }} - thresholds.new_customer_days as is_new,
        thresholds.*

    from customers
    inner join value on customers.customer_id = value.customer_id
    inner join cost_to_serve on customers.customer_id = cost_to_serve.customer_id
    inner join profitability on customers.customer_id = profitability.customer_id
    inner join signals on customers.customer_id = signals.customer_id
    cross join thresholds

),

-- Each rule of DESIGN §6 as a yes/no, with its numbers; the first match decides below.
rules as (

    select
        *,
        (
            abuse_reports >= terrorist_abuse_reports_min
            and abuse_reporting_agents >= terrorist_abuse_agents_min
        )
        or fraud_chargebacks > 0 as is_hostile,
        has_bought
        and profit_365d < 0
        and cost_to_serve_365d > net_revenue_365d as takes_more_than_gives,
        returns_365d >= toxic_returns_min
        and returns_365d >= toxic_return_rate_min * completed_orders_365d as returns_heavily,
        non_complaint_contacts_365d >= toxic_service_contacts_min as uses_service_heavily,
        purchase_days_365d >= client_purchase_days_min
        and p_alive >= client_p_alive_min as buys_regularly,
        (recent_complaints > 0 or recent_low_satisfaction > 0)
        and abuse_reports = 0 as is_frustrated,
        has_bought and p_alive < at_risk_p_alive_max as is_fading,
        case
            when has_bought
                then percent_rank() over (partition by has_bought order by gross_margin_lifetime)
        end as lifetime_margin_rank,
        case
            when has_bought and is_new
                then percent_rank() over (partition by has_bought and is_new order by clv_365d)
        end as new_customer_clv_rank

    from joined

),

classified as (

    select
        *,
        case
            when is_hostile then 'Terrorist'
            when takes_more_than_gives and (returns_heavily or uses_service_heavily) then 'Toxic'
            when
                purchase_days_365d > 0
                and (latest_nps >= promoter_nps_min or referred_buyers > 0)
                then 'Advocate'
            when buys_regularly and latest_nps >= supporter_nps_min then 'Supporter'
            when buys_regularly then 'Client'
            when has_bought then 'Customer'
            else 'Prospect'
        end as ladder_rung,
        is_fading
        and lifetime_margin_rank >= 1 - at_risk_value_share as is_at_risk,
        coalesce(new_customer_clv_rank >= 1 - new_high_potential_share, false)
            as is_new_high_potential

    from rules

),

final as (

    select
        customer_id,
        case
            when ladder_rung = 'Terrorist' then 'ugly'
            when not has_bought or is_new then 'unproven'
            when profit_365d < 0 and net_clv_365d < 0 then 'bad'
            else 'good'
        end as value_segment,
        case
            when ladder_rung = 'Terrorist' then 'hostile conduct (see the rung)'
            when not has_bought then 'prospect: no purchase before D'
            when is_new
                then format(
                    'first purchase on %s, within %s days of D', first_purchase_day,
                    new_customer_days
                )
            when profit_365d < 0 and net_clv_365d < 0
                then format(
                    'trailing profit %s and predicted net CLV %s: unprofitable now and '
                    'predicted to stay so', profit_365d, net_clv_365d
                )
            when profit_365d >= 0
                then format('trailing 365-day profit %s, not a loss', profit_365d)
            else format(
                'trailing profit %s, but predicted net CLV %s is not a loss', profit_365d,
                net_clv_365d
            )
        end as value_segment_reason,
        ladder_rung,
        case ladder_rung
            when 'Terrorist' then 1
            when 'Toxic' then 2
            when 'Prospect' then 3
            when 'Customer' then 4
            when 'Client' then 5
            when 'Supporter' then 6
            when 'Advocate' then 7
        end as ladder_level,
        case ladder_rung
            when 'Terrorist'
                then
                    case
                        when fraud_chargebacks > 0
                            then format(
                                '%s chargeback(s) confirmed as fraud in %s days',
                                fraud_chargebacks, abuse_window_days
                            )
                        else format(
                            '%s abuse reports from %s different agents in %s days',
                            abuse_reports, abuse_reporting_agents, abuse_window_days
                        )
                    end
            when 'Toxic'
                then
                    format(
                        'trailing profit %s; cost-to-serve %s above net revenue %s; %s',
                        profit_365d, cost_to_serve_365d, net_revenue_365d,
                        case
                            when returns_heavily
                                then format(
                                    '%s returns on %s orders', returns_365d,
                                    completed_orders_365d
                                )
                            else format(
                                '%s service contacts not about a complaint',
                                non_complaint_contacts_365d
                            )
                        end
                    )
            when 'Advocate'
                then
                    case
                        when latest_nps >= promoter_nps_min
                            then format('active buyer, latest NPS %s', latest_nps)
                        else format(
                            'active buyer who referred %s customer(s) who bought',
                            referred_buyers
                        )
                    end
            when 'Supporter'
                then
                    format(
                        'regular buyer (%s purchase days in 365), latest NPS %s',
                        purchase_days_365d, latest_nps
                    )
            when 'Client'
                then
                    format(
                        '%s purchase days in 365, P(alive) %s', purchase_days_365d,
                        round(cast(p_alive as numeric), 2)
                    )
            when 'Customer'
                then
                    format(
                        'has bought; %s purchase days in 365, P(alive) %s', purchase_days_365d,
                        round(cast(p_alive as numeric), 2)
                    )
            else 'registered, no purchase before D'
        end as ladder_rung_reason,
        is_frustrated,
        case
            when is_frustrated
                then format(
                    '%s complaint(s), %s low-satisfaction ticket(s) in %s days; '
                    'no abuse', recent_complaints, recent_low_satisfaction,
                    frustrated_window_days
                )
        end as frustrated_reason,
        coalesce(is_at_risk, false) as is_at_risk,
        case
            when is_at_risk
                then format(
                    'lifetime margin %s in the top %s%% of buyers; P(alive) %s < %s',
                    gross_margin_lifetime, round(100 * at_risk_value_share),
                    round(cast(p_alive as numeric), 2), at_risk_p_alive_max
                )
        end as at_risk_reason,
        is_new_high_potential,
        case
            when is_new_high_potential
                then format(
                    'first purchase on %s; predicted CLV %s in the top %s%% of new '
                    'customers', first_purchase_day, clv_365d,
                    round(100 * new_high_potential_share)
                )
        end as new_high_potential_reason,
        has_marketing_consent,
        {{ as_of_date() }} as as_of_date

    from classified

)

select * from final
