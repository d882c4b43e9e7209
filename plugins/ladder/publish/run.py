"""`ladder publish`: today's treatment lists to their systems, only what changed.

Per destination: compute the diff against `ops.publish_state`, open a run in
`ops.publish_runs`, send upserts then removals in batches of at most `max_batch`
(sorted by customer, so a rerun after a crash cuts the same batches and their
idempotency keys match), and record each batch's answer in the ledger as it comes (the
next batch is sent meanwhile). The log names counts only: payloads hold email
addresses and reasons, which stay out of it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date

import psycopg

from ladder import config
from ladder.publish import ledger
from ladder.publish.destinations import (
    ROUTES,
    Destination,
    open_destination,
    require_connections,
    route,
)
from ladder.publish.lists import LISTS
from ladder.warehouse.migrations import migrate

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PublishResult:
    destination: str
    as_of: date
    upserts: int
    removals: int
    sent: int
    rejected: int
    batches: int
    dry_run: bool
    skipped_for: date | None = None  # a later date's list was delivered already

    def render(self) -> str:
        head = f"publish {self.destination} as of {self.as_of}"
        if self.skipped_for is not None:
            return f"{head}: skipped, the list of {self.skipped_for} was delivered already"
        diff = f"{self.upserts:,} to add or change, {self.removals:,} to remove"
        if self.dry_run:
            return f"{head} (dry run, nothing sent): {diff}"
        return (
            f"{head}: {diff}; sent {self.sent:,} in {self.batches:,} batches, "
            f"{self.rejected:,} rejected (see ops.publish_rejects)"
        )


def publish(
    as_of: date,
    names: list[str] | None = None,
    *,
    dry_run: bool = False,
    full_resync: bool = False,
    warehouse_url: str | None = None,
) -> list[PublishResult]:
    if warehouse_url is None:
        from ladder.warehouse import resolve_warehouse

        warehouse_url = resolve_warehouse().url
    names = names or list(ROUTES)
    if not dry_run:
        require_connections(names)  # before any run is opened or anything sent
    results = []
    for name in names:
        route(name)
        result = _publish_list(name, as_of, dry_run, full_resync, warehouse_url)
        log.info(result.render())
        results.append(result)
    return results


def _publish_list(name: str, as_of: date, dry_run: bool, full_resync: bool,
                  warehouse_url: str) -> PublishResult:  # fmt: skip
    max_batch = int(config.section("destinations").get(name, {}).get("max_batch", 1000))
    lst = LISTS[route(name).list_name]
    migrate(warehouse_url)
    with psycopg.connect(warehouse_url) as conn:
        newer = ledger.newer_delivery(conn, name, as_of)
        if newer is not None:
            # Sending D's list after D' > D was delivered would turn the system back a day.
            log.warning(
                "%s: the list of %s was delivered already; %s is not sent", name, newer, as_of
            )
            return PublishResult(name, as_of, 0, 0, 0, 0, 0, dry_run, skipped_for=newer)
        ledger.check_as_of(conn, lst, as_of)
        changes = ledger.diff(conn, name, lst, full_resync)
        run_id = ledger.start_run(conn, name, as_of, changes, dry_run, full_resync)
        sent = rejected = batches = 0
        if not dry_run:
            ledger.adopt_holdings(conn, run_id, name, lst, as_of)
            destination = open_destination(name, as_of, warehouse_url)
            try:
                for batch, refused in _answered_batches(destination, changes, max_batch):
                    ledger.record_batch(conn, run_id, name, lst.system, as_of, batch, refused)
                    sent += len(batch) - len(refused)
                    rejected += len(refused)
                    batches += 1
            except BaseException:
                ledger.finish_run(conn, run_id, "failed")
                raise
            finally:
                destination.close()
        ledger.finish_run(conn, run_id, "dry run" if dry_run else "succeeded")
    return PublishResult(name, as_of, len(changes.upserts), len(changes.removals), sent,
                         rejected, batches, dry_run)  # fmt: skip


def _answered_batches(
    destination: Destination, changes: ledger.Diff, max_batch: int
) -> Iterator[tuple[list[ledger.Change], dict[int, str]]]:
    """Each batch with the records the destination refused, in order. The next batch is
    on its way while the caller records this one's answer: the destination's work and the
    ledger's overlap. A run killed in between has at most two batches answered and not
    recorded, both whole; the rerun cuts them again, with the same keys."""
    cuts = [
        (action, todo[start : start + max_batch])
        for action, todo in (("upsert", changes.upserts), ("remove", changes.removals))
        for start in range(0, len(todo), max_batch)
    ]
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="publish") as sender:

        def send(action: str, batch: list[ledger.Change]) -> Future:
            records = [c.payload if action == "upsert" else c.customer_id for c in batch]
            return sender.submit(destination.send, action, records)

        in_flight = send(*cuts[0]) if cuts else None
        for index, (_, batch) in enumerate(cuts):
            answer = in_flight
            if index + 1 < len(cuts):
                in_flight = send(*cuts[index + 1])
            yield batch, answer.result()


def publish_task(name: str) -> dict[str, int]:
    """The Airflow task of one destination: D from the run, counts to XCom (never payloads)."""
    from airflow.sdk import get_current_context

    from ladder.as_of import as_of_date

    result = publish(as_of_date(get_current_context()), [name])[0]
    print(result.render())
    return {"sent": result.sent, "rejected": result.rejected, "removals": result.removals}
