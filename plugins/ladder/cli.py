"""The `ladder` command: `ladder <group> <action> ...`, see `ladder --help`."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from datetime import date

from ladder.errors import LadderError


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage mistake is one line on stderr and exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date in YYYY-MM-DD form") from None


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be greater than 0, got {value}")
    return value


def _warehouse(args: argparse.Namespace) -> None:
    from ladder.warehouse import embedded_warehouse, resolve_warehouse

    server = embedded_warehouse()
    if args.port:
        server.port = args.port
    if args.action == "start":
        from ladder.warehouse.resolve import start_embedded_warehouse

        server = start_embedded_warehouse(args.port)
        status = server.status()
        print(f"embedded warehouse running on 127.0.0.1:{status.port} (pid {status.pid})")
        print(f"  data: {server.pgdata}")
        print('  psql: psql "$(ladder warehouse url)"')
    elif args.action == "stop":
        server.stop()
        print("embedded warehouse stopped")
    elif args.action == "status":
        status = server.status()
        state = (
            f"running on 127.0.0.1:{status.port} (pid {status.pid})"
            if status.running
            else "stopped"
        )
        print(f"embedded warehouse: {state}, data in {server.pgdata}")
        target = resolve_warehouse()
        print(f"warehouse in use: {target.redacted()} (from {target.source})")
    elif args.action == "url":
        target = resolve_warehouse()
        print(target.database_url(args.database) if args.database else target.url)


def _demo_data(args: argparse.Namespace) -> None:
    from ladder.demo.load import append_day, create_demo_company

    if args.append_day:
        summary = append_day(args.append_day)
    else:
        if args.end <= args.start:
            raise LadderError(f"--end {args.end} must be after --start {args.start}")
        summary = create_demo_company(
            customers=args.customers, seed=args.seed, start=args.start, end=args.end
        )
    print(summary.render())


def _sandbox(args: argparse.Namespace) -> None:
    from ladder import config
    from ladder.sandbox.guard import Faults

    faults = Faults(
        error_rate=args.fault_rate,
        slow_rate=args.slow_rate,
        drop_rate=args.drop_rate,
        seed=args.seed,
    )
    if args.system != "helpdesk":
        from ladder.sandbox import destinations

        settings = config.section("destinations")[args.system]["sandbox"]
        port = args.port or int(settings["port"])
        state = config.project_path(args.state or settings["state"])
        print(f"{args.system} sandbox on http://127.0.0.1:{port}, state in {state}"
              " (Ctrl-C stops it)", flush=True)  # fmt: skip
        destinations.serve(args.system, state, args.token or settings["token"], port,
                           args.max_batch or int(settings["max_batch"]), args.rate_limit,
                           faults)  # fmt: skip
        return

    from ladder.sandbox.helpdesk import serve
    from ladder.warehouse import resolve_warehouse

    settings = config.section("sources")["helpdesk"]["sandbox"]
    database = args.database or config.section("demo").get("helpdesk_database", "helpdesk")
    port = args.port or int(settings["port"])
    print(f"helpdesk sandbox on http://127.0.0.1:{port} (Ctrl-C stops it)", flush=True)
    serve(
        resolve_warehouse().database_url(database),
        args.token or settings["token"],
        "127.0.0.1",
        port,
        args.rate_limit,
        faults,
    )


def _extract(args: argparse.Namespace) -> None:
    from ladder.connections import HELPDESK, SALES_DB, require
    from ladder.extract.helpdesk import extract_helpdesk
    from ladder.extract.sales import extract_sales

    runs = {"sales": (extract_sales, SALES_DB), "helpdesk": (extract_helpdesk, HELPDESK)}
    names = list(runs) if args.source == "all" else [args.source]
    require(*(runs[name][1] for name in names))  # all of them before the first is read
    for name in names:
        print(runs[name][0](args.as_of).render(), flush=True)


def _transform(args: argparse.Namespace) -> None:
    from ladder.transform import run_dbt
    from ladder.transform.stages import build_warehouse

    if args.select:
        run_dbt(["build", "--select", *args.select], args.as_of)
    else:
        print(build_warehouse(args.as_of, validate=True).render())


def _dbt(args: argparse.Namespace) -> None:
    from ladder.transform import run_dbt

    run_dbt(args.dbt_args, args.as_of)


def _sqlfluff(args: argparse.Namespace) -> None:
    from ladder.transform.dbt import lint_sql

    returncode = lint_sql(args.sqlfluff_args)
    if returncode:
        sys.exit(returncode)


def _rate(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, got {value}")
    return value


def _positive_number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be greater than 0, got {text}")
    return value


def _clv(args: argparse.Namespace) -> None:
    from pathlib import Path

    from ladder.clv.commands import fit_file, score_file
    from ladder.clv.settings import annual_discount_rate
    from ladder.clv.transactions import Columns

    path = Path(args.transactions)
    columns = Columns(args.customer_col, args.date_col, args.amount_col)
    if args.action == "fit":
        fit_file(path, args.as_of, args.time_unit, columns)
    else:
        rate = annual_discount_rate()
        score_file(path, args.as_of, args.time_unit, columns, args.horizon, Path(args.out), rate)


def _publish(args: argparse.Namespace) -> None:
    from ladder.publish.run import publish

    for result in publish(
        args.as_of, args.destination, dry_run=args.dry_run, full_resync=args.full_resync
    ):
        print(result.render())


def _validate(args: argparse.Namespace) -> None:
    from ladder.quality.gates import run_gate

    if args.accept:
        from ladder.quality.metrics import accept
        from ladder.warehouse import resolve_warehouse

        accept(resolve_warehouse().url, args.as_of, args.gate, args.accept)
    print(run_gate(args.gate, as_of=args.as_of).render())


def _report(args: argparse.Namespace) -> None:
    from ladder.report import build_report, reports_dir

    page = build_report(args.as_of)
    print(f"run report as of {args.as_of}: {page}")
    print(f"  the newest date's: {reports_dir() / 'latest' / 'index.html'}")


def _demo(args: argparse.Namespace) -> None:
    from ladder.demo.run import run_demo

    run_demo()
    # The demo has loaded Airflow, whose teardown at interpreter exit takes seconds;
    # everything is written and every child has stopped, so the process ends here.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def _airflow(args: argparse.Namespace) -> None:
    from ladder.local_airflow import run_airflow

    run_airflow(args.host, args.port)


def _simulate(args: argparse.Namespace) -> None:
    from ladder.demo.nights import simulate

    result = simulate(
        args.days,
        args.customers,
        args.seed,
        ignore_gate_failures=args.ignore_gate_failures,
        fresh=args.fresh,
        on_night=lambda number, night: print(night.render(number), flush=True),
    )
    print(result.render())


def _build_parser() -> argparse.ArgumentParser:
    from ladder import config

    demo_defaults = config.section("demo")
    parser = _Parser(prog="ladder", description=__doc__)
    groups = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    warehouse = groups.add_parser("warehouse", help="manage the embedded PostgreSQL warehouse")
    warehouse.add_argument("action", choices=["start", "stop", "status", "url"])
    warehouse.add_argument("--port", type=_positive_int, help="port on 127.0.0.1 (start)")
    warehouse.add_argument("--database", help="url: a URL for this database instead")
    warehouse.set_defaults(handler=_warehouse)

    demo = groups.add_parser("demo-data", help="generate the demo company's source systems")
    demo.add_argument("--customers", type=_positive_int, default=demo_defaults["customers"])
    demo.add_argument("--seed", type=int, default=demo_defaults["seed"])
    demo.add_argument(
        "--start", type=_date, default=date.fromisoformat(str(demo_defaults["start"]))
    )
    demo.add_argument("--end", type=_date, default=date.fromisoformat(str(demo_defaults["end"])))
    demo.add_argument(
        "--append-day",
        type=_date,
        metavar="DATE",
        help="add one day of new activity and updates to the existing demo company",
    )
    demo.set_defaults(handler=_demo_data)

    demo_run = groups.add_parser("demo", help="the whole demo: warehouse, company, nightly run")
    demo_run.set_defaults(handler=_demo)

    airflow = groups.add_parser(
        "airflow",
        help="Airflow as production runs it, on this machine: api-server, scheduler,"
        " dag-processor, triggerer (docs/scheduler.md); Ctrl-C stops it",
    )
    airflow.add_argument(
        "--host",
        help="the api-server's address (default: airflow.host in ladder.yml, loopback);"
        " another exposes the UI, the REST API and every connection behind them",
    )
    airflow.add_argument("--port", type=_positive_int, help="the api-server's port")
    airflow.set_defaults(handler=_airflow)

    simulate = groups.add_parser(
        "simulate",
        help="demo nights in a row without Airflow: each appends a day of business, then"
        " extracts, validates, builds, scores and publishes (docs/simulate.md)",
    )
    simulate.add_argument("--days", type=_positive_int, required=True, help="nights to run")
    simulate.add_argument(
        "--customers",
        type=_positive_int,
        help=f"the company's size (default {demo_defaults['customers']})",
    )
    simulate.add_argument(
        "--seed", type=int, help=f"the generator's seed (default {demo_defaults['seed']})"
    )
    simulate.add_argument(
        "--ignore-gate-failures",
        action="store_true",
        help="a failed gate is reported and the night goes on (default:"
        " the simulation stops, as the nightly run does)",
    )
    simulate.add_argument(
        "--fresh",
        action="store_true",
        help="start over: empty the warehouse, the service desk database,"
        " the sandboxes' state and dlt's folder, regenerate the company",
    )
    simulate.set_defaults(handler=_simulate)

    extract = groups.add_parser("extract", help="land source data in the warehouse's raw schema")
    extract.add_argument("source", choices=["sales", "helpdesk", "all"])
    extract.add_argument("--as-of", type=_date, required=True, help="the run's as-of date D")
    extract.set_defaults(handler=_extract)

    transform = groups.add_parser(
        "transform",
        help="build the dbt models for an as-of date; the marts replace what BI reads only"
        " once validate_marts passes",
    )
    transform.add_argument("--as-of", type=_date, required=True, help="the run's as-of date D")
    transform.add_argument(
        "--select",
        nargs="+",
        help="build only this dbt selection, in place and unvalidated (default: the transform"
        " stage, score_clv, the marts into marts_next, validate_marts, the promotion to marts)",
    )
    transform.set_defaults(handler=_transform)

    from ladder.publish.destinations import ROUTES

    publish = groups.add_parser(
        "publish", help="send today's treatment lists to their systems (only what changed)"
    )
    publish.add_argument("--as-of", type=_date, required=True, help="the run's as-of date D")
    publish.add_argument("--destination", nargs="+", choices=list(ROUTES),
                         help="only these destinations (default: all)")  # fmt: skip
    publish.add_argument("--dry-run", action="store_true",
                         help="compute and print the diff, send nothing")  # fmt: skip
    publish.add_argument("--full-resync", action="store_true",
                         help="send every record again, not only the changes")  # fmt: skip
    publish.set_defaults(handler=_publish)

    validate = groups.add_parser(
        "validate", help="run a Great Expectations gate on the warehouse (validate_raw|marts)"
    )
    validate.add_argument("gate", choices=["raw", "marts"])
    validate.add_argument(
        "--as-of",
        type=_date,
        required=True,
        help="the night to check, the run's as-of date D (compared with the nights before it)",
    )
    validate.add_argument(
        "--accept", action="append", metavar="METRIC",
        help="a failed figure of D that is right (a real change, see docs/quality-gates.md):"
        " it passes and trains later nights; repeatable",
    )  # fmt: skip
    validate.set_defaults(handler=_validate)

    report = groups.add_parser(
        "report", help="write the run report page (charts of the marts) for an as-of date"
    )
    report.add_argument("--as-of", type=_date, required=True, help="the run's as-of date D")
    report.set_defaults(handler=_report)

    dbt = groups.add_parser("dbt", help="run any dbt command against the resolved warehouse")
    dbt.add_argument("--as-of", type=_date, help="pass the as-of date D to dbt")
    dbt.add_argument("dbt_args", nargs=argparse.REMAINDER, help="e.g. docs generate")
    dbt.set_defaults(handler=_dbt)

    sqlfluff = groups.add_parser("sqlfluff", help="sqlfluff on the dbt project (make lint)")
    sqlfluff.add_argument("sqlfluff_args", nargs=argparse.REMAINDER, help="e.g. lint .")
    sqlfluff.set_defaults(handler=_sqlfluff)

    clv = groups.add_parser("clv", help="fit BG/NBD + Gamma-Gamma and score customers")
    clv_actions = clv.add_subparsers(dest="action", required=True, parser_class=_Parser)
    clv_fit = clv_actions.add_parser("fit", help="fit the models, print the parameters as JSON")
    clv_score = clv_actions.add_parser("score", help="fit, then write every customer's scores")
    for action in (clv_fit, clv_score):
        action.add_argument("transactions", help="CSV with a header, one row per purchase")
        action.add_argument(
            "--as-of", type=_date, required=True, help="use only purchases before this date"
        )
        action.add_argument(
            "--time-unit",
            choices=["D", "W"],
            default="D",
            help="days (default) or weeks, for recency, T and --horizon",
        )
        action.add_argument("--customer-col", default="customer_id", metavar="C")
        action.add_argument("--date-col", default="date", metavar="T", help="ISO 8601 dates")
        action.add_argument("--amount-col", default="amount", metavar="A", help="margin, >= 0")
        action.set_defaults(handler=_clv)
    clv_score.add_argument(
        "--horizon", type=_positive_number, required=True, metavar="N", help="in time units"
    )
    clv_score.add_argument("--out", required=True, metavar="SCORES.csv")

    sandbox = groups.add_parser(
        "sandbox", help="serve a local stand-in of a source or destination system"
    )
    sandbox.add_argument("system", choices=["helpdesk", "marketing", "service"])
    sandbox.add_argument("--port", type=_positive_int)
    sandbox.add_argument("--token", help="the bearer token clients must send")
    sandbox.add_argument("--database", help="helpdesk: serve this database (default: the demo's)")
    sandbox.add_argument("--state", help="marketing, service: the SQLite file holding the state")
    sandbox.add_argument(
        "--max-batch", type=_positive_int, help="marketing, service: records per batch, then 413"
    )
    sandbox.add_argument("--rate-limit", type=float, help="requests per second, then 429")
    sandbox.add_argument("--fault-rate", type=_rate, default=0.0, help="share of 503 answers")
    sandbox.add_argument("--slow-rate", type=_rate, default=0.0, help="share of slow answers")
    sandbox.add_argument("--drop-rate", type=_rate, default=0.0, help="share of dropped bodies")
    sandbox.add_argument("--seed", type=int, help="make the injected faults repeatable")
    sandbox.set_defaults(handler=_sandbox)
    return parser


# Commands that read or write the warehouse: its tables outside dbt are migrated first.
MIGRATING_COMMANDS = {"extract", "transform", "dbt", "publish", "validate", "report"}


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = _build_parser().parse_args(argv)
        from ladder import mode

        mode.current()  # a mistyped LADDER_MODE stops every command before it starts
        if args.command in MIGRATING_COMMANDS:
            from ladder.warehouse import resolve_warehouse
            from ladder.warehouse.migrations import migrate

            migrate(resolve_warehouse().url)
        handler: Callable[[argparse.Namespace], None] = args.handler
        handler(args)
    except LadderError as exc:
        print(f"ladder: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
