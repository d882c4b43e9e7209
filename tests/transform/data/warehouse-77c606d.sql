-- The warehouse of Ladder commit 77c606d after two demo nights (2,000 customers, seed 11,
-- as of 2025-03-01 and 2025-03-02): every table's definition, and the rows of its small
-- ledgers. Made with pg_dump 16 (--schema-only, then --data-only --inserts of the ledgers);
-- its psql-only \\restrict lines removed, so a plain connection can run it.
--
-- PostgreSQL database dump
--


-- Dumped from database version 16.14
-- Dumped by pg_dump version 16.14

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

--
-- Name: clv; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA clv;


--
-- Name: intermediate; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA intermediate;


--
-- Name: marts; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA marts;


--
-- Name: ops; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA ops;


--
-- Name: raw; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA raw;


--
-- Name: raw_staging; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA raw_staging;


--
-- Name: staging; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA staging;


SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: customer_scores; Type: TABLE; Schema: clv; Owner: -
--

CREATE TABLE clv.customer_scores (
    as_of_date date NOT NULL,
    customer_id text NOT NULL,
    p_alive double precision NOT NULL,
    expected_purchases_365d double precision NOT NULL,
    discounted_purchases_365d double precision NOT NULL,
    expected_margin_per_purchase double precision NOT NULL,
    clv_365d double precision NOT NULL
);


--
-- Name: model_runs; Type: TABLE; Schema: clv; Owner: -
--

CREATE TABLE clv.model_runs (
    as_of_date date NOT NULL,
    model text NOT NULL,
    parameters jsonb,
    log_likelihood double precision,
    customers bigint NOT NULL,
    fitted_customers bigint NOT NULL,
    converged boolean NOT NULL,
    message text NOT NULL,
    used_fallback boolean NOT NULL,
    parameters_from date NOT NULL,
    fitted_at timestamp with time zone NOT NULL
);


--
-- Name: int_customer_activities_costed; Type: TABLE; Schema: intermediate; Owner: -
--

CREATE TABLE intermediate.int_customer_activities_costed (
    customer_id character varying,
    completed_orders_365d bigint,
    returns_365d bigint,
    service_contacts_365d bigint,
    agent_minutes_365d numeric,
    payment_failures_365d bigint,
    chargebacks_365d bigint,
    order_handling_cost_365d numeric,
    delivery_cost_365d numeric,
    return_processing_cost_365d numeric,
    payment_failure_cost_365d numeric,
    chargeback_cost_365d numeric,
    service_phone_cost_365d numeric,
    service_email_cost_365d numeric,
    service_chat_cost_365d numeric,
    service_self_service_cost_365d numeric,
    cost_to_serve_lifetime numeric,
    purchase_cost_lifetime numeric,
    purchase_cost_365d numeric,
    cost_to_serve_365d numeric
);


--
-- Name: int_customer_purchases_summarised; Type: TABLE; Schema: intermediate; Owner: -
--

CREATE TABLE intermediate.int_customer_purchases_summarised (
    customer_id character varying,
    first_order_at timestamp with time zone,
    last_order_at timestamp with time zone,
    orders_lifetime bigint,
    orders_365d bigint,
    net_revenue_lifetime numeric,
    net_revenue_365d numeric,
    gross_margin_lifetime numeric,
    gross_margin_365d numeric,
    first_purchase_day date,
    last_purchase_day date,
    purchase_days bigint,
    purchase_days_365d bigint,
    frequency bigint,
    recency_days integer,
    tenure_days integer,
    mean_repeat_margin numeric,
    as_of_date date
);


--
-- Name: int_customer_signals_summarised; Type: TABLE; Schema: intermediate; Owner: -
--

CREATE TABLE intermediate.int_customer_signals_summarised (
    customer_id character varying,
    abuse_reports bigint,
    abuse_reporting_agents bigint,
    fraud_chargebacks bigint,
    recent_complaints bigint,
    recent_low_satisfaction bigint,
    non_complaint_contacts_365d bigint,
    latest_nps smallint,
    latest_nps_at timestamp with time zone,
    referred_buyers bigint
);


--
-- Name: int_orders_priced; Type: TABLE; Schema: intermediate; Owner: -
--

CREATE TABLE intermediate.int_orders_priced (
    order_id character varying,
    customer_id character varying,
    ordered_at timestamp with time zone,
    order_day date,
    order_status character varying,
    is_completed boolean,
    shipping_method character varying,
    line_count bigint,
    items bigint,
    gross_revenue numeric,
    discount_amount numeric,
    shipping_charged numeric,
    shipping_cost numeric,
    return_count bigint,
    refund_amount numeric,
    net_revenue numeric,
    cogs numeric,
    gross_margin numeric
);


--
-- Name: customer_cost_to_serve; Type: TABLE; Schema: marts; Owner: -
--

CREATE TABLE marts.customer_cost_to_serve (
    customer_id character varying NOT NULL,
    completed_orders_365d bigint,
    returns_365d bigint,
    service_contacts_365d bigint,
    agent_minutes_365d numeric,
    payment_failures_365d bigint,
    chargebacks_365d bigint,
    order_handling_cost_365d numeric,
    delivery_cost_365d numeric,
    return_processing_cost_365d numeric,
    service_phone_cost_365d numeric,
    service_email_cost_365d numeric,
    service_chat_cost_365d numeric,
    service_self_service_cost_365d numeric,
    payment_failure_cost_365d numeric,
    chargeback_cost_365d numeric,
    cost_to_serve_365d numeric,
    cost_to_serve_lifetime numeric,
    net_revenue_365d numeric,
    cost_to_revenue_ratio_365d numeric,
    as_of_date date
);


--
-- Name: customer_profitability; Type: TABLE; Schema: marts; Owner: -
--

CREATE TABLE marts.customer_profitability (
    customer_id character varying NOT NULL,
    is_prospect boolean,
    gross_margin_365d numeric,
    cost_to_serve_365d numeric,
    profit_365d numeric,
    gross_margin_lifetime numeric,
    cost_to_serve_lifetime numeric,
    profit_lifetime numeric,
    profit_rank bigint,
    profit_decile integer,
    cumulative_profit_365d numeric,
    cumulative_profit_share numeric,
    as_of_date date
);


--
-- Name: customer_segments; Type: TABLE; Schema: marts; Owner: -
--

CREATE TABLE marts.customer_segments (
    customer_id character varying NOT NULL,
    value_segment text NOT NULL,
    value_segment_reason text NOT NULL,
    ladder_rung text NOT NULL,
    ladder_level integer NOT NULL,
    ladder_rung_reason text NOT NULL,
    is_frustrated boolean NOT NULL,
    frustrated_reason text,
    is_at_risk boolean NOT NULL,
    at_risk_reason text,
    is_new_high_potential boolean NOT NULL,
    new_high_potential_reason text,
    has_marketing_consent boolean NOT NULL,
    as_of_date date
);


--
-- Name: customer_value; Type: TABLE; Schema: marts; Owner: -
--

