"""Running a gate: the suites of `suites.py` written into the GX file context in
`expectations/`, validated against the resolved warehouse by one checkpoint per gate,
with the Data Docs rebuilt under `quality.data_docs_dir`. Each outcome is also a row of
`ops.gate_runs`, so the run report can show the gates without reading Data Docs.

The warehouse URL reaches GX only through the environment (the datasource's connection
string is `${LADDER_GX_WAREHOUSE_URL}` in great_expectations.yml), never a file.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from great_expectations.expectations.metadata_types import FailureSeverity

from ladder import config
from ladder.errors import LadderError
from ladder.quality.suites import GATES, LATER, RAW_TABLES, Check, marts_checks, raw_checks
from ladder.quality.watch import AS_OF_SETTING, observe
from ladder.transform.promote import PUBLISHED
from ladder.warehouse.migrations import migrate

log = logging.getLogger(__name__)

CONTEXT_DIR = config.PROJECT_ROOT / "expectations"
DATASOURCE = "warehouse"
URL_VARIABLE = "LADDER_GX_WAREHOUSE_URL"
DOCS_SITE = "ladder_data_docs"
# About a month of nights (6 raw and 8 marts suites a night) on the Data Docs index.
VALIDATION_RESULTS_LISTED = 500


@dataclass(frozen=True)
class GateResult:
    gate: str
    success: bool
    evaluated: int
    failures: tuple[str, ...]
    data_docs: Path
    # Expectations of severity "warning" that failed: told, but the run goes on.
    warnings: tuple[str, ...] = ()

    def render(self) -> str:
        verdict = "passed" if self.success else f"FAILED ({len(self.failures)} failing)"
        lines = [f"validate_{self.gate}: {verdict}, {self.evaluated} expectations"]
        lines += [f"  failed: {failure}" for failure in self.failures]
        lines += [f"  warning: {warning}" for warning in self.warnings]
        lines.append(f"  Data Docs: {self.data_docs}")
        return "\n".join(lines)


class GateFailed(LadderError):
    """A gate found bad data: the run stops here, and nothing is published."""


def run_gate(
    gate: str,
    warehouse_url: str | None = None,
    as_of: date | None = None,
    schema: str = PUBLISHED,
    data_docs: bool = True,
) -> GateResult:
    """Validate one gate's suites for the night `as_of` (the run's D) and record the
    outcome in `ops.gate_runs`; raises GateFailed (with the Data Docs path) on failure.
    The marts gate validates the marts built in `schema`: the nightly run's shadow build,
    before it is promoted. Without `data_docs`, Data Docs are built only when the gate
    fails: rendering them is most of a passing gate's time (`ladder simulate`)."""
    if gate not in GATES:
        raise LadderError(f"unknown gate {gate!r}: use one of {', '.join(GATES)}")
    if as_of is None:
        raise LadderError(
            f"validate_{gate} checks one night: give its as-of date"
            f" (ladder validate {gate} --as-of YYYY-MM-DD)"
        )
    if warehouse_url is None:
        from ladder.warehouse import resolve_warehouse

        warehouse_url = resolve_warehouse().url
    problems = observe(gate, warehouse_url, as_of, RAW_TABLES, LATER, schema)
    os.environ[URL_VARIABLE] = _sqlalchemy_url(warehouse_url, as_of)
    # GX logs every metric it registers at INFO: hundreds of lines per task.
    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    context = _context()
    checks = marts_checks(schema) if gate == "marts" else raw_checks()
    checkpoint = _checkpoint(context, gate, checks)
    result = checkpoint.run()
    if data_docs:
        _update_data_docs(context, result)
    site_url = context.get_docs_sites_urls(site_name=DOCS_SITE)[0]["site_url"]
    # Without Data Docs per run, they are still built for a failure, and once at the
    # start, so the path a result names exists (GX has no URL for a site never built).
    if not data_docs and (not result.success or site_url is None):
        context.build_data_docs(site_names=[DOCS_SITE])
        site_url = context.get_docs_sites_urls(site_name=DOCS_SITE)[0]["site_url"]
    docs = Path(site_url.removeprefix("file://")).resolve()
    failures, warnings, evaluated = [], [], 0
    for validation in result.run_results.values():
        evaluated += validation.statistics["evaluated_expectations"]
        suite = validation.suite_name
        for outcome in validation.results:
            if not outcome.success:
                warned = outcome.expectation_config.severity == FailureSeverity.WARNING
                (warnings if warned else failures).append(f"{suite}: {_describe(outcome)}")
    # The watched figures' own messages say which figure failed and by how much.
    failures += problems
    outcome = GateResult(gate, not failures, evaluated, tuple(failures), docs, tuple(warnings))
    log.info("Data Docs for validate_%s: %s", gate, docs)
    for warning in warnings:
        log.warning("validate_%s: %s", gate, warning)
    _record(warehouse_url, outcome, as_of)
    if not outcome.success:
        raise GateFailed(outcome.render())
    return outcome


