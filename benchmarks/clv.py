"""`make bench-clv`: fit and score 1,000,000 customers with ladder.clv and with lifetimes.

The customers are drawn with the demo company's own simulation (`ladder.demo.simulate`)
from the buying personas' BG/NBD and Gamma-Gamma parameters, in their shares, first
purchases spread over two years, purchases counted as whole days. Both implementations
get the same per-customer summary and do the same work, end to end: fit BG/NBD, fit
Gamma-Gamma on the repeat buyers, then P(alive), expected purchases over 360 days and
CLV over 12 months of 30 days discounted at 10 % a year (lifetimes' CLV steps, so the two
compute the same number). lifetimes 0.11.3 is used as documented: per-customer arrays.

Each run of each side is a fresh process of its own that reads the summary from a file.
Memory is Linux's VmHWM (peak resident set) of that process, reset just before the run
(/proc/self/clear_refs), so it is the run's own peak: reported whole and as what the run
added to the resident set it started with (interpreter, imports and the summary).
ru_maxrss would not do: it keeps the peak of the forked benchmark process before exec.
"""

from __future__ import annotations

import multiprocessing
import os
import statistics
import tempfile
import time
import warnings
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

import numpy as np
import pandas as pd
from lifetimes import BetaGeoFitter, GammaGammaFitter

from benchmarks import parse_args
from ladder.clv.collapse import collapse
from ladder.clv.fit import fit_clv
from ladder.clv.score import score
from ladder.clv.summary import CustomerSummary
from ladder.demo import simulate
from ladder.demo.personas import PERSONAS

TARGET_SPEED_UP = 8.0
DAYS = 730
HORIZON_DAYS = 360  # 12 lifetimes months of 30 days
ANNUAL_RATE = 0.10
SEED = 42


@dataclass(frozen=True)
class Run:
    seconds: float
    peak_mib: float
    added_mib: float
    params: np.ndarray  # r, alpha, a, b, p, q, gamma
    clv: np.ndarray


def population(customers: int) -> CustomerSummary:
    """Buying personas in their shares, each customer's first purchase uniform over the two
    years before the as-of date, repeat purchases on whole days."""
    buyers = [p for p in PERSONAS if p.buys]
    shares = np.array([p.share for p in buyers])
    rng = np.random.default_rng(SEED)
    persona = rng.choice(len(buyers), customers, p=shares / shares.sum())

    def param(name: str) -> np.ndarray:
        return np.array([getattr(p, name) for p in buyers])[persona]

    first = rng.integers(0, DAYS, customers)
    window = (DAYS - 1 - first).astype(np.float64) + 1.0  # through the last observed day
    lam, _, dropout_after = simulate.customer_rates(
        rng, param("r"), param("alpha"), param("a"), param("b")
    )
    owner, offset = simulate.repeat_purchases(rng, lam, dropout_after, window)
    nu = rng.gamma(shape=param("q"), scale=1.0 / param("gamma"))
    margin = simulate.margins(rng, nu[owner], param("p_gg")[owner])
    # Whole days; a purchase on the first day is part of the first purchase.
    day = np.floor(offset)
    (owner, day), _, which = collapse(owner, day)
    margin = np.bincount(which, weights=margin)
    repeat = day > 0
    owner, day, margin = owner[repeat], day[repeat], margin[repeat]
    x = np.bincount(owner, minlength=customers).astype(np.float64)
    t_x = np.zeros(customers)
    np.maximum.at(t_x, owner, day)
    total = np.bincount(owner, weights=margin, minlength=customers)
    return CustomerSummary(
        customer_id=np.arange(customers),
        frequency=x,
        recency=t_x,
        T=window - 1.0,
        mean_margin=np.divide(total, x, out=np.zeros(customers), where=x > 0),
    )


def with_ladder(summary: CustomerSummary) -> tuple[np.ndarray, np.ndarray]:
    fit = fit_clv(summary)
    if not fit.converged:
        raise SystemExit(f"ladder.clv did not converge: {fit.problems()}")
    bg, gg = fit.bgnbd.params, fit.gamma_gamma.params
    scores = score(summary, bg, gg, HORIZON_DAYS, "D", ANNUAL_RATE)
    params = np.array([bg.r, bg.alpha, bg.a, bg.b, gg.p, gg.q, gg.gamma])
    return params, scores.clv