CREATE TABLE marts.customer_value (
    customer_id character varying NOT NULL,
    first_purchase_day date,
    last_purchase_day date,
    purchase_days_lifetime bigint,
    purchase_days_365d bigint,
    orders_lifetime bigint,
    orders_365d bigint,
    net_revenue_lifetime numeric,
    net_revenue_365d numeric,
    gross_margin_lifetime numeric,
    gross_margin_365d numeric,
    frequency bigint,
    recency_days integer,
    tenure_days integer,
    mean_repeat_margin numeric,
    p_alive double precision,
    expected_purchases_365d double precision,
    expected_margin_per_purchase numeric,
    expected_cost_per_purchase numeric,
    clv_365d numeric,
    net_clv_365d numeric,
    as_of_date date
);


--
-- Name: dim_customers; Type: TABLE; Schema: marts; Owner: -
--

CREATE TABLE marts.dim_customers (
    customer_id character varying NOT NULL,
    email character varying,
    full_name character varying,
    country character varying,
    acquisition_channel character varying,
    created_at timestamp with time zone,
    first_order_at timestamp with time zone,
    last_order_at timestamp with time zone,
    completed_orders bigint,
    purchase_days bigint,
    is_prospect boolean,
    tenure_days integer,
    consent_status character varying,
    consent_recorded_at timestamp with time zone,
    has_marketing_consent boolean,
    as_of_date date
);


--
-- Name: fct_orders; Type: VIEW; Schema: marts; Owner: -
--

CREATE VIEW marts.fct_orders AS
 WITH orders AS (
         SELECT int_orders_priced.order_id,
            int_orders_priced.customer_id,
            int_orders_priced.ordered_at,
            int_orders_priced.order_day,
            int_orders_priced.order_status,
            int_orders_priced.is_completed,
            int_orders_priced.shipping_method,
            int_orders_priced.line_count,
            int_orders_priced.items,
            int_orders_priced.gross_revenue,
            int_orders_priced.discount_amount,
            int_orders_priced.shipping_charged,
            int_orders_priced.shipping_cost,
            int_orders_priced.return_count,
            int_orders_priced.refund_amount,
            int_orders_priced.net_revenue,
            int_orders_priced.cogs,
            int_orders_priced.gross_margin
           FROM intermediate.int_orders_priced
        ), final AS (
         SELECT orders.order_id,
            orders.customer_id,
            orders.ordered_at,
            orders.order_day,
            orders.order_status,
            orders.shipping_method,
            orders.line_count,
            orders.items,
            orders.gross_revenue,
            orders.discount_amount,
            orders.net_revenue,
            orders.cogs,
            orders.refund_amount,
            orders.gross_margin,
            orders.shipping_charged,
            orders.shipping_cost,
            orders.return_count,
            orders.is_completed,
            (NOT orders.is_completed) AS is_cancelled,
            (orders.return_count > 0) AS has_return,
            (orders.discount_amount > (0)::numeric) AS has_discount,
            (orders.line_count = 0) AS has_no_lines,
            '2025-03-02'::date AS as_of_date
           FROM orders
        )
 SELECT order_id,
    customer_id,
    ordered_at,
    order_day,
    order_status,
    shipping_method,
    line_count,
    items,
    gross_revenue,
    discount_amount,
    net_revenue,
    cogs,
    refund_amount,
    gross_margin,
    shipping_charged,
    shipping_cost,
    return_count,
    is_completed,
    is_cancelled,
    has_return,
    has_discount,
    has_no_lines,
    as_of_date
   FROM final;


--
-- Name: segment_history; Type: TABLE; Schema: marts; Owner: -
--

CREATE TABLE marts.segment_history (
    customer_id character varying NOT NULL,
    value_segment text NOT NULL,
    ladder_rung text NOT NULL,
    ladder_level integer,
    valid_from date NOT NULL,
    valid_to date,
    is_current boolean
);


--
-- Name: segment_runs; Type: TABLE; Schema: marts; Owner: -
--

CREATE TABLE marts.segment_runs (
    as_of_date date NOT NULL,
    customers bigint,
    good_share numeric,
    bad_share numeric,
    ugly_share numeric,
    unproven_share numeric,
    frustrated_share numeric
);


--
-- Name: segment_transitions; Type: TABLE; Schema: marts; Owner: -
--

CREATE TABLE marts.segment_transitions (
    customer_id character varying NOT NULL,
    previous_as_of_date date,
    from_rung text,
    to_rung text,
    from_segment text,
    to_segment text,
    direction text,
    levels_moved integer,
    as_of_date date
);


--
-- Name: treatment_marketing; Type: TABLE; Schema: marts; Owner: -
--

CREATE TABLE marts.treatment_marketing (
    customer_id character varying NOT NULL,
    treatment_code text NOT NULL,
    channel text,
    offer text,
    rule_priority integer,
    reason text NOT NULL,
    ladder_rung text,
    value_segment text,
    has_marketing_consent boolean,
    as_of_date date
);


--
-- Name: treatment_service; Type: TABLE; Schema: marts; Owner: -
--

CREATE TABLE marts.treatment_service (
    customer_id character varying NOT NULL,
    treatment_code text NOT NULL,
    channel text,
    offer text,
    service_tier text NOT NULL,
    rule_priority integer,
    reason text NOT NULL,
    ladder_rung text,
    value_segment text,
    has_marketing_consent boolean,
    as_of_date date
);


--
-- Name: whale_curve; Type: TABLE; Schema: marts; Owner: -
--

CREATE TABLE marts.whale_curve (
    percentile integer NOT NULL,
    cumulative_customers bigint,
    cumulative_customer_share numeric,
    cumulative_profit_365d numeric,
    cumulative_profit_share numeric,
    is_peak boolean,
    as_of_date date
);


--
-- Name: gate_runs; Type: TABLE; Schema: ops; Owner: -
--

CREATE TABLE ops.gate_runs (
    run_id bigint NOT NULL,
    gate text NOT NULL,
    as_of_date date,
    success boolean NOT NULL,
    evaluated integer NOT NULL,
    failures text[] NOT NULL,
    data_docs text NOT NULL,
    finished_at timestamp with time zone DEFAULT now() NOT NULL
);


--
-- Name: gate_runs_run_id_seq; Type: SEQUENCE; Schema: ops; Owner: -
--

ALTER TABLE ops.gate_runs ALTER COLUMN run_id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME ops.gate_runs_run_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: publish_rejects; Type: TABLE; Schema: ops; Owner: -
--

CREATE TABLE ops.publish_rejects (
    run_id bigint NOT NULL,
    destination text NOT NULL,
    customer_id text NOT NULL,
    action text NOT NULL,
    payload_hash text,
    reason text NOT NULL,
    as_of_date date NOT NULL,
    rejected_at timestamp with time zone DEFAULT now() NOT NULL
);


--
-- Name: publish_runs; Type: TABLE; Schema: ops; Owner: -
--

CREATE TABLE ops.publish_runs (
    run_id bigint NOT NULL,
    destination text NOT NULL,
    as_of_date date NOT NULL,
    started_at timestamp with time zone DEFAULT now() NOT NULL,
    finished_at timestamp with time zone,
    dry_run boolean NOT NULL,
    full_resync boolean NOT NULL,
    upserts bigint NOT NULL,
    removals bigint NOT NULL,
    sent bigint DEFAULT 0 NOT NULL,
    rejected bigint DEFAULT 0 NOT NULL,
    batches bigint DEFAULT 0 NOT NULL,
    status text DEFAULT 'running'::text NOT NULL
);


