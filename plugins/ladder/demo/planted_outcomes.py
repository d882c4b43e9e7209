"""What Ladder measured against what the demo company was planted with (issue 21,
deliverable 4): per treatment and completed outcome window, the planted purchase response
(response.py) beside the purchases uplift of marts.treatment_outcomes_pooled and its 95 %
interval; and whether outreach that worked kept customers off the Toxic rung.

Reads the truth (shop.demo_truth), which the pipeline never does: for `make bench-loop`
and its test only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd
import psycopg

from ladder.demo.truth import HIGH_COST_PERSONAS, Goal

Z_95 = 1.959964  # two-sided 5 %: the marts' interval
Z_POWER = 0.841621  # one-sided 80 % power
TOXIC = "Toxic"


@dataclass(frozen=True)
class Comparison:
    treatment: str
    window_days: int
    n_treated: int
    n_holdout: int
    planted: float  # the treatment's own response probability, as planted
    # Response purchases in the window per treated customer minus per held-out customer,
    # of any treatment (the truth): the effect intention to treat measures.
    realised: float
    direct: float  # per treated customer, the responses to this treatment itself
    uplift: float  # measured purchases uplift
    ci_low: float
    ci_high: float
    profit_uplift: float
    profit_ci_low: float
    profit_ci_high: float

    @property
    def detectable(self) -> float:
        """The smallest effect this comparison finds with 80 % power at the 5 % level:
        (z_0.975 + z_0.8) x the standard error the interval was built from."""
        return (Z_95 + Z_POWER) * (self.ci_high - self.ci_low) / (2 * Z_95)

    @property
    def covered(self) -> bool:
        return self.ci_low <= self.realised <= self.ci_high

    @property
    def significant(self) -> bool:
        return self.ci_low > 0 or self.ci_high < 0

    def render(self) -> str:
        return (
            f"{self.treatment:<24} {self.window_days:>4} {self.n_treated:>8,} {self.n_holdout:>7,}"
            f" {self.planted:>8.3f} {self.direct:>8.3f} {self.realised:>8.3f} {self.uplift:>8.3f}"
            f" [{self.ci_low:>6.3f}, {self.ci_high:>6.3f}] {self.detectable:>6.3f}"
            f" {'yes' if self.covered else 'NO':>6} {'yes' if self.significant else 'no':>5}"
            f"   {self.profit_uplift:>8.2f}"
            f" [{self.profit_ci_low:>7.2f}, {self.profit_ci_high:>7.2f}]"
        )


HEADER = (
    f"{'treatment':<24} {'days':>4} {'treated':>8} {'held':>7} {'planted':>8} {'direct':>8}"
    f" {'realised':>8}"
    f" {'uplift':>8} {'95 % interval':>16} {'80%MDE':>6} {'inside':>6} {'sig':>5}"
    f"   {'profit uplift and interval':>28}"
)


def compare(warehouse: psycopg.Connection, shop: psycopg.Connection) -> list[Comparison]:
    """One comparison per treatment with a holdout and completed window, from the pooled
    outcomes as built last."""
    planted = dict(
        shop.execute("select treatment_code, purchase_response from demo_truth.planted_effects")
    )
    responses = pd.DataFrame(
        shop.execute(
            "select customer_id, treatment_code, ordered_on from demo_truth.response_orders"
        ).fetchall(),
        columns=["customer_id", "treatment_code", "ordered_on"],
    ).astype({"ordered_on": "datetime64[ns]"})
    cursor = warehouse.execute(
        "select treatment_code, window_days, n_treated, n_holdout, purchases_uplift,"
        " purchases_ci_low, purchases_ci_high, uplift, ci_low, ci_high, as_of_date"
        " from marts.treatment_outcomes_pooled where ci_low is not null"
        " order by treatment_code, window_days"
    )
    pooled = cursor.fetchall()
    if not pooled:
        return []
    as_of = pooled[0][-1]
    cohorts = pd.DataFrame(
        warehouse.execute(
            "select customer_id, treatment_code, cohort_date, is_holdout"
            " from marts.treatment_assignments"
            " where as_of_date = cohort_date and cohort_date < %s",
            (as_of,),
        ).fetchall(),
        columns=["customer_id", "treatment_code", "cohort_date", "is_holdout"],
    ).astype({"cohort_date": "datetime64[ns]"})
    out = []
    for code, window, n_t, n_h, up, lo, hi, p_up, p_lo, p_hi, _ in pooled:
        span = pd.Timedelta(days=window)
        mine = cohorts[(cohorts.treatment_code == code)
                       & (cohorts.cohort_date + span <= pd.Timestamp(as_of))]  # fmt: skip
        # Every response purchase in the window counts, whichever treatment caused it: a
        # customer the treatment moved on (a revived at-risk customer is offered cross-
        # sells next) responds to the next treatment too, which a held-out one does not.
        joined = mine.merge(responses.drop(columns="treatment_code"), on="customer_id")
        inside = (joined.ordered_on >= joined.cohort_date) & (
            joined.ordered_on < joined.cohort_date + span
        )
        counted = inside.groupby(joined.is_holdout).sum()
        groups = mine.is_holdout.value_counts()
        realised = sum(
            sign * counted.get(held, 0) / groups[held]
            for held, sign in ((False, 1), (True, -1))
            if groups.get(held, 0)
        )
        own = mine[~mine.is_holdout].merge(responses, on=["customer_id", "treatment_code"])
        direct = (
            (own.ordered_on >= own.cohort_date) & (own.ordered_on < own.cohort_date + span)
        ).sum()
        out.append(Comparison(code, window, n_t, n_h, float(planted.get(code, 0.0)),
                              float(realised), direct / max(groups.get(False, 0), 1),
                              float(up), float(lo), float(hi), float(p_up), float(p_lo),
                              float(p_hi)))  # fmt: skip
    return out


def goals(comparisons: list[Comparison], window_days: int) -> list[Goal]:
    """Each planted effect (as realised: the response purchases per treated customer)
    inside its interval, significant, and detectable with 80 % power; each treatment
    planted with none (the placebo among them) covering zero."""
    out = []
    for c in (c for c in comparisons if c.window_days == window_days):
        n = c.n_treated + c.n_holdout
        if c.planted:
            out += [
                Goal(f"{c.treatment} realised effect {c.realised:.3f} inside its interval",
                     float(c.covered), 1, True, n),
                Goal(f"{c.treatment} significant", float(c.significant), 1, True, n),
                Goal(f"{c.treatment} 80 % power: smallest detectable effect <= realised",
                     c.detectable, round(c.realised, 3), False, n),
            ]  # fmt: skip
        else:
            out.append(Goal(f"{c.treatment} (no effect planted) interval covers 0",
                            float(not c.significant), 1, True, n))  # fmt: skip
    return out


@dataclass(frozen=True)
class ToxicCheck:
    improved: int
    improved_toxic: int
    not_improved: int
    not_improved_toxic: int

    def goals(self) -> list[Goal]:
        return [
            Goal("outreach improved them -> Toxic", _share(self.improved_toxic, self.improved),
                 0.05, False, self.improved),
            Goal("outreach did not improve them, still taking without engaging -> Toxic",
                 _share(self.not_improved_toxic, self.not_improved), 0.5, True,
                 self.not_improved),
        ]  # fmt: skip


def toxic_check(warehouse: psycopg.Connection, shop: psycopg.Connection, as_of: date) -> ToxicCheck:
    """The high-cost customers an outreach that can improve them (improves_share > 0)
    reached at least toxic_outreach_days before the last night: Toxic or not, by whether
    the truth says they improved (those who did not, among the ones the last night found
    still taking without engaging)."""
    (days,) = warehouse.execute(
        "select toxic_outreach_days from staging.segment_thresholds"
    ).fetchone()
    reached = pd.DataFrame(
        shop.execute(
            "select r.customer_id, bool_or(r.improves) as improves"
            " from demo_truth.treatment_received r"
            " join demo_truth.planted_effects e using (treatment_code)"
            " join demo_truth.customer_persona p using (customer_id)"
            " where e.improves_share > 0 and r.received_on <= %s and p.persona = any(%s)"
            " group by 1",
            (as_of - timedelta(days=days), HIGH_COST_PERSONAS),
        ).fetchall(),
        columns=["customer_id", "improves"],
    )
    cursor = warehouse.execute(
        "select customer_id, ladder_rung, takes_without_engaging from marts.customer_segments"
    )
    rungs = pd.DataFrame(cursor.fetchall(), columns=["customer_id", "rung", "takes"])
    reached = reached.merge(rungs, on="customer_id")
    reached["toxic"] = reached.rung == TOXIC
    # Who did not improve is Toxic only while they still take without engaging.
    improved, stayed = reached[reached.improves], reached[~reached.improves & reached.takes]
    return ToxicCheck(len(improved), int(improved.toxic.sum()), len(stayed),
                      int(stayed.toxic.sum()))  # fmt: skip


def _share(part: int, whole: int) -> float:
    return part / whole if whole else float("nan")
