"""Loading `ladder.yml`, the one runtime configuration file."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from ladder.errors import LadderError

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def config_path() -> Path:
    return Path(os.environ.get("LADDER_CONFIG", PROJECT_ROOT / "ladder.yml"))


@cache
def load_config() -> dict[str, Any]:
    path = config_path()
    try:
        data = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise LadderError(
            f"configuration file {path} not found; create it from the project's ladder.yml "
            "or point LADDER_CONFIG at yours"
        ) from None
    except yaml.YAMLError as exc:
        raise LadderError(f"{path} is not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise LadderError(f"{path} must hold a mapping of sections (warehouse:, demo:, ...)")
    return data


def section(name: str) -> dict[str, Any]:
    value = load_config().get(name)
    if not isinstance(value, dict):
        raise LadderError(f"{config_path()} has no `{name}:` section; add one (see the README)")
    return value


def project_path(value: str | os.PathLike[str]) -> Path:
    """A path from the config: relative paths are relative to the project root."""
    path = Path(value)
    return path if path.is_absolute() else PROJECT_ROOT / path
