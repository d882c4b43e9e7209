"""ladder.yml is validated when it is loaded: every mistake in one message, each line
naming the key path, and the file named once at the top."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import yaml

from ladder import config
from ladder.config import PROJECT_ROOT, ConfigError
from ladder.config_schema import LadderConfig


def project_settings() -> dict:
    return yaml.safe_load((PROJECT_ROOT / "ladder.yml").read_text())


def test_the_project_ladder_yml_is_valid(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LADDER_CONFIG", raising=False)
    config.load_config.cache_clear()
    try:
        loaded = config.load_config()
    finally:
        config.load_config.cache_clear()
    assert set(loaded) == set(LadderConfig.model_fields)
    # section() still hands out the file's own mappings.
    assert loaded["sources"]["sales"]["schema"] == "public"


def test_every_mistake_is_listed_with_its_key_path(fresh_config) -> None:
    settings = project_settings()
    settings["sources"]["sales"]["chunk_sise"] = settings["sources"]["sales"].pop("chunk_size")
    settings["destinations"]["marketing"]["max_batch"] = "5000"
    settings["clv"]["annual_discount_rate"] = "ten percent"
    settings["transform"]["execution_mode"] = "fast"
    settings["sources"]["sales"]["tables"].append(7)
    settings["demo"]["start"] = "2026-01-01"
    del settings["report"]
    settings["paging"] = {"email": "oncall@example.com"}
    path = fresh_config(yaml.safe_dump(settings))
    with pytest.raises(ConfigError) as error:
        config.load_config()
    assert str(error.value).splitlines() == [
        f"{path} has 9 mistakes (the project's ladder.yml documents every key):",
        "  - demo: start (2026-01-01) must be before end (2025-12-31)",
        "  - sources.sales.tables[7] must be text, got 7",
        "  - sources.sales.chunk_size is missing: add it",
        "  - sources.sales.chunk_sise is not a known key: did you mean sources.sales.chunk_size?"
        " sources.sales takes schema, cursor, tables, chunk_size",
        "  - transform.execution_mode must be 'watcher' or 'local', got 'fast'",
        "  - clv.annual_discount_rate must be a number, got 'ten percent'",
        "  - report is missing: add it",
        "  - destinations.marketing.max_batch must be a whole number, got '5000'",
        "  - paging is not a known key: the top level takes warehouse, demo, sources,"
        " transform, clv, quality, report, destinations, alerts, airflow",
    ]


def test_bounds_and_shapes_are_checked(fresh_config) -> None:
    settings = project_settings()
    settings["quality"]["marts"]["max_quarantine_rate"] = 1.5
    settings["quality"]["raw"]["unit_price_median"] = [1000, 1]
    settings["warehouse"]["embedded"]["port"] = 70000
    settings["destinations"]["service_table"]["table"] = "service profiles"
    settings["destinations"]["service_file"]["format"] = "xlsx"
    settings["sources"]["helpdesk"]["endpoints"] = []
    settings["sources"]["helpdesk"]["sandbox"] = "8765"
    fresh_config(yaml.safe_dump(settings))
    with pytest.raises(ConfigError) as error:
        config.load_config()
    assert str(error.value).splitlines()[1:] == (
        [
            "  - warehouse.embedded.port must be less than or equal to 65535, got 70000",
            "  - sources.helpdesk.endpoints must have at least 1 item, got []",
            "  - sources.helpdesk.sandbox must be a mapping of keys, got '8765'",
            "  - quality.raw: unit_price_median must be [low, high], got [1000.0, 1.0]",
            "  - quality.marts.max_quarantine_rate must be less than or equal to 1, got 1.5",
            "  - destinations.service_table.table must be a table name, schema.table,"
            " got 'service profiles'",
            "  - destinations.service_file.format must be 'csv' or 'parquet', got 'xlsx'",
        ]
    )


def test_a_file_that_is_not_a_mapping(fresh_config) -> None:
    path = fresh_config("- warehouse\n- demo\n")
    with pytest.raises(ConfigError, match=f"{path} must hold a mapping of sections"):
        config.load_config()


def test_every_command_reports_a_bad_ladder_yml(tmp_path) -> None:
    settings = project_settings()
    settings["warehouse"]["databse"] = settings["warehouse"].pop("database")
    path = tmp_path / "ladder.yml"
    path.write_text(yaml.safe_dump(settings))
    done = subprocess.run(
        [sys.executable, "-m", "ladder.cli", "warehouse", "url"],
        capture_output=True,
        text=True,
        env={**os.environ, "LADDER_CONFIG": str(path)},
    )
    assert done.returncode == 2
    assert done.stderr == (
        f"ladder: error: {path} has 2 mistakes (the project's ladder.yml documents every key):\n"
        "  - warehouse.database is missing: add it\n"
        "  - warehouse.databse is not a known key: did you mean warehouse.database? "
        "warehouse takes embedded, database\n"
    )


def test_the_holdout_salt_must_be_text_that_is_not_blank(fresh_config) -> None:
    for salt, mistake in (
        ("  ", "transform.holdout_salt must not be empty"),
        (20261205, "transform.holdout_salt must be text, got 20261205"),
        (None, "transform.holdout_salt must be text, got None"),
    ):
        settings = project_settings()
        settings["transform"]["holdout_salt"] = salt
        fresh_config(yaml.safe_dump(settings))
        with pytest.raises(ConfigError) as error:
            config.load_config()
        assert str(error.value).splitlines()[1:] == [f"  - {mistake}"]
