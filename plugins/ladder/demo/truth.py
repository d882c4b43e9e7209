"""The planted personas of the demo company against the segments the pipeline found:
the confusion matrices and the goals of the segmentation (issue 6), for the test on the
small company and `make bench-segments` on the big one.

The truth lives in the shop database's `demo_truth` schema, which the pipeline never reads.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import psycopg

RUNGS = ["Terrorist", "Toxic", "Prospect", "Customer", "Client", "Supporter", "Advocate"]
SEGMENTS = ["ugly", "bad", "unproven", "good"]


@dataclass(frozen=True)
class Goal:
    name: str
    value: float
    target: float
    at_least: bool  # else: at most
    customers: int  # how many customers the figure is over

    @property
    def met(self) -> bool:
        return self.value >= self.target if self.at_least else self.value <= self.target

    def describe(self) -> str:
        bound = ">=" if self.at_least else "<="
        verdict = "met" if self.met else "NOT MET"
        return (
            f"{self.name}: {self.value:.3f} (goal {bound} {self.target}, over "
            f"{self.customers:,} customers): {verdict}"
        )


@dataclass(frozen=True)
class PersonaReport:
    segments: pd.DataFrame  # customer_id, persona, ladder_rung, value_segment

    def by_rung(self) -> pd.DataFrame:
        table = pd.crosstab(self.segments.persona, self.segments.ladder_rung)
        return table.reindex(columns=[r for r in RUNGS if r in table.columns])

    def by_segment(self) -> pd.DataFrame:
        table = pd.crosstab(self.segments.persona, self.segments.value_segment)
        return table.reindex(columns=[s for s in SEGMENTS if s in table.columns])

    def goals(self) -> list[Goal]:
        s = self.segments
        abusive = s[s.persona == "abusive"]
        frustrated = s[s.persona == "frustrated_fixable"]
        advocates = s[s.persona == "advocate"]
        flagged_bad = s[(s.value_segment == "bad") | (s.ladder_rung == "Toxic")]
        costly = flagged_bad.persona.isin(["bargain_hunter", "high_cost_to_serve"])
        return [
            Goal("abusive -> Terrorist recall", _share(abusive.ladder_rung == "Terrorist"),
                 0.9, True, len(abusive)),
            Goal("frustrated_fixable -> Terrorist or Toxic",
                 _share(frustrated.ladder_rung.isin(["Terrorist", "Toxic"])), 0.02, False,
                 len(frustrated)),
            Goal("advocate -> Advocate recall", _share(advocates.ladder_rung == "Advocate"),
                 0.8, True, len(advocates)),
            Goal("bad or Toxic -> bargain_hunter or high_cost_to_serve precision",
                 _share(costly), 0.8, True, len(flagged_bad)),
        ]  # fmt: skip

    def render(self) -> str:
        return "\n".join(
            [
                "planted persona x ladder rung:",
                self.by_rung().to_string(),
                "",
                "planted persona x value segment:",
                self.by_segment().to_string(),
                "",
                *(goal.describe() for goal in self.goals()),
            ]
        )


def persona_report(warehouse: psycopg.Connection, truth: dict[str, str]) -> PersonaReport:
    """Join marts.customer_segments with the planted persona of each customer."""
    cursor = warehouse.execute(
        "select customer_id, ladder_rung, value_segment from marts.customer_segments"
    )
    segments = pd.DataFrame(cursor.fetchall(), columns=[c.name for c in cursor.description])
    segments["persona"] = segments.customer_id.map(truth)
    missing = segments.persona.isna().sum()
    if missing:
        raise ValueError(f"{missing} segmented customers have no planted persona")
    return PersonaReport(segments)


def _share(mask: pd.Series) -> float:
    return float(mask.mean()) if len(mask) else float("nan")
