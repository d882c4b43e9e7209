"""Treatment outcomes (docs/outcomes.md), built by dbt with the project's own tests from
stand-ins of their inputs (the priced orders, returns, helpdesk contacts and payment
events, the assignment log and the segment history) on synthetic customers:

- each treatment's cohorts are compared per completed window, in the group of the
  cohort's first night (assignment, not delivery), and every group mean, sample size and
  interval equals a pandas recomputation from the same stand-ins;
- windows still open at D are absent;
- a planted effect (treated customers' order margins raised by a known amount) lies
  inside the 95 % interval, which excludes 0; a placebo's interval covers 0;
- the daily costs sum to the trailing-year cost-to-serve of int_customer_activities_costed.
"""

from __future__ import annotations

import csv
import math
import re
import uuid
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pandas as pd
import psycopg
import pytest

from ladder import config
from ladder.report import charts, page, queries
from tests.conftest import dbt_build
from tests.transform.standins import write

SEEDS = config.PROJECT_ROOT / "dbt_project" / "seeds"
D = date(2026, 7, 1)
COHORTS = [D - timedelta(days=d) for d in (200, 120, 60, 10)]
EFFECT, PLACEBO, NO_HOLDOUT = "WINBACK", "GROW_CROSS_SELL", "PRIORITY_SUPPORT"
HARM = "PROFIT_ALTERNATIVES"  # treated customers' margins lowered: flagged harmful
CUSTOMERS = 400  # per treatment and cohort
HOLDOUT_SHARE = 0.25
ORDERS_PER_DAY = 0.05
MARGIN_RAISE = 30.0  # added to each treated customer's order margins from the cohort night
Z = 1.959964
SELECT = ["cost_drivers", "outcome_windows", "treatment_catalogue", "int_customer_days_costed",
          "int_customer_activities_costed", "treatment_outcomes",
          "treatment_outcomes_pooled"]  # fmt: skip
CHANNELS = ["phone", "email", "chat", "self_service"]


def seed(name: str) -> list[dict[str, str]]:
    with (SEEDS / f"{name}.csv").open() as rows:
        return list(csv.DictReader(rows))


WINDOWS = [int(r["window_days"]) for r in seed("outcome_windows")]
RATES = {r["driver"]: float(r["rate"]) for r in seed("cost_drivers")}


def at(day: date, rng: np.random.Generator) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(
        seconds=int(rng.integers(0, 86_400))
    )


