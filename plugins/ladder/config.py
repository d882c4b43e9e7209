"""Loading `ladder.yml`, the one runtime configuration file, checked against its schema
(ladder.config_schema) as it is loaded: every mistake in it is reported at once."""

from __future__ import annotations

import difflib
import os
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from ladder.config_schema import LadderConfig
from ladder.errors import LadderError

PROJECT_ROOT = Path(__file__).resolve().parents[2]


class ConfigError(LadderError):
    """ladder.yml is missing, unreadable or does not fit its schema."""


def config_path() -> Path:
    return Path(os.environ.get("LADDER_CONFIG", PROJECT_ROOT / "ladder.yml"))


@cache
def load_config() -> dict[str, Any]:
    """The sections of ladder.yml as plain mappings, once the whole file is valid."""
    path = config_path()
    try:
        data = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise ConfigError(
            f"configuration file {path} not found; create it from the project's ladder.yml "
            "or point LADDER_CONFIG at yours"
        ) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path} is not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path} must hold a mapping of sections (warehouse:, demo:, ...)")
    try:
        LadderConfig.model_validate(data)
    except ValidationError as exc:
        mistakes = [_mistake(error) for error in exc.errors()]
        raise ConfigError(
            f"{path} has {len(mistakes)} mistake{'s' if len(mistakes) > 1 else ''} (the "
            "project's ladder.yml documents every key):\n" + "\n".join(f"  - {m}" for m in mistakes)
        ) from None
    return data


# What a value of the wrong type must be, in words (pydantic's error types).
_EXPECTED = {
    "float_type": "a number",
    "float_parsing": "a number",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "string_type": "text",
    "list_type": "a list, [a, b]",
    "model_type": "a mapping of keys",
    "model_attributes_type": "a mapping of keys",
    "dict_type": "a mapping of keys",
    "bool_type": "true or false",
}


def _mistake(error: dict[str, Any]) -> str:
    """One line per mistake: the key path, what is wrong and what it should be."""
    loc = error["loc"]
    key = _key_path(loc)
    kind = error["type"]
    if kind == "missing":
        return f"{key} is missing: add it"
    if kind == "extra_forbidden":
        known = _known_keys(loc[:-1])
        close = difflib.get_close_matches(str(loc[-1]), known, n=1)
        hint = f"did you mean {_key_path((*loc[:-1], close[0]))}? " if close else ""
        where = _key_path(loc[:-1]) or "the top level"
        return f"{key} is not a known key: {hint}{where} takes {', '.join(known)}"
    got = f", got {error['input']!r}"
    if kind in _EXPECTED:
        return f"{key} must be {_EXPECTED[kind]}{got}"
    if kind.startswith("date"):
        return f"{key} must be a date, YYYY-MM-DD{got}"
    message = error["msg"]
    if kind == "value_error":  # a model's own check: its message names the keys
        return f"{key}: {message.removeprefix('Value error, ')}"
    if kind == "string_too_short":
        return f"{key} must not be empty"
    if kind in ("too_short", "too_long"):
        length = error["ctx"]["min_length" if kind == "too_short" else "max_length"]
        bound = "at least" if kind == "too_short" else "at most"
        return f"{key} must have {bound} {length} item{'s' if length != 1 else ''}{got}"
    if kind == "string_pattern_mismatch":
        return f"{key} must be a table name, schema.table{got}"
    return f"{key} {message.replace('Input should be', 'must be')}{got}"


def _key_path(loc: tuple) -> str:
    """('sources', 'sales', 'tables', 2) -> sources.sales.tables[2]"""
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else f"{'.' if path else ''}{part}"
    return path


def _known_keys(loc: tuple) -> list[str]:
    """The keys the section at `loc` takes, as ladder.yml spells them."""
    model: type[BaseModel] = LadderConfig
    for part in loc:
        field = next(f for name, f in model.model_fields.items() if (f.alias or name) == part)
        model = field.annotation
    return [field.alias or name for name, field in model.model_fields.items()]


def section(name: str) -> dict[str, Any]:
    return load_config()[name]


def project_path(value: str | os.PathLike[str]) -> Path:
    """A path from the config: relative paths are relative to the project root."""
    path = Path(value)
    return path if path.is_absolute() else PROJECT_ROOT / path
