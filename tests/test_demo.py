"""`make demo` on a fresh checkout: no warehouse yet, no demo company, nothing landed."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import yaml

from ladder.config import PROJECT_ROOT
from tests.conftest import free_port

pytestmark = pytest.mark.slow


def test_ladder_demo_from_nothing_and_again(tmp_path) -> None:
    settings = yaml.safe_load((PROJECT_ROOT / "ladder.yml").read_text())
    settings["warehouse"]["embedded"] = {"data_dir": str(tmp_path / "wh"), "port": free_port()}
    # 500 customers of the confounded company no longer identify BG/NBD's dropout
    # parameters over half a year (standard errors 0.96 and 1.01; the limit is 1).
    settings["demo"].update(customers=1000, start="2025-01-01", end="2025-07-01")
    settings["sources"]["helpdesk"]["sandbox"]["port"] = free_port()
    for system in ("marketing", "service"):
        settings["destinations"][system]["sandbox"].update(
            port=free_port(), state=str(tmp_path / f"{system}.sqlite")
        )
    settings["destinations"]["service_file"]["root"] = str(tmp_path / "drop")
    settings["report"] = {"dir": str(tmp_path / "reports")}
    config = tmp_path / "ladder.yml"
    config.write_text(yaml.safe_dump(settings))
    env = {k: v for k, v in os.environ.items() if k != "LADDER_WAREHOUSE_URL"}
    env |= {"LADDER_CONFIG": str(config), "LADDER_DLT_DIR": str(tmp_path / "dlt"),
            "AIRFLOW_HOME": str(tmp_path / "airflow")}  # fmt: skip
    ladder = [sys.executable, "-m", "ladder.cli"]
    try:
        first = subprocess.run([*ladder, "demo"], env=env, capture_output=True, text=True)
        assert first.returncode == 0, first.stderr[-3000:]
        assert "demo company: 1,000 customers" in first.stdout
        assert "persona" in first.stdout and "raw.shop_orders" in first.stdout
        # Two nights: the first sends every list, the second only the difference.
        night_one, night_two = first.stdout.split("published as of ")[1:3]
        assert night_one.startswith("2025-07-01") and night_two.startswith("2025-07-02")
        assert sent(night_two, "marketing") < sent(night_one, "marketing")
        assert (tmp_path / "drop" / "service" / "2025-07-02" / "service.csv").exists()
        report = tmp_path / "reports" / "2025-07-02" / "index.html"
        assert first.stdout.rstrip().endswith(f"run report: {report}") and report.exists()
        assert (tmp_path / "reports" / "latest" / "index.html").read_text() == report.read_text()
        again = subprocess.run([*ladder, "demo"], env=env, capture_output=True, text=True)
        assert again.returncode == 0, again.stderr[-3000:]
        assert "demo company already loaded" in again.stdout
        # Same rows in raw: the second run of the same as-of dates landed nothing, and the
        # destinations hold the lists already: nothing is sent again.
        assert first.stdout.split("landed in")[1] == again.stdout.split("landed in")[1]
        assert sent(again.stdout.split("published as of ")[2], "marketing") == 0
    finally:
        subprocess.run([*ladder, "warehouse", "stop"], env=env, capture_output=True)


def sent(report: str, destination: str) -> int:
    """Records sent to one destination, from a publish report of `ladder demo`."""
    line = next(line for line in report.splitlines() if line.strip().startswith(destination))
    return int(line.split("sent ")[1].split(" ")[0].replace(",", ""))
