"""Publish fixtures: a warehouse database of the test's own, sandboxes it starts itself,
and dbt's artefacts kept out of the project."""

from __future__ import annotations

import sqlite3
import uuid
from pathlib import Path

import psycopg
import pytest
import yaml

from ladder import config
from ladder.demo.run import SandboxProcess
from tests.conftest import free_port
from tests.transform.conftest import dbt_target_dir

__all__ = ["dbt_target_dir"]


def held(state: Path) -> dict[str, tuple[int, int, int]]:
    with sqlite3.connect(state) as conn:
        rows = conn.execute(
            "select customer_id, present, applied_count, removed_count from records"
        ).fetchall()
    return {r[0]: r[1:] for r in rows}


@pytest.fixture()
def world(warehouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A warehouse database, and ladder.yml pointing both APIs at sandboxes of this test
    (started by the test itself, with the faults it wants), the service table at a
    service desk database of its own, all in batches of 40, and the daily file into the
    test's folder."""
    database = f"pub_{uuid.uuid4().hex[:10]}"
    warehouse.ensure_database(database)
    settings = yaml.safe_load(config.config_path().read_text())
    settings["destinations"]["service_table"].update(max_batch=40, demo_database=f"{database}_desk")
    settings["destinations"]["service_file"].update(root=str(tmp_path / "drop"), format="csv")
    ports = {}
    for system in ("marketing", "service"):
        ports[system] = free_port()
        settings["destinations"][system]["max_batch"] = 40
        settings["destinations"][system]["sandbox"].update(
            port=ports[system], state=str(tmp_path / f"{system}.sqlite")
        )
    path = tmp_path / "ladder.yml"
    path.write_text(yaml.safe_dump(settings))
    monkeypatch.setenv("LADDER_CONFIG", str(path))
    config.load_config.cache_clear()
    yield warehouse.url(database), ports, tmp_path
    config.load_config.cache_clear()


def desk(url: str) -> dict[str, tuple]:
    """What the service desk's table holds: per customer, its row and when it changed."""
    with psycopg.connect(url + "_desk") as conn:
        rows = conn.execute(
            "select customer_id, tier, treatment_code, reason, agent_note, as_of_date, updated_at"
            " from public.service_profiles"
        ).fetchall()
    return {r[0]: r[1:] for r in rows}


def sandbox(system: str, ports, folder: Path, *extra: str) -> SandboxProcess:
    return SandboxProcess(
        system, ports[system], ("--state", str(folder / f"{system}.sqlite"), *extra)
    )
