"""The run report: one self-contained HTML page per as-of date, under `report.dir` (default
`.ladder/reports`) as `<D>/index.html`, with `latest` a symlink to the newest date's folder.

The symlink names a folder, not the page, so `latest/index.html` is a stable address for
bookmarks and a web server alike; it is swapped in one rename, so a reader never sees it
missing; and it follows the newest date, not the last build, so a backfill of an older
date does not take `latest` back in time.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from ladder import config
from ladder.report import charts, queries

TEMPLATE = "page.html.j2"


def reports_dir() -> Path:
    section = config.load_config().get("report") or {}
    return config.project_path(section.get("dir", ".ladder/reports"))


def build_report(as_of: date, warehouse_url: str | None = None) -> Path:
    """Query the marts for D, draw the charts and write the page; returns its path.
    Raises LadderError when the marts are not built for D."""
    from ladder.transform.headline import data_docs_index, headline
    from ladder.warehouse import resolve_warehouse
    from ladder.warehouse.migrations import migrate
    from ladder.warehouse.resolve import WarehouseTarget

    target = WarehouseTarget(warehouse_url, "argument") if warehouse_url else resolve_warehouse()
    url = target.url
    migrate(url)  # the ops tables the page reads, in this Ladder's shape
    with queries.connect(url) as conn:
        queries.check_marts_built_for(conn, as_of)
        rows = {
            "whale": queries.whale_curve(conn),
            "ladder": queries.ladder(conn),
            "moves": queries.movements(conn),
            "clv": queries.clv_histogram(conn),
            "p_alive": queries.p_alive_by_recency(conn),
            "model_runs": queries.model_runs(conn, as_of),
            "costs": queries.cost_to_serve(conn),
            "treatments": queries.treatments(conn),
            "deliveries": queries.deliveries(conn, as_of),
            "rejects": queries.rejects(conn, as_of),
            "gates": queries.gate_runs(conn, as_of),
            "outcomes": queries.outcomes(conn, as_of),
            "quarantine": queries.quarantine(conn, as_of),
        }
    folder = reports_dir() / as_of.isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    html = render(
        as_of,
        rows,
        headline(url),
        warehouse=target.redacted(),
        data_docs=os.path.relpath(data_docs_index(), folder),
    )
    page = folder / "index.html"
    partial = folder / f".index.html.{os.getpid()}"
    partial.write_text(html, encoding="utf-8")
    partial.replace(page)
    _point_latest(folder.parent)
    return page


def render(as_of: date, rows: dict[str, queries.Rows], head: Any, *, warehouse: str,
           data_docs: str) -> str:  # fmt: skip
    from markupsafe import Markup

    drawn = {
        "whale_curve": charts.whale_curve(rows["whale"]),
        "ladder": charts.ladder(rows["ladder"]),
        "clv_histogram": charts.clv_histogram(rows["clv"]),
        "p_alive": charts.p_alive_by_recency(rows["p_alive"]),
        "cost_to_serve": charts.cost_to_serve(rows["costs"]),
        "treatments": charts.treatments(rows["treatments"]),
    }
    if rows["moves"]:
        drawn["movements"] = charts.movements(rows["moves"])
    if rows["quarantine"]:
        drawn["quarantine"] = charts.quarantine(rows["quarantine"])
    # vl-convert's SVG is trusted markup of our own making; everything else is escaped.
    svgs = {name: Markup(charts.svg(chart)) for name, chart in drawn.items()}

    return (
        environment()
        .get_template(TEMPLATE)
        .render(
            as_of=as_of,
            built_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            warehouse=warehouse,
            head=head,
            whale=_whale_headline(rows["whale"]),
            charts=svgs,
            segments=charts.SEGMENTS,
            rungs=_rung_table(rows["ladder"]),
            moves=rows["moves"],
            move_totals=_move_totals(rows["moves"]),
            clv_bins=queries.CLV_BINS,
            recency_days=queries.RECENCY_BIN_DAYS,
            model_runs=rows["model_runs"],
            deliveries=rows["deliveries"],
            rejects=rows["rejects"],
            gates=rows["gates"],
            quarantine=rows["quarantine"],
            **outcome_section(rows["outcomes"]),
            data_docs=data_docs,
        )
    )


def outcome_section(rows: queries.Rows) -> dict[str, Any]:
    """What outcomes.html.j2 shows: the pooled rows, the harmful ones, and the forest
    plot when any row has an interval."""
    from markupsafe import Markup

    measured = any(r["ci_low"] is not None for r in rows)
    return {
        "outcomes": rows,
        "harmful": [r for r in rows if r["is_harmful"]],
        "forest": Markup(charts.svg(charts.forest(rows))) if measured else None,
    }


def environment():
    """The page's templates (page.html.j2 and what it includes) with their filters."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).parent),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(count=_count, money=_money, pct=_pct, params=_params)
    return env


def _point_latest(root: Path) -> None:
    newest = max(p.name for p in root.iterdir() if _is_date(p.name) and not p.is_symlink())
    link = root / "latest"
    swap = root / f".latest.{os.getpid()}"
    swap.unlink(missing_ok=True)
    swap.symlink_to(newest, target_is_directory=True)
    swap.replace(link)


def _is_date(name: str) -> bool:
    try:
        date.fromisoformat(name)
    except ValueError:
        return False
    return True


def _whale_headline(rows: queries.Rows) -> dict[str, Any]:
    top_fifth = next((r["profit_share"] for r in rows if r["percentile"] == 20), None)
    peak = next((r for r in rows if r["is_peak"]), None)
    return {
        "top_fifth": top_fifth,
        "peak": peak and peak["profit_share"],
        "peak_percentile": peak and peak["percentile"],
    }


def _rung_table(rows: queries.Rows) -> list[tuple[str, dict[str, int]]]:
    table: dict[str, dict[str, int]] = {rung: {} for rung in charts.RUNGS}
    for row in rows:
        table.setdefault(row["rung"], {})[row["segment"]] = row["customers"]
    return list(table.items())


def _move_totals(rows: queries.Rows) -> list[tuple[str, int]]:
    totals = {direction: 0 for direction in charts.DIRECTIONS}
    for row in rows:
        totals[row["direction"]] = totals.get(row["direction"], 0) + row["customers"]
    return [(direction, n) for direction, n in totals.items() if n]


def _count(value: int) -> str:
    return f"{value:,}"


def _money(value: Any) -> str:
    return f"{value:,.2f}"


def _pct(value: float) -> str:
    return f"{value:.0%}"


def _params(parameters: dict[str, float] | None) -> str:
    if not parameters:
        return "no parameters"
    return ", ".join(f"{name} = {value:.4g}" for name, value in parameters.items())
