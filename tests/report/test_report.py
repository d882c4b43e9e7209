"""The run report in headless Chromium, on the demo company built for two nights and
published to the sandboxes: every chart rendered with the marts' numbers, nothing fetched
from anywhere, no console error; and `ladder report` for a date without marts says which
command builds them."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

import psycopg
import pytest

from tests.conftest import new_target
from tests.report.browser import Browser
from tests.report.conftest import AS_OF, PREVIOUS, Night

# Per figure: each mark group's class and every mark's aria-label (Vega writes a mark's
# encoded and tooltip fields into it), and the rendered size of the SVG.
FIGURES = """
Array.from(document.querySelectorAll('figure')).map(figure => {
  const svg = figure.querySelector('svg');
  const box = svg.getBoundingClientRect();
  return {
    id: figure.id, width: box.width, height: box.height,
    groups: Array.from(svg.querySelectorAll('g.role-mark')).map(group => ({
      kind: group.getAttribute('class').split(' ')[0],
      labels: Array.from(group.querySelectorAll('[role=graphics-symbol]'))
        .map(mark => mark.getAttribute('aria-label')),
    })),
  };
})
"""
TABLES = """
Object.fromEntries(Array.from(document.querySelectorAll('table')).map(table => [table.id,
  Array.from(table.rows).map(row => Array.from(row.cells).map(cell => cell.innerText.trim()))]))
