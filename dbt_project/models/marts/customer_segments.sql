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

heavy_use_daily as (

    select * from {{ ref('int_customer_heavy_use_daily') }}

),

treatment_history as (

    select * from {{ ref('treatment_history') }}

),

treatment_catalogue as (

    select * from {{ ref('treatment_catalogue') }}

),

cost_drivers as (

    select * from {{ ref('cost_drivers') }}

),

value_tiers as (

    select * from {{ ref('value_tiers') }}

),

thresholds as (

    select * from {{ ref('segment_thresholds') }}

),

-- Seed 004: a Toxic customer is one "you have tried to reach out to". The first outreach
-- delivered within outreach_memory_days (to either system) starts the trial.
outreach as (

    select
        treatment_history.customer_id,
        min(treatment_history.valid_from) as outreach_since

    from treatment_history
    inner join treatment_catalogue
        on
            treatment_history.treatment_code = treatment_catalogue.treatment_code
            and treatment_catalogue.is_outreach
    cross join thresholds
    where
        coalesce(treatment_history.valid_to, {{ as_of_date() }})
        > {{ as_of_date() }} - thresholds.outreach_memory_days
    group by 1

),

-- The heavy-use rates per day in the trailing window before the outreach and since it.
outreach_response as (

    select
        outreach.customer_id,
        outreach.outreach_since,
        {{ as_of_date() }} - outreach.outreach_since as days_since_outreach,
        coalesce(sum(heavy_use_daily.customer_fault_returns) filter (
            where heavy_use_daily.activity_day < outreach.outreach_since
        ), 0) as returns_before,
        coalesce(sum(heavy_use_daily.customer_fault_returns) filter (
            where heavy_use_daily.activity_day >= outreach.outreach_since
        ), 0) as returns_since,
        coalesce(sum(heavy_use_daily.ordinary_contacts) filter (
            where heavy_use_daily.activity_day < outreach.outreach_since
        ), 0) as contacts_before,
        coalesce(sum(heavy_use_daily.ordinary_contacts) filter (
            where heavy_use_daily.activity_day >= outreach.outreach_since
        ), 0) as contacts_since

    from outreach
    left join heavy_use_daily
        on
            outreach.customer_id = heavy_use_daily.customer_id
            and heavy_use_daily.activity_day
            >= outreach.outreach_since - {{ var("trailing_days") }}
            and heavy_use_daily.activity_day < {{ as_of_date() }}
    group by 1, 2

),

return_processing as (

    select rate from cost_drivers
    where driver = 'return_processing'

),