--
-- Name: publish_runs_run_id_seq; Type: SEQUENCE; Schema: ops; Owner: -
--

ALTER TABLE ops.publish_runs ALTER COLUMN run_id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME ops.publish_runs_run_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: publish_state; Type: TABLE; Schema: ops; Owner: -
--

CREATE TABLE ops.publish_state (
    destination text NOT NULL,
    customer_id text NOT NULL,
    payload_hash text NOT NULL,
    as_of_date date NOT NULL,
    delivered_at timestamp with time zone DEFAULT now() NOT NULL
);


--
-- Name: quarantine; Type: TABLE; Schema: ops; Owner: -
--

CREATE TABLE ops.quarantine (
    source_table text,
    source_key text,
    reason text,
    raw_row_hash character varying,
    raw_row jsonb,
    as_of_date date
);


--
-- Name: _dlt_loads; Type: TABLE; Schema: raw; Owner: -
--

CREATE TABLE raw._dlt_loads (
    load_id character varying(64) NOT NULL,
    schema_name character varying,
    status bigint NOT NULL,
    inserted_at timestamp with time zone NOT NULL,
    schema_version_hash character varying
);


--
-- Name: _dlt_pipeline_state; Type: TABLE; Schema: raw; Owner: -
--

CREATE TABLE raw._dlt_pipeline_state (
    version bigint NOT NULL,
    engine_version bigint NOT NULL,
    pipeline_name character varying NOT NULL,
    state character varying NOT NULL,
    created_at timestamp with time zone NOT NULL,
    version_hash character varying,
    _dlt_load_id character varying(64) NOT NULL,
    _dlt_id character varying NOT NULL
);


--
-- Name: _dlt_version; Type: TABLE; Schema: raw; Owner: -
--

CREATE TABLE raw._dlt_version (
    version bigint NOT NULL,
    engine_version bigint NOT NULL,
    inserted_at timestamp with time zone NOT NULL,
    schema_name character varying NOT NULL,
    version_hash character varying NOT NULL,
    schema character varying NOT NULL
);


--
-- Name: helpdesk_interactions; Type: TABLE; Schema: raw; Owner: -
--

CREATE TABLE raw.helpdesk_interactions (
    interaction_id character varying,
    ticket_id character varying,
    customer_id character varying,
    occurred_at timestamp with time zone,
    updated_at timestamp with time zone,
    channel character varying,
    agent_id character varying,
    handle_minutes double precision,
    abuse_reported boolean,
    _ladder_row_hash character varying NOT NULL,
    _dlt_load_id character varying(64) NOT NULL
);


--
-- Name: helpdesk_surveys; Type: TABLE; Schema: raw; Owner: -
--

CREATE TABLE raw.helpdesk_surveys (
    survey_id character varying,
    customer_id character varying,
    answered_at timestamp with time zone,
    updated_at timestamp with time zone,
    nps smallint,
    _ladder_row_hash character varying NOT NULL,
    _dlt_load_id character varying(64) NOT NULL
);


--
-- Name: helpdesk_tickets; Type: TABLE; Schema: raw; Owner: -
--

CREATE TABLE raw.helpdesk_tickets (
    ticket_id character varying,
    customer_id character varying,
    created_at timestamp with time zone,
    updated_at timestamp with time zone,
    channel character varying,
    category character varying,
    status character varying,
    is_complaint boolean,
    satisfaction smallint,
    _ladder_row_hash character varying NOT NULL,
    _dlt_load_id character varying(64) NOT NULL
);


--
-- Name: shop_customers; Type: TABLE; Schema: raw; Owner: -
--

CREATE TABLE raw.shop_customers (
    customer_id character varying NOT NULL,
    email character varying,
    full_name character varying,
    country character varying,
    acquisition_channel character varying,
    created_at timestamp with time zone,
    updated_at timestamp with time zone,
    _ladder_row_hash character varying NOT NULL,
    _dlt_load_id character varying(64) NOT NULL
);


--
-- Name: shop_marketing_consent; Type: TABLE; Schema: raw; Owner: -
--

CREATE TABLE raw.shop_marketing_consent (
    consent_id character varying NOT NULL,
    customer_id character varying,
    status character varying,
    recorded_at timestamp with time zone,
    updated_at timestamp with time zone,
    _ladder_row_hash character varying NOT NULL,
    _dlt_load_id character varying(64) NOT NULL
);


--
-- Name: shop_order_lines; Type: TABLE; Schema: raw; Owner: -
--

CREATE TABLE raw.shop_order_lines (
    order_id character varying NOT NULL,
    line_no integer NOT NULL,
    product_id character varying,
    quantity integer,
    unit_price numeric(12,2),
    unit_cost numeric(12,2),
    updated_at timestamp with time zone,
    _ladder_unrepresentable character varying,
    _ladder_row_hash character varying NOT NULL,
    _dlt_load_id character varying(64) NOT NULL
);


--
-- Name: shop_orders; Type: TABLE; Schema: raw; Owner: -
--

CREATE TABLE raw.shop_orders (
    order_id character varying NOT NULL,
    customer_id character varying,
    ordered_at timestamp with time zone,
    status character varying,
    shipping_method character varying,
    shipping_charged numeric(12,2),
    shipping_cost numeric(12,2),
    discount_amount numeric(12,2),
    updated_at timestamp with time zone,
    _ladder_unrepresentable character varying,
    _ladder_row_hash character varying NOT NULL,
    _dlt_load_id character varying(64) NOT NULL
);


--
-- Name: shop_payment_events; Type: TABLE; Schema: raw; Owner: -
--

CREATE TABLE raw.shop_payment_events (
    event_id character varying NOT NULL,
    order_id character varying,
    customer_id character varying,
    occurred_at timestamp with time zone,
    kind character varying,
    amount numeric(12,2),
    fraud_confirmed boolean,
    updated_at timestamp with time zone,
    _ladder_unrepresentable character varying,
    _ladder_row_hash character varying NOT NULL,
    _dlt_load_id character varying(64) NOT NULL
);


--
-- Name: shop_referrals; Type: TABLE; Schema: raw; Owner: -
--

CREATE TABLE raw.shop_referrals (
    referral_id character varying NOT NULL,
    referrer_customer_id character varying,
    referred_customer_id character varying,
    referred_at timestamp with time zone,
    updated_at timestamp with time zone,
    _ladder_row_hash character varying NOT NULL,
    _dlt_load_id character varying(64) NOT NULL
);


--
-- Name: shop_returns; Type: TABLE; Schema: raw; Owner: -
--

CREATE TABLE raw.shop_returns (
    return_id character varying NOT NULL,
    order_id character varying,
    customer_id character varying,
    returned_at timestamp with time zone,
    refund_amount numeric(12,2),
    reason character varying,
    updated_at timestamp with time zone,
    _ladder_unrepresentable character varying,
    _ladder_row_hash character varying NOT NULL,
    _dlt_load_id character varying(64) NOT NULL
);


--
-- Name: _dlt_version; Type: TABLE; Schema: raw_staging; Owner: -
--

