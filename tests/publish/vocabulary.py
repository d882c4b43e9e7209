"""The scan of what reached a destination for the internal vocabulary (DESIGN §7): rung,
segment and flag names, internal field names, the analysts' figures. The terms come from
the seed `ladder_vocabulary`, the list the dbt test `no_internal_vocabulary` reads too,
and match as the test matches them: whole words (underscores join words), any case,
plurals too.

Every key and every text value is scanned, but the values of the customer's own
identifiers (their id and email address), which are theirs whatever they spell.
"""

from __future__ import annotations

import csv
import io
import json
import re
import sqlite3
from collections.abc import Iterable, Iterator
from functools import cache
from pathlib import Path

import psycopg
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from ladder.config import PROJECT_ROOT

VOCABULARY = PROJECT_ROOT / "dbt_project" / "seeds" / "ladder_vocabulary.csv"
OWN = frozenset({"customer_id", "email"})


@cache
def terms() -> tuple[str, ...]:
    with VOCABULARY.open() as rows:
        found = tuple(row["term"] for row in csv.DictReader(rows))
    assert found, f"{VOCABULARY} is empty: a scan against it would prove nothing"
    return found


@cache
def pattern() -> re.Pattern[str]:
    words = "|".join(re.escape(term) for term in terms())
    return re.compile(rf"(?<![A-Za-z0-9_])(?:{words})s?(?![A-Za-z0-9_])", re.IGNORECASE)


def labels(text: str) -> list[str]:
    return pattern().findall(text)


def _texts(value: object, key: str | None = None) -> Iterator[str]:
    if isinstance(value, dict):
        for name, item in value.items():
            yield str(name)
            yield from _texts(item, str(name))
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _texts(item, key)
    elif isinstance(value, str) and key not in OWN:
        yield value


def assert_no_labels(where: str, records: Iterable[dict]) -> int:
    """Fails naming the first records that carry a term; returns how many were scanned,
    so a caller can tell a clean destination from an empty one."""
    scanned, leaks = 0, []
    for record in records:
        scanned += 1
        found = sorted({word for text in _texts(record) for word in labels(text)})
        if found:
            leaks.append((record.get("customer_id"), found))
    assert not leaks, f"{where}: internal vocabulary in {len(leaks)} records, e.g. {leaks[:5]}"
    return scanned


def sandbox_records(state: Path) -> list[dict]:
    """Every record a sandbox stores, removed ones included (their payload stays)."""
    with sqlite3.connect(state) as conn:
        return [json.loads(p) for (p,) in conn.execute("select payload from records")]


def table_records(url: str, table: str = "public.service_profiles") -> list[dict]:
    with psycopg.connect(url) as conn:
        cursor = conn.execute(f"select * from {table}")
        names = [column.name for column in cursor.description]
        return [dict(zip(names, map(_text, row), strict=True)) for row in cursor]


def file_records(path: Path) -> list[dict]:
    """The daily file's rows, its header included (as the keys)."""
    if path.suffix == ".parquet":
        table = pq.read_table(path)
    else:
        table = pacsv.read_csv(io.BytesIO(path.read_bytes()))
    return [{k: _text(v) for k, v in row.items()} for row in table.to_pylist()]


def _text(value: object) -> object:
    return value if value is None or isinstance(value, str) else str(value)


def assert_destinations_clean(
    *, sandboxes: Iterable[Path] = (), tables: Iterable[str] = (), files: Iterable[Path] = ()
) -> dict[str, int]:
    """Scans every record of each sandbox state file, service desk table (a database URL)
    and daily file; returns the records scanned per place, each of them above zero."""
    counts = {}
    for state in sandboxes:
        counts[str(state)] = assert_no_labels(str(state), sandbox_records(state))
    for url in tables:
        where = f"{url.rsplit('/', 1)[1]} public.service_profiles"  # no password in messages
        counts[where] = assert_no_labels(where, table_records(url))
    for path in files:
        counts[str(path)] = assert_no_labels(str(path), file_records(path))
    empty = [where for where, n in counts.items() if n == 0]
    assert not empty, f"nothing reached {empty}: a scan of nothing proves nothing"
    return counts