joined as (

    select
        customers.customer_id,
        customers.has_marketing_consent,
        value.first_purchase_day,
        value.frequency is not null as has_bought,
        value.purchase_days_365d,
        value.p_alive,
        value.p_alive_lookback,
        value.days_since_last_purchase,
        -- A repeat buyer's usual interval is their own history's (first to last purchase
        -- over the repeats); the fitted rate reads a long silence as a slow buyer, which
        -- is the very thing to be told apart here. A one-time buyer has only the fit.
        case
            when value.frequency > 0 then cast(value.recency_days as numeric) / value.frequency
            else value.expected_interpurchase_days
        end as usual_interpurchase_days,
        value.net_value_365d,
        value.value_tier_lookback,
        lookback_tier.top_share <= at_risk_tier.top_share as was_valuable,
        cost_to_serve.net_revenue_365d,
        cost_to_serve.cost_to_serve_365d,
        cost_to_serve.completed_orders_365d,
        profitability.profit_365d,
        signals.abuse_reports,
        signals.abuse_reporting_agents,
        signals.fraud_chargebacks,
        signals.recent_complaints,
        signals.recent_low_satisfaction,
        signals.has_recent_detractor_score,
        signals.has_recent_positive_score,
        signals.non_complaint_contacts_365d,
        signals.customer_fault_returns_365d,
        signals.shop_fault_returns_365d,
        signals.complaints_365d,
        signals.low_satisfaction_365d,
        signals.has_detractor_score_365d,
        signals.product_questions_365d,
        signals.latest_nps,
        signals.referred_buyers,
        outreach_response.outreach_since,
        outreach_response.days_since_outreach,
        outreach_response.returns_before,
        outreach_response.returns_since,
        outreach_response.contacts_before,
        outreach_response.contacts_since,
        -- A return the shop caused costs the shop, not the customer's account.
        cost_to_serve.cost_to_serve_365d
        - signals.shop_fault_returns_365d * return_processing.rate as attributable_cost_365d,
        value.first_purchase_day
        >= {{ as_of_date() }} - thresholds.new_customer_days as is_new,
        thresholds.*

    from customers
    inner join value on customers.customer_id = value.customer_id
    inner join cost_to_serve on customers.customer_id = cost_to_serve.customer_id
    inner join profitability on customers.customer_id = profitability.customer_id
    inner join signals on customers.customer_id = signals.customer_id
    left join outreach_response on customers.customer_id = outreach_response.customer_id
    cross join return_processing
    cross join thresholds
    inner join value_tiers as at_risk_tier
        on thresholds.at_risk_value_tier = at_risk_tier.value_tier
    left join value_tiers as lookback_tier on value.value_tier_lookback = lookback_tier.value_tier

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
        -- A detractor score is frustration too; one agent's single report does not
        -- cancel it, only a pattern of abuse (or fraud) does.
        (recent_complaints > 0 or recent_low_satisfaction > 0 or has_recent_detractor_score)
        and not (
            (
                abuse_reports >= terrorist_abuse_reports_min
                and abuse_reporting_agents >= terrorist_abuse_agents_min
            )
            or fraud_chargebacks > 0
        ) as is_frustrated,
        has_bought
        and profit_365d < 0
        and attributable_cost_365d > net_revenue_365d as takes_more_than_gives,
        customer_fault_returns_365d >= toxic_returns_min
        and customer_fault_returns_365d >= toxic_return_rate_min * completed_orders_365d
            as returns_heavily,
        non_complaint_contacts_365d >= toxic_service_contacts_min as uses_service_heavily,
        -- Heavy use is judged over the trailing year; a complaint, a low score, a
        -- detractor score or a return for the shop's fault in that year may be its cause
        -- (the shop's failure), so such a customer is a recovery case first, never Toxic
        -- (seed 004: "not just group anyone who has ever complained in this category").
        coalesce(
            complaints_365d > 0
            or low_satisfaction_365d > 0
            or has_detractor_score_365d
            or shop_fault_returns_365d > 0,
            false
        ) as has_grievance_in_year,
        -- Seed 004's Stu: a recent passive or promoter score, or more questions about the
        -- products than claims (complaints and returns of their own), is genuine interest.
        has_recent_positive_score
        or (
            product_questions_365d > 0
            and product_questions_365d >= complaints_365d + customer_fault_returns_365d
        ) as is_engaged,
        purchase_days_365d >= client_purchase_days_min
        and p_alive >= client_p_alive_min as buys_regularly

    from joined

),

toxic_trial as (

    select
        *,
        takes_more_than_gives
        and (returns_heavily or uses_service_heavily)
        and not is_frustrated
        and not has_grievance_in_year
        and not is_engaged
        and not is_hostile as takes_without_engaging,
        coalesce(days_since_outreach >= toxic_outreach_days, false) as outreach_was_tried,
        -- Better means the heavy-use rate that qualified them fell by the configured share
        -- since the outreach, against the trailing window before it.
        coalesce(
            (
                returns_heavily
                and returns_since * {{ var("trailing_days") }}
                <= (1 - toxic_improvement_share) * returns_before * days_since_outreach
            )
            or (
                uses_service_heavily
                and contacts_since * {{ var("trailing_days") }}
                <= (1 - toxic_improvement_share) * contacts_before * days_since_outreach
            ),
            false
        ) as improved_since_outreach

    from rules

),

classified as (

    select
        *,
        case
            when is_hostile then 'Terrorist'
            when
                takes_without_engaging and outreach_was_tried and not improved_since_outreach
                then 'Toxic'
            when
                purchase_days_365d > 0
                and (latest_nps >= promoter_nps_min or referred_buyers > 0)
                then 'Advocate'
            when buys_regularly and latest_nps >= supporter_nps_min then 'Supporter'
            when buys_regularly then 'Client'
            when has_bought then 'Customer'
            else 'Prospect'
        end as ladder_rung,
        -- Valuable as they were some runs ago (today's value falls with P(alive)), and
        -- falling away: P(alive) dropped, or they are well past their usual interval.
        has_bought
        and was_valuable
        and (
            p_alive_lookback - p_alive >= at_risk_p_alive_drop
            or days_since_last_purchase
            > at_risk_overdue_multiple * usual_interpurchase_days
        ) as is_at_risk,
        case
            when not has_bought or is_new
                then percent_rank() over (
                    partition by has_bought, not has_bought or is_new
                    order by net_value_365d
                )
        end as early_value_rank

    from toxic_trial

),

final as (

    select
        customer_id,
        case
            when ladder_rung = 'Terrorist' then 'ugly'
            when not has_bought or is_new then 'unproven'
            when ladder_rung = 'Toxic' or takes_without_engaging then 'bad'
            when profit_365d >= 0 or net_value_365d >= 0 then 'good'
            else 'bad'
        end as value_segment,
        case
            when ladder_rung = 'Terrorist' then 'hostile conduct (see the rung)'
            when not has_bought then 'prospect: no purchase before D'
            when is_new
                then format(
                    'first purchase on %s, within %s days of D', first_purchase_day,
                    new_customer_days
                )
            when ladder_rung = 'Toxic'
                then 'takes more than they give after outreach (see the rung)'
            when takes_without_engaging
                then format(
                    'trailing profit %s; attributable cost-to-serve %s above net revenue %s '
                    'with %s: outreach with alternatives comes first',
                    profit_365d, attributable_cost_365d, net_revenue_365d,
                    case
                        when returns_heavily
                            then format(
                                '%s returns of their own on %s orders',
                                customer_fault_returns_365d, completed_orders_365d
                            )
                        else format(
                            '%s service contacts not about a complaint',
                            non_complaint_contacts_365d
                        )
                    end
                )
            when profit_365d >= 0
                then format('trailing 365-day profit %s, not a loss', profit_365d)
            when net_value_365d >= 0
                then format(
                    'trailing profit %s, but predicted net value %s is not a loss',
                    profit_365d, net_value_365d
                )
            else format(
                'trailing profit %s and predicted net value %s: unprofitable now and '
                'predicted to stay so', profit_365d, net_value_365d
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
                        'outreach since %s (%s days) did not help: %s; trailing profit %s, '
                        'attributable cost-to-serve %s above net revenue %s; not frustrated, '
                        'no sign of engagement',
                        outreach_since, days_since_outreach,
                        case
                            when returns_heavily
                                then format(
                                    '%s returns of their own since, %s in the %s days before',
                                    returns_since, returns_before, {{ var("trailing_days") }}
                                )
                            else format(
                                '%s ordinary service contacts since, %s in the %s days before',
                                contacts_since, contacts_before, {{ var("trailing_days") }}
                            )
                        end,
                        profit_365d, attributable_cost_365d, net_revenue_365d
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
                    '%s complaint(s), %s low-satisfaction ticket(s) in %s days%s; '
                    'no pattern of abuse', recent_complaints, recent_low_satisfaction,
                    frustrated_window_days,
                    case
                        when has_recent_detractor_score
                            then format('; detractor score %s', latest_nps)
                        else ''
                    end
                )
        end as frustrated_reason,
        coalesce(is_at_risk, false) as is_at_risk,
        case
            when is_at_risk
                then format(
                    'net value tier %s at the lookback date; P(alive) %s then, %s now; '
                    '%s days since the last purchase, usually %s between purchases',
                    value_tier_lookback,
                    round(cast(p_alive_lookback as numeric), 2),
                    round(cast(p_alive as numeric), 2), days_since_last_purchase,
                    round(cast(usual_interpurchase_days as numeric))
                )
        end as at_risk_reason,
        coalesce(early_value_rank >= 1 - new_high_potential_share, false)
            as is_new_high_potential,
        case
            when early_value_rank >= 1 - new_high_potential_share
                then format(
                    'predicted net value %s in the top %s%% of %s', net_value_365d,
                    round(100 * new_high_potential_share),
                    case when has_bought then 'new customers' else 'prospects' end
                )
        end as new_high_potential_reason,
        outreach_since,
        coalesce(takes_without_engaging, false) as takes_without_engaging,
        has_marketing_consent,
        {{ as_of_date() }} as as_of_date

    from classified

)

select * from final