CREATE TABLE raw_staging._dlt_version (
    version bigint NOT NULL,
    engine_version bigint NOT NULL,
    inserted_at timestamp with time zone NOT NULL,
    schema_name character varying NOT NULL,
    version_hash character varying NOT NULL,
    schema character varying NOT NULL
);


--
-- Name: helpdesk_interactions; Type: TABLE; Schema: raw_staging; Owner: -
--

CREATE TABLE raw_staging.helpdesk_interactions (
    interaction_id character varying,
    ticket_id character varying,
    customer_id character varying,
    occurred_at timestamp with time zone,
    updated_at timestamp with time zone,
    channel character varying,
    agent_id character varying,
    handle_minutes double precision,
    abuse_reported boolean,
    _ladder_row_hash character varying NOT NULL,
    _dlt_load_id character varying(64) NOT NULL
);


--
-- Name: helpdesk_surveys; Type: TABLE; Schema: raw_staging; Owner: -
--

CREATE TABLE raw_staging.helpdesk_surveys (
    survey_id character varying,
    customer_id character varying,
    answered_at timestamp with time zone,
    updated_at timestamp with time zone,
    nps smallint,
    _ladder_row_hash character varying NOT NULL,
    _dlt_load_id character varying(64) NOT NULL
);


--
-- Name: helpdesk_tickets; Type: TABLE; Schema: raw_staging; Owner: -
--

CREATE TABLE raw_staging.helpdesk_tickets (
    ticket_id character varying,
    customer_id character varying,
    created_at timestamp with time zone,
    updated_at timestamp with time zone,
    channel character varying,
    category character varying,
    status character varying,
    is_complaint boolean,
    satisfaction smallint,
    _ladder_row_hash character varying NOT NULL,
    _dlt_load_id character varying(64) NOT NULL
);


--
-- Name: shop_customers; Type: TABLE; Schema: raw_staging; Owner: -
--

CREATE TABLE raw_staging.shop_customers (
    customer_id character varying NOT NULL,
    email character varying,
    full_name character varying,
    country character varying,
    acquisition_channel character varying,
    created_at timestamp with time zone,
    updated_at timestamp with time zone,
    _ladder_row_hash character varying NOT NULL,
    _dlt_load_id character varying(64) NOT NULL
);


--
-- Name: shop_marketing_consent; Type: TABLE; Schema: raw_staging; Owner: -
--

CREATE TABLE raw_staging.shop_marketing_consent (
    consent_id character varying NOT NULL,
    customer_id character varying,
    status character varying,
    recorded_at timestamp with time zone,
    updated_at timestamp with time zone,
    _ladder_row_hash character varying NOT NULL,
    _dlt_load_id character varying(64) NOT NULL
);


--
-- Name: shop_order_lines; Type: TABLE; Schema: raw_staging; Owner: -
--

CREATE TABLE raw_staging.shop_order_lines (
    order_id character varying NOT NULL,
    line_no integer NOT NULL,
    product_id character varying,
    quantity integer,
    unit_price numeric(12,2),
    unit_cost numeric(12,2),
    updated_at timestamp with time zone,
    _ladder_unrepresentable character varying,
    _ladder_row_hash character varying NOT NULL,
    _dlt_load_id character varying(64) NOT NULL
);


--
-- Name: shop_orders; Type: TABLE; Schema: raw_staging; Owner: -
--

CREATE TABLE raw_staging.shop_orders (
    order_id character varying NOT NULL,
    customer_id character varying,
    ordered_at timestamp with time zone,
    status character varying,
    shipping_method character varying,
    shipping_charged numeric(12,2),
    shipping_cost numeric(12,2),
    discount_amount numeric(12,2),
    updated_at timestamp with time zone,
    _ladder_unrepresentable character varying,
    _ladder_row_hash character varying NOT NULL,
    _dlt_load_id character varying(64) NOT NULL
);


--
-- Name: shop_payment_events; Type: TABLE; Schema: raw_staging; Owner: -
--

CREATE TABLE raw_staging.shop_payment_events (
    event_id character varying NOT NULL,
    order_id character varying,
    customer_id character varying,
    occurred_at timestamp with time zone,
    kind character varying,
    amount numeric(12,2),
    fraud_confirmed boolean,
    updated_at timestamp with time zone,
    _ladder_unrepresentable character varying,
    _ladder_row_hash character varying NOT NULL,
    _dlt_load_id character varying(64) NOT NULL
);


--
-- Name: shop_referrals; Type: TABLE; Schema: raw_staging; Owner: -
--

CREATE TABLE raw_staging.shop_referrals (
    referral_id character varying NOT NULL,
    referrer_customer_id character varying,
    referred_customer_id character varying,
    referred_at timestamp with time zone,
    updated_at timestamp with time zone,
    _ladder_row_hash character varying NOT NULL,
    _dlt_load_id character varying(64) NOT NULL
);


--
-- Name: shop_returns; Type: TABLE; Schema: raw_staging; Owner: -
--

CREATE TABLE raw_staging.shop_returns (
    return_id character varying NOT NULL,
    order_id character varying,
    customer_id character varying,
    returned_at timestamp with time zone,
    refund_amount numeric(12,2),
    reason character varying,
    updated_at timestamp with time zone,
    _ladder_unrepresentable character varying,
    _ladder_row_hash character varying NOT NULL,
    _dlt_load_id character varying(64) NOT NULL
);


--
-- Name: base_helpdesk__interactions; Type: TABLE; Schema: staging; Owner: -
--

CREATE TABLE staging.base_helpdesk__interactions (
    interaction_id character varying,
    ticket_id character varying,
    customer_id character varying,
    occurred_at timestamp with time zone,
    channel character varying,
    agent_id character varying,
    handle_minutes double precision,
    abuse_reported boolean,
    updated_at timestamp with time zone,
    _ladder_row_hash character varying,
    _superseded boolean,
    _reject_reason text
);


--
-- Name: base_helpdesk__surveys; Type: TABLE; Schema: staging; Owner: -
--

CREATE TABLE staging.base_helpdesk__surveys (
    survey_id character varying,
    customer_id character varying,
    answered_at timestamp with time zone,
    nps smallint,
    updated_at timestamp with time zone,
    _ladder_row_hash character varying,
    _superseded boolean,
    _reject_reason text
);


--
-- Name: base_helpdesk__tickets; Type: TABLE; Schema: staging; Owner: -
--

CREATE TABLE staging.base_helpdesk__tickets (
    ticket_id character varying,
    customer_id character varying,
    created_at timestamp with time zone,
    channel character varying,
    category character varying,
    status character varying,
    is_complaint boolean,
    satisfaction smallint,
    updated_at timestamp with time zone,
    _ladder_row_hash character varying,
    _superseded boolean,
    _reject_reason text
);


--
-- Name: base_shop__customers; Type: TABLE; Schema: staging; Owner: -
--

CREATE TABLE staging.base_shop__customers (
    customer_id character varying,
    email character varying,
    full_name character varying,
    country character varying,
    acquisition_channel character varying,
    created_at timestamp with time zone,
    updated_at timestamp with time zone,
    _ladder_row_hash character varying,
    _superseded boolean,
    _reject_reason text
);


