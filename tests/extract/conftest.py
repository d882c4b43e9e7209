"""Extraction helpers: the `ladder` command as a subprocess."""

from __future__ import annotations

import subprocess
import sys


def ladder(*args: str, env: dict[str, str] | None = None, **kwargs) -> subprocess.CompletedProcess:
    import os

    return subprocess.run(
        [sys.executable, "-m", "ladder.cli", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        **kwargs,
    )
