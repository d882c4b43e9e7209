"""Turning pages of JSON records into Arrow tables, so API data takes dlt's fast path.

dlt normalises JSON records one by one in Python; Arrow tables go through as Parquet
and load with a binary COPY, and the row hash is vectorised. Types follow the export
contract (helpdesk.field_types); anything else is inferred.
A value that does not fit its declared type is not dropped: that column is kept as
text, and conform() then splits it into the raw type and a variant column.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from dlt.extract.items_transform import ItemTransform

TIMESTAMP = pa.timestamp("us", tz="UTC")


def _typed(values: list[Any], declared: pa.DataType | None) -> pa.Array:
    if declared is not None:
        try:
            if declared == TIMESTAMP:
                return pc.cast(pa.array(values, pa.string()), TIMESTAMP)
            return pa.array(values, declared)
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
            pass
    try:
        return pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return pa.array([None if v is None else str(v) for v in values], pa.string())


def page_to_arrow(records: list[dict[str, Any]], field_types: dict[str, pa.DataType]) -> pa.Table:
    names: dict[str, None] = {}
    for record in records:
        names.update(dict.fromkeys(record))
    return pa.table(
        {name: _typed([r.get(name) for r in records], field_types.get(name)) for name in names}
    )


class PagesToArrow(ItemTransform[pa.Table, dict]):
    """A dlt pipe step that receives a whole page (a list of records) at once."""

    def __init__(self, field_types: dict[str, pa.DataType]) -> None:
        super().__init__(lambda item: item)
        self.field_types = field_types

    def __call__(self, item: Any, meta: Any = None) -> Any:
        if isinstance(item, list) and item and isinstance(item[0], dict):
            return page_to_arrow(item, self.field_types)
        if isinstance(item, dict):
            return page_to_arrow([item], self.field_types)
        return item
