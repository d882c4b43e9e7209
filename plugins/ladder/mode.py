"""Demo or production: the one place that decides (DESIGN §3, "Production is the default").

In production every source and destination is an Airflow connection, and a missing one
is an error. Only in demo mode do the demo's stand-ins fill in for them: the sandboxes and
the `shop`, `helpdesk` and `servicedesk` databases beside the warehouse. `make demo`,
`ladder demo`, `make airflow` and the tests set demo mode; nothing else should.
"""

from __future__ import annotations

import os

from ladder.errors import LadderError

VARIABLE = "LADDER_MODE"
DEMO = "demo"
PRODUCTION = "production"


def current() -> str:
    """`demo` or `production` (the default, when LADDER_MODE is unset or empty)."""
    value = os.environ.get(VARIABLE, "").strip()
    if value in ("", PRODUCTION):
        return PRODUCTION
    if value == DEMO:
        return DEMO
    raise LadderError(
        f"{VARIABLE}={value!r} is not a mode: use {PRODUCTION} (the default, when it is "
        f"unset) or {DEMO} (the demo's sandboxes and databases stand in for missing "
        "connections)"
    )


def is_demo() -> bool:
    return current() == DEMO
