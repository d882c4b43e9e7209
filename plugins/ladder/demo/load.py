"""Writing the demo company into PostgreSQL with bulk COPY, and reading its state back."""

from __future__ import annotations

import io
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from ladder import config
from ladder.demo import generate as g
from ladder.demo.company import Batch, State, initial_history, next_day
from ladder.demo.response import held_treatments
from ladder.demo.schema import (
    HELPDESK_TABLES,
    SHOP_TABLES,
    TRUTH_SCHEMA,
    TRUTH_TABLES,
    TableDef,
    truth_table,
)
from ladder.errors import LadderError
from ladder.warehouse import resolve_warehouse

COPY_CHUNK_ROWS = 200_000


@dataclass
class Summary:
    title: str
    rows: dict[str, int]
    persona_counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    connect_hint: str = ""

    def render(self) -> str:
        total = sum(self.rows.values())
        lines = [f"{self.title}: {total:,} rows in {self.seconds:.1f} s"]
        lines += [f"  {name:<32} {count:>12,}" for name, count in self.rows.items()]
        if self.persona_counts:
            customers = sum(self.persona_counts.values())
            lines.append("  personas (shop.demo_truth.customer_persona):")
            lines += [
                f"    {name:<22} {count:>10,}  {count / customers:6.1%}"
                for name, count in self.persona_counts.items()
            ]
        if self.connect_hint:
            lines.append(self.connect_hint)
        return "\n".join(lines)


def _databases() -> tuple[str, str]:
    demo = config.section("demo")
    return demo.get("sales_database", "shop"), demo.get("helpdesk_database", "helpdesk")


def _connect(database: str, autocommit: bool = False):
    import psycopg

    target = resolve_warehouse()
    url = target.database_url(database)
    try:
        return psycopg.connect(url, autocommit=autocommit)
    except psycopg.OperationalError as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise LadderError(
            f"cannot reach database {database!r} at {target.redacted()} (from {target.source}): "
            f"{reason}; start the embedded warehouse with `ladder warehouse start` or fix "
            "that setting"
        ) from None


def _recreate_database(name: str) -> None:
    from psycopg import sql

    with _connect("postgres", autocommit=True) as conn:
        conn.execute(
            sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))


def _copy(conn, schema: str, table: TableDef, data: pa.Table) -> None:
    data = data.select(table.column_names)
    columns = ", ".join(table.column_names)
    with (
        conn.cursor() as cur,
        cur.copy(f"copy {schema}.{table.name} ({columns}) from stdin (format csv)") as copy,
    ):
        for start in range(0, data.num_rows, COPY_CHUNK_ROWS):
            buffer = io.BytesIO()
            pacsv.write_csv(
                data.slice(start, COPY_CHUNK_ROWS),
                buffer,
                pacsv.WriteOptions(include_header=False),
            )
            copy.write(buffer.getbuffer())


def _load_new_table(database: str, schema: str, table: TableDef, data: pa.Table) -> None:
    # Create, fill and index in one transaction: with wal_level=minimal PostgreSQL then
    # skips writing the rows to the WAL, and a primary key built after the load is a
    # single sort instead of a million index insertions.
    with _connect(database) as conn:
        conn.execute(f"create schema if not exists {schema}")
        conn.execute(table.create_sql(schema))
        _copy(conn, schema, table, data)
        if table.primary_key:
            conn.execute(table.primary_key_sql(schema))
        if table.export_index:
            conn.execute(table.export_index_sql(schema))
        conn.execute(f"analyze {schema}.{table.name}")


def _write_batch_fresh(batch: Batch) -> None:
    shop, helpdesk = _databases()
    for name in (shop, helpdesk):
        _recreate_database(name)
    jobs = [(shop, "public", t, batch.shop[t.name]) for t in SHOP_TABLES]
    jobs += [(helpdesk, "public", t, batch.helpdesk[t.name]) for t in HELPDESK_TABLES]
    jobs += [(shop, TRUTH_SCHEMA, t, batch.truth[t.name]) for t in TRUTH_TABLES]
    jobs.sort(key=lambda job: -job[3].num_rows)  # largest first keeps both workers busy
    with _connect(shop, autocommit=True) as conn:
        conn.execute(f"create schema if not exists {TRUTH_SCHEMA}")
    with ThreadPoolExecutor(max_workers=2) as pool:
        for future in [pool.submit(_load_new_table, *job) for job in jobs]:
            future.result()


