"""Static checks of the docker compose deployment (docker-compose.yml, .env.example, deploy/).

Docker is not available where the tests run, so the deployment is checked against its
sources of truth instead: the repository tree, the CLI of the Airflow pinned in uv.lock,
the connection ids the code looks up, and uv.lock itself.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import tomllib
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
import yaml
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from ladder.airflow_stack import COMPONENTS, component_command, component_env
from ladder.connections import CONNECTION_IDS, WAREHOUSE

ROOT = Path(__file__).resolve().parents[1]
COMPOSE_FILE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / ".env.example"
DOCKERFILE = ROOT / "deploy" / "airflow" / "Dockerfile"
INIT_SQL = ROOT / "deploy" / "postgres" / "init-databases.sql"
UV_LOCK = ROOT / "uv.lock"
# The airflow script next to the running interpreter is the locked Airflow, not whatever
# happens to be first on PATH.
AIRFLOW = Path(sys.executable).parent / "airflow"

# Each long-running Airflow service starts its component through ladder.airflow_stack,
# the entry `ladder airflow` (make airflow) runs too.
COMPONENT_SERVICES = {
    "airflow-apiserver": "api-server",
    "airflow-scheduler": "scheduler",
    "airflow-dag-processor": "dag-processor",
    "airflow-triggerer": "triggerer",
}
ENTRY = ["python", "-m", "ladder.airflow_stack"]
AIRFLOW_SERVICES = {"airflow-init", *COMPONENT_SERVICES}
REQUIRED_SERVICES = AIRFLOW_SERVICES | {"postgres"}
# What every Airflow container needs from the repository, by host path.
REQUIRED_AIRFLOW_MOUNTS = {"./dags", "./plugins", "./dbt_project", "./expectations", "./ladder.yml"}
INITDB_DIR = "/docker-entrypoint-initdb.d"

# Compose substitution: $$ is a literal $, otherwise ${NAME}, ${NAME:-default},
# ${NAME-default}, ${NAME:?error}, ${NAME?error}.
_SUBSTITUTION = re.compile(r"\$\$|\$\{(?P<name>\w+)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}")


# --- loading -----------------------------------------------------------------------------


@cache
def compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE_FILE.read_text())
    assert isinstance(data, dict), f"{COMPOSE_FILE.name} is not a mapping"
    return data


def services() -> dict[str, dict[str, Any]]:
    return compose().get("services") or {}


@cache
def env_example() -> dict[str, str]:
    """.env.example as compose reads it: KEY=VALUE lines, comments and blanks ignored."""
    values: dict[str, str] = {}
    for number, raw in enumerate(ENV_EXAMPLE.read_text().splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.removeprefix("export ").partition("=")
        assert sep and re.fullmatch(r"\w+", key.strip()), f".env.example:{number}: {raw!r}"
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        assert key.strip() not in values, f".env.example:{number}: {key} defined twice"
        values[key.strip()] = value
    return values


def interpolate(text: str, env: dict[str, str]) -> str:
    """Substitute ${...} like compose would with `env` as the .env file."""

    def substitute(match: re.Match[str]) -> str:
        name = match["name"]
        if name is None:
            return "$"
        value, op = env.get(name), match["op"] or ""
        unset = value is None or (op.startswith(":") and value == "")
        if op.endswith("-") and unset:
            return match["arg"]
        if op.endswith("?") and unset:
            raise AssertionError(f"compose would stop: ${{{name}}} unset ({match['arg']})")
        return value or ""

    return _SUBSTITUTION.sub(substitute, text)


def command_argv(command: str | list[str]) -> list[str]:
    """The Airflow CLI arguments of a service command: the image's entrypoint runs
    `airflow <command>` (a leading `airflow` is dropped by the entrypoint), and the
    Ladder entry (`python -m ladder.airflow_stack <component>`) the component's command."""
    argv = shlex.split(command) if isinstance(command, str) else [str(a) for a in command]
    if argv[: len(ENTRY)] == ENTRY and len(argv) == len(ENTRY) + 1:
        return component_command(argv[-1])[3:]  # after `<python> -m airflow`
    return argv[1:] if argv[:1] == ["airflow"] else argv


