"""The delivery ledger in the warehouse schema `ops` (DESIGN §5.3):

- `ops.publish_state`: per destination and customer, the payload hash the destination
  acknowledged; what the next diff compares against;
- `ops.publish_runs`: one row per destination and run: the diff's size, what was sent,
  rejected and acknowledged, and how the run ended;
- `ops.publish_rejects`: records a destination refused, with its reason. A rejected
  payload is not sent again until it changes, so a bad record is not retried for ever;
- `ops.publish_deliveries`: the outreach memory, per destination, customer and as-of
  date: the system, the treatment code upserted or removed, and the run. It is written
  with the state, in the same transaction, so the two never disagree;
  `marts.treatment_history` is built from it. A warehouse that published before the
  log existed has it seeded, on a destination's first delivery since, with what the
  destination already holds (`adopt_holdings`).

Their DDL is in `ladder.warehouse.migrations`.

The state is updated batch by batch, in the transaction that records the batch's answer:
a run killed half-way resumes where it stopped, and resends the unanswered batch with
the same content (and so the same idempotency key).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import psycopg

from ladder.errors import LadderError
from ladder.publish.lists import TreatmentList

# The delivery log's name for each action of a diff.
LOGGED_ACTION = {"upsert": "upsert", "remove": "removal"}


@dataclass
class Change:
    action: str  # upsert or remove
    customer_id: str
    payload: str | None  # the JSON text sent
    payload_hash: str | None
    # The code upserted, or removed: the last one logged for the customer, unknown (None)
    # when it was delivered before the delivery log existed.
    treatment_code: str | None = None


@dataclass
class Diff:
    upserts: list[Change] = field(default_factory=list)
    removals: list[Change] = field(default_factory=list)


def newer_delivery(conn: psycopg.Connection, destination: str, as_of: date) -> date | None:
    """The latest date after D whose list reached the destination, if any."""
    return conn.execute(
        "select max(as_of_date) from ops.publish_runs where destination = %s"
        " and status = 'succeeded' and not dry_run and as_of_date > %s",
        (destination, as_of),
    ).fetchone()[0]


def check_as_of(conn: psycopg.Connection, lst: TreatmentList, as_of: date) -> None:
    dates = conn.execute(f"select distinct as_of_date from {lst.mart}").fetchall()
    if dates and dates != [(as_of,)]:
        built = ", ".join(str(d[0]) for d in dates)
        raise LadderError(
            f"{lst.mart} was built for {built}, not {as_of}: publishing it as {as_of} would "
            f"send another day's list; build the marts for {as_of} first "
            f"(`ladder transform --as-of {as_of}`)"
        )


def diff(conn: psycopg.Connection, destination: str, lst: TreatmentList,
         full_resync: bool) -> Diff:  # fmt: skip
    """What `destination` must change to hold today's list: every customer whose payload
    it does not hold (all of them on a full resync), and every customer it holds who left
    the list. Payloads rejected before, unchanged since, are not sent again. A removal
    carries the treatment code last delivered to the customer there, for the log."""
    rows = conn.execute(
        f"""
        with desired as (
            select customer_id, payload, md5(payload::text) as payload_hash
            from ({lst.payload_sql}) as list
        ),
        delivered as (
            select customer_id, payload_hash
            from ops.publish_state
            where destination = %(destination)s
        ),
        refused as (
            select distinct customer_id, payload_hash
            from ops.publish_rejects
            where destination = %(destination)s and action = 'upsert'
        )
        select
            'upsert', desired.customer_id, desired.payload::text, desired.payload_hash,
            desired.payload ->> 'treatment_code'
        from desired
        left join delivered on desired.customer_id = delivered.customer_id
        where
            (%(full)s or delivered.payload_hash is distinct from desired.payload_hash)
            and not exists (
                select 1 from refused
                where refused.customer_id = desired.customer_id
                    and refused.payload_hash = desired.payload_hash
            )
        union all
        select 'remove', delivered.customer_id, null, null, last_delivery.treatment_code
        from delivered
        left join desired on delivered.customer_id = desired.customer_id
        left join lateral (
            select treatment_code
            from ops.publish_deliveries
            where
                destination = %(destination)s
                and customer_id = delivered.customer_id
                and action = 'upsert'
            order by as_of_date desc
            limit 1
        ) as last_delivery on true
        where desired.customer_id is null
        order by 1 desc, 2
        """,
        {"destination": destination, "full": full_resync},
    ).fetchall()
    result = Diff()
    for action, customer, payload, payload_hash, treatment_code in rows:
        change = Change(action, customer, payload, payload_hash, treatment_code)
        (result.upserts if action == "upsert" else result.removals).append(change)
    return result


def start_run(conn: psycopg.Connection, destination: str, as_of: date, changes: Diff,
              dry_run: bool, full_resync: bool) -> int:  # fmt: skip
    run_id = conn.execute(
        "insert into ops.publish_runs (destination, as_of_date, dry_run, full_resync,"
        " upserts, removals) values (%s, %s, %s, %s, %s, %s) returning run_id",
        (destination, as_of, dry_run, full_resync, len(changes.upserts), len(changes.removals)),
    ).fetchone()[0]
    conn.commit()
    return run_id


def adopt_holdings(conn: psycopg.Connection, run_id: int, destination: str, lst: TreatmentList,
                   as_of: date) -> int:  # fmt: skip
    """The first delivery to a destination since the log exists, in a warehouse that
    published before it: every customer the destination already holds tonight's payload
    for (the same hash) is logged as an upsert of that payload's treatment on the date
    the state records, so the outreach memory starts with what each system holds, not
    empty. (Others are upserted or removed tonight and logged then; what a removed
    customer held is unknown.) Returns the customers logged."""
    if conn.execute(
        "select exists (select 1 from ops.publish_deliveries where destination = %s)",
        (destination,),
    ).fetchone()[0]:
        conn.commit()
        return 0
    adopted = conn.execute(
        f"""
        insert into ops.publish_deliveries
            (destination, customer_id, as_of_date, system, treatment_code, action, run_id)
        select
            -- (a run of a later date that failed half-way may have left its date)
            %(destination)s, state.customer_id, least(state.as_of_date, %(as_of)s),
            %(system)s, desired.payload ->> 'treatment_code', 'upsert', %(run_id)s
        from ops.publish_state as state
        inner join ({lst.payload_sql}) as desired on state.customer_id = desired.customer_id
        where
            state.destination = %(destination)s
            and state.payload_hash = md5(desired.payload::text)
        """,
        {"destination": destination, "as_of": as_of, "system": lst.system, "run_id": run_id},
    ).rowcount
    conn.commit()
    return adopted


def record_batch(conn: psycopg.Connection, run_id: int, destination: str, system: str,
                 as_of: date, batch: list[Change], rejected: dict[int, str]) -> None:  # fmt: skip
    """A batch's answer: acknowledged records into the state and the delivery log,
    rejects into theirs, in one transaction."""
    accepted = [c for i, c in enumerate(batch) if i not in rejected]
    with conn.transaction():
        if accepted:
            log_deliveries(conn, run_id, destination, system, as_of, accepted)
        upserted = [c for c in accepted if c.action == "upsert"]
        if upserted:
            # One statement per batch (arrays, unnested in the server): a round trip per
            # row would cost more than the destination's answer. The arrays go in binary,
            # which psycopg writes without quoting each element.
            conn.execute(
                """
                insert into ops.publish_state (destination, customer_id, payload_hash, as_of_date)
                select %s, customer_id, payload_hash, %s
                from unnest(%b::text[], %b::text[]) as batch (customer_id, payload_hash)
                on conflict (destination, customer_id) do update set
                    payload_hash = excluded.payload_hash, as_of_date = excluded.as_of_date,
                    delivered_at = now()
                """,
                (
                    destination,
                    as_of,
                    [c.customer_id for c in upserted],
                    [c.payload_hash for c in upserted],
                ),
            )
        removed = [c.customer_id for c in accepted if c.action == "remove"]
        if removed:
            conn.execute(
                "delete from ops.publish_state where destination = %s and customer_id = any(%s)",
                (destination, removed),
            )
        if rejected:
            conn.cursor().executemany(
                "insert into ops.publish_rejects (run_id, destination, customer_id, action,"
                " payload_hash, reason, as_of_date) values (%s, %s, %s, %s, %s, %s, %s)",
                [
                    (
                        run_id,
                        destination,
                        batch[i].customer_id,
                        batch[i].action,
                        batch[i].payload_hash,
                        reason,
                        as_of,
                    )
                    for i, reason in rejected.items()
                ],
            )
        conn.execute(
            "update ops.publish_runs set sent = sent + %s, rejected = rejected + %s,"
            " batches = batches + 1 where run_id = %s",
            (len(accepted), len(rejected), run_id),
        )


def log_deliveries(conn: psycopg.Connection, run_id: int, destination: str, system: str,
                   as_of: date, accepted: list[Change]) -> None:  # fmt: skip
    """One row per customer and night in `ops.publish_deliveries`. A rerun of the date
    (a resync, or a list rebuilt for the same date) writes a row again only if what the
    destination holds after it changed: the row says what the night left there."""
    conn.execute(
        """
        insert into ops.publish_deliveries
            (destination, customer_id, as_of_date, system, treatment_code, action, run_id)
        select %s, customer_id, %s, %s, treatment_code, action, %s
        from unnest(%b::text[], %b::text[], %b::text[])
            as batch (customer_id, treatment_code, action)
        on conflict (destination, customer_id, as_of_date) do update set
            treatment_code = excluded.treatment_code, action = excluded.action,
            run_id = excluded.run_id, recorded_at = now()
        where (publish_deliveries.treatment_code, publish_deliveries.action)
            is distinct from (excluded.treatment_code, excluded.action)
        """,
        (
            destination,
            as_of,
            system,
            run_id,
            [c.customer_id for c in accepted],
            [c.treatment_code for c in accepted],
            [LOGGED_ACTION[c.action] for c in accepted],
        ),
    )


def finish_run(conn: psycopg.Connection, run_id: int, status: str) -> None:
    conn.execute(
        "update ops.publish_runs set status = %s, finished_at = now() where run_id = %s",
        (status, run_id),
    )
    conn.commit()