def company(rng: np.random.Generator) -> dict[str, pd.DataFrame]:
    """Customers per treatment and cohort, their assignment log, rungs and activities."""
    log, rungs, orders, returns, contacts, payments = [], [], [], [], [], []
    for code in (EFFECT, PLACEBO, NO_HOLDOUT, HARM):
        for cohort in COHORTS[:2] if code == HARM else COHORTS:
            # One cohort of the placebo has a single held-out customer: no interval.
            share = 0 if code == NO_HOLDOUT else HOLDOUT_SHARE
            held = rng.random(CUSTOMERS) < share
            if code == PLACEBO and cohort == COHORTS[1]:
                held[:] = False
                held[0] = True
            for i in range(CUSTOMERS):
                customer = f"{code[:3]}{cohort:%m%d}{i:04d}"
                system = "service" if code == NO_HOLDOUT else "marketing"
                # Assigned on the cohort's night and some nights after; a tenth change
                # group from the second night on (a share was changed): the first counts.
                flips = rng.random() < 0.1
                for night in range(int(rng.integers(1, 6))):
                    is_holdout = bool(held[i]) != (flips and night > 0)
                    log.append((cohort + timedelta(days=night), customer, system, code,
                                is_holdout, cohort))  # fmt: skip
                start_level = int(rng.integers(2, 7))
                change = cohort + timedelta(days=int(rng.integers(-20, 220)))
                end_level = start_level + int(rng.choice([-1, 0, 1]))
                first = D - timedelta(days=400)
                rungs.append((customer, first, change, start_level, False))
                rungs.append((customer, change, None, end_level, True))
                raise_ = {EFFECT: MARGIN_RAISE, HARM: -MARGIN_RAISE}.get(code, 0.0) * (not held[i])
                for day in range(400):
                    if rng.random() >= ORDERS_PER_DAY:
                        continue
                    when = at(first + timedelta(days=day), rng)
                    completed = rng.random() < 0.95
                    margin = round(float(rng.normal(20, 10)), 2)
                    if when.date() >= cohort:
                        margin += raise_
                    shipping = round(float(rng.uniform(3, 8)), 2)
                    charged = round(float(rng.choice([0, shipping, 4.9])), 2)
                    orders.append((customer, when, when.date(), completed,
                                   margin if completed else 0.0, shipping, charged))  # fmt: skip
                    if completed and rng.random() < 0.15:
                        returned = min(when + timedelta(days=int(rng.integers(1, 20))),
                                       datetime(2026, 6, 30, 23, tzinfo=UTC))  # fmt: skip
                        returns.append((customer, returned))
                for _ in range(int(rng.poisson(4))):
                    when = at(first + timedelta(days=int(rng.integers(0, 400))), rng)
                    contacts.append((customer, when, str(rng.choice(CHANNELS)),
                                     round(float(rng.gamma(2, 4)), 1)))  # fmt: skip
                for _ in range(int(rng.poisson(0.6))):
                    when = at(first + timedelta(days=int(rng.integers(0, 400))), rng)
                    kind = str(rng.choice(["failed", "chargeback", "captured"]))
                    payments.append((customer, when, kind, round(float(rng.uniform(5, 90)), 2)))
    customers = sorted({r[1] for r in log})
    return {
        "staging.stg_shop__customers": pd.DataFrame({"customer_id": customers}),
        "marts.treatment_assignments": pd.DataFrame(log, columns=[
            "as_of_date", "customer_id", "system", "treatment_code", "is_holdout",
            "cohort_date"]),
        "marts.segment_history": pd.DataFrame(rungs, columns=[
            "customer_id", "valid_from", "valid_to", "ladder_level", "is_current"]),
        "intermediate.int_orders_priced": pd.DataFrame(orders, columns=[
            "customer_id", "ordered_at", "order_day", "is_completed", "gross_margin",
            "shipping_cost", "shipping_charged"]),
        "staging.stg_shop__returns": pd.DataFrame(returns, columns=[
            "customer_id", "returned_at"]),
        "staging.stg_helpdesk__interactions": pd.DataFrame(contacts, columns=[
            "customer_id", "occurred_at", "channel", "handle_minutes"]),
        "staging.stg_shop__payment_events": pd.DataFrame(payments, columns=[
            "customer_id", "occurred_at", "payment_event_kind", "amount"]),
    }  # fmt: skip


