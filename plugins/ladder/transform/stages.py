"""The warehouse part of the nightly run, in order: the dbt transform stage, `score_clv`,
the dbt marts stage (DESIGN §1). The DAG runs the two dbt stages as Cosmos task groups
with these selections; `ladder transform` and the tests run the same three steps.

The CLV staging model belongs to the marts stage: its source, `clv.customer_scores`, is
written by `score_clv`, after the transform stage.
"""

from __future__ import annotations

from datetime import date

from ladder.clv.nightly import ScoringRun, score_clv
from ladder.transform.dbt import run_dbt

TRANSFORM_SELECT = [
    "path:seeds",
    "path:models/staging/shop",
    "path:models/staging/helpdesk",
    "path:models/intermediate",
    "path:models/ops",
]
MARTS_SELECT = ["path:models/staging/clv", "path:models/marts"]


def build_warehouse(
    as_of: date, *, warehouse_url: str | None = None, capture: bool = False
) -> ScoringRun:
    """Build everything for D: transform, score_clv, marts. Raises LadderError on the
    first stage that fails."""
    run_dbt(["build", "--select", *TRANSFORM_SELECT], as_of, warehouse_url=warehouse_url,
            capture=capture)  # fmt: skip
    scoring = score_clv(as_of, warehouse_url)
    run_dbt(["build", "--select", *MARTS_SELECT], as_of, warehouse_url=warehouse_url,
            capture=capture)  # fmt: skip
    return scoring
