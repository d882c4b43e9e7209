"""Holdouts (docs/holdouts.md), built by dbt with the project's own tests:

- a customer is held out of a treatment when the salted md5 of the treatment code and their
  id, as a fraction, falls below the treatment's holdout_share: the documented formula,
  recomputed here, gives every row of both lists;
- the shares converge to the configured ones, and one customer's draws in two treatments
  are independent (the macro itself, on many synthetic customers in the warehouse);
- the assignment is the same on every night and rerun, and the assignment log keeps it
  night by night with its cohorts, through reruns and a backfill.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
import subprocess
import uuid
from datetime import date, timedelta

import numpy as np
import psycopg
import pytest

from ladder import config
from ladder.transform import run_dbt
from ladder.transform.dbt import DBT_PROJECT, HOLDOUT_SALT, project_env, venv_executable
from ladder.transform.stages import INDIRECT_SELECTION
from tests.conftest import dbt_build
from tests.transform.standins import (
    EXCLUDE,
    SELECT,
    D,
    no_unreadable_consent_nor_suppression,
    random_mix,
    write,
)

SEEDS = config.PROJECT_ROOT / "dbt_project" / "seeds"
LOG = "treatment_assignments"
# Bounds of 4.5 standard deviations: a correct assignment fails one in about 150,000.
SIGMAS = 4.5


def salt() -> str:
    return config.section("transform")["holdout_salt"]


def draw(customer: str, code: str) -> float:
    """The documented draw: md5 of salt|code|customer, its first 8 hex digits over 2^32."""
    digest = hashlib.md5(f"{salt()}|{code}|{customer}".encode()).hexdigest()
    return int(digest[:8], 16) / 2**32


def shares() -> dict[str, float]:
    with (SEEDS / "treatment_rules.csv").open() as rows:
        return {r["treatment_code"]: float(r["holdout_share"]) for r in csv.DictReader(rows)}


def within_binomial(held: int, n: int, share: float) -> bool:
    return abs(held - n * share) <= SIGMAS * math.sqrt(n * share * (1 - share))


def rows(url: str, query: str) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(query).fetchall()


def build(url: str, as_of: date, select: list[str]) -> None:
    dbt_build(url, as_of, ["build", "--select", *select, *EXCLUDE, "--indirect-selection",
                           INDIRECT_SELECTION])  # fmt: skip


@pytest.fixture(scope="module")
def mix(warehouse) -> str:
    """3,000 random customers in a database of their own, both lists and the log built
    for the night before D and for D."""
    database = f"hold_{uuid.uuid4().hex[:10]}"
    warehouse.ensure_database(database)
    url = warehouse.url(database)
    write(url, random_mix(np.random.default_rng(11), 3000))
    no_unreadable_consent_nor_suppression(url)
    build(url, D - timedelta(days=1), [*SELECT, LOG])
    build(url, D, [*SELECT, LOG])
    return url


def lists(url: str) -> list[tuple[str, str, str, bool]]:
    return rows(
        url,
        "select 'marketing', customer_id, treatment_code, is_holdout"
        " from marts.treatment_marketing union all"
        " select 'service', customer_id, treatment_code, is_holdout from marts.treatment_service",
    )


def test_every_list_row_is_held_out_by_the_documented_salted_hash(mix) -> None:
    configured = shares()
    assigned = lists(mix)
    assert len(assigned) > 3000
    for _, customer, code, is_holdout in assigned:
        assert is_holdout == (draw(customer, code) < configured[code]), (customer, code)
    # Service protections and the suppression list hold nobody out; each promotional
    # treatment holds out its share, within the binomial spread.
    held = {(system, code): [0, 0] for system, _, code, _ in assigned}
    for system, _, code, is_holdout in assigned:
        held[system, code][0] += is_holdout
        held[system, code][1] += 1
    assert all(k == 0 for (system, _), (k, _) in held.items() if system == "service")
    assert held["marketing", "SUPPRESS_PROMOTIONS"][0] == 0
    promotional = [(k, n, configured[code]) for (s, code), (k, n) in held.items()
                   if s == "marketing" and configured[code] > 0]  # fmt: skip
    assert len(promotional) >= 4
    for k, n, share in promotional:
        assert within_binomial(k, n, share), (k, n, share)
    total_held, total = sum(k for k, _, _ in promotional), sum(n for _, n, _ in promotional)
    assert total > 500 and within_binomial(total_held, total, 0.1)


def show(url: str, query: str) -> list[dict]:
    """The rows of a query compiled by dbt (so it may call the project's macros)."""
    done = run_dbt(["show", "--inline", query, "--limit", "-1", "--output", "json", "--quiet"],
                   warehouse_url=url, capture=True)  # fmt: skip
    return json.loads(done.stdout[done.stdout.index("{") :])["show"]


def test_shares_converge_and_draws_are_independent_across_treatments(mix) -> None:
    """200,000 synthetic customers through the macro, in SQL, with shares of 0.05 to 0.5
    for two codes: each share is met within the binomial spread, and so is the joint
    share held out of both (the product: independent draws)."""
    n = 200_000
    cases = [("WINBACK", 0.1, "GROW_CROSS_SELL", 0.3), ("PROFIT_ALTERNATIVES", 0.5,
             "VIP_RECOGNITION", 0.05)]  # fmt: skip
    for first, share_a, second, share_b in cases:
        (result,) = show(
            mix,
            f"""
            select
                count(*) as customers,
                count(*) filter (where a) as held_a,
                count(*) filter (where b) as held_b,
                count(*) filter (where a and b) as held_both,
                count(*) filter (where a and not b) as held_a_treated_b
            from (
                select
                    {{{{ is_holdout("'S' || n", "'{first}'", {share_a}) }}}} as a,
                    {{{{ is_holdout("'S' || n", "'{second}'", {share_b}) }}}} as b
                from generate_series(1, {n}) as n
            ) as draws
            """,
        )
        assert result["customers"] == n
        assert within_binomial(result["held_a"], n, share_a), result
        assert within_binomial(result["held_b"], n, share_b), result
        assert within_binomial(result["held_both"], n, share_a * share_b), result
        assert result["held_a_treated_b"] > 0


def test_assignment_is_stable_across_nights_and_reruns(mix) -> None:
    """The same customer and treatment are in the same group on both nights; a rerun of D
    changes neither list's groups nor the log."""
    log_query = (
        "select as_of_date, customer_id, system, treatment_code, is_holdout, cohort_date"
        f" from marts.{LOG} order by 1, 2, 3"
    )
    log = rows(mix, log_query)
    nights = {}
    for as_of, customer, system, code, is_holdout, _ in log:
        nights.setdefault((customer, system, code), {})[as_of] = is_holdout
    both = [groups for groups in nights.values() if len(groups) == 2]
    assert len(both) > 1000
    assert all(len(set(groups.values())) == 1 for groups in both)
    assert sum(next(iter(g.values())) for g in both) > 50
    # The log holds D's lists exactly, each customer at most once per night and system.
    at_d = {(s, c, code, h) for as_of, c, s, code, h, _ in log if as_of == D}
    assert at_d == set(lists(mix))
    # A treatment kept from the night before keeps its cohort; a new one starts at D.
    for as_of, customer, system, code, _, cohort in log:
        previous = nights[customer, system, code]
        assert cohort == (D - timedelta(days=1) if D - timedelta(days=1) in previous else as_of)
    before = lists(mix)
    build(mix, D, [*SELECT, LOG])
    assert sorted(lists(mix)) == sorted(before)
    assert rows(mix, log_query) == log


def write_lists(url: str, marketing: dict[str, tuple[str, bool]],
                service: dict[str, tuple[str, bool]]) -> None:  # fmt: skip
    """Both treatment marts as the log reads them: customer -> (treatment code, held out)."""
    with psycopg.connect(url) as conn:
        conn.execute("create schema if not exists marts")
        for system, assigned in (("marketing", marketing), ("service", service)):
            conn.execute(f"drop table if exists marts.treatment_{system}")
            conn.execute(
                f"create table marts.treatment_{system} (customer_id varchar,"
                " treatment_code text, is_holdout boolean)"
            )
            conn.cursor().executemany(
                f"insert into marts.treatment_{system} values (%s, %s, %s)",
                [(c, code, h) for c, (code, h) in assigned.items()],
            )


def build_log(url: str, night: date) -> None:
    """The log alone, with the seed its codes are tested against and its own tests."""
    dbt_build(url, night, ["build", "--select", "treatment_catalogue", LOG,
                           "--indirect-selection", "cautious"])  # fmt: skip


def log_night(url: str, night: date, marketing: dict, service: dict) -> None:
    write_lists(url, marketing, service)
    build_log(url, night)


def test_the_log_keeps_cohorts_through_reruns_and_a_backfill(warehouse) -> None:
    """Nights 1, 2 and 4 logged, then night 3 backfilled and night 4 rerun: each night
    keeps its own assignments, and a cohort is the first night a customer was ever
    assigned the treatment, however often they left it."""
    database = f"log_{uuid.uuid4().hex[:10]}"
    warehouse.ensure_database(database)
    url = warehouse.url(database)
    n1, n2, n3, n4 = (D + timedelta(days=i) for i in range(4))
    log_night(url, n1, {"A": ("WINBACK", False), "B": ("GROW_CROSS_SELL", True)},
              {"A": ("SERVICE_RECOVERY", False)})  # fmt: skip
    log_night(url, n2, {"A": ("WINBACK", False), "B": ("VIP_RECOGNITION", False)}, {})
    # Night 3 is missing for now; B comes back to GROW_CROSS_SELL on night 4.
    log_night(url, n4, {"A": ("WINBACK", False), "B": ("GROW_CROSS_SELL", True),
                        "C": ("WINBACK", True)}, {})  # fmt: skip
    query = (
        "select as_of_date, customer_id, system, treatment_code, is_holdout, cohort_date"
        f" from marts.{LOG} order by 1, 2, 3"
    )
    m, s = "marketing", "service"
    before_backfill = [
        (n1, "A", m, "WINBACK", False, n1),
        (n1, "A", s, "SERVICE_RECOVERY", False, n1),
        (n1, "B", m, "GROW_CROSS_SELL", True, n1),
        (n2, "A", m, "WINBACK", False, n1),
        (n2, "B", m, "VIP_RECOGNITION", False, n2),
        (n4, "A", m, "WINBACK", False, n1),
        (n4, "B", m, "GROW_CROSS_SELL", True, n1),
        (n4, "C", m, "WINBACK", True, n4),
    ]
    assert rows(url, query) == before_backfill
    # The backfill of night 3: A left WINBACK that night and stays in its night-1 cohort
    # on night 4; night 3 is C's first night of WINBACK, so night 4's cohort moves to it.
    log_night(url, n3, {"A": ("GROW_CROSS_SELL", False), "C": ("WINBACK", True)}, {})
    after_backfill = [
        *before_backfill[:5],
        (n3, "A", m, "GROW_CROSS_SELL", False, n3),
        (n3, "C", m, "WINBACK", True, n3),
        (n4, "A", m, "WINBACK", False, n1),
        (n4, "B", m, "GROW_CROSS_SELL", True, n1),
        (n4, "C", m, "WINBACK", True, n3),
    ]
    assert rows(url, query) == after_backfill
    # A rerun of night 3 changes nothing; a rerun of night 4 replaces night 4 only.
    build_log(url, n3)
    assert rows(url, query) == after_backfill
    log_night(url, n4, {"C": ("WINBACK", True)}, {"B": ("PRIORITY_SUPPORT", False)})
    assert rows(url, query) == [
        *after_backfill[:7],
        (n4, "B", s, "PRIORITY_SUPPORT", False, n4),
        (n4, "C", m, "WINBACK", True, n3),
    ]


def test_a_dbt_started_without_the_salt_stops_instead_of_assigning(mix) -> None:
    env = {k: v for k, v in project_env(mix).items() if k != HOLDOUT_SALT}
    done = subprocess.run(
        [venv_executable("dbt"), "compile", "--select", "treatment_marketing"],
        cwd=DBT_PROJECT, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode != 0
    assert "LADDER_DBT_HOLDOUT_SALT is not set: it is ladder.yml's transform.holdout_salt" in (
        done.stdout
    )
