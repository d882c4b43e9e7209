"""`make bench-segments-nights`: the planted personas against the segments after weeks of
nights, when outreach had time to be tried (issue 20's goals after 60 nights).

Runs `ladder simulate --days N` (default 60 nights of a 50,000-customer company at the
evaluation seed, failed gates recorded and passed over) on the demo warehouse, the same
one `ladder simulate` uses: nights done already are skipped, so a finished simulation is
only reported again. Then prints the confusion matrices of planted persona and trait
against rung, segment and flags for the last night, with the goals after N nights and
the one-night goals as they stand then.
"""

from __future__ import annotations

import argparse
from datetime import date, timedelta

import psycopg


def main() -> None:
    from ladder import config
    from ladder.demo.nights import simulate
    from ladder.demo.truth import EVALUATION_SEED, load_truth, persona_report
    from ladder.warehouse import resolve_warehouse

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--customers", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=EVALUATION_SEED)
    args = parser.parse_args()

    run = simulate(args.days, args.customers, args.seed, ignore_gate_failures=True)
    print(run.render(), flush=True)
    failed = [night for night in run.nights if night.gate_failures]
    print(f"nights a gate would have stopped: {len(failed)}")
    for night in failed:
        print(f"  {night.as_of}: {' | '.join(night.gate_failures)}")

    last = date.fromisoformat(str(config.section("demo")["end"])) + timedelta(days=args.days)
    target = resolve_warehouse()
    shop = config.section("demo").get("sales_database", "shop")
    with psycopg.connect(target.database_url(shop)) as conn:
        truth = load_truth(conn)
    with psycopg.connect(target.url) as conn:
        report = persona_report(conn, truth, last)
    print(f"\n{len(report.segments):,} customers as of {last}, after {args.days} nights\n")
    print(report.render(after_nights=True))
    print("\none-night goals, as they stand after the nights:")
    print("\n".join(goal.describe() for goal in report.goals()))


if __name__ == "__main__":
    main()
