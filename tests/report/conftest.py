"""Report fixtures: the demo company built for two nights a week apart, each night's lists
published to the marketing and service sandboxes over loopback, tonight's gates run, and
a run report written for each night."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
import yaml

from ladder import config
from ladder.demo.run import HelpdeskSandbox, SandboxProcess
from ladder.publish.run import publish
from ladder.quality.gates import run_gate
from ladder.report import build_report
from tests.conftest import TOKEN, RawTarget, ensure_demo_company, free_port, new_target

# dbt_target_dir: the transform tests' own dbt artefact folder, autouse here too.
from tests.transform.conftest import AS_OF, build, dbt_target_dir, extract_into  # noqa: F401

PREVIOUS = AS_OF - timedelta(days=7)


@dataclass
class Night:
    target: RawTarget
    reports: Path
    pages: dict  # as-of date -> the page written for it


@pytest.fixture(scope="module")
def report_config(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict]]:
    """ladder.yml with the sandboxes on free ports and every output in the test's folder."""
    folder = tmp_path_factory.mktemp("report")
    settings = yaml.safe_load(config.config_path().read_text())
    ports = {}
    for system in ("marketing", "service"):
        ports[system] = free_port()
        settings["destinations"][system]["sandbox"].update(
            port=ports[system], state=str(folder / f"{system}.sqlite")
        )
    settings["destinations"]["service_file"]["root"] = str(folder / "drop")
    settings["report"] = {"dir": str(folder / "reports")}
    path = folder / "ladder.yml"
    path.write_text(yaml.safe_dump(settings))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LADDER_CONFIG", str(path))
        config.load_config.cache_clear()
        yield folder, ports
    config.load_config.cache_clear()


@pytest.fixture(scope="module")
def night(warehouse, report_config, tmp_path_factory: pytest.TempPathFactory) -> Night:
    folder, ports = report_config
    ensure_demo_company(warehouse)
    target = new_target(warehouse, tmp_path_factory.mktemp("dlt"))
    port = free_port()
    with HelpdeskSandbox(port):
        extract_into(target, AS_OF, f"http://:{TOKEN}@127.0.0.1:{port}")
    plant_unusable_rows(target.url)
    sandboxes = [
        SandboxProcess(system, ports[system], ("--state", str(folder / f"{system}.sqlite")))
        for system in ("marketing", "service")
    ]
    pages = {}
    with sandboxes[0], sandboxes[1]:
        for as_of in (PREVIOUS, AS_OF):
            build(target, as_of)
            publish(as_of, warehouse_url=target.url)
            if as_of == AS_OF:
                for gate in ("raw", "marts"):
                    run_gate(gate, target.url, as_of=as_of, data_docs=False)
            pages[as_of] = build_report(as_of, target.url)
    return Night(target, folder / "reports", pages)


def plant_unusable_rows(url: str) -> None:
    """Order lines staging must quarantine, as a real shop sends now and then: negative
    quantities, and lines of an order that does not exist."""
    with psycopg.connect(url) as conn:
        conn.execute(
            """
            insert into raw.shop_order_lines (order_id, line_no, product_id, quantity,
                unit_price, unit_cost, updated_at, _ladder_row_hash, _dlt_load_id)
            select
                case when n <= 3 then order_id else 'O-MISSING-' || n end,
                900 + n, product_id, case when n <= 3 then -quantity else quantity end,
                unit_price, unit_cost, updated_at, md5('planted ' || n), _dlt_load_id
            from (
                select *, row_number() over (order by order_id, line_no) as n
                from raw.shop_order_lines
            ) as lines
            where n <= 5
            """
        )
