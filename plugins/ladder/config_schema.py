"""The shape of `ladder.yml`: every section and key, with its type and limits.

What a key means is documented once, in ladder.yml's own comments (the file users edit);
this module says what each key must be. Every key is required and every unknown key is a
mistake, so a misspelt key is reported instead of silently ignored.

To add a key: add the field to its section's model below and the key, with its comment,
to ladder.yml. A new section is a new model and a field of `LadderConfig`.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

# Strict: YAML gives real types, and "5000" where a number belongs is a mistake. Numbers
# with a fraction accept whole numbers (0 is a fine share).
STRICT = ConfigDict(extra="forbid", strict=True)

Name = Annotated[str, Field(min_length=1)]
Names = Annotated[list[Name], Field(min_length=1)]
Port = Annotated[int, Field(ge=1, le=65535)]
Count = Annotated[int, Field(ge=1)]
Share = Annotated[float, Field(ge=0, le=1)]
PriceRange = Annotated[list[Annotated[float, Field(ge=0)]], Field(min_length=2, max_length=2)]
# A YAML date (2024-01-01), or the same date quoted.
Day = Annotated[date, Field(strict=False)]


class Section(BaseModel):
    model_config = STRICT


class EmbeddedWarehouse(Section):
    data_dir: Name
    port: Port


class Warehouse(Section):
    embedded: EmbeddedWarehouse
    database: Name


class Demo(Section):
    customers: Count
    seed: int
    start: Day
    end: Day
    sales_database: Name
    helpdesk_database: Name
    simulate_dir: Name

    @model_validator(mode="after")
    def _starts_before_it_ends(self) -> Demo:
        if self.start >= self.end:
            raise ValueError(f"start ({self.start}) must be before end ({self.end})")
        return self


class Sandbox(Section):
    port: Port
    token: Name


class Retry(Section):
    attempts: Count
    seconds: Annotated[float, Field(gt=0)]


class DestinationSandbox(Sandbox):
    max_batch: Count
    state: Name


class SalesSource(Section):
    db_schema: Name = Field(alias="schema")  # `schema` would shadow BaseModel's own
    cursor: Name
    tables: Names
    chunk_size: Count


class HelpdeskSource(Section):
    cursor: Name
    endpoints: Names
    page_size: Count
    retry: Retry
    sandbox: Sandbox


class Sources(Section):
    sales: SalesSource
    helpdesk: HelpdeskSource


class Transform(Section):
    execution_mode: Literal["watcher", "local"]
    # Stripped first, so a salt of blanks is reported as empty.
    holdout_salt: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class EarlyModel(Section):
    min_training_customers: Annotated[int, Field(ge=2)]
    ridge_penalty: Annotated[float, Field(ge=0)]


class Clv(Section):
    annual_discount_rate: Annotated[float, Field(ge=0, lt=10)]
    early_model: EarlyModel


class Anomalies(Section):
    sensitivity: Annotated[float, Field(gt=0)]
    training_days: Count
    min_training_runs: Annotated[int, Field(ge=2)]


class Freshness(Section):
    # Per raw table (its name in raw, e.g. shop_orders), with a default for the rest.
    model_config = ConfigDict(extra="allow", strict=True)
    default: Count

    @model_validator(mode="after")
    def _every_limit_is_a_count(self) -> Freshness:
        for table, days in (self.model_extra or {}).items():
            if not isinstance(days, int) or isinstance(days, bool) or days < 1:
                raise ValueError(f"freshness_days.{table} must be a whole number of days >= 1")
        return self


class RawGate(Section):
    max_abuse_share: Share
    unit_price_median: PriceRange
    max_volume_factor: Annotated[float, Field(gt=1)]
    volume_min_change_share: Share
    volume_min_change_rows: Count
    max_future_share: Share
    freshness_days: Freshness

    @model_validator(mode="after")
    def _range_is_ordered(self) -> RawGate:
        low, high = self.unit_price_median
        if low > high:
            raise ValueError(f"unit_price_median must be [low, high], got [{low}, {high}]")
        return self


class MartsGate(Section):
    max_quarantine_rate: Share
    max_ratio: Annotated[float, Field(gt=1)]
    min_relative_change: Share
    min_count_change: Count
    outlier_percentile: Annotated[float, Field(gt=0, lt=1)]
    outlier_multiple: Annotated[float, Field(gt=1)]


class Quality(Section):
    data_docs_dir: Name
    anomalies: Anomalies
    raw: RawGate
    marts: MartsGate


class Report(Section):
    dir: Name


class MarketingDestination(Section):
    audience: Name
    max_batch: Count
    retry: Retry
    sandbox: DestinationSandbox


class ServiceDestination(Section):
    max_batch: Count
    retry: Retry
    sandbox: DestinationSandbox


class ServiceTable(Section):
    table: Annotated[str, Field(pattern=r"^([A-Za-z_][A-Za-z0-9_]*\.)?[A-Za-z_][A-Za-z0-9_]*$")]
    max_batch: Count
    demo_database: Name


class ServiceFile(Section):
    root: Name
    format: Literal["csv", "parquet"]


class Destinations(Section):
    marketing: MarketingDestination
    service: ServiceDestination
    service_table: ServiceTable
    service_file: ServiceFile


class Alerts(Section):
    email_to: list[Name]
    email_from: Name
    on_success: bool
    late_after_minutes: Count | None
    retry: Retry


class Airflow(Section):
    home: Name
    metadata_database: Name
    host: Name
    port: Port


class LadderConfig(Section):
    warehouse: Warehouse
    demo: Demo
    sources: Sources
    transform: Transform
    clv: Clv
    quality: Quality
    report: Report
    destinations: Destinations
    alerts: Alerts
    airflow: Airflow