def daily_costs(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Each activity priced by the seed's rates, on its UTC day: (customer, day, orders,
    margin, cost)."""
    orders = tables["intermediate.int_orders_priced"].query("is_completed")
    frames = [pd.DataFrame({
        "customer_id": orders.customer_id, "day": orders.order_day, "orders": 1,
        "margin": orders.gross_margin,
        "cost": RATES["order_handling"]
        + (orders.shipping_cost - orders.shipping_charged) * RATES["delivery"],
    })]  # fmt: skip
    returns = tables["staging.stg_shop__returns"]
    frames.append(pd.DataFrame({"customer_id": returns.customer_id,
                                "day": returns.returned_at.map(lambda t: t.date()),
                                "cost": RATES["return_processing"]}))  # fmt: skip
    contacts = tables["staging.stg_helpdesk__interactions"]
    frames.append(pd.DataFrame({
        "customer_id": contacts.customer_id, "day": contacts.occurred_at.map(lambda t: t.date()),
        "cost": contacts.channel.map(lambda c: RATES[f"contact_{c}"])
        + contacts.handle_minutes * RATES["agent_minute"],
    }))  # fmt: skip
    payments = tables["staging.stg_shop__payment_events"]
    payments = payments[payments.payment_event_kind != "captured"]
    frames.append(pd.DataFrame({
        "customer_id": payments.customer_id, "day": payments.occurred_at.map(lambda t: t.date()),
        "cost": np.where(payments.payment_event_kind == "failed", RATES["payment_failure"],
                         RATES["chargeback_fee"] + payments.amount * RATES["chargeback_loss"]),
    }))  # fmt: skip
    return pd.concat(frames).fillna({"orders": 0, "margin": 0.0})


def expected_units(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per customer, treatment, cohort and completed window, recomputed."""
    log = tables["marts.treatment_assignments"]
    cohorts = log[log.as_of_date == log.cohort_date]
    days = dict(tuple(daily_costs(tables).groupby("customer_id")))
    none = pd.DataFrame({"day": [], "orders": [], "margin": [], "cost": []})
    rungs = tables["marts.segment_history"].set_index("customer_id")
    change = rungs[rungs.is_current].valid_from
    start = rungs[~rungs.is_current].ladder_level
    end = rungs[rungs.is_current].ladder_level
    units = []
    for window in WINDOWS:
        done = cohorts[cohorts.cohort_date.map(lambda c, w=window: c + timedelta(days=w) <= D)]
        for row in done.itertuples():
            stop = row.cohort_date + timedelta(days=window)
            mine = days.get(row.customer_id, none)
            mine = mine[(mine.day >= row.cohort_date) & (mine.day < stop)]
            recent = mine[mine.day >= stop - timedelta(days=90)]

            def level(when: date, customer: str = row.customer_id) -> int:
                return start[customer] if when < change[customer] else end[customer]

            purchases = mine.orders.sum()
            units.append({
                "treatment_code": row.treatment_code, "cohort_date": row.cohort_date,
                "window_days": window, "is_holdout": row.is_holdout,
                "repurchased": float(purchases > 0), "purchases": purchases,
                "margin": mine.margin.sum(), "cost_to_serve": mine.cost.sum(),
                "profit": mine.margin.sum() - mine.cost.sum(),
                "moved_up": float(level(stop) > level(row.cohort_date)),
                "moved_down": float(level(stop) < level(row.cohort_date)),
                "purchased_recently": float(recent.orders.sum() > 0),
            })  # fmt: skip
    return pd.DataFrame(units)


MEANS = {"repurchase_rate": "repurchased", "purchases": "purchases", "margin": "margin",
         "cost_to_serve": "cost_to_serve", "profit": "profit", "moved_up_share": "moved_up",
         "moved_down_share": "moved_down",
         "recent_purchase_share": "purchased_recently"}  # fmt: skip


def summarise(group: pd.DataFrame) -> pd.Series:
    treated, held = group[~group.is_holdout], group[group.is_holdout]
    out = {"n_treated": len(treated), "n_holdout": len(held)}
    for name, unit in MEANS.items():
        out[f"treated_{name}"] = treated[unit].mean() if len(treated) else None
        out[f"holdout_{name}"] = held[unit].mean() if len(held) else None
    for prefix, unit in (("", "profit"), ("repurchase_", "repurchased"),
                         ("purchases_", "purchases")):  # fmt: skip
        both = len(treated) and len(held)
        uplift = treated[unit].mean() - held[unit].mean() if both else None
        out[f"{prefix}uplift"] = uplift
        if len(treated) >= 2 and len(held) >= 2:
            error = math.sqrt(treated[unit].var() / len(treated) + held[unit].var() / len(held))
            out[f"{prefix}ci_low"], out[f"{prefix}ci_high"] = uplift - Z * error, uplift + Z * error
        else:
            out[f"{prefix}ci_low"] = out[f"{prefix}ci_high"] = None
    out["is_harmful"] = out["ci_high"] is not None and out["ci_high"] < 0
    return pd.Series(out)


@pytest.fixture(scope="module")
def built(warehouse) -> tuple[str, dict[str, pd.DataFrame]]:
    database = f"outc_{uuid.uuid4().hex[:10]}"
    warehouse.ensure_database(database)
    url = warehouse.url(database)
    tables = company(np.random.default_rng(21))
    write(url, tables)
    # Only the tests whose every parent is built here (the seeds' tests on the rules
    # read seeds these models do not).
    dbt_build(url, D, ["build", "--select", *SELECT, "--indirect-selection", "cautious"])
    return url, tables


