"""`make bench-early`: a backtest of the early identification model (`ladder.clv.early`).

The model predicts, at a cut-off C, the next 365 days' profit of every prospect and new
one-purchase-day customer; it was fitted on who was such a customer at C - 365 and what
they made since. A backtest needs a company with two years after the oldest training
customers: a demo company of its own (`--customers`, `--seed`, 2022-10-01 to
2025-12-31; extracted as of D = 2026-01-01 once, reused while it still matches) on a
benchmark warehouse of its own (.ladder/bench/early), so the other benchmarks' company
is never replaced.

1. The transform stage and `score_clv` as of C = D - 365: clv.early_scores holds the
   predictions for C.
2. The transform stage as of D: int_customer_early_features' window_profit is each
   customer's realised profit in [C, D) (gross margin less the marts' cost-to-serve),
   for exactly the customers who were prospects or new at C (its training rows).
3. Per basis and over both together (the ranking new_high_potential uses): the mean
   realised profit of the customers with the highest fifth of predictions, of the
   others, and of all; the top-fifth lift as the issue defines it (top fifth over all,
   when the mean is positive); the capture lift (how many of the predicted top fifth
   are in the realised top fifth, over the fifth a random pick gets), which stays
   defined when new customers lose money on average, as they do in the demo company
   (a whale curve: seed 000); the rank correlation of prediction and outcome; and the
   top fifth's mean when ranked by the first basket's margin alone.

Issue 20's goal at 1,000,000 customers: top-fifth lift >= 2. Run on another seed than
the rules were tuned on (`--seed`).
"""

from __future__ import annotations

import argparse
import os
import time
from datetime import date, timedelta

import numpy as np
import pandas as pd
import psycopg
from scipy.stats import spearmanr

from benchmarks import extract_into_raw, use_bench_sources
from ladder.config import PROJECT_ROOT
from ladder.warehouse.embedded import EmbeddedWarehouse

START, END = date(2022, 10, 1), date(2025, 12, 31)
AS_OF = END + timedelta(days=1)
CUT_OFF = AS_OF - timedelta(days=365)
TOP = 0.2
DATA_DIR = PROJECT_ROOT / ".ladder" / "bench" / "early" / "warehouse"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--port", type=int, default=54341)
    return parser.parse_args()


def prepare(server: EmbeddedWarehouse, customers: int, seed: int) -> None:
    """Generate the company and extract it as of D, unless raw already holds it."""
    url = server.url("warehouse")
    use_bench_sources(url)
    wanted = (seed, customers, START, END, END)
    try:
        with psycopg.connect(server.url("shop")) as conn:
            there = conn.execute(
                "select seed, customers, start_date, end_date, covered_until"
                " from demo_truth.generation"
            ).fetchone()
        with psycopg.connect(url) as conn:
            extracted = conn.execute("select count(*) from raw.shop_orders").fetchone()[0] > 0
    except psycopg.Error:
        there, extracted = None, False
    if there == wanted and extracted:
        print(f"prepare: reusing the {customers:,}-customer company (seed {seed})", flush=True)
        return
    from ladder.demo.load import create_demo_company

    began = time.perf_counter()
    create_demo_company(customers=customers, seed=seed, start=START, end=END)
    extract_into_raw(url, AS_OF)
    print(f"prepare: generated and extracted in {time.perf_counter() - began:.0f} s", flush=True)


def frame(conn: psycopg.Connection, query: str, *params) -> pd.DataFrame:
    cursor = conn.execute(query, params)
    return pd.DataFrame(cursor.fetchall(), columns=[c.name for c in cursor.description])


def main() -> None:
    from ladder.clv.early import top_capture_lift, top_mean
    from ladder.clv.nightly import score_clv
    from ladder.transform.stages import TRANSFORM_SELECT, build_stage

    args = parse_args()
    server = EmbeddedWarehouse(DATA_DIR, args.port)
    os.environ["LADDER_MODE"] = "demo"
    server.start()
    try:
        server.ensure_database("warehouse")
        prepare(server, args.customers, args.seed)
        url = server.url("warehouse")
        began = time.perf_counter()
        build_stage(TRANSFORM_SELECT, CUT_OFF, warehouse_url=url, capture=True)
        result = score_clv(CUT_OFF, url)
        print(result.render(), flush=True)
        with psycopg.connect(url) as conn:
            cursor = conn.execute(
                "select s.customer_id, s.basis, s.predicted_profit_365d,"
                " f.first_basket_margin"
                " from clv.early_scores as s"
                " join intermediate.int_customer_early_features as f using (customer_id)"
                " where s.as_of_date = %s",
                (CUT_OFF,),
            )
            predicted = pd.DataFrame(
                cursor.fetchall(), columns=[c.name for c in cursor.description]
            )
        build_stage(TRANSFORM_SELECT, AS_OF, warehouse_url=url, capture=True)
        with psycopg.connect(url) as conn:
            realised = frame(
                conn,
                "select customer_id, training_basis as basis, window_profit::float8 as realised"
                " from intermediate.int_customer_early_features"
                " where training_basis is not null",
            )
        seconds = time.perf_counter() - began
    finally:
        server.stop()
    joined = predicted.merge(realised, on=["customer_id", "basis"], how="inner")
    print(f"\nbacktest: predicted as of {CUT_OFF}, realised in [{CUT_OFF}, {AS_OF}) "
          f"({args.customers:,} customers, seed {args.seed}; builds {seconds:.0f} s)")  # fmt: skip
    print(f"  predictions {len(predicted):,}, with a realised outcome {len(joined):,}\n")
    print(f"  {'basis':<12} {'customers':>10} {'mean profit':>12} {'top fifth':>10} "
          f"{'rest':>8} {'lift':>6} {'capture':>8} {'Spearman':>9} "
          f"{'top fifth by basket':>20}")  # fmt: skip
    groups = [(basis, rows) for basis, rows in joined.groupby("basis")] + [("both", joined)]
    for basis, rows in groups:
        value = rows.predicted_profit_365d.to_numpy(np.float64)
        outcome = rows.realised.to_numpy(np.float64)
        top, rest = top_mean(value, outcome, TOP)
        mean = outcome.mean()
        lift = f"{top / mean:6.2f}" if mean > 0 else "   n/a"
        capture = top_capture_lift(value, outcome, TOP)
        rho = spearmanr(value, outcome).statistic
        by_basket = ""
        if basis == "first_order":
            basket = rows.first_basket_margin.astype(float).to_numpy()
            by_basket = f"{top_mean(basket, outcome, TOP)[0]:.2f}"
        print(f"  {basis:<12} {len(rows):>10,} {mean:>12.2f} {top:>10.2f} {rest:>8.2f} {lift} "
              f"{capture:>8.2f} {rho:>9.3f} {by_basket:>20}")  # fmt: skip
    print(
        "\n  top fifth / rest: mean realised profit of the customers with the highest fifth of"
        "\n  predictions / of the others; lift = top fifth / mean (n/a when the mean is not"
        "\n  positive: a ratio to a loss says nothing); capture = share of the predicted top"
        "\n  fifth in the realised top fifth / 0.2 (1 = chance, 5 = perfect)."
    )
    print("\n  goal (issue 20, at 1,000,000 customers): new_high_potential top-fifth lift >= 2")


if __name__ == "__main__":
    main()
