"""Running a dlt pipeline into the warehouse schema `raw` and reporting what it did."""

from __future__ import annotations

import logging
import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from ladder.config import PROJECT_ROOT
from ladder.connections import WAREHOUSE, env_var
from ladder.errors import LadderError
from ladder.warehouse import resolve_warehouse

log = logging.getLogger(__name__)

RAW_DATASET = "raw"


def pipelines_dir() -> Path:
    """dlt's local working folder: scratch space for one run (see `_start_from_warehouse`)."""
    return Path(os.environ.get("LADDER_DLT_DIR", PROJECT_ROOT / ".ladder" / "dlt"))


@dataclass
class ExtractResult:
    source: str
    received: dict[str, int] = field(default_factory=dict)  # raw table -> rows sent
    landed: dict[str, int] = field(default_factory=dict)  # raw table -> rows new in raw
    schema_changes: list[str] = field(default_factory=list)

    def render(self) -> str:
        lines = [
            f"extract {self.source}: {sum(self.landed.values()):,} new rows in raw "
            f"({sum(self.received.values()):,} received)"
        ]
        lines += [
            f"  {RAW_DATASET}.{t:<28} {self.landed.get(t, 0):>11,} new {n:>11,} received"
            for t, n in sorted(self.received.items())
        ]
        lines += [f"  schema change: {change}" for change in self.schema_changes]
        return "\n".join(lines)


def _columns(pipeline) -> dict[str, dict[str, tuple[str, int | None]]]:
    """Raw's tables as dlt knows them: column -> (dlt data type, precision)."""
    if not pipeline.default_schema_name:
        return {}
    return {
        table["name"]: {
            col: (spec.get("data_type", "?"), spec.get("precision"))
            for col, spec in table["columns"].items()
        }
        for table in pipeline.default_schema.data_tables()
    }


def _prepare(source, hash_rows: Callable, raw_types: dict) -> Counter:
    """Fit, hash and count the rows of every resource (see conform and rowhash).

    The count is what each source sent; what was new to raw is counted after the load.
    """
    from ladder.extract.conform import conform

    received: Counter = Counter()

    def preparing(table: str):
        def step(item):
            if isinstance(item, pa.RecordBatch):
                item = pa.Table.from_batches([item])
            if isinstance(item, pa.Table):
                item = conform(item, raw_types.get(table, {}))
            item = hash_rows(item)
            received[table] += getattr(item, "num_rows", 1)
            return item

        return step

    for resource in source.resources.values():
        # An empty Arrow batch (a table with nothing new) would become an empty Parquet
        # file, which the ADBC loader rejects.
        resource.add_filter(lambda item: getattr(item, "num_rows", 1) > 0)
        resource.add_map(preparing(resource.table_name))
    return received


class _KnownHintNoise(logging.Filter):
    """dlt warns for every table that the Arrow schema connectorx returns (all columns
    nullable) differs from the reflected one (keys not null) and keeps the reflected
    one, which is what we want: a warning per table per run that means nothing."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "several column hints were different" not in record.getMessage()


def run(
    source_name: str,
    source,
    hash_rows: Callable,
    explain_source_error: Callable[[BaseException], str | None],
    loader_file_format: str = "parquet",
) -> ExtractResult:
    """Load `source` into raw; source and warehouse failures become one clear message."""
    import dlt
    from dlt.pipeline.exceptions import PipelineStepFailed

    dlt_logger = logging.getLogger("dlt")
    if not any(isinstance(f, _KnownHintNoise) for f in dlt_logger.filters):
        dlt_logger.addFilter(_KnownHintNoise())

    # Arrow batches get _dlt_load_id too: it tells which load brought a row, and when
    # (dbt's source freshness reads it).
    dlt.config["normalize.parquet_normalizer.add_dlt_load_id"] = True
    # The files only live between extract and load on this machine: gzip cost more CPU
    # than it saved (normalising 3.7 M orders took 40 s with it, 9 s without).
    dlt.config["data_writer.disable_compression"] = True
    warehouse = resolve_warehouse()
    pipeline = dlt.pipeline(
        pipeline_name=f"ladder_{source_name}",
        pipelines_dir=str(pipelines_dir()),
        destination=dlt.destinations.postgres(credentials=warehouse.url),
        dataset_name=RAW_DATASET,
        progress=None,
    )
    try:
        pipeline = _start_from_warehouse(pipeline)
        before = _columns(pipeline)
        received = _prepare(source, hash_rows, before)
        info = pipeline.run(source, loader_file_format=loader_file_format)
    except PipelineStepFailed as failure:
        message = explain_source_error(failure) if failure.step == "extract" else None
        if message is None and failure.step in {"load", "sync"}:
            message = _explain_warehouse_error(failure, warehouse)
        if message:
            raise LadderError(message) from failure
        raise
    except Exception as exc:  # sync_destination before the first step
        message = _explain_warehouse_error(exc, warehouse)
        if message:
            raise LadderError(message) from exc
        raise
    result = ExtractResult(
        source=source_name,
        received=dict(received),
        landed=_landed(warehouse.url, list(received), info.loads_ids),
    )
    after = _columns(pipeline)
    for table, columns in after.items():
        if table not in before:
            continue
        for column, (data_type, _) in columns.items():
            if column not in before[table]:
                kind = "values of another type" if "__v_" in column else "new column"
                result.schema_changes.append(
                    f"{RAW_DATASET}.{table}.{column} ({kind}, {data_type})"
                )
    for change in result.schema_changes:
        log.warning("schema drift in %s: %s", source_name, change)
    return result


def _start_from_warehouse(pipeline):
    """The pipeline as the warehouse last recorded it, whatever this folder holds.

    A run killed part-way leaves a load package behind, and local state already moved to
    the cursors of rows that may never have landed. dlt would resume the package by
    re-running each job not recorded as done, but a job can be committed in the warehouse
    and not yet recorded when the process dies: the pipeline state insert is then repeated
    and fails on its unique `_dlt_id`, and a Parquet file copied twice into staging lands
    its rows twice in raw. So every run drops the folder and restores state and schema
    from the warehouse, where dlt keeps them with each completed load only: the run then
    extracts again whatever a killed run did not finish, and raw, merged on each row's
    content hash (see rowhash), keeps what that run did land once.
    """
    pipeline = pipeline.drop()
    pipeline.sync_destination()
    return pipeline


def _landed(url: str, tables: list[str], load_ids: list[str]) -> dict[str, int]:
    """Rows this run added to each raw table (a rerun re-sends rows raw already has)."""
    import psycopg
    from psycopg import sql

    counts = {}
    with psycopg.connect(url) as conn:
        for table in tables:
            query = sql.SQL("select count(*) from {}.{} where _dlt_load_id = any(%s)").format(
                sql.Identifier(RAW_DATASET), sql.Identifier(table)
            )
            counts[table] = conn.execute(query, (load_ids,)).fetchone()[0]
    return counts


def causes(exc: BaseException):
    """The exception and everything that caused it, outermost first."""
    seen = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _explain_warehouse_error(exc: BaseException, warehouse) -> str | None:
    import psycopg2

    cause = next((c for c in causes(exc) if isinstance(c, psycopg2.OperationalError)), None)
    if cause is not None:
        first = str(cause).strip().splitlines()[0] if str(cause).strip() else "unreachable"
        return (
            f"cannot write to the warehouse {warehouse.redacted()} (from {warehouse.source}): "
            f"{first}; fix the Airflow connection {WAREHOUSE} ({env_var(WAREHOUSE)}) or "
            "start the embedded warehouse with `ladder warehouse start`"
        )
    return None
