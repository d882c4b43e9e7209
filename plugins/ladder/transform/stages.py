"""The warehouse part of the nightly run, in order: the dbt transform stage, `score_clv`,
the dbt marts stage into the shadow schema, and its promotion to `marts` (DESIGN §1, §8).
The DAG runs the two dbt stages as Cosmos task groups with these selections, with
validate_marts between the marts build and the promotion; `ladder transform` and the
tests run the same steps.

The CLV staging model belongs to the marts stage: its source, `clv.customer_scores`, is
written by `score_clv`, after the transform stage. So does the suppression list's, read
as late as possible (and `score_clv` has applied the migrations that create it).
"""

from __future__ import annotations

import json
from datetime import date
from typing import TYPE_CHECKING

from ladder.transform.dbt import DbtSession, run_dbt
from ladder.transform.promote import SHADOW, prepare_shadow, promote

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
# The marts stage builds the marts into the shadow schema, never into what BI reads.
MARTS_VARS = {"marts_schema": SHADOW}
# A test runs in the stage that builds the last of its parents: the consent test on the
# marketing list reads a staging model too, and must wait for the list.
INDIRECT_SELECTION = "buildable"


def build_warehouse(
    as_of: date,
    *,
    warehouse_url: str | None = None,
    capture: bool = False,
    validate: bool = False,
    session: DbtSession | None = None,
) -> ScoringRun:
    """Build everything for D: transform, score_clv, the marts into the shadow schema,
    then promote them to `marts`. Raises LadderError on the first stage that fails, and
    then `marts` is left as it was.

    With `validate`, validate_marts checks the shadow build first and a failure
    (GateFailed) leaves `marts` untouched, as in the nightly run; `ladder transform`
    validates. The tests and benchmarks build without the gate: they build nights the
    gate would stop, to look at them, and run the gates where they test them.

    Builds in a row on one warehouse (the tests) may share a `session` of it: dbt in this
    process, the project parsed once (DbtSession)."""
    # The DAG file imports this module to parse; the model's numpy stack loads only here.
    from ladder.clv.nightly import score_clv

    if session is not None:
        from ladder.warehouse.migrations import migrate

        migrate(warehouse_url)  # what a dbt process would have applied first (run_dbt)
    build_stage(TRANSFORM_SELECT, as_of, warehouse_url=warehouse_url, capture=capture,
                session=session)  # fmt: skip
    scoring = score_clv(as_of, warehouse_url)
    prepare_shadow(as_of, warehouse_url)
    build_stage(MARTS_SELECT, as_of, warehouse_url=warehouse_url, capture=capture,
                dbt_vars=MARTS_VARS, session=session)  # fmt: skip
    if validate:
        from ladder.quality.gates import run_gate

        run_gate("marts", warehouse_url, as_of=as_of, schema=SHADOW)
    promote(as_of, warehouse_url)
    return scoring


def build_stage(
    select: list[str],
    as_of: date,
    *,
    warehouse_url: str | None = None,
    capture: bool = False,
    dbt_vars: dict[str, str] | None = None,
    session: DbtSession | None = None,
) -> None:
    """`dbt build` of one stage's selection, its tests chosen as the DAG chooses them; in
    `session`'s process when given (many nights in a row), else as a dbt process."""
    args = ["build", "--select", *select, "--indirect-selection", INDIRECT_SELECTION]
    variables = {"as_of_date": as_of.isoformat(), **(dbt_vars or {})}
    if session is not None:
        session.run(args, variables)
        return
    run_dbt([*args, "--vars", json.dumps(variables)], warehouse_url=warehouse_url, capture=capture)
