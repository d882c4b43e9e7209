"""A load stopped dead at any point, then rerun, lands the same raw as one uninterrupted load.

Each point is a place in the load where the process is made to die (see crash.py), so the
windows between a warehouse commit and dlt's record of it are hit every time, not by luck.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import DEMO, new_target
from tests.extract.conftest import ladder
from tests.extract.crash import CRASHED, POINTS

AS_OF = DEMO["end"].isoformat()


@pytest.fixture(scope="module")
def uninterrupted(warehouse, tmp_path_factory) -> dict:
    from tests.conftest import ensure_demo_company

    ensure_demo_company(warehouse)
    reference = new_target(warehouse, tmp_path_factory.mktemp("reference-dlt"))
    result = ladder("extract", "sales", "--as-of", AS_OF, env=reference.env())
    assert result.returncode == 0, result.stderr
    return reference.checksums()


@pytest.mark.parametrize("point", list(POINTS))
def test_a_load_that_dies_at_any_point_reruns_to_the_same_raw(
    demo_company, raw_target, uninterrupted, point: str
) -> None:
    crashed = subprocess.run(
        [sys.executable, "-m", "tests.extract.crash", point, "extract", "sales", "--as-of", AS_OF],
        env={**os.environ, **raw_target.env()},
        capture_output=True,
        text=True,
    )
    assert crashed.returncode == CRASHED, crashed.stderr

    rerun = ladder("extract", "sales", "--as-of", AS_OF)
    assert rerun.returncode == 0, rerun.stderr
    assert raw_target.checksums() == uninterrupted

    again = ladder("extract", "sales", "--as-of", AS_OF)
    assert again.returncode == 0, again.stderr
    assert "extract sales: 0 new rows in raw" in again.stdout
    assert raw_target.checksums() == uninterrupted