def create_demo_company(customers: int, seed: int, start: date, end: date) -> Summary:
    """Generate the demo company and load it, replacing any earlier one."""
    began = time.perf_counter()
    batch = initial_history(customers, seed, start, end)
    _write_batch_fresh(batch)
    persona = Counter(batch.truth["customer_persona"]["persona"].to_pylist())
    return Summary(
        title=f"demo company: {customers:,} customers, {start} to {end} (seed {seed})",
        rows=_row_counts(batch),
        persona_counts={p: persona[p] for p in g.PERSONA_NAMES if p in persona},
        seconds=time.perf_counter() - began,
        connect_hint=(
            f'  sales database:    psql "$(ladder warehouse url --database {_databases()[0]})"\n'
            f'  helpdesk database: psql "$(ladder warehouse url --database {_databases()[1]})"'
        ),
    )


def _row_counts(batch: Batch) -> dict[str, int]:
    shop, helpdesk = _databases()
    rows = {f"{shop}.{t.name}": batch.shop[t.name].num_rows for t in SHOP_TABLES}
    rows |= {f"{helpdesk}.{t.name}": batch.helpdesk[t.name].num_rows for t in HELPDESK_TABLES}
    return rows


def _continue_ids(conn, tables: tuple[TableDef, ...], ids: g.IdCounter) -> None:
    """Point the id counters past the highest of the generator's own ids the tables hold."""
    for table in tables:
        if table.name not in g.ID_PREFIXES:
            continue  # keyed by another table's id (order lines)
        key = table.column_names[0]
        top = conn.execute(
            f"select max(substr({key}, 2)::bigint) from public.{table.name} where {key} ~ %s",
            (g.own_id_pattern(table.name),),
        )
        ids.next_number[table.name] = (top.fetchone()[0] or 0) + 1


def _read_state(conn, day: date) -> State:
    import psycopg

    try:
        generation = conn.execute(
            f"select seed, customers, start_date, end_date, covered_until "
            f"from {TRUTH_SCHEMA}.generation"
        ).fetchone()
    except psycopg.errors.UndefinedTable:
        generation = None
    if generation is None:
        raise LadderError(
            "there is no demo company to append to; create one first with `ladder demo-data`"
        )
    seed, customers, start, end, covered_until = generation
    if day < covered_until:
        raise _AlreadyCovered(covered_until)
    received_table = f"{TRUTH_SCHEMA}.treatment_received"
    if conn.execute("select to_regclass(%s)", (received_table,)).fetchone()[0] is None:
        raise LadderError(
            "the demo company was made by an older Ladder, before it responded to what its "
            "systems hold; make a new one with `ladder demo-data` (or `ladder simulate --fresh`)"
        )
    # Personas come back as their index in PERSONA_NAMES (PostgreSQL arrays count from 1).
    names = list(g.PERSONA_NAMES)
    params = conn.execute(
        f"select p.customer_id, array_position(%s::text[], persona) - 1, lambda_per_day, "
        f"dropout_p, dropout_after, nu, repeat_purchases, opted_in, created_day, heavy_use "
        f"from {TRUTH_SCHEMA}.customer_parameters p "
        f"join {TRUTH_SCHEMA}.customer_persona using (customer_id) order by p.customer_id",
        (names,),
    ).fetchall()
    columns = list(zip(*params, strict=True))
    population = g.Population(
        number=g.id_numbers(np.array(columns[0])),
        persona=np.array(columns[1], dtype=np.int8),
        lam=np.array(columns[2], dtype=float),
        p=np.array(columns[3], dtype=float),
        dropout_after=np.array(columns[4], dtype=np.int64),
        nu=np.array(columns[5], dtype=float),
        repeats=np.array(columns[6], dtype=np.int64),
        opted_in=np.array(columns[7], dtype=bool),
        created=np.array(columns[8], dtype=float),
        traits=np.zeros(len(params), dtype=np.int64),
        heavy_use=np.array(columns[9], dtype=float),
        first_signal=np.zeros(len(params)),  # their first orders are behind them
    )
    traits = conn.execute(
        f"select customer_id, array_position(%s::text[], trait) - 1 "
        f"from {TRUTH_SCHEMA}.customer_trait",
        (list(g.TRAIT_NAMES),),
    ).fetchall()
    if traits:
        holder, bit = (np.array(c) for c in zip(*traits, strict=True))
        at = np.searchsorted(population.number, g.id_numbers(holder))
        np.bitwise_or.at(population.traits, at, np.left_shift(1, bit.astype(np.int64)))
    ids = g.IdCounter()
    _continue_ids(conn, SHOP_TABLES, ids)
    rows = conn.execute(
        "select o.order_id, o.customer_id, array_position(%s::text[], p.persona) - 1, "
        "(sum(l.quantity * l.unit_price) - o.discount_amount)::float8 as net, c.heavy_use "
        "from public.orders o join public.order_lines l using (order_id) "
        f"join {TRUTH_SCHEMA}.customer_persona p using (customer_id) "
        f"join {TRUTH_SCHEMA}.customer_parameters c using (customer_id) "
        "where o.status = 'completed' and o.ordered_at >= %s and o.ordered_at < %s "
        "and o.order_id ~ %s "
        # One return per order: a second could refund more than the order charged.
        "and not exists (select 1 from public.returns r where r.order_id = o.order_id) "
        "group by o.order_id, o.customer_id, p.persona, o.discount_amount, c.heavy_use "
        "order by o.order_id",
        (names, day - timedelta(days=30), day, g.own_id_pattern("orders")),
    ).fetchall()
    order_id, customer_id, persona, net, heavy_use = (
        (list(c) for c in zip(*rows, strict=True)) if rows else ([], [], [], [], [])
    )
    recent = pa.table(
        {
            "order_id": pa.array(order_id, pa.string()),
            "customer_id": pa.array(customer_id, pa.string()),
            "persona": pa.array(persona, pa.int8()),
            "net": pa.array(net, pa.float64()),
            "heavy_use": pa.array(heavy_use, pa.float64()),
        }
    )
    received = conn.execute(
        f"select customer_id, treatment_code, responds_on from {TRUTH_SCHEMA}.treatment_received"
    ).fetchall()
    return State(
        seed, customers, start, end, population, ids, recent,
        held=held_treatments(),
        received_before={(customer, code) for customer, code, _ in received},
        due=[(customer, code) for customer, code, when in received if when == day],
    )  # fmt: skip


