"""`python -m tests.extract.crash POINT ladder-args...`: run `ladder`, dying at POINT.

A SIGKILL sent on a timer lands wherever the scheduler happens to be. The windows that
break a rerun are narrower: a job the warehouse has committed but dlt has not yet
recorded as done (issue 19: the rerun repeated the `_dlt_pipeline_state` insert and
failed on its unique `_dlt_id`). Each point below wraps the dlt call that makes such a
record, or begins the next step, and exits the process there with os._exit: no
cleanup, no finally blocks, as a kill would. The exit status tells the point was hit.
"""

from __future__ import annotations

import importlib
import os
import sys

CRASHED = 86

PIPELINE = "dlt.pipeline.pipeline:Pipeline"
PACKAGES = "dlt.common.storages.load_package:PackageStorage"
LOADS = "dlt.common.storages.load_storage:LoadStorage"
# The job's commit is followed by this call, which records it in the package.
RECORDED = "save_pending_transition"

# point: (class, method the process dies on entering, part of the job file's name if any)
POINTS = {
    # the package is extracted, not yet normalized
    "extracted": (PIPELINE, "normalize", None),
    # the package is normalized, nothing loaded
    "normalized": (PIPELINE, "load", None),
    # a Parquet file is committed into the staging dataset
    "rows-copied": (PACKAGES, RECORDED, ".parquet"),
    # a table's merge from staging into raw is committed
    "rows-merged": (PACKAGES, RECORDED, ".sql"),
    # the pipeline state row is committed into raw._dlt_pipeline_state
    "state-inserted": (PACKAGES, RECORDED, "_dlt_pipeline_state."),
    # the load is committed into raw._dlt_loads, the package not yet marked loaded
    "load-recorded": (LOADS, "complete_load_package", None),
}


def arm(point: str) -> None:
    where, name, file_part = POINTS[point]
    module, owner_name = where.split(":")
    owner = getattr(importlib.import_module(module), owner_name)
    original = getattr(owner, name)

    def dying(*args, **kwargs):
        if file_part is None or _is_committed_job(args, file_part):
            sys.stderr.flush()
            os._exit(CRASHED)
        return original(*args, **kwargs)

    setattr(owner, name, dying)


def _is_committed_job(args: tuple, file_part: str) -> bool:
    """The arguments of save_pending_transition: a job of `file_part` that completed."""
    _storage, _load_id, file_name, state, *_ = args
    return state == "completed" and file_part in file_name


if __name__ == "__main__":
    arm(sys.argv[1])
    from ladder.cli import main

    sys.exit(main(sys.argv[2:]))
