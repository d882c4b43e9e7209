"""The row hash raw is keyed on: equal rows, equal hashes; any difference, another hash."""

from __future__ import annotations

from decimal import Decimal

import pyarrow as pa

from ladder.extract.rowhash import ROW_HASH, hash_arrow

ROWS = pa.table(
    {
        "id": ["a", "b", "c", None, ""],
        "n": pa.array([1, 2, None, 4, 5], pa.int32()),
        "price": pa.array(
            [Decimal("1.10"), Decimal("2.00"), None, Decimal("-1"), Decimal("0")],
            pa.decimal128(12, 2),
        ),
        "at": pa.array([0, 1, 2, None, 4], pa.timestamp("us", tz="UTC")),
        "ok": [True, False, None, True, False],
        "x": [0.5, float("nan"), None, 1e300, -0.0],
    }
)


def hashes(table: pa.Table) -> list[str]:
    return hash_arrow(table)[ROW_HASH].to_pylist()


def test_distinct_rows_get_distinct_128_bit_hashes() -> None:
    values = hashes(ROWS)
    assert len(set(values)) == ROWS.num_rows
    assert all(len(v) == 32 and int(v, 16) >= 0 for v in values)


def test_a_row_hashes_the_same_in_any_batch_and_column_order() -> None:
    whole = hashes(ROWS)
    assert hashes(ROWS.slice(2, 2)) == whole[2:4]
    assert hashes(ROWS.select(list(reversed(ROWS.column_names)))) == whole


def test_every_column_counts() -> None:
    whole = hashes(ROWS)
    for index, name in enumerate(ROWS.column_names):
        changed = ROWS.set_column(index, name, ROWS[name].take([1, 0, 2, 3, 4]))
        assert hashes(changed)[0] != whole[0], name
    empty_not_null = ROWS.set_column(0, "id", pa.array(["a", "b", "c", "", ""]))
    assert hashes(empty_not_null)[3] != whole[3]


def test_a_column_of_nulls_added_later_leaves_hashes_alone() -> None:
    variant = ROWS.append_column("n__v_text", pa.array([None] * ROWS.num_rows, pa.string()))
    assert hashes(variant) == hashes(ROWS)
