"""The run report: per destination, what the latest publish for D found and sent."""

from __future__ import annotations

from datetime import date

import psycopg


def publish_report(warehouse_url: str, as_of: date) -> str:
    with psycopg.connect(warehouse_url) as conn:
        rows = conn.execute(
            """
            select distinct on (destination)
                destination, status, upserts, removals, sent, rejected, batches
            from ops.publish_runs
            where as_of_date = %s and not dry_run
            order by destination, run_id desc
            """,
            (as_of,),
        ).fetchall()
    lines = [f"published as of {as_of} (ops.publish_runs):"]
    lines += [
        f"  {name:<13} {status:<10} {upserts:>9,} added or changed, {removals:>7,} removed: "
        f"sent {sent:,} in {batches:,} batches, {rejected:,} rejected"
        for name, status, upserts, removals, sent, rejected, batches in rows
    ]
    if not rows:
        lines.append("  nothing published for this date")
    return "\n".join(lines)