def healthcheck_airflow_argv(service: dict[str, Any]) -> list[str] | None:
    """The Airflow CLI arguments of a healthcheck that calls `airflow`, else None."""
    test = (service.get("healthcheck") or {}).get("test")
    if isinstance(test, str):
        argv = shlex.split(test)
    elif isinstance(test, list) and test[:1] == ["CMD-SHELL"]:
        argv = shlex.split(" ".join(test[1:]))
    elif isinstance(test, list) and test[:1] == ["CMD"]:
        argv = [str(a) for a in test[1:]]
    else:
        return None
    return argv[1:] if argv[:1] == ["airflow"] else None


def airflow_invocations() -> list[list[str]]:
    """Every Airflow CLI invocation the deployment makes: service commands and healthchecks.

    Called at collection time, so a broken compose file yields no parameters here and is
    reported by test_compose_file_has_the_required_services instead of a collection error.
    """
    try:
        found = services()
    except (OSError, yaml.YAMLError, AssertionError):
        return []
    invocations: list[list[str]] = []
    for name in sorted(AIRFLOW_SERVICES & found.keys()):
        service = found[name]
        if "command" in service:
            invocations.append(command_argv(service["command"]))
        if (argv := healthcheck_airflow_argv(service)) is not None:
            invocations.append(argv)
    return invocations


def subcommand(argv: list[str]) -> tuple[str, ...]:
    """`jobs check --job-type X` -> ("jobs", "check"): the part `--help` can be appended to."""
    words: list[str] = []
    for arg in argv:
        if arg.startswith("-"):
            break
        words.append(arg)
    return tuple(words)


def host_mounts(service: dict[str, Any]) -> dict[str, str]:
    """Relative host paths bind-mounted into the service, mapped to their container paths."""
    mounts: dict[str, str] = {}
    for volume in service.get("volumes") or []:
        if isinstance(volume, dict):
            source, target = str(volume.get("source", "")), str(volume.get("target", ""))
        else:
            source, _, rest = str(volume).partition(":")
            target = rest.split(":")[0]
        if source.startswith(("./", "../")):
            mounts[source.rstrip("/")] = target
    return mounts


def isolated_airflow_env(airflow_home: Path) -> dict[str, str]:
    # The question is whether the locked Airflow has the command, not whether the
    # developer's own Airflow settings work; Airflow also writes airflow.cfg to its home.
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env["AIRFLOW_HOME"] = str(airflow_home)
    return env


def strip_sql_comments(sql: str) -> str:
    return re.sub(r"--[^\n]*|/\*.*?\*/", "", sql, flags=re.DOTALL)


# --- (a) structure ---------------------------------------------------------------------


def test_compose_file_has_the_required_services() -> None:
    missing = REQUIRED_SERVICES - services().keys()
    assert not missing, f"docker-compose.yml lacks services: {sorted(missing)}"


def test_airflow_services_share_one_image_built_from_the_dockerfile() -> None:
    for name in sorted(AIRFLOW_SERVICES):
        build = services()[name].get("build")
        assert isinstance(build, dict), f"{name} is not built from deploy/airflow/Dockerfile"
        context = ROOT / build.get("context", ".")
        assert (context / build.get("dockerfile", "Dockerfile")).resolve() == DOCKERFILE, name
    images = {services()[name].get("image") for name in AIRFLOW_SERVICES}
    assert len(images) == 1, f"Airflow services should run one image, not {images}"


def test_airflow_services_start_in_order() -> None:
    for name in sorted(AIRFLOW_SERVICES):
        depends_on = services()[name].get("depends_on") or {}
        assert isinstance(depends_on, dict), f"{name}: depends_on needs conditions"
        conditions = {dep: (spec or {}).get("condition") for dep, spec in depends_on.items()}
        assert conditions.get("postgres") == "service_healthy", name
        if name != "airflow-init":
            assert conditions.get("airflow-init") == "service_completed_successfully", name
        for dep, condition in conditions.items():
            if condition == "service_healthy":
                assert services()[dep].get("healthcheck"), f"{name} waits on {dep}'s health"
    for name in sorted(REQUIRED_SERVICES - {"airflow-init"}):
        assert services()[name].get("healthcheck"), f"{name} has no healthcheck"


