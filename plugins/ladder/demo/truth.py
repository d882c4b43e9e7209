"""The planted personas and traits of the demo company against the segments the pipeline
found: the confusion matrices and the goals of issue 20 (deliverable 10), for the test on
the small company and `make bench-segments` on the big one.

The rules are tuned on one seed (TUNING_SEED) and judged on another (EVALUATION_SEED):
`make bench-segments` and the goals' test run the evaluation seed.

The truth lives in the shop database's `demo_truth` schema, which the pipeline never reads.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date

import pandas as pd
import psycopg

TUNING_SEED = 42
EVALUATION_SEED = 20

RUNGS = ["Terrorist", "Toxic", "Prospect", "Customer", "Client", "Supporter", "Advocate"]
SEGMENTS = ["ugly", "bad", "unproven", "good"]
FLAGS = ["is_frustrated", "is_at_risk", "is_new_high_potential"]
# Whom Toxic is for: the customers who take more than they give by their own doing.
HIGH_COST_PERSONAS = ["high_cost_to_serve", "bargain_hunter"]


@dataclass(frozen=True)
class Goal:
    name: str
    value: float | None  # None: measured elsewhere, not in this report
    target: float
    at_least: bool  # else: at most
    customers: int  # how many customers the figure is over

    @property
    def met(self) -> bool:
        if self.value is None or math.isnan(self.value):
            return False
        return self.value >= self.target if self.at_least else self.value <= self.target

    def describe(self) -> str:
        bound = ">=" if self.at_least else "<="
        if self.value is None:
            return f"{self.name}: not measured here (goal {bound} {self.target})"
        verdict = "met" if self.met else "NOT MET"
        return (
            f"{self.name}: {self.value:.3f} (goal {bound} {self.target}, over "
            f"{self.customers:,} customers): {verdict}"
        )


@dataclass(frozen=True)
class Truth:
    persona: dict[str, str]  # customer_id -> persona
    traits: pd.DataFrame  # customer_id, trait
    # Buyers whose planted purchase process has ended (BG/NBD dropout, in every persona).
    stopped: frozenset[str] = frozenset()


def load_truth(shop: psycopg.Connection) -> Truth:
    persona = dict(shop.execute("select customer_id, persona from demo_truth.customer_persona"))
    cursor = shop.execute("select customer_id, trait from demo_truth.customer_trait")
    traits = pd.DataFrame(cursor.fetchall(), columns=["customer_id", "trait"])
    stopped = shop.execute(
        "select customer_id from demo_truth.customer_parameters"
        " where lambda_per_day > 0 and repeat_purchases >= dropout_after"
    )
    return Truth(persona, traits, frozenset(row[0] for row in stopped))


@dataclass(frozen=True)
class PersonaReport:
    # customer_id, persona, ladder_rung, value_segment, the FLAGS, advocacy_observed,
    # bought_in_year (a purchase in the trailing year), has_stopped (the planted purchase
    # process has ended)
    segments: pd.DataFrame
    traits: pd.DataFrame  # customer_id, trait
    # The top fifth's realised profit against the average, from the early-identification
    # backtest (issue 20 deliverable 4), which another part of the project computes.
    new_high_potential_lift: float | None = field(default=None)

    def _with_trait(self, trait: str) -> pd.DataFrame:
        holders = self.traits.customer_id[self.traits.trait == trait]
        return self.segments[self.segments.customer_id.isin(holders)]

    def by_rung(self) -> pd.DataFrame:
        table = pd.crosstab(self.segments.persona, self.segments.ladder_rung)
        return table.reindex(columns=[r for r in RUNGS if r in table.columns])

    def by_segment(self) -> pd.DataFrame:
        table = pd.crosstab(self.segments.persona, self.segments.value_segment)
        return table.reindex(columns=[s for s in SEGMENTS if s in table.columns])

    def by_flag(self) -> pd.DataFrame:
        """Customers per persona, and how many of them carry each flag."""
        table = self.segments.groupby("persona")[FLAGS].sum()
        table.insert(0, "customers", self.segments.groupby("persona").size())
        return table

    def traits_by_rung(self) -> pd.DataFrame:
        joined = self.traits.merge(self.segments, on="customer_id")
        joined["trait"] = joined.trait + " (" + joined.persona + ")"
        table = pd.crosstab(joined.trait, joined.ladder_rung)
        flags = joined.groupby("trait")[FLAGS].sum()
        return table.reindex(columns=[r for r in RUNGS if r in table.columns]).join(flags)

    def goals(self) -> list[Goal]:
        """The one-night goals (1,000,000 customers, one night)."""
        s = self.segments
        abusive = s[s.persona == "abusive"]
        terrorists = s[s.ladder_rung == "Terrorist"]
        frustrated = s[s.persona == "frustrated_fixable"]
        toxic = s[s.ladder_rung == "Toxic"]
        advocates = s[(s.persona == "advocate") & s.advocacy_observed]
        churned = s[s.persona == "churned"]
        at_risk = s[s.is_at_risk]
        # Every persona's buyers drop out (BG/NBD): a flagged customer who in truth
        # stopped buying is found, whatever the persona; so is a loyal client gone quiet.
        stopped = at_risk.has_stopped | at_risk.customer_id.isin(
            self._with_trait("goes_quiet").customer_id
        )
        return [
            Goal("abusive -> Terrorist recall", _share(abusive.ladder_rung == "Terrorist"),
                 0.9, True, len(abusive)),
            Goal("Terrorist -> abusive precision", _share(terrorists.persona == "abusive"),
                 0.95, True, len(terrorists)),
            Goal("frustrated_fixable -> Terrorist or Toxic",
                 _share(frustrated.ladder_rung.isin(["Terrorist", "Toxic"])), 0.01, False,
                 len(frustrated)),
            Goal("customers both Toxic and flagged frustrated", float(toxic.is_frustrated.sum()),
                 0, False, len(toxic)),
            Goal("advocates with an observable signal -> Advocate",
                 _share(advocates.ladder_rung == "Advocate"), 0.9, True, len(advocates)),
            Goal("churned -> at_risk recall", _share(churned.is_at_risk), 0.6, True,
                 len(churned)),
            Goal("at_risk -> stopped buying (planted dropout or gone quiet) precision",
                 _share(stopped), 0.5, True, len(at_risk)),
            Goal("new_high_potential top-fifth lift", self.new_high_potential_lift, 2.0, True,
                 0),
        ]  # fmt: skip

    def advocates_missed(self) -> str:
        """Where the advocates with a signal that are not on the Advocate rung are: DESIGN
        §6 makes Advocate an active buyer, so a promoter who made no purchase in the
        trailing year is a Customer (and at_risk, if they were valuable)."""
        s = self.segments
        missed = s[(s.persona == "advocate") & s.advocacy_observed & (s.ladder_rung != "Advocate")]
        lapsed = missed[~missed.bought_in_year]
        return (
            f"advocates with a signal not on Advocate: {len(missed):,}; of them "
            f"{len(lapsed):,} made no purchase in the trailing year "
            f"({int(lapsed.is_at_risk.sum()):,} flagged at_risk)"
        )

    def goals_after_nights(self) -> list[Goal]:
        """The goals after 60 simulated nights of a 50,000-customer company, when outreach
        had time to be tried."""
        s = self.segments
        stu = self._with_trait("stu")
        frustrated = s[s.persona == "frustrated_fixable"]
        toxic = s[s.ladder_rung == "Toxic"]
        return [
            Goal("Stu-like -> Toxic", _share(stu.ladder_rung == "Toxic"), 0.02, False, len(stu)),
            Goal("frustrated_fixable -> Toxic", _share(frustrated.ladder_rung == "Toxic"),
                 0.01, False, len(frustrated)),
            Goal(f"Toxic -> {' or '.join(HIGH_COST_PERSONAS)} precision",
                 _share(toxic.persona.isin(HIGH_COST_PERSONAS)), 0.9, True, len(toxic)),
        ]  # fmt: skip

    def render(self, after_nights: bool = False) -> str:
        goals = self.goals_after_nights() if after_nights else self.goals()
        title = "goals after 60 nights" if after_nights else "goals of one night"
        return "\n".join(
            [
                "planted persona x ladder rung:",
                self.by_rung().to_string(),
                "",
                "planted persona x value segment:",
                self.by_segment().to_string(),
                "",
                "planted persona x flags (customers flagged):",
                self.by_flag().to_string(),
                "",
                "trait (persona) x ladder rung and flags:",
                self.traits_by_rung().to_string(),
                "",
                f"{title}:",
                *(goal.describe() for goal in goals),
                self.advocates_missed(),
            ]
        )


def persona_report(warehouse: psycopg.Connection, truth: Truth, as_of: date) -> PersonaReport:
    """Join marts.customer_segments (built for `as_of`) with the planted persona and traits
    of each customer, and whether an advocate's advocacy was observable before then."""
    cursor = warehouse.execute(
        "select segments.customer_id, segments.ladder_rung, segments.value_segment, "
        f"{', '.join('segments.' + flag for flag in FLAGS)}, "
        "coalesce(value.purchase_days_365d > 0, false) as bought_in_year "
        "from marts.customer_segments as segments "
        "left join marts.customer_value as value using (customer_id)"
    )
    segments = pd.DataFrame(cursor.fetchall(), columns=[c.name for c in cursor.description])
    segments["persona"] = segments.customer_id.map(truth.persona)
    missing = segments.persona.isna().sum()
    if missing:
        raise ValueError(f"{missing} segmented customers have no planted persona")
    segments[FLAGS] = segments[FLAGS].fillna(False).astype(bool)
    observed = {row[0] for row in warehouse.execute(ADVOCACY_OBSERVED, {"as_of": as_of})}
    segments["advocacy_observed"] = segments.customer_id.isin(observed)
    segments["has_stopped"] = segments.customer_id.isin(truth.stopped)
    return PersonaReport(segments, truth.traits)


# Who showed advocacy in the data the pipeline was given: a promoter's survey answer (the
# seed segment_thresholds says what a promoter is), or a referral of a customer who then
# bought, before D.
ADVOCACY_OBSERVED = """
select customer_id from staging.stg_helpdesk__surveys
where
    nps >= (select promoter_nps_min from staging.segment_thresholds)
    and answered_at < %(as_of)s
union
select referrals.referrer_customer_id
from staging.stg_shop__referrals as referrals
inner join staging.stg_shop__orders as orders
    on referrals.referred_customer_id = orders.customer_id
where orders.order_status = 'completed' and orders.ordered_at < %(as_of)s
"""


def _share(mask: pd.Series) -> float:
    return float(mask.mean()) if len(mask) else float("nan")
