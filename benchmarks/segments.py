"""`make bench-segments`: the planted personas and traits against the segments, at scale.

On the benchmark warehouse (the demo company with `--customers` customers at `--seed`,
by default the evaluation seed the rules were not tuned on, extracted into raw as of
D = 2026-01-01; prepared as `make bench-transform` prepares it, and reused), builds the
warehouse for D as the nightly run does (transform, score_clv, marts) and prints the
confusion matrices of planted persona (and trait) against ladder rung, value segment and
flags, with the one-night goals of issue 20. The 60-night goals are printed too, as this
one night stands: outreach has not been tried yet, so they are for comparison only. The
build is timed once; the figures that matter here are the matrices.

Tune on the tuning seed: `make bench-segments ARGS="--seed 42"` (ladder.demo.truth.TUNING_SEED).
"""

from __future__ import annotations

import time

import psycopg

from benchmarks import bench_warehouse, parse_args
from benchmarks.transform import AS_OF, prepare


def main() -> None:
    from ladder.demo.truth import EVALUATION_SEED, load_truth, persona_report
    from ladder.transform.stages import build_warehouse

    args = parse_args(__doc__, seed=EVALUATION_SEED)
    server = bench_warehouse(args.port)
    try:
        prepare(server, args.customers, args.seed)
        url = server.url("warehouse")
        began = time.perf_counter()
        build_warehouse(AS_OF, warehouse_url=url, capture=True)
        print(f"build for {AS_OF} (transform, score_clv, marts): "
              f"{time.perf_counter() - began:.0f} s", flush=True)  # fmt: skip
        with psycopg.connect(server.url("shop")) as shop:
            truth = load_truth(shop)
        with psycopg.connect(url) as conn:
            report = persona_report(conn, truth, AS_OF)
    finally:
        server.stop()
    print(f"\n{len(report.segments):,} customers as of {AS_OF}, seed {args.seed}\n")
    print(report.render())
    print("\ngoals after 60 nights, measured on this first night (outreach not tried yet):")
    print("\n".join(goal.describe() for goal in report.goals_after_nights()))


if __name__ == "__main__":
    main()
