"""Fitting Arrow batches to raw's columns when a source column changes type.

dlt gives JSON rows of an unexpected type a *variant column* (`quantity__v_text`), but
passes Arrow batches through unchanged, and a text column arriving where raw has an
integer one fails the load. We apply dlt's convention to Arrow batches ourselves:
values that still parse as the raw column's type stay in it; the others move, as text,
to `<column>__v_text`. The run goes on and nothing is lost.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

# dlt data types we can parse text into, and how.
_NUMERIC = {"bigint", "double", "decimal"}
_TEMPORAL = {"timestamp", "date"}


def variant_name(column: str) -> str:
    return f"{column}__v_text"


def conform(batch: pa.Table, raw_types: dict[str, tuple[str, int | None]]) -> pa.Table:
    """`raw_types`: column -> (dlt data type, precision) of raw as it is before this run."""
    for index, name in enumerate(batch.column_names):
        column = batch[name]
        is_text = pa.types.is_string(column.type) or pa.types.is_large_string(column.type)
        expected, precision = raw_types.get(name, (None, None))
        if not is_text or expected not in _NUMERIC | _TEMPORAL | {"bool"}:
            continue
        parsed, bad = _parse(column, expected, precision)
        batch = batch.set_column(index, name, parsed)
        batch = batch.append_column(variant_name(name), pc.if_else(bad, column, None))
    return batch


# The loader copies Arrow values in PostgreSQL's binary format, so widths must match.
_INTEGER_WIDTHS = {16: pa.int16(), 32: pa.int32()}


def _parse(
    column: pa.ChunkedArray, expected: str, precision: int | None
) -> tuple[pa.Array, pa.Array]:
    """The values that parse as `expected`, and a mask of those that do not."""
    import pandas as pd

    text = column.to_pandas()
    if expected in _NUMERIC:
        values = pd.to_numeric(text, errors="coerce")
        target = _INTEGER_WIDTHS.get(precision, pa.int64()) if expected == "bigint" else None
        if expected == "bigint":
            values = values.where(values.isna() | (values % 1 == 0))
            values = values.astype("Int64")
    elif expected in _TEMPORAL:
        values = pd.to_datetime(text, errors="coerce", utc=True)
        target = pa.timestamp("us", tz="UTC")
    else:
        values = text.str.lower().map({"true": True, "false": False, "t": True, "f": False})
        target = pa.bool_()
    if target is None:  # decimal or double: let Arrow pick, the loader casts floats
        target = pa.float64()
    parsed = pa.array(values, type=target, from_pandas=True)
    bad = pc.and_(pc.is_valid(column.combine_chunks()), pc.is_null(parsed))
    return parsed, bad
