"""`ladder simulate`: demo nights in a row, so that outreach, history and treatment
outcomes can be studied over weeks of business (issue 20, deliverable 9).

Night k of a simulation has the as-of date D = the demo company's end + k: it appends
the day before D to the demo's source systems (`ladder demo-data --append-day`), then
runs what `ladder_nightly` runs, through the functions its tasks call but without
Airflow (dbt through the project's runner, not Cosmos): extract, validate_raw, the
transform stage, score_clv, the marts into the shadow schema, validate_marts, the
promotion, and publishing to the sandboxes (the three lists and the daily service file).

A simulation is idempotent: a night whose lists every destination has received
(`ops.publish_runs`) is skipped, so a rerun of `--days N` does nothing and a longer one
carries on where the last stopped. A failed gate stops the simulation with the gate's
message (fail closed), unless told to carry on.
"""

from __future__ import annotations

import csv
import os
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import psycopg

from ladder import config, mode
from ladder.errors import LadderError
from ladder.transform.dbt import DbtSession

# A night's stages in the order they run, as the CSV's columns and the report's rows.
STAGES = ("append_day", "extract", "validate_raw", "transform", "score_clv",
          "prepare_marts", "marts", "validate_marts", "promote", "publish")  # fmt: skip


@dataclass
class Night:
    """One simulated night: its as-of date, seconds per stage, and a gate's failure when
    the simulation was told to carry on past it."""

    as_of: date
    seconds: dict[str, float] = field(default_factory=dict)
    gate_failures: list[str] = field(default_factory=list)

    @property
    def total(self) -> float:
        return sum(self.seconds.values())

    def render(self, number: int) -> str:
        stages = ", ".join(f"{stage} {self.seconds[stage]:.1f}" for stage in self.seconds)
        failed = "".join(f"\n  gate FAILED (carried on): {f}" for f in self.gate_failures)
        return f"night {number} as of {self.as_of}: {self.total:.1f} s ({stages}){failed}"


class _Stopwatch:
    def __init__(self, night: Night) -> None:
        self.night = night

    @contextmanager
    def __call__(self, stage: str) -> Iterator[None]:
        began = time.perf_counter()
        try:
            yield
        finally:
            self.night.seconds[stage] = time.perf_counter() - began


def run_night(
    as_of: date,
    warehouse_url: str,
    *,
    ignore_gate_failures: bool = False,
    dbt: DbtSession | None = None,
) -> Night:
    """One night as of D: the day before D appended to the demo company, then the nightly
    run's stages. Raises GateFailed when a gate fails, unless `ignore_gate_failures`
    (then the failure is in the returned night and the night goes on). Nights in a row
    should share one `dbt` session: it parses the project once, not twice a night."""
    from ladder.clv.nightly import score_clv
    from ladder.demo.load import append_day
    from ladder.extract.helpdesk import extract_helpdesk
    from ladder.extract.sales import extract_sales
    from ladder.publish.files import drop_service_file
    from ladder.publish.run import publish
    from ladder.quality.gates import GateFailed, run_gate
    from ladder.transform.promote import SHADOW, prepare_shadow, promote
    from ladder.transform.stages import MARTS_SELECT, MARTS_VARS, TRANSFORM_SELECT, build_stage
    from ladder.warehouse.migrations import migrate

    # The models read tables Ladder writes outside dbt (the suppression list) as sources.
    migrate(warehouse_url)
    night = Night(as_of)
    stage = _Stopwatch(night)

    def gate(name: str, **where: str) -> None:
        try:
            # Data Docs are built for a failed gate only: rendering them is most of a
            # passing gate's time, and grows with every night's results.
            run_gate(name, warehouse_url, as_of=as_of, data_docs=False, **where)
        except GateFailed as failed:
            if not ignore_gate_failures:
                raise
            night.gate_failures.append(str(failed))

    with stage("append_day"):
        append_day(as_of - timedelta(days=1))
    with stage("extract"):
        extract_sales(as_of)
        extract_helpdesk(as_of)
    with stage("validate_raw"):
        gate("raw")
    with stage("transform"):
        build_stage(TRANSFORM_SELECT, as_of, warehouse_url=warehouse_url, capture=True,
                    session=dbt)  # fmt: skip
    with stage("score_clv"):
        score_clv(as_of, warehouse_url)
    with stage("prepare_marts"):
        prepare_shadow(as_of, warehouse_url)
    with stage("marts"):
        build_stage(MARTS_SELECT, as_of, warehouse_url=warehouse_url, capture=True,
                    dbt_vars=MARTS_VARS, session=dbt)  # fmt: skip
    with stage("validate_marts"):
        gate("marts", schema=SHADOW)
    with stage("promote"):
        promote(as_of, warehouse_url)
    with stage("publish"):
        publish(as_of, warehouse_url=warehouse_url)
        drop_service_file(as_of, warehouse_url)
    return night


