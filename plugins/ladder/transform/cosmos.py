"""The dbt project as Airflow task groups, rendered by astronomer-cosmos (DESIGN §1).

The DAG file imports this at parse time, so nothing here touches the warehouse: the
profile is resolved when a task runs, and the graph comes from a manifest that dbt
writes once (`ensure_manifest`), not from a `dbt ls` at every parse.
"""

from __future__ import annotations

import os

from airflow.sdk import Connection, TriggerRule
from cosmos import (
    DbtTaskGroup,
    ExecutionConfig,
    ExecutionMode,
    InvocationMode,
    LoadMode,
    ProfileConfig,
    ProjectConfig,
    RenderConfig,
    TestBehavior,
    TestIndirectSelection,
)
from cosmos.constants import DbtResourceType
from cosmos.dbt.graph import DbtGraph
from cosmos.profiles import PostgresUserPasswordProfileMapping

from ladder import config
from ladder.connections import WAREHOUSE
from ladder.errors import LadderError
from ladder.transform.dbt import DBT_PROJECT, ensure_manifest, settings_env, venv_executable
from ladder.transform.stages import INDIRECT_SELECTION

# dbt's as_of_date is the run's D, the rule of ladder.as_of.as_of_date as a template.
AS_OF_DATE = (
    "{{ (logical_date if dag_run.run_type == 'manual' and logical_date"
    " else data_interval_end) | ds }}"
)


class WarehouseProfileMapping(PostgresUserPasswordProfileMapping):
    """dbt's profile from the warehouse resolution every stage uses (the Airflow
    connection ladder_warehouse, else LADDER_WAREHOUSE_URL, else the embedded server),
    looked up when a task runs. Cosmos hands dbt the password as an environment
    variable; it is never written to profiles.yml."""

    def __init__(self) -> None:
        super().__init__(conn_id=WAREHOUSE, profile_args={"schema": "staging", "threads": 2})

    @property
    def conn(self) -> Connection:
        if self._conn is None:
            from ladder.warehouse import resolve_warehouse

            self._conn = Connection(conn_id=WAREHOUSE, uri=resolve_warehouse().url)
        return self._conn


def execution_mode() -> ExecutionMode:
    """ladder.yml transform.execution_mode; LADDER_COSMOS_EXECUTION_MODE overrides it
    (the orchestration benchmark renders the DAG in each mode)."""
    name = os.environ.get("LADDER_COSMOS_EXECUTION_MODE") or config.section("transform").get(
        "execution_mode", "watcher"
    )
    try:
        return ExecutionMode(name)
    except ValueError:
        raise LadderError(
            f"ladder.yml transform.execution_mode is {name!r}; use watcher or local"
        ) from None


def dbt_task_group(
    group_id: str, select: list[str], dbt_vars: dict[str, str] | None = None
) -> DbtTaskGroup:
    """One task per model (and seed), each model's tests run right after it; dbt gets
    the run's as-of date and `dbt_vars`."""
    mode = execution_mode()
    group = DbtTaskGroup(
        group_id=group_id,
        project_config=ProjectConfig(
            dbt_project_path=DBT_PROJECT, manifest_path=ensure_manifest(), install_dbt_deps=False
        ),
        profile_config=ProfileConfig(
            profile_name="ladder",
            target_name="warehouse",
            profile_mapping=WarehouseProfileMapping(),
        ),
        execution_config=ExecutionConfig(
            execution_mode=mode,
            # dbt in a process of its own, free to use the other core: in-process
            # (dbtRunner) it shares one interpreter with the watcher parsing its events,
            # and the demo's transform build took 26 s instead of 10 s.
            invocation_mode=InvocationMode.SUBPROCESS,
            dbt_executable_path=venv_executable("dbt"),
            test_indirect_selection=TestIndirectSelection(INDIRECT_SELECTION),
        ),
        render_config=RenderConfig(
            load_method=LoadMode.DBT_MANIFEST,
            select=select,
            test_behavior=TestBehavior.AFTER_EACH,
            # One Asset for the marts (in the DAG), not one per model named by host.
            emit_datasets=False,
        ),
        # The watcher's producer takes its dbt flags from here, not from ExecutionConfig.
        operator_args={
            "vars": {"as_of_date": AS_OF_DATE, **(dbt_vars or {})},
            "env": settings_env(),
            "indirect_selection": INDIRECT_SELECTION,
        },
    )
    if mode == ExecutionMode.WATCHER:
        # Cosmos orders the producer (the one `dbt build`) before the model sensors only
        # in a DbtDag. In a task group a sensor could run first and wait for ever where
        # tasks run one at a time (`airflow dags test`), so the order is made explicit.
        # The producer skips itself on a second try (a retry, or the run cleared to run
        # its date again), and each model's task then runs its own dbt: "none failed"
        # lets them, where the default rule would skip the whole night and call it a
        # success. A failed producer still stops everything after it.
        producer = group.children[f"{group_id}.dbt_producer_watcher"]
        for root in group.get_roots():
            if root is not producer:
                producer >> root
                root.trigger_rule = TriggerRule.NONE_FAILED
        producer.tests_per_model = _tests_this_stage_runs(group.dbt_graph)
    return group


def _tests_this_stage_runs(graph: DbtGraph) -> dict[str, list[str]]:
    """Cosmos's tests per model, without the tests this stage's `dbt build` leaves to a
    later stage (`--indirect-selection buildable`: a test runs once every parent is
    selected or upstream of a selected node).

    Cosmos expects every test of a node, so a seed tested against a mart never gets its
    tests' result in the transform stage; its test task then defers and its trigger fires
    at once, which races the scheduler's handling of the deferral (apache/airflow#72716)
    and costs the task a retry under the real scheduler."""
    selected = {
        uid
        for uid, node in graph.filtered_nodes.items()
        if node.resource_type != DbtResourceType.TEST
    }
    upstream: set[str] = set()
    pending = list(selected)
    while pending:
        node = graph.nodes.get(pending.pop())
        for parent in node.depends_on if node else ():
            if parent not in upstream:
                upstream.add(parent)
                pending.append(parent)
    buildable = selected | upstream
    return {
        model: [test for test in tests if set(graph.nodes[test].depends_on) <= buildable]
        for model, tests in graph.tests_per_model.items()
    }
