"""Versioned migrations for every table Ladder writes outside dbt (DESIGN §2, §5.3).

dbt owns `staging`, `intermediate`, `marts` and `ops.quarantine`; dlt owns `raw`. The
rest is here, in order, once: `clv` (model runs and scores), the `ops` ledgers (publish
state and log, gate runs), the operator's marketing suppression list, and the service
desk's table in its own database. A database records what it has in
`<schema>.ladder_migrations`; `migrate` applies what is pending in one transaction,
under an advisory lock, so two tasks starting together apply each migration once.

Warehouses made before this module existed already hold the tables of the baseline
migrations (the same DDL ran on every start): those migrations say `if not exists`, so
such a warehouse adopts them as they are. Every later migration is plain DDL.

Add a migration by appending to its track with the next version; never edit one that
has shipped.
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg
from psycopg import sql

from ladder.errors import LadderError


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    statements: str


@dataclass(frozen=True)
class Track:
    """The migrations of one database, and the schema that records them."""

    name: str
    schema: str
    migrations: tuple[Migration, ...]


WAREHOUSE = Track(
    "warehouse",
    "ops",
    (
        Migration(
            1,
            "clv model runs and customer scores",
            """
            create schema if not exists clv;
            create table if not exists clv.model_runs (
                as_of_date date not null,
                model text not null,
                parameters jsonb,
                log_likelihood double precision,
                customers bigint not null,
                fitted_customers bigint not null,
                converged boolean not null,
                message text not null,
                used_fallback boolean not null,
                parameters_from date not null,
                fitted_at timestamptz not null,
                primary key (as_of_date, model)
            );
            create table if not exists clv.customer_scores (
                as_of_date date not null,
                customer_id text not null,
                p_alive double precision not null,
                expected_purchases_365d double precision not null,
                discounted_purchases_365d double precision not null,
                expected_margin_per_purchase double precision not null,
                clv_365d double precision not null,
                primary key (as_of_date, customer_id)
            );
            """,
        ),
        Migration(
            2,
            "publish ledger: state, runs, rejects",
            """
            create table if not exists ops.publish_state (
                destination text not null,
                customer_id text not null,
                payload_hash text not null,
                as_of_date date not null,
                delivered_at timestamptz not null default now(),
                primary key (destination, customer_id)
            );
            create table if not exists ops.publish_runs (
                run_id bigint generated always as identity primary key,
                destination text not null,
                as_of_date date not null,
                started_at timestamptz not null default now(),
                finished_at timestamptz,
                dry_run boolean not null,
                full_resync boolean not null,
                upserts bigint not null,
                removals bigint not null,
                sent bigint not null default 0,
                rejected bigint not null default 0,
                batches bigint not null default 0,
                status text not null default 'running'
            );
            create table if not exists ops.publish_rejects (
                run_id bigint not null references ops.publish_runs,
                destination text not null,
                customer_id text not null,
                action text not null,
                payload_hash text,
                reason text not null,
                as_of_date date not null,
                rejected_at timestamptz not null default now()
            );
            """,
        ),
        Migration(
            3,
            "quality gate runs",
            """
            create table if not exists ops.gate_runs (
                run_id bigint generated always as identity primary key,
                gate text not null,
                as_of_date date,
                success boolean not null,
                evaluated integer not null,
                failures text[] not null,
                data_docs text not null,
                finished_at timestamptz not null default now()
            );
            """,
        ),
        Migration(
            4,
            "marketing suppression list, written by the operator",
            """
            create table ops.marketing_suppression (
                suppression_id bigint generated always as identity primary key,
                customer_id text,
                email text,
                reason text not null,
                requested_at timestamptz not null default now(),
                added_by text not null default current_user,
                constraint names_someone check (customer_id is not null or email is not null)
            );
            comment on table ops.marketing_suppression is
                'Customers never to be marketed to, whatever their consent (legal requests,'
                ' complaints to a regulator). Matched by customer_id or by e-mail address'
                ' (lower case, +tag removed). Written by the operator; Ladder only reads it.';
            """,
        ),
        Migration(
            5,
            "quality gate metrics: each night's watched figures and how they compared",
            """
            create table ops.gate_metrics (
                as_of_date date not null,
                gate text not null,
                check_name text not null,
                metric text not null,
                value double precision not null,
                baseline double precision,
                method text not null,
                score double precision,
                problem text,
                accepted boolean not null default false,
                recorded_at timestamptz not null default now(),
                primary key (as_of_date, gate, metric)
            );
            comment on table ops.gate_metrics is
                'The figures the quality gates watch, one row per as-of date, gate and'
                ' metric (a rerun of a date replaces its values): freshness and load volume'
                ' per raw table, the headline figures, the largest customer against the'
                ' high percentile. problem says why a value failed; a failed value is left'
                ' out of later nights'' training sets unless accepted (docs/quality-gates.md).';
            """,
        ),
        Migration(
            6,
            "publish deliveries: what each destination was sent, per customer and night",
            """
            create table ops.publish_deliveries (
                destination text not null,
                customer_id text not null,
                as_of_date date not null,
                system text not null,
                treatment_code text,
                action text not null check (action in ('upsert', 'removal')),
                run_id bigint not null references ops.publish_runs,
                recorded_at timestamptz not null default now(),
                primary key (destination, customer_id, as_of_date)
            );
            create index publish_deliveries_by_system
                on ops.publish_deliveries (system, customer_id, as_of_date);
            comment on table ops.publish_deliveries is
                'Outreach memory (DESIGN §6): per destination, customer and as-of date, what'
                ' the destination acknowledged: an upsert of a treatment or the removal of'
                ' one (treatment_code: the code removed, null when it was delivered before'
                ' this log existed). Written by the publish ledger in the transaction that'
                ' updates ops.publish_state; a rerun of a date writes nothing twice.'
                ' marts.treatment_history is built from it.';
            """,
        ),
        Migration(
            7,
            "clv: lookback scores, service-cost horizon, early identification model",
            """
            alter table clv.customer_scores
                add column discounted_alive_days_365d double precision,
                add column expected_interpurchase_days double precision,
                add column p_alive_lookback double precision,
                add column discounted_purchases_lookback_365d double precision,
                add column discounted_alive_days_lookback_365d double precision,
                add column clv_lookback_365d double precision;
            create table clv.early_model_runs (
                as_of_date date not null,
                basis text not null,
                coefficients jsonb,
                training_customers bigint not null,
                r_squared double precision,
                fitted boolean not null,
                message text not null,
                used_fallback boolean not null,
                coefficients_from date,
                scored_customers bigint not null,
                fitted_at timestamptz not null,
                primary key (as_of_date, basis)
            );
            create table clv.early_scores (
                as_of_date date not null,
                customer_id text not null,
                basis text not null,
                predicted_profit_365d double precision not null,
                value_365d double precision not null,
                primary key (as_of_date, customer_id)
            );
            """,
        ),
        Migration(
            8,
            "gate warnings: expectations that tell but do not stop the run",
            """
            alter table ops.gate_runs add column warnings text[] not null default '{}';
            comment on column ops.gate_runs.warnings is
                'Failed expectations of severity warning (a treatment whose profit uplift'
                ' is significantly negative): reported, but the gate passes.';
            """,
        ),
    ),
)


def service_desk_track(table: str) -> Track:
    """The service desk's table (`destinations.service_table.table`, schema.name), in the
    service desk's own database: one row per customer, what the service list sends."""
    schema, _, name = table.rpartition(".")
    schema = schema or "public"
    target = sql.Identifier(schema, name).as_string()
    return Track(
        f"service_desk:{schema}.{name}",
        schema,
        (
            Migration(
                1,
                "service profiles table",
                f"""
                create table if not exists {target} (
                    customer_id text primary key,
                    tier text not null,
                    treatment_code text not null,
                    reason text not null,
                    as_of_date date not null,
                    updated_at timestamptz not null default now()
                );
                """,
            ),
            # The service desk may have made the table itself (with its own constraints),
            # already holding the column: adopted as it is.
            Migration(
                2,
                "agent_note: the factual note for the service agent",
                f"alter table {target} add column if not exists agent_note text not null"
                " default '';",
            ),
        ),
    )