--
-- Name: base_shop__marketing_consent; Type: TABLE; Schema: staging; Owner: -
--

CREATE TABLE staging.base_shop__marketing_consent (
    consent_id character varying,
    customer_id character varying,
    status character varying,
    recorded_at timestamp with time zone,
    updated_at timestamp with time zone,
    _ladder_row_hash character varying,
    _superseded boolean,
    _reject_reason text
);


--
-- Name: base_shop__order_lines; Type: TABLE; Schema: staging; Owner: -
--

CREATE TABLE staging.base_shop__order_lines (
    order_id character varying,
    line_no integer,
    product_id character varying,
    quantity integer,
    unit_price numeric(12,2),
    unit_cost numeric(12,2),
    updated_at timestamp with time zone,
    _ladder_row_hash character varying,
    _superseded boolean,
    _reject_reason text
);


--
-- Name: base_shop__orders; Type: TABLE; Schema: staging; Owner: -
--

CREATE TABLE staging.base_shop__orders (
    order_id character varying,
    customer_id character varying,
    ordered_at timestamp with time zone,
    status character varying,
    shipping_method character varying,
    shipping_charged numeric(12,2),
    shipping_cost numeric(12,2),
    discount_amount numeric(12,2),
    updated_at timestamp with time zone,
    _ladder_row_hash character varying,
    _superseded boolean,
    _reject_reason text
);


--
-- Name: base_shop__payment_events; Type: TABLE; Schema: staging; Owner: -
--

CREATE TABLE staging.base_shop__payment_events (
    event_id character varying,
    order_id character varying,
    customer_id character varying,
    occurred_at timestamp with time zone,
    kind character varying,
    amount numeric(12,2),
    fraud_confirmed boolean,
    updated_at timestamp with time zone,
    _ladder_row_hash character varying,
    _superseded boolean,
    _reject_reason text
);


--
-- Name: base_shop__referrals; Type: TABLE; Schema: staging; Owner: -
--

CREATE TABLE staging.base_shop__referrals (
    referral_id character varying,
    referrer_customer_id character varying,
    referred_customer_id character varying,
    referred_at timestamp with time zone,
    updated_at timestamp with time zone,
    _ladder_row_hash character varying,
    _superseded boolean,
    _reject_reason text
);


--
-- Name: base_shop__returns; Type: TABLE; Schema: staging; Owner: -
--

CREATE TABLE staging.base_shop__returns (
    return_id character varying,
    order_id character varying,
    customer_id character varying,
    returned_at timestamp with time zone,
    refund_amount numeric(12,2),
    reason character varying,
    updated_at timestamp with time zone,
    _ladder_row_hash character varying,
    _superseded boolean,
    _reject_reason text
);


--
-- Name: cost_drivers; Type: TABLE; Schema: staging; Owner: -
--

CREATE TABLE staging.cost_drivers (
    driver text,
    unit text,
    rate numeric(12,4)
);


--
-- Name: segment_thresholds; Type: TABLE; Schema: staging; Owner: -
--

CREATE TABLE staging.segment_thresholds (
    abuse_window_days integer,
    terrorist_abuse_reports_min integer,
    terrorist_abuse_agents_min integer,
    new_customer_days integer,
    toxic_returns_min integer,
    toxic_return_rate_min numeric(6,4),
    toxic_service_contacts_min integer,
    promoter_nps_min integer,
    supporter_nps_min integer,
    client_purchase_days_min integer,
    client_p_alive_min numeric(6,4),
    frustrated_window_days integer,
    frustrated_satisfaction_max integer,
    at_risk_p_alive_max numeric(6,4),
    at_risk_value_share numeric(6,4),
    new_high_potential_share numeric(6,4),
    segment_share_drift_max numeric(6,4)
);


--
-- Name: stg_clv__customer_scores; Type: VIEW; Schema: staging; Owner: -
--

CREATE VIEW staging.stg_clv__customer_scores AS
 WITH scores AS (
         SELECT customer_scores.as_of_date,
            customer_scores.customer_id,
            customer_scores.p_alive,
            customer_scores.expected_purchases_365d,
            customer_scores.discounted_purchases_365d,
            customer_scores.expected_margin_per_purchase,
            customer_scores.clv_365d
           FROM clv.customer_scores
          WHERE (customer_scores.as_of_date = '2025-03-02'::date)
        ), renamed AS (
         SELECT scores.customer_id,
            scores.p_alive,
            scores.expected_purchases_365d,
            scores.discounted_purchases_365d,
            scores.expected_margin_per_purchase,
            scores.clv_365d
           FROM scores
        )
 SELECT customer_id,
    p_alive,
    expected_purchases_365d,
    discounted_purchases_365d,
    expected_margin_per_purchase,
    clv_365d
   FROM renamed;


--
-- Name: stg_helpdesk__interactions; Type: VIEW; Schema: staging; Owner: -
--

CREATE VIEW staging.stg_helpdesk__interactions AS
 WITH interactions AS (
         SELECT base_helpdesk__interactions.interaction_id,
            base_helpdesk__interactions.ticket_id,
            base_helpdesk__interactions.customer_id,
            base_helpdesk__interactions.occurred_at,
            base_helpdesk__interactions.channel,
            base_helpdesk__interactions.agent_id,
            base_helpdesk__interactions.handle_minutes,
            base_helpdesk__interactions.abuse_reported,
            base_helpdesk__interactions.updated_at,
            base_helpdesk__interactions._ladder_row_hash,
            base_helpdesk__interactions._superseded,
            base_helpdesk__interactions._reject_reason
           FROM staging.base_helpdesk__interactions
          WHERE ((NOT base_helpdesk__interactions._superseded) AND (base_helpdesk__interactions._reject_reason IS NULL))
        ), renamed AS (
         SELECT interactions.interaction_id,
            interactions.ticket_id,
            interactions.customer_id,
            interactions.occurred_at,
            interactions.channel,
            interactions.agent_id,
            COALESCE(interactions.handle_minutes, (0)::double precision) AS handle_minutes,
            COALESCE(interactions.abuse_reported, false) AS is_abuse_reported,
            interactions.updated_at
           FROM interactions
        )
 SELECT interaction_id,
    ticket_id,
    customer_id,
    occurred_at,
    channel,
    agent_id,
    handle_minutes,
    is_abuse_reported,
    updated_at
   FROM renamed;


--
-- Name: stg_helpdesk__surveys; Type: VIEW; Schema: staging; Owner: -
--

CREATE VIEW staging.stg_helpdesk__surveys AS
 WITH surveys AS (
         SELECT base_helpdesk__surveys.survey_id,
            base_helpdesk__surveys.customer_id,
            base_helpdesk__surveys.answered_at,
            base_helpdesk__surveys.nps,
            base_helpdesk__surveys.updated_at,
            base_helpdesk__surveys._ladder_row_hash,
            base_helpdesk__surveys._superseded,
            base_helpdesk__surveys._reject_reason
           FROM staging.base_helpdesk__surveys
          WHERE ((NOT base_helpdesk__surveys._superseded) AND (base_helpdesk__surveys._reject_reason IS NULL))
        ), renamed AS (
         SELECT surveys.survey_id,
            surveys.customer_id,
            surveys.answered_at,
            surveys.nps,
            surveys.updated_at
           FROM surveys
        )
 SELECT survey_id,
    customer_id,
    answered_at,
    nps,
    updated_at
   FROM renamed;