def test_airflow_services_are_configured_for_the_mounted_project() -> None:
    for name in sorted(AIRFLOW_SERVICES):
        service = services()[name]
        mounts = host_mounts(service)
        missing = REQUIRED_AIRFLOW_MOUNTS - mounts.keys()
        assert not missing, f"{name} does not mount {sorted(missing)}"
        env = {k: str(v) for k, v in (service.get("environment") or {}).items()}
        # What the component runs with, once the entry has filled in its defaults.
        assert component_env(env)["AIRFLOW__CORE__EXECUTOR"] == "LocalExecutor", name
        assert env.get("AIRFLOW__CORE__LOAD_EXAMPLES", "").lower() == "false", name
        assert env.get("AIRFLOW__CORE__DAGS_FOLDER") == mounts["./dags"], name
        assert env.get("AIRFLOW__CORE__PLUGINS_FOLDER") == mounts["./plugins"], name
        assert env.get("LADDER_CONFIG") == mounts["./ladder.yml"], name
        assert mounts["./plugins"] in env.get("PYTHONPATH", "").split(":"), name
        env_files = service.get("env_file")
        env_files = [env_files] if isinstance(env_files, str | dict) else env_files or []
        paths = [f["path"] if isinstance(f, dict) else f for f in env_files]
        assert ".env" in paths, f"{name} must read connections from .env"


# --- (b) mounted paths -------------------------------------------------------------------


def test_every_mounted_host_path_exists() -> None:
    checked = 0
    for name, service in services().items():
        for source in host_mounts(service):
            assert (ROOT / source).exists(), f"{name} mounts {source}, which does not exist"
            checked += 1
    assert checked, "no relative host paths mounted: the project is not in the containers"


# --- (c) Airflow commands ------------------------------------------------------------------


def test_every_airflow_service_runs_an_airflow_command() -> None:
    for name in sorted(AIRFLOW_SERVICES):
        argv = command_argv(services()[name].get("command") or [])
        assert subcommand(argv), f"{name} has no Airflow command"
        assert argv[0] not in {"bash", "python"}, f"{name} runs {argv[0]}, not Airflow"


def test_components_start_through_the_entry_make_airflow_uses() -> None:
    started = {}
    for name, component in COMPONENT_SERVICES.items():
        command = services()[name].get("command")
        assert command == [*ENTRY, component], f"{name} runs {command}, not the Ladder entry"
        started[component] = name
    assert set(started) == set(COMPONENTS), "compose and ladder.airflow_stack start different sets"