def migrate(url: str, track: Track = WAREHOUSE) -> list[Migration]:
    """Apply the track's pending migrations to the database at `url`; returns them."""
    ledger = sql.Identifier(track.schema, "ladder_migrations")
    with psycopg.connect(url) as conn:
        conn.execute("select pg_advisory_xact_lock(hashtext(%s))", (f"ladder:{track.name}",))
        conn.execute(sql.SQL("create schema if not exists {}").format(sql.Identifier(track.schema)))
        conn.execute(
            sql.SQL(
                "create table if not exists {} (track text not null, version integer not null,"
                " name text not null, applied_at timestamptz not null default now(),"
                " primary key (track, version))"
            ).format(ledger)
        )
        applied = {
            version
            for (version,) in conn.execute(
                sql.SQL("select version from {} where track = %s").format(ledger), (track.name,)
            )
        }
        known = {m.version for m in track.migrations}
        unknown = sorted(applied - known)
        if unknown:
            raise LadderError(
                f"the {track.name} database has migration(s) {unknown} that this Ladder does not"
                f" know (it knows up to {max(known)}): it was upgraded by a newer Ladder; run"
                " that version, or restore the database from before the upgrade"
            )
        pending = [m for m in track.migrations if m.version not in applied]
        for migration in pending:
            conn.execute(migration.statements)
            conn.execute(
                sql.SQL("insert into {} (track, version, name) values (%s, %s, %s)").format(ledger),
                (track.name, migration.version, migration.name),
            )
        conn.commit()
    return pending