def published(warehouse_url: str, as_of: date) -> bool:
    """Whether every destination has received D's list (the night is done)."""
    from ladder.publish.destinations import ROUTES

    with psycopg.connect(warehouse_url) as conn:
        if conn.execute("select to_regclass('ops.publish_runs')").fetchone()[0] is None:
            return False
        done = conn.execute(
            "select count(distinct destination) from ops.publish_runs where as_of_date = %s"
            " and status = 'succeeded' and not dry_run and destination = any(%s)",
            (as_of, list(ROUTES)),
        ).fetchone()[0]
    return done == len(ROUTES)


@dataclass
class Simulation:
    customers: int
    seed: int
    nights: list[Night]
    skipped: list[date]
    csv_path: Path

    def render(self) -> str:
        ran = len(self.nights)
        lines = [f"simulated {ran} night{'' if ran == 1 else 's'} of {self.customers:,} "
                 f"customers (seed {self.seed})"]  # fmt: skip
        if self.skipped:
            lines.append(
                f"  skipped {len(self.skipped)} nights done already "
                f"({self.skipped[0]} to {self.skipped[-1]})"
            )
        if self.nights:
            totals = [n.total for n in self.nights]
            lines.append(
                f"  per night: mean {statistics.mean(totals):.1f} s, median "
                f"{statistics.median(totals):.1f} s, total {sum(totals) / 60:.1f} min"
            )
            means = {s: statistics.mean(n.seconds.get(s, 0.0) for n in self.nights)
                     for s in STAGES}  # fmt: skip
            whole = sum(means.values()) or 1.0
            lines.append("  mean seconds per stage:")
            lines += [f"    {s:<16} {m:>8.1f}  {m / whole:6.1%}" for s, m in means.items()]
            lines.append(f"  dominated by: {max(means, key=means.__getitem__)}")
        lines.append(f"  per night and stage: {self.csv_path}")
        return "\n".join(lines)