"""


@pytest.fixture(scope="module")
def page(night: Night, tmp_path_factory: pytest.TempPathFactory) -> dict:
    shots = Path(os.environ.get("LADDER_TEST_ARTIFACTS", tmp_path_factory.mktemp("artifacts")))
    shots.mkdir(parents=True, exist_ok=True)
    latest = night.reports / "latest" / "index.html"
    with Browser(tmp_path_factory.mktemp("chromium")) as browser:
        browser.open(latest.as_uri())
        result = {
            "errors": browser.errors(),
            "requests": browser.requests(),
            "figures": {f["id"]: f for f in browser.evaluate(FIGURES)},
            "tables": browser.evaluate(TABLES),
            "text": browser.evaluate("document.body.innerText"),
            "scripts": browser.evaluate("document.querySelectorAll('script').length"),
            "data_docs": browser.evaluate("document.getElementById('data-docs').href"),
            "screenshot": browser.screenshot(shots / f"run-report-{AS_OF}.png"),
        }
    print(f"\nscreenshot of the run report: {result['screenshot']}")
    return result


def query(url: str, sql: str) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(sql).fetchall()


def marks(figure: dict, kind: str) -> list[dict[str, str]]:
    """The aria-labels of one kind of mark ("mark-rect", ...) as field -> value."""
    labels = [label for g in figure["groups"] if g["kind"] == kind for label in g["labels"]]
    return [dict(part.split(": ", 1) for part in label.split("; ")) for label in labels]


def number(text: str) -> float:
    return float(text.replace(",", "").replace("\u2212", "-").rstrip("%"))


def totals(figure: dict, key: str) -> Counter:
    counted: Counter = Counter()
    for mark in marks(figure, "mark-rect"):
        counted[mark[key]] += int(number(mark["customers"]))
    return counted


def test_the_page_opens_offline_without_errors_and_draws_every_chart(page, night) -> None:
    assert page["errors"] == []
    # Self-contained: the page itself is the only thing the browser loaded; no script.
    assert page["requests"] == [(night.reports / "latest" / "index.html").as_uri()]
    assert page["scripts"] == 0 and f"As of {AS_OF}" in page["text"]
    expected = {
        "whale-curve",
        "ladder",
        "movements",
        "clv-histogram",
        "p-alive",
        "cost-to-serve",
        "treatments",
        "quarantine",
    }
    assert set(page["figures"]) == expected
    for figure in page["figures"].values():
        assert figure["width"] > 300 and figure["height"] > 50, figure["id"]
        assert any(g["labels"] for g in figure["groups"]), f"{figure['id']} has no data marks"
    png = page["screenshot"].read_bytes()
    assert png.startswith(b"\x89PNG") and int.from_bytes(png[20:24], "big") > 3000  # tall page


def test_the_whale_curve_and_its_headline_are_the_marts(page, night: Night) -> None:
    curve = query(
        night.target.url,
        "select cumulative_customer_share, cumulative_profit_share,"
        " is_peak, percentile from marts.whale_curve order by percentile",
    )
    figure = page["figures"]["whale-curve"]
    points = marks(figure, "mark-symbol")
    drawn = [p for p in points if "profit" in p]  # the curve's points, not the peak's diamond
    assert len(drawn) == len(curve) == 100
    for point, (_, share, _, _) in zip(drawn, curve, strict=True):
        assert number(point["profit"]) == pytest.approx(float(share) * 100, abs=0.5)
    assert sum(1 for g in figure["groups"] if g["kind"] == "mark-line") == 1
    top_fifth = next(share for _, share, _, p in curve if p == 20)
    peak_share, peak_at = next((share, p) for _, share, peak, p in curve if peak)
    assert (
        f"most profitable 20 % of buyers make {float(top_fifth):.0%} of the profit" in page["text"]
    )
    assert f"peaks at {float(peak_share):.0%} with the top {peak_at} %" in page["text"]


def test_the_ladder_counts_and_movements_are_the_marts(page, night: Night) -> None:
    rungs = dict(
        query(
            night.target.url, "select ladder_rung, count(*) from marts.customer_segments group by 1"
        )
    )
    assert dict(totals(page["figures"]["ladder"], "rung")) == rungs
    table = {row[0]: int(row[-1].replace(",", "")) for row in page["tables"]["rung-counts"][1:]}
    assert {rung: n for rung, n in table.items() if n} == rungs
    moves = dict(
        query(
            night.target.url, "select direction, count(*) from marts.segment_transitions group by 1"
        )
    )
    assert sum(moves.values()) > 0
    assert dict(totals(page["figures"]["movements"], "direction")) == moves
    assert f"Since {PREVIOUS}:" in page["text"]


def test_clv_charts_and_fit_are_the_marts(page, night: Night) -> None:
    [(buyers, scored)] = query(
        night.target.url, "select count(clv_365d), count(p_alive) from marts.customer_value"
    )
    assert sum(totals(page["figures"]["clv-histogram"], "from").values()) == buyers > 100
    assert sum(totals(page["figures"]["p-alive"], "days_from").values()) == scored
    fits = page["tables"]["model-runs"][1:]
    assert [(row[0], row[1]) for row in fits] == [
        ("bgnbd", "converged"),
        ("gamma_gamma", "converged"),
    ]
    assert re.search(r"alpha = [0-9.]+", fits[0][2]) and re.search(r"gamma = [0-9.]+", fits[1][2])


def test_cost_to_serve_treatments_and_deliveries_are_the_warehouses(page, night: Night) -> None:
    url = night.target.url
    costs = marks(page["figures"]["cost-to-serve"], "mark-rect")
    segments = {
        s for (s,) in query(url, "select distinct value_segment from marts.customer_segments")
    }
    assert {c["segment"] for c in costs} == segments and len(costs) == 9 * len(segments)
    [(ugly_chargebacks,)] = query(
        url,
        "select avg(chargeback_cost_365d) from marts.customer_cost_to_serve join"
        " marts.customer_segments using (customer_id) where value_segment = 'ugly'",
    )
    drawn = next(c for c in costs if c["segment"] == "ugly" and c["activity"] == "chargebacks")
    assert number(drawn["per customer"]) == pytest.approx(float(ugly_chargebacks), abs=0.005)
    for system in ("marketing", "service"):
        listed = dict(
            query(url, f"select treatment_code, count(*) from marts.treatment_{system} group by 1")
        )
        drawn_list = [
            m for m in marks(page["figures"]["treatments"], "mark-rect") if m["list"] == system
        ]
        assert {m["treatment"]: int(number(m["customers"])) for m in drawn_list} == listed
    delivered = {
        row[0]: row[1:]
        for row in query(
            url,
            "select distinct on (destination) destination, status, upserts,"
            " removals, sent, rejected from ops.publish_runs where as_of_date ="
            f" '{AS_OF}' order by destination, run_id desc",
        )
    }
    table = {row[0]: row[1:6] for row in page["tables"]["deliveries"][1:]}
    assert set(table) == set(delivered) == {"marketing", "service", "service_table"}
    for destination, (status, *counts) in delivered.items():
        assert table[destination] == [status, *(f"{n:,}" for n in counts)]
    # The second night sent only the week's difference.
    assert (
        0
        < delivered["marketing"][3]
        < len(dict(query(url, "select customer_id, 1 from marts.treatment_marketing")))
    )


def test_quality_gates_quarantine_and_data_docs(page, night: Night) -> None:
    gates = page["tables"]["gates"][1:]
    assert [(row[0], row[1]) for row in gates] == [
        ("validate_marts", "passed"),
        ("validate_raw", "passed"),
    ]
    quarantined = query(
        night.target.url, "select source_table, reason, count(*) from ops.quarantine group by 1, 2"
    )
    drawn = marks(page["figures"]["quarantine"], "mark-rect")
    assert sorted((m["source_table"], m["reason"], int(number(m["records"]))) for m in drawn) == (
        sorted(quarantined)
    )
    docs = Path(url2pathname(urlsplit(page["data_docs"]).path))
    assert page["data_docs"].startswith("file://") and docs.name == "index.html" and docs.exists()


def test_latest_links_the_newest_night_and_each_night_keeps_its_page(night: Night) -> None:
    latest = night.reports / "latest"
    assert latest.is_symlink() and os.readlink(latest) == AS_OF.isoformat()
    assert set(night.pages) == {PREVIOUS, AS_OF}
    for as_of, path in night.pages.items():
        assert path == night.reports / as_of.isoformat() / "index.html"
        assert f"As of <b>{as_of}</b>" in path.read_text()
    # The first night had no previous run to move from.
    assert "No movements" in night.pages[PREVIOUS].read_text()


def test_ladder_report_without_marts_for_the_date_says_what_to_run(
    night: Night, warehouse, tmp_path
) -> None:
    empty = new_target(warehouse, tmp_path / "dlt")
    cases = [
        (night.target.url, PREVIOUS, f"the marts hold {AS_OF}"),
        (empty.url, AS_OF, "customer_segments, customer_value"),
    ]
    for url, as_of, what in cases:
        run = subprocess.run(
            [sys.executable, "-m", "ladder.cli", "report", "--as-of", as_of.isoformat()],
            env={**os.environ, "LADDER_WAREHOUSE_URL": url},
            capture_output=True,
            text=True,
        )
        assert run.returncode == 2, run.stderr
        message = run.stderr.strip()
        assert message.startswith(f"ladder: error: no marts for {as_of}: ") and what in message
        assert f"`ladder transform --as-of {as_of}`" in message and "Traceback" not in message


def test_two_nights_have_no_completed_outcome_window_and_say_so(page) -> None:
    # The drawn section, with a harmful treatment: tests/transform/test_outcomes.py.
    assert "No outcome window has completed yet" in page["text"]
    assert "forest" not in page["figures"] and "outcomes" not in page["tables"]
