"""The warehouse part of the nightly run, in order: the dbt transform stage, `score_clv`,
the dbt marts stage (DESIGN §1). The DAG runs the two dbt stages as Cosmos task groups
with these selections; `ladder transform` and the tests run the same three steps.

The CLV staging model belongs to the marts stage: its source, `clv.customer_scores`, is
written by `score_clv`, after the transform stage. So does the suppression list's, read
as late as possible (and `score_clv` has applied the migrations that create it).
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from ladder.transform.dbt import run_dbt

if TYPE_CHECKING:
    from ladder.clv.nightly import ScoringRun

TRANSFORM_SELECT = [
    "path:seeds",
    "path:models/staging/shop",
    "path:models/staging/helpdesk",
    "path:models/intermediate",
    "path:models/ops",
]
MARTS_SELECT = ["path:models/staging/clv", "path:models/staging/ops", "path:models/marts"]
# A test runs in the stage that builds the last of its parents: the consent test on the
# marketing list reads a staging model too, and must wait for the list.
INDIRECT_SELECTION = "buildable"


def build_warehouse(
    as_of: date, *, warehouse_url: str | None = None, capture: bool = False
) -> ScoringRun:
    """Build everything for D: transform, score_clv, marts. Raises LadderError on the
    first stage that fails."""
    # The DAG file imports this module to parse; the model's numpy stack loads only here.
    from ladder.clv.nightly import score_clv

    build_stage(TRANSFORM_SELECT, as_of, warehouse_url=warehouse_url, capture=capture)
    scoring = score_clv(as_of, warehouse_url)
    build_stage(MARTS_SELECT, as_of, warehouse_url=warehouse_url, capture=capture)
    return scoring


def build_stage(
    select: list[str], as_of: date, *, warehouse_url: str | None = None, capture: bool = False
) -> None:
    """`dbt build` of one stage's selection, its tests chosen as the DAG chooses them."""
    args = ["build", "--select", *select, "--indirect-selection", INDIRECT_SELECTION]
    run_dbt(args, as_of, warehouse_url=warehouse_url, capture=capture)
