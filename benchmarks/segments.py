"""`make bench-segments`: the planted personas against the segments, at scale.

On the benchmark warehouse (the demo company with `--customers` customers, seed 42,
extracted into raw as of D = 2026-01-01; prepared as `make bench-transform` prepares it,
and reused), builds the warehouse for D as the nightly run does (transform, score_clv,
marts) and prints the confusion matrices of planted persona against ladder rung and
value segment, with the segmentation goals of issue 6. The build is timed once; the
figures that matter here are the matrices.
"""

from __future__ import annotations

import time

import psycopg

from benchmarks import bench_warehouse, parse_args
from benchmarks.transform import AS_OF, prepare


def main() -> None:
    from ladder.demo.truth import persona_report
    from ladder.transform.stages import build_warehouse

    args = parse_args(__doc__)
    server = bench_warehouse(args.port)
    try:
        prepare(server, args.customers)
        url = server.url("warehouse")
        began = time.perf_counter()
        build_warehouse(AS_OF, warehouse_url=url, capture=True)
        print(f"build for {AS_OF} (transform, score_clv, marts): "
              f"{time.perf_counter() - began:.0f} s", flush=True)  # fmt: skip
        with psycopg.connect(server.url("shop")) as shop:
            truth = dict(
                shop.execute("select customer_id, persona from demo_truth.customer_persona")
            )
        with psycopg.connect(url) as conn:
            report = persona_report(conn, truth)
    finally:
        server.stop()
    print(f"\n{len(report.segments):,} customers as of {AS_OF}\n")
    print(report.render())


if __name__ == "__main__":
    main()