@pytest.mark.parametrize(
    "words",
    sorted({subcommand(argv) for argv in airflow_invocations()}),
    ids=" ".join,
)
def test_airflow_command_exists(words: tuple[str, ...], tmp_path: Path) -> None:
    result = subprocess.run(
        [str(AIRFLOW), *words, "--help"],
        check=False,
        env=isolated_airflow_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, f"`airflow {' '.join(words)}`:\n{result.stderr[-2000:]}"


def test_airflow_command_options_parse(tmp_path: Path) -> None:
    # `--help` stops parsing before unknown options are reported, so options are checked
    # with Airflow's own parser (which only parses: nothing runs). One process for all.
    invocations = airflow_invocations()
    assert invocations
    script = (
        "import json, sys\n"
        "from airflow.cli.cli_parser import get_parser\n"
        "bad = []\n"
        "for argv in json.loads(sys.argv[1]):\n"
        "    try:\n"
        "        get_parser().parse_args(argv)\n"
        "    except SystemExit:\n"
        "        bad.append(argv)\n"
        "print(json.dumps(bad))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, json.dumps(invocations)],
        check=False,
        env=isolated_airflow_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    bad = json.loads(result.stdout.strip().splitlines()[-1])
    assert not bad, f"Airflow rejects: {bad}\n{result.stderr[-2000:]}"


# --- (d) connections and .env.example ------------------------------------------------------


def test_env_example_defines_exactly_the_connections_the_code_uses() -> None:
    defined = {key for key in env_example() if key.startswith("AIRFLOW_CONN_")}
    expected = {f"AIRFLOW_CONN_{conn_id.upper()}" for conn_id in CONNECTION_IDS}
    assert defined == expected, (
        f"missing from .env.example: {sorted(expected - defined)}; "
        f"not in ladder.connections.CONNECTION_IDS: {sorted(defined - expected)}"
    )


def test_env_example_satisfies_every_required_compose_variable() -> None:
    # Raises, like `docker compose up` would, when a ${NAME:?...} is not in .env.example.
    interpolate(COMPOSE_FILE.read_text(), env_example())


def test_env_example_holds_only_placeholder_secrets() -> None:
    for key, value in env_example().items():
        if re.search(r"PASSWORD|SECRET|FERNET_KEY", key):
            assert value == "change-me", f"{key} in .env.example must be the placeholder"
        if key.startswith("AIRFLOW_CONN_") and (password := urlsplit(value).password):
            assert unquote(password) == "change-me", f"{key} carries a real-looking password"


def test_warehouse_connection_reaches_the_compose_warehouse_database() -> None:
    env = env_example()
    url = urlsplit(env[f"AIRFLOW_CONN_{WAREHOUSE.upper()}"])
    assert url.scheme in {"postgres", "postgresql"}
    assert url.hostname == "postgres" and "postgres" in services()
    assert url.port in {None, 5432}
    assert unquote(url.username or "") == env["POSTGRES_USER"]
    assert unquote(url.password or "") == env["POSTGRES_PASSWORD"]
    assert url.path.strip("/") == "warehouse"


# --- (e) PostgreSQL ------------------------------------------------------------------------


@pytest.mark.parametrize("env", ["defaults", ".env.example"])
def test_published_ports_listen_on_loopback(env: str) -> None:
    values = {} if env == "defaults" else env_example()
    published = [
        (name, interpolate(str(port), values))
        for name, service in services().items()
        for port in service.get("ports") or []
    ]
    assert {name for name, _ in published} >= {"postgres", "airflow-apiserver"}
    for name, port in published:
        assert port.startswith("127.0.0.1:"), f"{name} publishes {port} beyond this machine"


def test_postgres_is_version_16() -> None:
    image = str(services()["postgres"].get("image", ""))
    match = re.fullmatch(r"(?:docker\.io/)?(?:library/)?postgres:(\d+)(?:[.-]\S*)?", image)
    assert match, f"postgres image {image!r} has no version tag"
    assert match[1] == "16", f"postgres image {image!r} is not PostgreSQL 16"


def test_init_script_is_mounted_and_creates_the_warehouse_database() -> None:
    mounts = host_mounts(services()["postgres"])
    init_scripts = [src for src, dst in mounts.items() if dst.startswith(f"{INITDB_DIR}/")]
    assert any((ROOT / src).resolve() == INIT_SQL for src in init_scripts), (
        f"{INIT_SQL.relative_to(ROOT)} is not mounted into {INITDB_DIR}"
    )
    sql = strip_sql_comments(INIT_SQL.read_text())
    created = set(re.findall(r'\bCREATE\s+DATABASE\s+"?(\w+)"?', sql, flags=re.IGNORECASE))
    assert "warehouse" in created, f"{INIT_SQL.name} does not create the warehouse database"


def test_airflow_metadata_and_warehouse_are_separate_databases() -> None:
    env = env_example()
    postgres_env = {
        k: interpolate(str(v), env) for k, v in services()["postgres"]["environment"].items()
    }
    airflow_env = services()["airflow-scheduler"]["environment"]
    metadata = urlsplit(interpolate(airflow_env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"], env))
    warehouse = urlsplit(env[f"AIRFLOW_CONN_{WAREHOUSE.upper()}"])
    assert metadata.hostname == warehouse.hostname == "postgres"
    assert metadata.path.strip("/") == postgres_env.get(
        "POSTGRES_DB", postgres_env["POSTGRES_USER"]
    )
    assert metadata.path.strip("/") != warehouse.path.strip("/")


# --- (f) image and lock --------------------------------------------------------------------


def locked_version(package: str) -> str:
    lock = tomllib.loads(UV_LOCK.read_text())
    versions = [p["version"] for p in lock.get("package", []) if p.get("name") == package]
    assert len(versions) == 1, f"uv.lock pins {package} {len(versions)} times"
    return versions[0]


def test_dockerfile_airflow_version_equals_the_locked_version() -> None:
    stages = re.findall(
        r"^FROM\s+(?:--platform=\S+\s+)?(\S+)", DOCKERFILE.read_text(), re.MULTILINE
    )
    assert stages, "Dockerfile has no FROM"
    assert stages[-1].startswith("apache/airflow:"), "the final image is not Airflow's"
    requires_python = SpecifierSet(tomllib.loads(UV_LOCK.read_text())["requires-python"])
    locked = locked_version("apache-airflow")
    for image in stages:
        if not image.startswith("apache/airflow:"):
            continue
        tag = image.partition(":")[2]
        match = re.fullmatch(r"(?:slim-)?(\d+\.\d+\.\d+)-python(\d+\.\d+)", tag)
        assert match, f"{image}: pin both the Airflow and the Python version"
        assert match[1] == locked, f"{image} but uv.lock pins apache-airflow {locked}"
        assert Version(match[2]) in requires_python, f"{image}: uv.lock needs {requires_python}"
