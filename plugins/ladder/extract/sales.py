"""The sales database through dlt's sql_database source.

The connectorx backend reads each table straight into Arrow, and dlt loads the Arrow
batches as Parquet through ADBC's binary COPY: no row-by-row Python on the way.

Each table is read incrementally on its cursor column (updated_at), bounded above by the
as-of date D, and merged into raw keyed on the row's content (see rowhash): a rerun of D
loads nothing new, and every version the source sent stays in raw.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from ladder import config
from ladder.connections import SALES_DB, connection_or_demo, env_var
from ladder.errors import LadderError
from ladder.extract import pipeline
from ladder.extract.rowhash import ROW_HASH, hash_arrow
from ladder.warehouse import resolve_warehouse

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
RAW_PREFIX = "shop_"


def sales_url() -> tuple[str, str]:
    """The sales database URL and where it came from: the Airflow connection, else (demo
    mode only) the demo company's database on the warehouse server."""
    info = connection_or_demo(SALES_DB)
    if info is not None:
        return info.postgres_url(), f"Airflow connection {SALES_DB} ({env_var(SALES_DB)})"
    database = config.section("demo")["sales_database"]
    return resolve_warehouse().database_url(database), f"the demo company's `{database}` database"


def _as_of_instant(as_of: date) -> datetime:
    return datetime(as_of.year, as_of.month, as_of.day, tzinfo=UTC)


def sales_source(url: str, as_of: date, tables: list[str] | None = None):
    import dlt
    import sqlalchemy as sa
    from dlt.sources.sql_database import sql_database

    settings = config.section("sources")["sales"]
    cursor = settings.get("cursor", "updated_at")
    bound = _as_of_instant(as_of)

    def below_as_of(query, table, incremental=None, engine=None):
        # The run's upper bound D (DESIGN §4), applied in the source's SQL. Rows without
        # a cursor value are always read: raw keeps them, staging quarantines them.
        column = table.c[cursor]
        return _set_aside_special_numbers(
            query.where(sa.or_(column < bound, column.is_(None))), table
        )

    source = sql_database(
        credentials=url,
        schema=settings.get("schema", "public"),
        table_names=tables or list(settings["tables"]),
        backend="connectorx",
        chunk_size=int(settings.get("chunk_size", 100_000)),
        reflection_level="full",
        query_adapter_callback=below_as_of,
    )
    for name, resource in source.resources.items():
        resource.parallelized = True  # tables are read concurrently
        resource.apply_hints(
            table_name=f"{RAW_PREFIX}{name}",
            incremental=dlt.sources.incremental(
                cursor, initial_value=EPOCH, on_cursor_value_missing="include"
            ),
            primary_key=ROW_HASH,
            write_disposition={"disposition": "merge", "strategy": "insert-only"},
        )
    return source


SPECIAL_NUMBERS = ("NaN", "Infinity", "-Infinity")
UNREPRESENTABLE = "_ladder_unrepresentable"


def _set_aside_special_numbers(query, table):
    """PostgreSQL numerics can hold NaN and infinities, Arrow decimals cannot (neither can
    dlt). Such a value is read as null and written, as text, into UNREPRESENTABLE
    ("unit_price=NaN"), so the row still lands whole and staging can quarantine it."""
    import sqlalchemy as sa

    numeric = [c for c in table.c if isinstance(c.type, sa.Numeric) and not isinstance(
        c.type, sa.Float)]  # fmt: skip
    if not numeric:
        return query
    special = {c.name: sa.cast(c, sa.Text).in_(SPECIAL_NUMBERS) for c in numeric}
    columns = [
        sa.cast(sa.case((special[c.name], None), else_=c), c.type).label(c.name)
        if c.name in special
        else c
        for c in table.c
    ]
    marker = sa.func.concat_ws(
        ",", *[sa.case((special[c.name], f"{c.name}=" + sa.cast(c, sa.Text))) for c in numeric]
    )
    return query.with_only_columns(*columns, sa.func.nullif(marker, "").label(UNREPRESENTABLE))


def explain_error(exc: BaseException, origin: str) -> str | None:
    import sqlalchemy.exc

    database_errors = (sqlalchemy.exc.OperationalError, sqlalchemy.exc.InterfaceError)
    cause = next((c for c in pipeline.causes(exc) if isinstance(c, database_errors)), None)
    if cause is None:
        cause = next(
            (c for c in pipeline.causes(exc) if "Connection" in type(c).__name__ or
             type(c).__module__.startswith(("psycopg", "connectorx"))),
            None,
        )  # fmt: skip
    if cause is None:
        return None
    detail = str(getattr(cause, "orig", None) or cause).strip().splitlines()
    first = detail[0] if detail else type(cause).__name__
    return (
        f"cannot read the sales database ({origin}): {first}; fix the Airflow connection "
        f"{SALES_DB} ({env_var(SALES_DB)}), or for the demo run `make demo`"
    )


def extract_sales(as_of: date, tables: list[str] | None = None) -> pipeline.ExtractResult:
    """Land the sales tables (all of ladder.yml's, or `tables`) in raw, as of `as_of`."""
    url, origin = sales_url()
    try:
        # Building the source reflects the tables: the first time we connect.
        source = sales_source(url, as_of, tables=tables)
    except Exception as exc:
        message = explain_error(exc, origin)
        if message:
            raise LadderError(message) from exc
        raise
    return pipeline.run("sales", source, hash_arrow, lambda cause: explain_error(cause, origin))
