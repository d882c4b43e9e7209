"""The Cosmos wiring: the manifest cache and the dbt profile from the warehouse resolution."""

from __future__ import annotations

import os

from ladder.transform import cosmos
from ladder.transform.dbt import ensure_manifest


def test_the_manifest_is_parsed_once_and_again_only_after_a_project_change(tmp_path) -> None:
    manifest = ensure_manifest(tmp_path / "manifest.json")
    parsed_at = manifest.stat().st_mtime_ns
    assert ensure_manifest(manifest).stat().st_mtime_ns == parsed_at

    # A manifest older than the project's files: the next DAG parse parses dbt again.
    os.utime(manifest, (0, 0))
    assert ensure_manifest(manifest).stat().st_mtime > 0


def test_the_dbt_profile_comes_from_the_warehouse_resolution_when_a_task_runs(
    monkeypatch,
) -> None:
    monkeypatch.delenv("AIRFLOW_CONN_LADDER_WAREHOUSE", raising=False)
    monkeypatch.setenv("LADDER_WAREHOUSE_URL", "postgresql://ladder:first@127.0.0.1:5001/one")
    mapping = cosmos.WarehouseProfileMapping()  # built at DAG parse: resolves nothing yet
    monkeypatch.setenv("LADDER_WAREHOUSE_URL", "postgresql://ladder:s3cret@127.0.0.1:5002/two")
    profile = mapping.profile
    assert (profile["host"], profile["port"], profile["dbname"]) == ("127.0.0.1", 5002, "two")
    # The password reaches dbt through the environment, never through profiles.yml.
    assert "s3cret" not in str(profile)
    assert "s3cret" in mapping.env_vars.values()