def gate_task(gate: str, schema: str = PUBLISHED) -> None:
    """The Airflow task: bad data fails the run at once (a retry would find the same
    data); an error reaching the warehouse is left to the task's retries."""
    from airflow.sdk import get_current_context
    from airflow.sdk.exceptions import AirflowFailException

    from ladder.as_of import as_of_date

    try:
        as_of = as_of_date(get_current_context())
        print(run_gate(gate, as_of=as_of, schema=schema).render())
    except GateFailed as failed:
        raise AirflowFailException(str(failed)) from None


def _record(warehouse_url: str, outcome: GateResult, as_of: date | None) -> None:
    import psycopg

    migrate(warehouse_url)
    with psycopg.connect(warehouse_url) as conn:
        conn.execute(
            "insert into ops.gate_runs (gate, as_of_date, success, evaluated, failures,"
            " warnings, data_docs) values (%s, %s, %s, %s, %s, %s, %s)",
            (outcome.gate, as_of, outcome.success, outcome.evaluated, list(outcome.failures),
             list(outcome.warnings), str(outcome.data_docs)),
        )  # fmt: skip


def _sqlalchemy_url(url: str, as_of: date) -> str:
    """The URL for GX, with D as the session setting the watching checks read."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    night = f"-c {AS_OF_SETTING}={as_of.isoformat()}"
    query["options"] = f"{query['options']} {night}" if query.get("options") else night
    query_text = urlencode(query, quote_via=quote)
    return urlunsplit(parts._replace(scheme="postgresql+psycopg", query=query_text))


def _context():
    import great_expectations as gx

    context = gx.get_context(mode="file", project_root_dir=str(CONTEXT_DIR))
    docs_dir = config.project_path(
        config.section("quality").get("data_docs_dir", ".ladder/data_docs")
    )
    site = {
        "class_name": "SiteBuilder",
        # The index lists the newest results only: GX reads every listed result from
        # disk on each build, so an unbounded index costs more every night.
        "site_index_builder": {
            "class_name": "DefaultSiteIndexBuilder",
            "validation_results_limit": VALIDATION_RESULTS_LISTED,
        },
        # Relative to the context's root, so great_expectations.yml stays machine-neutral.
        "store_backend": {
            "class_name": "TupleFilesystemStoreBackend",
            "base_directory": os.path.relpath(docs_dir, context.root_directory),
        },
    }
    sites = context.list_data_docs_sites()
    if "local_site" in sites:
        context.delete_data_docs_site("local_site")
    if sites.get(DOCS_SITE) != site:
        if DOCS_SITE in sites:
            context.update_data_docs_site(DOCS_SITE, site)
        else:
            context.add_data_docs_site(DOCS_SITE, site)
    return context


def _checkpoint(context, gate: str, checks: list[Check]):
    import great_expectations as gx

    try:
        source = context.data_sources.get(DATASOURCE)
    except KeyError:
        source = context.data_sources.add_postgres(
            name=DATASOURCE, connection_string="${" + URL_VARIABLE + "}"
        )
    definitions = []
    for check in checks:
        asset_name = f"{check.schema}.{check.table}"
        try:
            asset = source.get_asset(asset_name)
        except LookupError:
            asset = source.add_table_asset(
                name=asset_name, table_name=check.table, schema_name=check.schema
            )
        try:
            batch = asset.get_batch_definition("whole_table")
        except KeyError:
            batch = asset.add_batch_definition_whole_table("whole_table")
        suite = _suite(
            context, gx.ExpectationSuite(name=check.suite, expectations=check.expectations)
        )
        definitions.append(
            context.validation_definitions.add_or_update(
                gx.ValidationDefinition(name=check.suite, data=batch, suite=suite)
            )
        )
    # No Data Docs action: GX's rebuilds the whole index (reading every stored result)
    # once per suite; run_gate builds the Data Docs once, after the checkpoint.
    return context.checkpoints.add_or_update(
        gx.Checkpoint(
            name=f"validate_{gate}",
            validation_definitions=definitions,
            actions=[],
            result_format={"result_format": "SUMMARY"},
        )
    )


def _update_data_docs(context, result) -> None:
    """What UpdateDataDocsAction builds (each result's page, its suite's page and the
    index), for all the checkpoint's results in one build instead of one per suite."""
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
    )

    resources = []
    for key, validation in result.run_results.items():
        resources += [key, ExpectationSuiteIdentifier(name=validation.suite_name)]
    context.build_data_docs(site_names=[DOCS_SITE], resource_identifiers=resources)


def _suite(context, suite):
    """The stored suite when it already says the same (GX gives every write new ids, and
    the file context is committed), else the new one written over it."""
    from great_expectations.exceptions import DataContextError

    try:
        stored = context.suites.get(suite.name)
    except DataContextError:
        return context.suites.add(suite)
    if _content(stored) == _content(suite):
        return stored
    return context.suites.add_or_update(suite)


def _content(suite) -> list[dict]:
    return [
        {
            k: v
            for k, v in e.configuration.to_json_dict().items()
            if k not in ("id", "rendered_content")
        }
        for e in suite.expectations
    ]


def _describe(outcome) -> str:
    expectation = outcome.expectation_config
    what = expectation.description or expectation.type
    column = expectation.kwargs.get("column")
    found = outcome.result.get("observed_value", outcome.result.get("unexpected_count"))
    subject = f"{column}: " if column else ""
    return f"{subject}{what} (found {found})" if found is not None else f"{subject}{what}"
