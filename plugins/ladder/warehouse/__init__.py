"""Where the warehouse is, and the embedded PostgreSQL server that runs it by default."""

from ladder.warehouse.resolve import (
    WarehouseTarget,
    embedded_warehouse,
    resolve_warehouse,
    uses_embedded_warehouse,
)

__all__ = ["WarehouseTarget", "embedded_warehouse", "resolve_warehouse", "uses_embedded_warehouse"]