--
-- Name: stg_helpdesk__tickets; Type: VIEW; Schema: staging; Owner: -
--

CREATE VIEW staging.stg_helpdesk__tickets AS
 WITH tickets AS (
         SELECT base_helpdesk__tickets.ticket_id,
            base_helpdesk__tickets.customer_id,
            base_helpdesk__tickets.created_at,
            base_helpdesk__tickets.channel,
            base_helpdesk__tickets.category,
            base_helpdesk__tickets.status,
            base_helpdesk__tickets.is_complaint,
            base_helpdesk__tickets.satisfaction,
            base_helpdesk__tickets.updated_at,
            base_helpdesk__tickets._ladder_row_hash,
            base_helpdesk__tickets._superseded,
            base_helpdesk__tickets._reject_reason
           FROM staging.base_helpdesk__tickets
          WHERE ((NOT base_helpdesk__tickets._superseded) AND (base_helpdesk__tickets._reject_reason IS NULL))
        ), renamed AS (
         SELECT tickets.ticket_id,
            tickets.customer_id,
            tickets.created_at,
            tickets.channel,
            tickets.category,
            tickets.status AS ticket_status,
            COALESCE(tickets.is_complaint, false) AS is_complaint,
            tickets.satisfaction,
            tickets.updated_at
           FROM tickets
        )
 SELECT ticket_id,
    customer_id,
    created_at,
    channel,
    category,
    ticket_status,
    is_complaint,
    satisfaction,
    updated_at
   FROM renamed;


--
-- Name: stg_shop__customers; Type: VIEW; Schema: staging; Owner: -
--

CREATE VIEW staging.stg_shop__customers AS
 WITH customers AS (
         SELECT base_shop__customers.customer_id,
            base_shop__customers.email,
            base_shop__customers.full_name,
            base_shop__customers.country,
            base_shop__customers.acquisition_channel,
            base_shop__customers.created_at,
            base_shop__customers.updated_at,
            base_shop__customers._ladder_row_hash,
            base_shop__customers._superseded,
            base_shop__customers._reject_reason
           FROM staging.base_shop__customers
          WHERE ((NOT base_shop__customers._superseded) AND (base_shop__customers._reject_reason IS NULL))
        ), renamed AS (
         SELECT customers.customer_id,
            customers.email,
            customers.full_name,
            customers.country,
            customers.acquisition_channel,
            customers.created_at,
            customers.updated_at
           FROM customers
        )
 SELECT customer_id,
    email,
    full_name,
    country,
    acquisition_channel,
    created_at,
    updated_at
   FROM renamed;


--
-- Name: stg_shop__marketing_consent; Type: VIEW; Schema: staging; Owner: -
--

CREATE VIEW staging.stg_shop__marketing_consent AS
 WITH marketing_consent AS (
         SELECT base_shop__marketing_consent.consent_id,
            base_shop__marketing_consent.customer_id,
            base_shop__marketing_consent.status,
            base_shop__marketing_consent.recorded_at,
            base_shop__marketing_consent.updated_at,
            base_shop__marketing_consent._ladder_row_hash,
            base_shop__marketing_consent._superseded,
            base_shop__marketing_consent._reject_reason
           FROM staging.base_shop__marketing_consent
          WHERE ((NOT base_shop__marketing_consent._superseded) AND (base_shop__marketing_consent._reject_reason IS NULL))
        ), renamed AS (
         SELECT marketing_consent.consent_id,
            marketing_consent.customer_id,
            marketing_consent.status AS consent_status,
            marketing_consent.recorded_at,
            marketing_consent.updated_at
           FROM marketing_consent
        )
 SELECT consent_id,
    customer_id,
    consent_status,
    recorded_at,
    updated_at
   FROM renamed;


--
-- Name: stg_shop__order_lines; Type: VIEW; Schema: staging; Owner: -
--

CREATE VIEW staging.stg_shop__order_lines AS
 WITH order_lines AS (
         SELECT base_shop__order_lines.order_id,
            base_shop__order_lines.line_no,
            base_shop__order_lines.product_id,
            base_shop__order_lines.quantity,
            base_shop__order_lines.unit_price,
            base_shop__order_lines.unit_cost,
            base_shop__order_lines.updated_at,
            base_shop__order_lines._ladder_row_hash,
            base_shop__order_lines._superseded,
            base_shop__order_lines._reject_reason
           FROM staging.base_shop__order_lines
          WHERE ((NOT base_shop__order_lines._superseded) AND (base_shop__order_lines._reject_reason IS NULL))
        ), renamed AS (
         SELECT order_lines.order_id,
            order_lines.line_no,
            order_lines.product_id,
            order_lines.quantity,
            order_lines.unit_price,
            order_lines.unit_cost,
            order_lines.updated_at
           FROM order_lines
        )
 SELECT order_id,
    line_no,
    product_id,
    quantity,
    unit_price,
    unit_cost,
    updated_at
   FROM renamed;


--
-- Name: stg_shop__orders; Type: VIEW; Schema: staging; Owner: -
--

CREATE VIEW staging.stg_shop__orders AS
 WITH orders AS (
         SELECT base_shop__orders.order_id,
            base_shop__orders.customer_id,
            base_shop__orders.ordered_at,
            base_shop__orders.status,
            base_shop__orders.shipping_method,
            base_shop__orders.shipping_charged,
            base_shop__orders.shipping_cost,
            base_shop__orders.discount_amount,
            base_shop__orders.updated_at,
            base_shop__orders._ladder_row_hash,
            base_shop__orders._superseded,
            base_shop__orders._reject_reason
           FROM staging.base_shop__orders
          WHERE ((NOT base_shop__orders._superseded) AND (base_shop__orders._reject_reason IS NULL))
        ), renamed AS (
         SELECT orders.order_id,
            orders.customer_id,
            orders.ordered_at,
            orders.status AS order_status,
            orders.shipping_method,
            COALESCE(orders.shipping_charged, (0)::numeric) AS shipping_charged,
            COALESCE(orders.shipping_cost, (0)::numeric) AS shipping_cost,
            COALESCE(orders.discount_amount, (0)::numeric) AS discount_amount,
            orders.updated_at
           FROM orders
        )
 SELECT order_id,
    customer_id,
    ordered_at,
    order_status,
    shipping_method,
    shipping_charged,
    shipping_cost,
    discount_amount,
    updated_at
   FROM renamed;


--
-- Name: stg_shop__payment_events; Type: VIEW; Schema: staging; Owner: -
--