def with_lifetimes(summary: CustomerSummary) -> tuple[np.ndarray, np.ndarray]:
    x, t_x, T = (pd.Series(v) for v in (summary.frequency, summary.recency, summary.T))
    m = pd.Series(summary.mean_margin)
    bgf = BetaGeoFitter().fit(x, t_x, T)
    repeat = x > 0
    ggf = GammaGammaFitter().fit(x[repeat], m[repeat])
    bgf.conditional_probability_alive(x, t_x, T)
    bgf.conditional_expected_number_of_purchases_up_to_time(HORIZON_DAYS, x, t_x, T)
    monthly = (1 + ANNUAL_RATE) ** (30 / 365.25) - 1
    clv = ggf.customer_lifetime_value(bgf, x, t_x, T, m, time=12, discount_rate=monthly)
    params = np.r_[bgf.params_[["r", "alpha", "a", "b"]], ggf.params_[["p", "q", "v"]]]
    return params, clv.to_numpy()


def _memory_mib(field: str) -> float:
    """VmRSS or VmHWM of this process, from /proc/self/status (kB)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise SystemExit(f"/proc/self/status has no {field}: this benchmark needs Linux")


SIDES = {"ladder.clv": with_ladder, "lifetimes 0.11.3": with_lifetimes}


def _child(side: str, path: Path, conn: Connection) -> None:
    warnings.simplefilter("ignore")
    with np.load(path) as saved:
        summary = CustomerSummary(**{name: saved[name] for name in saved.files})
    Path("/proc/self/clear_refs").write_text("5")  # peak resident set := current
    start_rss = _memory_mib("VmRSS")
    began = time.perf_counter()
    params, clv = SIDES[side](summary)
    seconds = time.perf_counter() - began
    peak = _memory_mib("VmHWM")
    conn.send(Run(seconds, peak, peak - start_rss, params, clv))


def run_once(side: str, path: Path) -> Run:
    """One end-to-end run of `side` in a fresh process."""
    context = multiprocessing.get_context("spawn")
    receive, send = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(side, path, send))
    process.start()
    send.close()
    try:
        run = receive.recv()
    except EOFError:
        raise SystemExit(f"{side} failed (exit code {process.exitcode})") from None
    process.join()
    return run


def main() -> None:
    args = parse_args(__doc__)
    began = time.perf_counter()
    summary = population(args.customers)
    distinct = collapse(summary.frequency, summary.recency, summary.T)[1].size
    print(f"{summary.size:,} customers, {summary.repeat_customers:,} repeat buyers, "
          f"{distinct:,} distinct (x, t_x, T) rows, simulated in "
          f"{time.perf_counter() - began:.1f} s", flush=True)  # fmt: skip
    runs: dict[str, list[Run]] = {name: [] for name in SIDES}
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "summary.npz"
        np.savez(path, **vars(summary))
        del summary
        for i in range(args.repeat):
            for name in SIDES:
                runs[name].append(run_once(name, path))
                run = runs[name][-1]
                print(f"run {i + 1} {name:<18}{run.seconds:8.2f} s  "
                      f"peak {run.peak_mib:7,.0f} MiB (+{run.added_mib:,.0f} MiB)",
                      flush=True)  # fmt: skip

    ours, theirs = runs["ladder.clv"][-1], runs["lifetimes 0.11.3"][-1]
    params_diff = np.max(np.abs(ours.params / theirs.params - 1))
    clv_diff = np.max(np.abs(ours.clv - theirs.clv) / np.maximum(np.abs(theirs.clv), 1e-9))
    medians = {name: statistics.median(r.seconds for r in rs) for name, rs in runs.items()}
    speed_up = medians["lifetimes 0.11.3"] / medians["ladder.clv"]
    print(f"\nbench-clv: {args.customers:,} customers, median of {args.repeat} runs, "
          f"{os.cpu_count()} cores; fit + P(alive) + expected purchases + CLV")  # fmt: skip
    print(f"  {'':<20}{'median wall':>12}{'peak RSS':>12}{'added by run':>14}")
    for name, rs in runs.items():
        peak = max(r.peak_mib for r in rs)
        added = max(r.added_mib for r in rs)
        print(f"  {name:<20}{medians[name]:>10.2f} s{peak:>8,.0f} MiB{added:>10,.0f} MiB")
    print(f"  speed-up {speed_up:.1f}x (target {TARGET_SPEED_UP:.0f}x)")
    print(f"  agreement: parameters within {params_diff:.1e}, CLV within {clv_diff:.1e} "
          "(largest relative difference)")  # fmt: skip


if __name__ == "__main__":
    main()