def simulate(
    days: int,
    customers: int | None = None,
    seed: int | None = None,
    *,
    ignore_gate_failures: bool = False,
    fresh: bool = False,
    on_night: Callable[[int, Night], None] | None = None,
) -> Simulation:
    """Run nights 1..`days` of the demo company with `customers` and `seed` (default: the
    `demo` section of ladder.yml), with the sandboxes up for all of them; nights done
    already are skipped. `on_night` hears of each night as it ends (the CLI prints it).
    Writes one CSV row per night run; raises GateFailed on a failed gate unless
    `ignore_gate_failures`."""
    from ladder.demo.run import HelpdeskSandbox, destination_sandbox
    from ladder.warehouse import resolve_warehouse, uses_embedded_warehouse
    from ladder.warehouse.resolve import start_embedded_warehouse

    # The demo's stand-ins (sandboxes, the shop and helpdesk databases) are the sources
    # and destinations, as in `ladder demo`; sandbox children inherit it.
    os.environ[mode.VARIABLE] = mode.DEMO
    settings = config.section("demo")
    customers = customers or int(settings["customers"])
    seed = int(settings["seed"]) if seed is None else seed
    end = _day(settings["end"])
    if uses_embedded_warehouse():
        start_embedded_warehouse()
    if fresh:
        _start_over()
    warehouse_url = resolve_warehouse().url
    _ensure_company(customers, seed, _day(settings["start"]), end, warehouse_url)
    out = config.project_path(settings["simulate_dir"]) / (
        f"{customers}c-seed{seed}-{datetime.now(UTC):%Y%m%dT%H%M%S}.csv"
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    result = Simulation(customers, seed, [], [], out)
    dbt = DbtSession(warehouse_url)
    helpdesk_port = int(config.section("sources")["helpdesk"]["sandbox"]["port"])
    destinations = config.section("destinations")
    with ExitStack() as sandboxes, out.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["night", "as_of_date", *STAGES, "total", "gate_failures"])
        started = False
        for number in range(1, days + 1):
            as_of = end + timedelta(days=number)
            if published(warehouse_url, as_of):
                result.skipped.append(as_of)
                continue
            if not started:  # once, for every night to run: a start takes seconds
                sandboxes.enter_context(HelpdeskSandbox(helpdesk_port))
                for system in ("marketing", "service"):
                    sandboxes.enter_context(destination_sandbox(system, destinations))
                started = True
            night = run_night(
                as_of, warehouse_url, ignore_gate_failures=ignore_gate_failures, dbt=dbt
            )
            result.nights.append(night)
            writer.writerow([number, as_of.isoformat(),
                             *(f"{night.seconds.get(s, 0.0):.2f}" for s in STAGES),
                             f"{night.total:.2f}", " | ".join(night.gate_failures)])  # fmt: skip
            file.flush()
            if on_night:
                on_night(number, night)
    return result


def _day(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _ensure_company(customers: int, seed: int, start: date, end: date, warehouse_url: str):
    """The demo company with these settings, generated unless it is loaded already. A
    new company on a warehouse that holds another's data would mix the two: refused."""
    from ladder.demo.load import create_demo_company
    from ladder.warehouse import resolve_warehouse

    shop = config.section("demo").get("sales_database", "shop")
    try:
        with psycopg.connect(resolve_warehouse().database_url(shop)) as conn:
            loaded = conn.execute(
                "select seed, customers, start_date, end_date from demo_truth.generation"
            ).fetchone()
    except psycopg.Error:
        loaded = None
    if loaded == (seed, customers, start, end):
        return
    with psycopg.connect(warehouse_url) as conn:
        landed = conn.execute("select to_regnamespace('raw')").fetchone()[0] is not None
    if landed:
        raise LadderError(
            f"the warehouse holds data of another demo company than {customers:,} customers "
            f"with seed {seed}; `ladder simulate --fresh` starts over (it empties the "
            "warehouse, the service desk database and the sandboxes' state)"
        )
    print(create_demo_company(customers=customers, seed=seed, start=start, end=end).render(),
          flush=True)  # fmt: skip


def _start_over() -> None:
    """An empty warehouse database, service desk database, sandbox state and dlt folder,
    and no demo company: the demo's own, which only demo mode uses. The company goes too,
    because the nights run have appended their days to it: kept, it would start the next
    run with the last one's future in its sources."""
    import shutil

    from psycopg import sql

    from ladder.extract.pipeline import pipelines_dir
    from ladder.warehouse import resolve_warehouse

    target = resolve_warehouse()
    demo = config.section("demo")
    databases = [
        psycopg.conninfo.conninfo_to_dict(target.url)["dbname"],
        config.section("destinations")["service_table"]["demo_database"],
        demo["sales_database"],
        demo["helpdesk_database"],
    ]
    with psycopg.connect(target.database_url("postgres"), autocommit=True) as conn:
        for name in databases:
            conn.execute(sql.SQL("drop database if exists {} with (force)").format(
                sql.Identifier(name)))  # fmt: skip
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(databases[0])))
    for system in ("marketing", "service"):
        state = config.project_path(config.section("destinations")[system]["sandbox"]["state"])
        for path in state.parent.glob(f"{state.name}*"):
            path.unlink()
    shutil.rmtree(pipelines_dir(), ignore_errors=True)