CREATE VIEW staging.stg_shop__payment_events AS
 WITH payment_events AS (
         SELECT base_shop__payment_events.event_id,
            base_shop__payment_events.order_id,
            base_shop__payment_events.customer_id,
            base_shop__payment_events.occurred_at,
            base_shop__payment_events.kind,
            base_shop__payment_events.amount,
            base_shop__payment_events.fraud_confirmed,
            base_shop__payment_events.updated_at,
            base_shop__payment_events._ladder_row_hash,
            base_shop__payment_events._superseded,
            base_shop__payment_events._reject_reason
           FROM staging.base_shop__payment_events
          WHERE ((NOT base_shop__payment_events._superseded) AND (base_shop__payment_events._reject_reason IS NULL))
        ), renamed AS (
         SELECT payment_events.event_id,
            payment_events.order_id,
            payment_events.customer_id,
            payment_events.occurred_at,
            payment_events.kind AS payment_event_kind,
            payment_events.amount,
            COALESCE(payment_events.fraud_confirmed, false) AS is_fraud_confirmed,
            payment_events.updated_at
           FROM payment_events
        )
 SELECT event_id,
    order_id,
    customer_id,
    occurred_at,
    payment_event_kind,
    amount,
    is_fraud_confirmed,
    updated_at
   FROM renamed;


--
-- Name: stg_shop__referrals; Type: VIEW; Schema: staging; Owner: -
--

CREATE VIEW staging.stg_shop__referrals AS
 WITH referrals AS (
         SELECT base_shop__referrals.referral_id,
            base_shop__referrals.referrer_customer_id,
            base_shop__referrals.referred_customer_id,
            base_shop__referrals.referred_at,
            base_shop__referrals.updated_at,
            base_shop__referrals._ladder_row_hash,
            base_shop__referrals._superseded,
            base_shop__referrals._reject_reason
           FROM staging.base_shop__referrals
          WHERE ((NOT base_shop__referrals._superseded) AND (base_shop__referrals._reject_reason IS NULL))
        ), renamed AS (
         SELECT referrals.referral_id,
            referrals.referrer_customer_id,
            referrals.referred_customer_id,
            referrals.referred_at,
            referrals.updated_at
           FROM referrals
        )
 SELECT referral_id,
    referrer_customer_id,
    referred_customer_id,
    referred_at,
    updated_at
   FROM renamed;


--
-- Name: stg_shop__returns; Type: VIEW; Schema: staging; Owner: -
--

CREATE VIEW staging.stg_shop__returns AS
 WITH returns AS (
         SELECT base_shop__returns.return_id,
            base_shop__returns.order_id,
            base_shop__returns.customer_id,
            base_shop__returns.returned_at,
            base_shop__returns.refund_amount,
            base_shop__returns.reason,
            base_shop__returns.updated_at,
            base_shop__returns._ladder_row_hash,
            base_shop__returns._superseded,
            base_shop__returns._reject_reason
           FROM staging.base_shop__returns
          WHERE ((NOT base_shop__returns._superseded) AND (base_shop__returns._reject_reason IS NULL))
        ), renamed AS (
         SELECT returns.return_id,
            returns.order_id,
            returns.customer_id,
            returns.returned_at,
            returns.refund_amount,
            returns.reason AS return_reason,
            returns.updated_at
           FROM returns
        )
 SELECT return_id,
    order_id,
    customer_id,
    returned_at,
    refund_amount,
    return_reason,
    updated_at
   FROM renamed;


--
-- Name: treatment_rules; Type: TABLE; Schema: staging; Owner: -
--

CREATE TABLE staging.treatment_rules (
    priority integer,
    system text,
    ladder_rung text,
    value_segment text,
    flag text,
    treatment_code text,
    channel text,
    offer text,
    service_tier text,
    requires_consent boolean,
    rationale text
);


--
-- Name: customer_scores customer_scores_pkey; Type: CONSTRAINT; Schema: clv; Owner: -
--

ALTER TABLE ONLY clv.customer_scores
    ADD CONSTRAINT customer_scores_pkey PRIMARY KEY (as_of_date, customer_id);


--
-- Name: model_runs model_runs_pkey; Type: CONSTRAINT; Schema: clv; Owner: -
--

ALTER TABLE ONLY clv.model_runs
    ADD CONSTRAINT model_runs_pkey PRIMARY KEY (as_of_date, model);


--
-- Name: customer_cost_to_serve customer_cost_to_serve__dbt_tmp_pkey1; Type: CONSTRAINT; Schema: marts; Owner: -
--

ALTER TABLE ONLY marts.customer_cost_to_serve
    ADD CONSTRAINT customer_cost_to_serve__dbt_tmp_pkey1 PRIMARY KEY (customer_id);


--
-- Name: customer_profitability customer_profitability__dbt_tmp_pkey1; Type: CONSTRAINT; Schema: marts; Owner: -
--

ALTER TABLE ONLY marts.customer_profitability
    ADD CONSTRAINT customer_profitability__dbt_tmp_pkey1 PRIMARY KEY (customer_id);


--
-- Name: customer_segments customer_segments__dbt_tmp_pkey1; Type: CONSTRAINT; Schema: marts; Owner: -
--

ALTER TABLE ONLY marts.customer_segments
    ADD CONSTRAINT customer_segments__dbt_tmp_pkey1 PRIMARY KEY (customer_id);


--
-- Name: customer_value customer_value__dbt_tmp_pkey1; Type: CONSTRAINT; Schema: marts; Owner: -
--

ALTER TABLE ONLY marts.customer_value
    ADD CONSTRAINT customer_value__dbt_tmp_pkey1 PRIMARY KEY (customer_id);


--
-- Name: dim_customers dim_customers__dbt_tmp_pkey1; Type: CONSTRAINT; Schema: marts; Owner: -
--

ALTER TABLE ONLY marts.dim_customers
    ADD CONSTRAINT dim_customers__dbt_tmp_pkey1 PRIMARY KEY (customer_id);


--
-- Name: segment_history segment_history_pkey; Type: CONSTRAINT; Schema: marts; Owner: -
--

ALTER TABLE ONLY marts.segment_history
    ADD CONSTRAINT segment_history_pkey PRIMARY KEY (customer_id, valid_from);


--
-- Name: segment_runs segment_runs_pkey; Type: CONSTRAINT; Schema: marts; Owner: -
--

ALTER TABLE ONLY marts.segment_runs
    ADD CONSTRAINT segment_runs_pkey PRIMARY KEY (as_of_date);


--
-- Name: segment_transitions segment_transitions__dbt_tmp_pkey1; Type: CONSTRAINT; Schema: marts; Owner: -
--

ALTER TABLE ONLY marts.segment_transitions
    ADD CONSTRAINT segment_transitions__dbt_tmp_pkey1 PRIMARY KEY (customer_id);


--
-- Name: treatment_marketing treatment_marketing__dbt_tmp_pkey1; Type: CONSTRAINT; Schema: marts; Owner: -
--

ALTER TABLE ONLY marts.treatment_marketing
    ADD CONSTRAINT treatment_marketing__dbt_tmp_pkey1 PRIMARY KEY (customer_id);


--
-- Name: treatment_service treatment_service__dbt_tmp_pkey1; Type: CONSTRAINT; Schema: marts; Owner: -
--

ALTER TABLE ONLY marts.treatment_service
    ADD CONSTRAINT treatment_service__dbt_tmp_pkey1 PRIMARY KEY (customer_id);


--
-- Name: whale_curve whale_curve__dbt_tmp_pkey1; Type: CONSTRAINT; Schema: marts; Owner: -
--

ALTER TABLE ONLY marts.whale_curve
    ADD CONSTRAINT whale_curve__dbt_tmp_pkey1 PRIMARY KEY (percentile);


