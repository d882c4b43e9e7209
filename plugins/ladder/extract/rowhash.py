"""A content hash per row: the key under which raw keeps every version a source sent.

Raw must hold every row a source sent, malformed ones included: a null or duplicated
source key cannot be the merge key. Keying raw on the row's content instead makes loads
idempotent (a row sent again, by a rerun or after a crash, is the same row) while two
versions of one source row, or two rows that share a broken key, both stay.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

ROW_HASH = "_ladder_row_hash"
_NULL = "\x00"  # cannot occur in PostgreSQL text, so null and "" hash differently
_SEPARATOR = "\x1f"


def hash_arrow(table: pa.Table) -> pa.Table:
    """Append ROW_HASH (a 128-bit digest of all columns, by name) to an Arrow batch."""
    names = sorted(table.column_names)
    parts = [pc.fill_null(pc.cast(table[name], pa.string()), _NULL) for name in names]
    joined = pc.binary_join_element_wise(*parts, _SEPARATOR) if len(parts) > 1 else parts[0]
    digest = [_digest(text) for text in joined.to_numpy(zero_copy_only=False)]
    return table.append_column(ROW_HASH, pa.array(digest, pa.string()))


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def hash_record(record: dict[str, Any]) -> dict[str, Any]:
    """Add ROW_HASH to one JSON record."""
    canonical = json.dumps(record, sort_keys=True, ensure_ascii=False, default=str)
    return {**record, ROW_HASH: _digest(canonical)}