class _AlreadyCovered(Exception):
    def __init__(self, covered_until: date) -> None:
        self.covered_until = covered_until


def append_day(day: date) -> Summary:
    """Add one day of activity; a day already covered is left as it is."""
    began = time.perf_counter()
    shop, helpdesk = _databases()
    with _connect(shop) as shop_conn:
        try:
            state = _read_state(shop_conn, day)
        except _AlreadyCovered as covered:
            return Summary(
                title=f"{day} is already in the demo company (it covers days before "
                f"{covered.covered_until}); nothing added",
                rows={},
            )
        with _connect(helpdesk) as helpdesk_conn:
            _continue_ids(helpdesk_conn, HELPDESK_TABLES, state.ids)
            batch = next_day(state, day)
            for table in HELPDESK_TABLES:
                _copy(helpdesk_conn, "public", table, batch.helpdesk[table.name])
            # Tickets left open settle after a few days: an update to an existing row.
            helpdesk_conn.execute(
                "update tickets set status = 'solved', updated_at = %s::timestamptz + "
                "interval '9 hours' where status <> 'solved' and created_at < %s::timestamptz "
                "- interval '2 days' and ticket_id ~ %s",
                (day, day, g.own_id_pattern("tickets")),
            )
            helpdesk_conn.commit()
        for table in SHOP_TABLES:
            _copy(shop_conn, "public", table, batch.shop[table.name])
        # About one customer in 500 edits their profile each day: an update to an existing row.
        shop_conn.execute(
            "update customers set email = replace(email, '@', '+' || %s || '@'), "
            "updated_at = %s::timestamptz + interval '10 hours' "
            "where abs(hashtext(customer_id || %s)) %% 500 = 0 and created_at < %s "
            "and customer_id ~ %s",
            (day.strftime("%Y%m%d"), day, day.isoformat(), day, g.own_id_pattern("customers")),
        )
        for name in ("customer_persona", "customer_trait", "treatment_received",
                     "response_orders"):  # fmt: skip
            _copy(shop_conn, TRUTH_SCHEMA, truth_table(name), batch.truth[name])
        # Replaced whole: what moved on today, and the effects as planted now.
        for name in ("customer_parameters", "planted_effects"):
            shop_conn.execute(f"truncate {TRUTH_SCHEMA}.{name}")
            _copy(shop_conn, TRUTH_SCHEMA, truth_table(name), batch.truth[name])
        shop_conn.execute(
            f"update {TRUTH_SCHEMA}.generation set covered_until = %s", (day + timedelta(days=1),)
        )
        shop_conn.commit()
    rows = _row_counts(batch)
    return Summary(
        title=f"appended {day} to the demo company",
        rows={k: v for k, v in rows.items() if v},
        seconds=time.perf_counter() - began,
    )


def append_days(last: date) -> Iterator[Summary]:
    """Append every day the demo company does not cover yet, up to and including `last`."""
    shop, _ = _databases()
    with _connect(shop) as conn:
        (covered_until,) = conn.execute(
            f"select covered_until from {TRUTH_SCHEMA}.generation"
        ).fetchone()
    day = covered_until
    while day <= last:
        yield append_day(day)
        day += timedelta(days=1)