def read(url: str, table: str) -> pd.DataFrame:
    with psycopg.connect(url) as conn:
        cursor = conn.execute(f"select * from {table}")
        names = [c.name for c in cursor.description]
        return pd.DataFrame(cursor.fetchall(), columns=names)


def assert_matches(got: pd.DataFrame, expected: pd.DataFrame, key: list[str]) -> None:
    got, expected = got.set_index(key).sort_index(), expected.sort_index()
    assert list(got.index) == list(expected.index)
    for column in expected.columns:
        for index, want in expected[column].items():
            value = got.at[index, column]
            if want is None or (isinstance(want, float) and math.isnan(want)):
                assert value is None, (index, column, value)
            else:
                assert float(value) == pytest.approx(float(want), rel=1e-9, abs=1e-9), (
                    index, column, value, want)  # fmt: skip


def test_each_completed_cohort_window_equals_the_recomputation(built) -> None:
    url, tables = built
    units = expected_units(tables)
    expected = units.groupby(["treatment_code", "cohort_date", "window_days"]).apply(
        summarise, include_groups=False
    )
    got = read(url, "marts.treatment_outcomes")
    assert_matches(got, expected, ["treatment_code", "cohort_date", "window_days"])
    # Only completed windows: the oldest cohort has all three, the newest none.
    windows = {(c, w) for c, w in zip(got.cohort_date, got.window_days, strict=True)}
    assert windows == {(c, w) for c in COHORTS for w in WINDOWS if c + timedelta(days=w) <= D}
    assert not any(got.cohort_date == COHORTS[-1])
    assert (got.window_end <= D).all() and (got.as_of_date == D).all()


def test_the_group_is_the_cohort_nights_assignment(built) -> None:
    url, tables = built
    log = tables["marts.treatment_assignments"]
    first = log[log.as_of_date == log.cohort_date]
    last = log.sort_values("as_of_date").groupby(["customer_id"]).tail(1)
    cohort, code = COHORTS[0], EFFECT
    mine = first[(first.cohort_date == cohort) & (first.treatment_code == code)]
    later = last[(last.cohort_date == cohort) & (last.treatment_code == code)]
    assert mine.is_holdout.sum() != later.is_holdout.sum()
    (n_treated, n_holdout) = read(
        url, f"marts.treatment_outcomes where treatment_code = '{code}'"
        f" and cohort_date = '{cohort}' and window_days = {WINDOWS[0]}",
    )[["n_treated", "n_holdout"]].iloc[0]  # fmt: skip
    assert (n_treated, n_holdout) == ((~mine.is_holdout).sum(), mine.is_holdout.sum())


def test_pooled_rows_equal_the_recomputation_over_all_completed_cohorts(built) -> None:
    url, tables = built
    units = expected_units(tables)
    expected = units.groupby(["treatment_code", "window_days"]).apply(
        summarise, include_groups=False
    )
    got = read(url, "marts.treatment_outcomes_pooled")
    counts = got.set_index(["treatment_code", "window_days"])
    for (code, window), n in units.groupby(["treatment_code", "window_days"]).cohort_date:
        assert counts.at[(code, window), "cohorts"] == n.nunique()
        assert counts.at[(code, window), "first_cohort_date"] == n.min()
        assert counts.at[(code, window), "last_cohort_date"] == n.max()
    assert_matches(got.drop(columns=["cohorts", "first_cohort_date", "last_cohort_date"]),
                   expected, ["treatment_code", "window_days"])  # fmt: skip


