"""
### ladder_nightly

Ladder's nightly run for one **as-of date** D: the run's `data_interval_end` (for a
manual run, its logical date). Everything it computes uses only events before D, so a
rerun or a backfill of D reads and produces the same data.

**preflight**: outside demo mode, every connection the night needs must be defined, or
the run fails here naming the missing ones, before anything is read or sent; then the
tables Ladder writes outside dbt (`clv`, the `ops` ledgers, the suppression list) are
migrated to this version's schema (`ladder.warehouse.migrations`).

**extract**: lands the sales database (`ladder_sales_db`, dlt `sql_database`) and the
helpdesk export API (`ladder_helpdesk`, dlt `rest_api`) incrementally in the warehouse
schema `raw` (`ladder_warehouse`). dlt keeps its cursors in the warehouse, so any
worker continues where the last run stopped; a rerun of D lands nothing new.

**validate_raw**: Great Expectations checks raw as a whole (null keys, statuses, future
timestamps, load volume against earlier loads, the abuse flag's share, the unit price's
median). A failed gate fails the run before anything is built; Data Docs path in the log.

**transform**: the dbt staging and intermediate models (and `ops.quarantine`),
rendered by astronomer-cosmos from the project's manifest, each model's tests right
after it. Unusable raw rows go to `ops.quarantine` with their reason.

**score_clv**: fits BG/NBD and Gamma-Gamma on D's purchase summary and writes
`clv.model_runs` and `clv.customer_scores` for D (a rerun replaces D's rows). A fit that
does not converge scores with the last converged parameters from before D and says so
(`used_fallback`); with none, the task fails and the marts keep yesterday's data.

**prepare_marts** and **marts**: the dbt marts BI reads (customer value, cost-to-serve,
profitability, the whale curve, segments, ladder and treatment lists), contracts
enforced, every row for D, built into the shadow schema `marts_next`, which starts with
a copy of the published history tables (segment_history, segment_runs). BI keeps
reading `marts`, last night's, meanwhile.

**validate_marts**: on the shadow build: one segment and rung per customer, unique
customers per list, the consent rule, no service tier below standard for being
unprofitable, the quarantine rate, and the segment shares' drift from the last run
before D. A failed gate leaves `marts` untouched.

**promote**: swaps the validated build in for `marts` in one transaction (schema
renames, the grants BI roles had carried over). Only then the `marts` Asset is updated
(`marts_ready`).

**publish**: each treatment list to its system, only what changed since the last
delivery (`ops.publish_state`), in idempotent batches: the marketing audience API
(`ladder_marketing`), the service profile API (`ladder_service`), the service desk's
table (`ladder_service_db`), and the whole service list as a daily file for service
teams. Every delivery is in `ops.publish_runs`. Each list is an Asset.

**report**: the run report, one self-contained HTML page of charts for D (whale curve,
ladder and movements, CLV, cost-to-serve, treatments and deliveries, quality gates and
quarantine) under `.ladder/reports/<D>/index.html`; its path is in the log.

**Alerts**: a task that fails for good (its retries spent) sends the DAG, D, the task
and why to the webhook `ladder_alerts_webhook` and by e-mail (`alerts` in ladder.yml),
counts only; with `alerts.on_success`, the report task sends a good night's summary;
with `alerts.late_after_minutes`, a night not done that long after it was queued sends a
Deadline Alert.

Connections that are not defined fall back to the demo systems only in demo mode
(`LADDER_MODE=demo`, which `make demo` sets).
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import Asset, dag, get_current_context, task, task_group

from ladder import alerts

RAW_SALES = Asset("ladder://warehouse/raw/shop")
RAW_HELPDESK = Asset("ladder://warehouse/raw/helpdesk")
MARTS = Asset("ladder://warehouse/marts")
MARKETING_LIST = Asset("ladder://destinations/marketing")
SERVICE_LIST = Asset("ladder://destinations/service")
SERVICE_TABLE = Asset("ladder://destinations/service_table")
SERVICE_FILE = Asset("ladder://destinations/service_file")


@dag(
    dag_id="ladder_nightly",
    schedule="@daily",
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args={
        "owner": "ladder",
        "retries": 3,
        "retry_delay": timedelta(minutes=1),
        "retry_exponential_backoff": True,
        "max_retry_delay": timedelta(minutes=20),
        # A task that fails for good tells a person (ladder.alerts, docs/alerts.md).
        "on_failure_callback": alerts.on_failure(),
    },
    # With `alerts.late_after_minutes`, a night still running that long after it was
    # queued tells a person.
    deadline=alerts.deadline(),
    tags=["ladder", "nightly"],
    doc_md=__doc__,
)
def ladder_nightly() -> None:
    @task(execution_timeout=timedelta(minutes=10))
    def preflight() -> None:
        """Every connection the night needs, before anything is read or sent; then the
        warehouse's tables outside dbt, at this Ladder's version."""
        from ladder.connections import HELPDESK, SALES_DB, require
        from ladder.publish.destinations import ROUTES
        from ladder.warehouse import resolve_warehouse
        from ladder.warehouse.migrations import migrate

        require(SALES_DB, HELPDESK, *(route.connection for route in ROUTES.values()))
        for applied in migrate(resolve_warehouse().url):
            print(f"applied migration {applied.version}: {applied.name}")

    @task_group(group_id="extract")
    def extract() -> None:
        @task(execution_timeout=timedelta(hours=2), outlets=[RAW_SALES])
        def sales() -> dict[str, int]:
            from ladder.as_of import as_of_date
            from ladder.extract.sales import extract_sales

            result = extract_sales(as_of_date(get_current_context()))
            print(result.render())
            return result.landed

        @task(execution_timeout=timedelta(hours=2), outlets=[RAW_HELPDESK])
        def helpdesk() -> dict[str, int]:
            from ladder.as_of import as_of_date
            from ladder.extract.helpdesk import extract_helpdesk

            result = extract_helpdesk(as_of_date(get_current_context()))
            print(result.render())
            return result.landed

        sales()
        helpdesk()

    from ladder.transform.cosmos import dbt_task_group
    from ladder.transform.stages import MARTS_SELECT, MARTS_VARS, TRANSFORM_SELECT

    transform = dbt_task_group("transform", TRANSFORM_SELECT)
    marts = dbt_task_group("marts", MARTS_SELECT, MARTS_VARS)

    @task(execution_timeout=timedelta(hours=1))
    def score_clv() -> dict[str, object]:
        from ladder.as_of import as_of_date
        from ladder.clv.nightly import score_clv

        result = score_clv(as_of_date(get_current_context()))
        print(result.render())
        return {"customers": result.customers, "used_fallback": result.used_fallback}

    @task(execution_timeout=timedelta(minutes=30))
    def validate_raw() -> None:
        from ladder.quality.gates import gate_task

        gate_task("raw")

    @task(execution_timeout=timedelta(minutes=30))
    def prepare_marts() -> list[str]:
        from ladder.as_of import as_of_date
        from ladder.transform.promote import prepare_shadow

        return prepare_shadow(as_of_date(get_current_context()))

    @task(execution_timeout=timedelta(minutes=30))
    def validate_marts() -> None:
        from ladder.quality.gates import gate_task
        from ladder.transform.promote import SHADOW

        gate_task("marts", schema=SHADOW)

    @task(execution_timeout=timedelta(minutes=30))
    def promote() -> list[str]:
        from ladder.as_of import as_of_date
        from ladder.transform.promote import promote

        return promote(as_of_date(get_current_context()))

    @task(outlets=[MARTS])
    def marts_ready() -> None:
        """Marks the marts Asset updated, so BI refreshes can be scheduled on it."""

    @task_group(group_id="publish")
    def publish() -> None:
        @task(execution_timeout=timedelta(hours=1), outlets=[MARKETING_LIST])
        def marketing() -> dict[str, int]:
            from ladder.publish.run import publish_task

            return publish_task("marketing")

        @task(execution_timeout=timedelta(hours=1), outlets=[SERVICE_LIST])
        def service() -> dict[str, int]:
            from ladder.publish.run import publish_task

            return publish_task("service")

        @task(execution_timeout=timedelta(hours=1), outlets=[SERVICE_TABLE])
        def service_table() -> dict[str, int]:
            from ladder.publish.run import publish_task

            return publish_task("service_table")

        @task(execution_timeout=timedelta(minutes=30), outlets=[SERVICE_FILE])
        def service_file() -> str:
            from ladder.as_of import as_of_date
            from ladder.publish.files import drop_service_file
            from ladder.warehouse import resolve_warehouse

            where = drop_service_file(as_of_date(get_current_context()), resolve_warehouse().url)
            print(f"service list written to {where}")
            return where

        marketing()
        service()
        service_table()
        service_file()

    @task(execution_timeout=timedelta(minutes=15), on_success_callback=alerts.on_success())
    def report() -> str:
        from ladder.as_of import as_of_date
        from ladder.publish.report import publish_report
        from ladder.report import build_report
        from ladder.transform.headline import headline
        from ladder.warehouse import resolve_warehouse

        as_of = as_of_date(get_current_context())
        url = resolve_warehouse().url
        print(headline(url).render())
        print(publish_report(url, as_of))
        page = build_report(as_of, url)
        print(f"run report: {page}")
        return str(page)

    (
        preflight()
        >> extract()
        >> validate_raw()
        >> transform
        >> score_clv()
        >> prepare_marts()
        >> marts
        >> validate_marts()
        >> promote()
        >> marts_ready()
        >> publish()
        >> report()
    )


ladder_nightly()
