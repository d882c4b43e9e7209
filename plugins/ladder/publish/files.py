"""The daily service list as a file for service teams (DESIGN §7): the whole list for D as
CSV (or Parquet), the rows of the service payload model, what the service API and table
receive too (never the mart's internal reason, rung or figures). Through fsspec, so the
root may be a local path, `s3://…` or `sftp://…`. Written under a temporary name and
then moved into place, so a reader never sees half a file; a rerun of D writes the same
file again."""

from __future__ import annotations

import io
import uuid
from datetime import date

import psycopg
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from ladder import config
from ladder.errors import LadderError
from ladder.publish.lists import SERVICE
from ladder.warehouse.migrations import migrate


def drop_service_file(as_of: date, warehouse_url: str) -> str:
    """Write `<root>/service/<D>/service.<format>`; returns where it went."""
    import fsspec

    settings = config.section("destinations").get("service_file", {})
    root = str(settings.get("root", ".ladder/drop"))
    file_format = settings.get("format", "csv")
    if file_format not in ("csv", "parquet"):
        raise LadderError(
            f"destinations.service_file.format must be csv or parquet, got {file_format!r}"
        )
    if "://" not in root:
        root = str(config.project_path(root))
    columns = SERVICE.columns
    with psycopg.connect(warehouse_url) as conn:
        rows = conn.execute(
            f"select {', '.join(columns)} from {SERVICE.mart}"
            " where as_of_date = %s order by customer_id",
            (as_of,),
        ).fetchall()
    if not rows:
        raise LadderError(
            f"{SERVICE.mart} has no rows for {as_of}: build the marts for that "
            f"date first (`ladder transform --as-of {as_of}`)"
        )
    table = pa.table({name: [row[i] for row in rows] for i, name in enumerate(columns)})
    buffer = io.BytesIO()
    if file_format == "csv":
        pacsv.write_csv(table, buffer)
    else:
        pq.write_table(table, buffer)
    fs, folder = fsspec.core.url_to_fs(f"{root.rstrip('/')}/service/{as_of.isoformat()}")
    fs.makedirs(folder, exist_ok=True)
    final = f"{folder}/service.{file_format}"
    partial = f"{folder}/.service.{file_format}.{uuid.uuid4().hex}.tmp"
    with fs.open(partial, "wb") as out:
        out.write(buffer.getvalue())
    fs.mv(partial, final)
    migrate(warehouse_url)
    with psycopg.connect(warehouse_url) as conn:
        conn.execute(
            "insert into ops.publish_runs (destination, as_of_date, finished_at, dry_run,"
            " full_resync, upserts, removals, sent, batches, status)"
            " values ('service_file', %s, now(), false, true, %s, 0, %s, 1, 'succeeded')",
            (as_of, len(rows), len(rows)),
        )
    return fs.unstrip_protocol(final)
