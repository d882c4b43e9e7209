"""dbt as a subprocess, with its profile filled from the resolved warehouse.

`dbt_project/profiles.yml` holds no secrets: it reads LADDER_DBT_* variables, which
come from the same resolution everything else uses (Airflow connection
`ladder_warehouse`, then LADDER_WAREHOUSE_URL, then the embedded server).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from urllib.parse import unquote, urlsplit

from ladder.config import PROJECT_ROOT, section
from ladder.errors import LadderError

DBT_PROJECT = PROJECT_ROOT / "dbt_project"
MANIFEST = DBT_PROJECT / "target" / "manifest.json"

PROJECT_FILES = ("dbt_project.yml", "models", "macros", "seeds", "tests")


def session_target() -> Path:
    """DbtSession's artefacts: under dbt's own DBT_TARGET_PATH when one is set (the
    tests' session folder), else the project's target/."""
    return Path(os.environ.get("DBT_TARGET_PATH", DBT_PROJECT / "target")) / "session"


# The holdout assignment's salt (ladder.yml transform.holdout_salt), read by the macro
# holdout_draw: every dbt that ladder runs gets it, so no build can assign with another.
HOLDOUT_SALT = "LADDER_DBT_HOLDOUT_SALT"


def settings_env() -> dict[str, str]:
    """The ladder.yml settings the dbt project reads, as the variables it reads them from."""
    return {HOLDOUT_SALT: section("transform")["holdout_salt"]}


def dbt_env(warehouse_url: str) -> dict[str, str]:
    """The LADDER_DBT_* variables dbt reads: profiles.yml's, for one warehouse URL, and
    the project's settings (settings_env)."""
    parts = urlsplit(warehouse_url)
    if parts.scheme not in {"postgresql", "postgres", "postgresql+psycopg"} or not parts.hostname:
        raise LadderError(
            f"the warehouse URL must be postgresql://user:password@host:port/database, "
            f"got scheme {parts.scheme!r}"
        )
    return {
        "LADDER_DBT_HOST": parts.hostname,
        "LADDER_DBT_PORT": str(parts.port or 5432),
        "LADDER_DBT_USER": unquote(parts.username or ""),
        "LADDER_DBT_PASSWORD": unquote(parts.password or ""),
        "LADDER_DBT_DBNAME": parts.path.lstrip("/") or "postgres",
        **settings_env(),
    }


def venv_executable(name: str) -> str:
    """The tool the lock file installed: beside this interpreter in a venv, else on PATH
    (the Airflow image installs into the user's site)."""
    beside = Path(sys.executable).with_name(name)
    found = str(beside) if beside.exists() else shutil.which(name)
    if found is None:
        raise LadderError(f"`{name}` is not installed beside {sys.executable} nor on PATH")
    return found


def project_env(warehouse_url: str | None = None) -> dict[str, str]:
    """The environment dbt (and sqlfluff's dbt templater) runs in."""
    if warehouse_url is None:
        from ladder.warehouse import resolve_warehouse

        warehouse_url = resolve_warehouse().url
    return {
        **os.environ,
        **dbt_env(warehouse_url),
        "DBT_PROFILES_DIR": str(DBT_PROJECT),
        "DBT_PROJECT_DIR": str(DBT_PROJECT),
    }


def run_dbt(
    args: Sequence[str],
    as_of: date | None = None,
    *,
    warehouse_url: str | None = None,
    capture: bool = False,
) -> subprocess.CompletedProcess[str]:
    """Run `dbt <args>` in the project; raises LadderError when dbt fails. The warehouse's
    tables outside dbt are migrated first: the models read some of them as sources."""
    from ladder.warehouse.migrations import migrate

    if warehouse_url is None:
        from ladder.warehouse import resolve_warehouse

        warehouse_url = resolve_warehouse().url
    migrate(warehouse_url)
    command = [venv_executable("dbt"), *args]
    if as_of is not None:
        command += ["--vars", f"{{as_of_date: '{as_of.isoformat()}'}}"]
    done = subprocess.run(
        command,
        cwd=DBT_PROJECT,
        env=project_env(warehouse_url),
        text=True,
        capture_output=capture,
        check=False,
    )
    if done.returncode != 0:
        detail = f"\n{done.stdout[-4000:]}" if capture else ""
        raise LadderError(f"`dbt {' '.join(args)}` failed (exit {done.returncode}){detail}")
    return done


def lint_sql(args: Sequence[str]) -> int:
    """sqlfluff on the dbt project. Its dbt templater caches the warehouse's relations
    before compiling a model, so it needs the warehouse up: the embedded one is started."""
    from ladder.warehouse.resolve import start_embedded_warehouse, uses_embedded_warehouse

    if uses_embedded_warehouse():
        start_embedded_warehouse()
    command = [venv_executable("sqlfluff"), *args]
    return subprocess.run(command, cwd=DBT_PROJECT, env=project_env(), check=False).returncode


def _newest_project_change() -> float:
    newest = 0.0
    for name in PROJECT_FILES:
        path = DBT_PROJECT / name
        files = [path] if path.is_file() else path.rglob("*")
        newest = max([newest, *(f.stat().st_mtime for f in files if f.is_file())])
    return newest


def ensure_manifest(manifest: Path = MANIFEST) -> Path:
    """The project's manifest, parsed again only when a project file changed since."""
    if manifest.exists() and manifest.stat().st_mtime >= _newest_project_change():
        return manifest
    done = subprocess.run(
        [venv_executable("dbt"), "parse", "--target-path", str(manifest.parent)],
        cwd=DBT_PROJECT,
        env={**os.environ, **settings_env(), "DBT_PROFILES_DIR": str(DBT_PROJECT)},
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0 or not manifest.exists():
        raise LadderError(
            f"`dbt parse` could not write {manifest}; run `ladder dbt parse` to see why:\n"
            f"{done.stdout[-2000:]}"
        )
    return manifest


class DbtSession:
    """dbt inside this process, for many builds in a row (`ladder simulate`'s nights).

    A `dbt` process spends about 3 s importing dbt and 3 to 6 s parsing the project before
    it builds anything, and its partial parsing starts over whenever `--vars` change,
    which the as-of date does every night. Here dbt is imported once and the project is
    parsed once per set of parse-time vars (the marts schema: each stage has its own), and
    each build gets that manifest with the night's vars. That is sound because the as-of
    date is read only when SQL is compiled, which every build does again, never by a
    model's config or schema. Builds must not overlap (dbt's runner is not reentrant).

    Unit tests run in the session's first build of each stage only: they check the SQL
    against rows of their own, not the night's data, so their verdict cannot change while
    the project does not; the data tests run in every build."""

    # Vars read only when a node's SQL is compiled: they do not key the parsed manifest.
    COMPILE_TIME_VARS = frozenset({"as_of_date"})

    def __init__(self, warehouse_url: str) -> None:
        self.env = {**dbt_env(warehouse_url), "DBT_PROFILES_DIR": str(DBT_PROJECT),
                    "DBT_PROJECT_DIR": str(DBT_PROJECT)}  # fmt: skip
        self.manifests: dict[str, object] = {}

    def run(self, args: Sequence[str], variables: dict[str, str]) -> None:
        """`dbt <args> --vars <variables>`; raises LadderError when dbt fails."""
        import json

        from dbt.cli.main import dbtRunner

        parse_key = json.dumps(
            {k: v for k, v in variables.items() if k not in self.COMPILE_TIME_VARS},
            sort_keys=True,
        )
        # A target folder of its own: the manifest there says which schema the session's
        # stage builds, and the project's manifest (what Cosmos renders) stays as it is.
        flags = ["--quiet", "--target-path", str(session_target()), "--vars", json.dumps(variables)]
        if parse_key in self.manifests and list(args[:1]) == ["build"]:
            flags += ["--exclude-resource-type", "unit_test"]
        saved = {name: os.environ.get(name) for name in self.env}
        os.environ.update(self.env)
        try:
            if parse_key not in self.manifests:
                parsed = dbtRunner().invoke(["parse", *flags])
                if not parsed.success:
                    raise LadderError(f"`dbt parse` failed: {parsed.exception or 'see above'}")
                self.manifests[parse_key] = parsed.result
            done = dbtRunner(manifest=self.manifests[parse_key]).invoke([*args, *flags])
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
        if not done.success:
            raise LadderError(
                f"`dbt {' '.join(args)}` failed"
                f"{f': {done.exception}' if done.exception else ' (its errors are above)'}"
            )
