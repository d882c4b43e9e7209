"""The delivery log `ops.publish_deliveries` (outreach memory, DESIGN §6): written by the
ledger with the state in one transaction, once per destination, customer and night, with
the treatment code of each upsert and of each removal; dry runs write nothing."""

from __future__ import annotations

from datetime import timedelta

import psycopg
import pytest

from ladder.publish.run import publish
from tests.publish.conftest import sandbox
from tests.publish.test_publish import CODES, D, write_lists

LOG = (
    "select destination, customer_id, as_of_date, system, treatment_code, action, run_id,"
    " recorded_at from ops.publish_deliveries order by 1, 2, 3"
)


def logged(url: str) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(LOG).fetchall()


def state(url: str, destination: str) -> set[str]:
    with psycopg.connect(url) as conn:
        return {
            c
            for (c,) in conn.execute(
                "select customer_id from ops.publish_state where destination = %s",
                (destination,),
            )
        }


def test_every_delivery_is_logged_once_with_its_system_and_treatment(world) -> None:
    url, ports, folder = world
    write_lists(url, 60)
    with sandbox("marketing", ports, folder), sandbox("service", ports, folder):
        publish(D, dry_run=True, warehouse_url=url)
        assert logged(url) == []  # a dry run sends nothing, so delivers nothing
        publish(D, warehouse_url=url)
        first = logged(url)
        # A rerun of D sends nothing; a full resync sends everything again, the same.
        publish(D, warehouse_url=url)
        publish(D, full_resync=True, warehouse_url=url)
        assert logged(url) == first
        # The next night: ten customers left the lists, the rest stay as they are.
        night = D + timedelta(days=1)
        write_lists(url, 60, leave=10)
        with psycopg.connect(url) as conn:
            for mart in ("payload_marketing_audience", "payload_service_profile"):
                conn.execute(f"update marts.{mart} set as_of_date = %s", (night,))
        publish(night, dry_run=True, warehouse_url=url)
        assert logged(url) == first
        publish(night, warehouse_url=url)
    assert len(first) == 3 * 60
    code = {f"C{i:05d}": CODES[i % 3] for i in range(60)}
    systems = {"marketing": "marketing", "service": "service", "service_table": "service"}
    with psycopg.connect(url) as conn:
        runs = dict(
            conn.execute(
                "select destination, run_id from ops.publish_runs"
                " where as_of_date = %s and status = 'succeeded' and upserts > 0"
                " and not full_resync",
                (D,),
            ).fetchall()
        )
    for destination, customer, day, system, treatment, action, run_id, _ in first:
        assert (day, system, action, run_id) == (D, systems[destination], "upsert",
                                                 runs[destination])  # fmt: skip
        assert treatment == (code[customer] if system == "marketing" else "SELF_SERVICE_GUIDANCE")
    removals = [row[:6] for row in logged(url) if row[2] == night]
    # Each removal carries the code it took away.
    assert sorted(removals) == sorted(
        (destination, f"C{i:05d}", night, systems[destination],
         code[f"C{i:05d}"] if destination == "marketing" else "SELF_SERVICE_GUIDANCE", "removal")
        for destination in systems
        for i in range(10)
    )  # fmt: skip
    for destination in systems:
        assert state(url, destination) == {f"C{i:05d}" for i in range(10, 60)}


def test_a_batch_whose_log_fails_records_neither_state_nor_log(world) -> None:
    """The service desk's table takes batches of 40; the log refuses C00050, in the second
    batch. The first batch is recorded whole, the second not at all; a rerun then records
    the second once."""
    url, _, _ = world
    write_lists(url, 100)
    publish(D, ["service_table"], dry_run=True, warehouse_url=url)  # migrates the warehouse
    with psycopg.connect(url) as conn:
        conn.execute(
            """
            create function ops.refuse_c00050() returns trigger language plpgsql as $$
            begin
                if new.customer_id = 'C00050' then
                    raise exception 'the log refuses C00050';
                end if;
                return new;
            end $$;
            create trigger refuse before insert on ops.publish_deliveries
                for each row execute function ops.refuse_c00050();
            """
        )
    with pytest.raises(psycopg.errors.RaiseException, match="refuses C00050"):
        publish(D, ["service_table"], warehouse_url=url)
    first_batch = {f"C{i:05d}" for i in range(40)}
    assert state(url, "service_table") == first_batch
    assert {row[1] for row in logged(url)} == first_batch
    with psycopg.connect(url) as conn:
        conn.execute("drop trigger refuse on ops.publish_deliveries")
        failed = conn.execute(
            "select status from ops.publish_runs where not dry_run order by run_id"
        ).fetchall()
    assert failed == [("failed",)]
    rerun = publish(D, ["service_table"], warehouse_url=url)[0]
    assert (rerun.upserts, rerun.sent) == (60, 60)
    log = logged(url)
    assert len(log) == 100 and {row[1] for row in log} == state(url, "service_table")
    assert len({row[6] for row in log}) == 2  # the first run's batch, and the rerun's


def test_a_removal_of_a_treatment_delivered_before_the_log_has_no_code(world) -> None:
    url, _, _ = world
    write_lists(url, 20)
    publish(D, ["service_table"], warehouse_url=url)
    with psycopg.connect(url) as conn:
        # As a warehouse upgraded from before the log holds it: state, no log.
        conn.execute("delete from ops.publish_deliveries where customer_id = 'C00000'")
    write_lists(url, 20, leave=2)
    publish(D, ["service_table"], warehouse_url=url)
    removed = {row[1]: row[4:6] for row in logged(url) if row[5] == "removal"}
    assert removed == {"C00000": (None, "removal"), "C00001": ("SELF_SERVICE_GUIDANCE", "removal")}


def test_the_first_delivery_after_an_upgrade_logs_what_the_destination_holds(world) -> None:
    """A warehouse that published before the log existed: the state, no log. The next
    night logs the customers whose payload the table holds as delivered on the state's
    date, and the others as tonight's changes."""
    url, _, _ = world
    write_lists(url, 20)
    publish(D, ["service_table"], warehouse_url=url)
    with psycopg.connect(url) as conn:
        conn.execute("delete from ops.publish_deliveries")
    night = D + timedelta(days=1)
    write_lists(url, 20, leave=2, review={"C00019"})
    with psycopg.connect(url) as conn:
        conn.execute("update marts.payload_service_profile set as_of_date = %s", (night,))
    publish(night, ["service_table"], dry_run=True, warehouse_url=url)
    assert logged(url) == []
    publish(night, ["service_table"], warehouse_url=url)
    log = {row[1]: (row[2], row[4], row[5]) for row in logged(url)}
    assert log == {
        "C00000": (night, None, "removal"),
        "C00001": (night, None, "removal"),
        "C00019": (night, "SELF_SERVICE_GUIDANCE", "upsert"),  # its tier changed
        **{f"C{i:05d}": (D, "SELF_SERVICE_GUIDANCE", "upsert") for i in range(2, 19)},
    }
    # Adopted once: a rerun adds nothing.
    before = logged(url)
    publish(night, ["service_table"], warehouse_url=url)
    assert logged(url) == before