def test_a_planted_effect_is_found_and_a_placebo_is_not(built) -> None:
    url, _ = built
    pooled = read(url, "marts.treatment_outcomes_pooled").set_index(
        ["treatment_code", "window_days"]
    )
    per_cohort = read(url, "marts.treatment_outcomes")
    for window in WINDOWS:
        # Treated customers' orders earn MARGIN_RAISE more each, at the same order rate.
        planted = MARGIN_RAISE * ORDERS_PER_DAY * 0.95 * window
        row = pooled.loc[(EFFECT, window)]
        assert 0 < row.ci_low <= planted <= row.ci_high, (window, planted, row)
        placebo = pooled.loc[(PLACEBO, window)]
        assert placebo.ci_low <= 0 <= placebo.ci_high, (window, placebo)
        # A treatment without a holdout has no comparison.
        none = pooled.loc[(NO_HOLDOUT, window)]
        assert none.n_holdout == 0 and none.uplift is None and none.ci_low is None
    effect = per_cohort[per_cohort.treatment_code == EFFECT]
    assert len(effect) == 6
    assert (effect.ci_low > 0).all()
    # The placebo's cohort with one held-out customer has an uplift but no interval.
    single = per_cohort[(per_cohort.treatment_code == PLACEBO)
                        & (per_cohort.cohort_date == COHORTS[1])]  # fmt: skip
    assert (single.n_holdout == 1).all() and single.uplift.notna().all()
    assert single.ci_low.isna().all() and single.ci_high.isna().all()


def test_daily_costs_sum_to_the_trailing_year_and_stop_before_d(built) -> None:
    url, tables = built
    days = read(url, "intermediate.int_customer_days_costed")
    assert (days.activity_day < D).all()
    expected = daily_costs(tables).groupby(["customer_id", "day"]).agg(
        completed_orders=("orders", "sum"), gross_margin=("margin", "sum"),
        cost_to_serve=("cost", "sum"))  # fmt: skip
    expected.index.names = ["customer_id", "activity_day"]
    got = days[["customer_id", "activity_day", "completed_orders", "gross_margin",
                "cost_to_serve"]]  # fmt: skip
    assert_matches(got, expected, ["customer_id", "activity_day"])
    with psycopg.connect(url) as conn:
        # The singular test customer_days_cost_the_trailing_year ran in the build; its
        # comparison, here, returns no customer too.
        (mismatched,) = conn.execute(
            "select count(*) from intermediate.int_customer_activities_costed as totals"
            " left join (select customer_id, sum(cost_to_serve) as cost"
            " from intermediate.int_customer_days_costed"
            f" where activity_day >= date '{D}' - 365 group by 1) as days using (customer_id)"
            " where abs(totals.cost_to_serve_365d - coalesce(days.cost, 0)) > 0.045"
        ).fetchone()
        assert mismatched == 0


def test_a_harmful_treatment_is_flagged_and_the_forest_plot_draws_every_interval(built) -> None:
    url, _ = built
    pooled = read(url, "marts.treatment_outcomes_pooled")
    assert set(pooled[pooled.is_harmful].treatment_code) == {HARM}
    assert (pooled[pooled.is_harmful].ci_high < 0).all()

    with queries.connect(url) as conn:
        rows = queries.outcomes(conn, D)
    svg = charts.svg(charts.forest(rows))
    # The estimates' marks (their aria-label starts with the x field, uplift).
    drawn = [dict(part.split(": ", 1) for part in label.split("; "))
             for label in re.findall(r'aria-label="(uplift: [^"]*)"', svg)]  # fmt: skip
    measured = [r for r in rows if r["ci_low"] is not None]
    assert sorted((d["treatment"], d["window"]) for d in drawn) == sorted(
        (r["treatment"], r["window"]) for r in measured
    )
    for mark in drawn:
        row = next(
            r
            for r in measured
            if (r["treatment"], r["window"]) == (mark["treatment"], mark["window"])
        )
        for field in ("uplift", "ci_low", "ci_high"):
            assert float(mark[field].replace("\u2212", "-").replace(",", "")) == pytest.approx(
                row[field], abs=0.01
            )
    assert {r["treatment"] for r in measured} == {EFFECT, PLACEBO, HARM}

    # The report's section: the harm flagged above the plot, a table row per interval.
    html = page.environment().get_template("outcomes.html.j2").render(**page.outcome_section(rows))
    flag = re.search(r'<p class="failed" id="harmful">(.*?)</p>', html, re.S).group(1)
    assert HARM in flag and EFFECT not in flag and PLACEBO not in flag
    table = re.search(r'<table id="outcomes">(.*?)</table>', html, re.S).group(1)
    assert table.count("<tr>") == 1 + len(measured)
    assert '<figure id="forest"><svg' in html
