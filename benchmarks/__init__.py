"""Benchmarks: `make bench-*`. Speed is measured here, never asserted in tests."""

from __future__ import annotations

import argparse

from ladder.config import PROJECT_ROOT
from ladder.warehouse.embedded import EmbeddedWarehouse


def parse_args(description: str | None) -> argparse.Namespace:
    """The options every benchmark takes."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--port", type=int, default=54339)
    return parser.parse_args()


def bench_warehouse(port: int) -> EmbeddedWarehouse:
    """A started warehouse of the benchmarks' own, so the demo's data is never touched."""
    server = EmbeddedWarehouse(PROJECT_ROOT / ".ladder" / "bench" / "warehouse", port)
    server.start()
    server.ensure_database("warehouse")
    return server