--
-- Name: gate_runs gate_runs_pkey; Type: CONSTRAINT; Schema: ops; Owner: -
--

ALTER TABLE ONLY ops.gate_runs
    ADD CONSTRAINT gate_runs_pkey PRIMARY KEY (run_id);


--
-- Name: publish_runs publish_runs_pkey; Type: CONSTRAINT; Schema: ops; Owner: -
--

ALTER TABLE ONLY ops.publish_runs
    ADD CONSTRAINT publish_runs_pkey PRIMARY KEY (run_id);


--
-- Name: publish_state publish_state_pkey; Type: CONSTRAINT; Schema: ops; Owner: -
--

ALTER TABLE ONLY ops.publish_state
    ADD CONSTRAINT publish_state_pkey PRIMARY KEY (destination, customer_id);


--
-- Name: _dlt_pipeline_state _dlt_pipeline_state__dlt_id_key; Type: CONSTRAINT; Schema: raw; Owner: -
--

ALTER TABLE ONLY raw._dlt_pipeline_state
    ADD CONSTRAINT _dlt_pipeline_state__dlt_id_key UNIQUE (_dlt_id);


--
-- Name: publish_rejects publish_rejects_run_id_fkey; Type: FK CONSTRAINT; Schema: ops; Owner: -
--

ALTER TABLE ONLY ops.publish_rejects
    ADD CONSTRAINT publish_rejects_run_id_fkey FOREIGN KEY (run_id) REFERENCES ops.publish_runs(run_id);


--
-- PostgreSQL database dump complete
--


--
-- PostgreSQL database dump
--


-- Dumped from database version 16.14
-- Dumped by pg_dump version 16.14

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

--
-- Data for Name: model_runs; Type: TABLE DATA; Schema: clv; Owner: -
--

INSERT INTO clv.model_runs VALUES ('2025-03-01', 'bgnbd', '{"a": 0.4303151284058631, "b": 2.049518991235224, "r": 0.5966311928013442, "alpha": 44.16093763716629}', -19309.914333607267, 1700, 1700, true, 'converged', false, '2025-03-01', '2026-12-04 22:35:30.051801+00');
INSERT INTO clv.model_runs VALUES ('2025-03-01', 'gamma_gamma', '{"p": 1.4786061758744604, "q": 2.883564397540245, "gamma": 31.44325071052871}', -3966.9434478706467, 1700, 956, true, 'converged', false, '2025-03-01', '2026-12-04 22:35:30.051801+00');
INSERT INTO clv.model_runs VALUES ('2025-03-02', 'bgnbd', '{"a": 0.4291977168077746, "b": 2.0370891412136114, "r": 0.5959595652412535, "alpha": 44.125719575979566}', -19369.415488745908, 1705, 1705, true, 'converged', false, '2025-03-02', '2026-12-04 22:37:42.75042+00');
INSERT INTO clv.model_runs VALUES ('2025-03-02', 'gamma_gamma', '{"p": 1.478588827499109, "q": 2.854103728742133, "gamma": 31.023359082802372}', -3977.6734862385424, 1705, 958, true, 'converged', false, '2025-03-02', '2026-12-04 22:37:42.75042+00');


--
-- Data for Name: gate_runs; Type: TABLE DATA; Schema: ops; Owner: -
--

INSERT INTO ops.gate_runs OVERRIDING SYSTEM VALUE VALUES (1, 'raw', '2025-03-01', true, 16, '{}', '/work/wt-baseline/.ladder/data_docs/index.html', '2026-12-04 22:34:33.798376+00');
INSERT INTO ops.gate_runs OVERRIDING SYSTEM VALUE VALUES (2, 'marts', '2025-03-01', true, 10, '{}', '/work/wt-baseline/.ladder/data_docs/index.html', '2026-12-04 22:36:20.472931+00');
INSERT INTO ops.gate_runs OVERRIDING SYSTEM VALUE VALUES (3, 'raw', '2025-03-02', true, 16, '{}', '/work/wt-baseline/.ladder/data_docs/index.html', '2026-12-04 22:36:41.83245+00');
INSERT INTO ops.gate_runs OVERRIDING SYSTEM VALUE VALUES (4, 'marts', '2025-03-02', true, 10, '{}', '/work/wt-baseline/.ladder/data_docs/index.html', '2026-12-04 22:38:50.000573+00');


--
-- Data for Name: publish_runs; Type: TABLE DATA; Schema: ops; Owner: -
--

INSERT INTO ops.publish_runs OVERRIDING SYSTEM VALUE VALUES (1, 'service', '2025-03-01', '2026-12-04 22:36:21.164663+00', '2026-12-04 22:36:21.325555+00', false, false, 888, 0, 888, 0, 1, 'succeeded');
INSERT INTO ops.publish_runs OVERRIDING SYSTEM VALUE VALUES (2, 'service_file', '2025-03-01', '2026-12-04 22:36:21.771969+00', '2026-12-04 22:36:21.771969+00', false, true, 888, 0, 888, 0, 1, 'succeeded');
INSERT INTO ops.publish_runs OVERRIDING SYSTEM VALUE VALUES (3, 'marketing', '2025-03-01', '2026-12-04 22:36:22.010373+00', '2026-12-04 22:36:22.210621+00', false, false, 1360, 0, 1360, 0, 1, 'succeeded');
INSERT INTO ops.publish_runs OVERRIDING SYSTEM VALUE VALUES (4, 'service_table', '2025-03-01', '2026-12-04 22:36:22.717698+00', '2026-12-04 22:36:23.032458+00', false, false, 888, 0, 888, 0, 1, 'succeeded');
INSERT INTO ops.publish_runs OVERRIDING SYSTEM VALUE VALUES (5, 'service_table', '2025-03-02', '2026-12-04 22:38:50.499467+00', '2026-12-04 22:38:50.586676+00', false, false, 7, 1, 8, 0, 2, 'succeeded');
INSERT INTO ops.publish_runs OVERRIDING SYSTEM VALUE VALUES (6, 'service', '2025-03-02', '2026-12-04 22:38:50.844857+00', '2026-12-04 22:38:50.958781+00', false, false, 7, 1, 8, 0, 2, 'succeeded');
INSERT INTO ops.publish_runs OVERRIDING SYSTEM VALUE VALUES (7, 'service_file', '2025-03-02', '2026-12-04 22:38:51.20159+00', '2026-12-04 22:38:51.20159+00', false, true, 890, 0, 890, 0, 1, 'succeeded');
INSERT INTO ops.publish_runs OVERRIDING SYSTEM VALUE VALUES (8, 'marketing', '2025-03-02', '2026-12-04 22:38:51.341+00', '2026-12-04 22:38:51.407505+00', false, false, 12, 0, 12, 0, 1, 'succeeded');


--
-- Name: gate_runs_run_id_seq; Type: SEQUENCE SET; Schema: ops; Owner: -
--

SELECT pg_catalog.setval('ops.gate_runs_run_id_seq', 4, true);


--
-- Name: publish_runs_run_id_seq; Type: SEQUENCE SET; Schema: ops; Owner: -
--

SELECT pg_catalog.setval('ops.publish_runs_run_id_seq', 8, true);


--
-- PostgreSQL database dump complete
--


