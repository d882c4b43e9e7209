"""The run report's charts: altair specs over the rows of `queries.py`, rendered to SVG by
vl-convert (Vega in an embedded JavaScript engine), so the page needs no script, no
network and no browser plugin to show them.

A static SVG shows no tooltips; the tooltip fields are there because Vega writes them into
each mark's aria-label, which is what a screen reader reads out (and the tests check)."""

from __future__ import annotations

import altair as alt
import vl_convert

from ladder.report.queries import Rows

WIDTH = 560
HEIGHT = 300
RUNGS = ["Advocate", "Supporter", "Client", "Customer", "Prospect", "Toxic", "Terrorist"]
SEGMENTS = ["good", "unproven", "bad", "ugly"]
SEGMENT_COLOURS = ["#2f7d4f", "#8fb3d9", "#e0a030", "#c0392b"]
DIRECTIONS = ["up", "same rung", "new", "down"]
DIRECTION_COLOURS = ["#2f7d4f", "#b0b0b0", "#8fb3d9", "#c0392b"]
# altair writes specs for this Vega-Lite version; vl-convert must render the same one.
VEGA_LITE = "v" + ".".join(alt.SCHEMA_VERSION.lstrip("v").split(".")[:2])


def svg(chart: alt.TopLevelMixin) -> str:
    # No base URL is allowed: every chart's data is inline, and nothing may be fetched.
    return vl_convert.vegalite_to_svg(chart.to_dict(), vl_version=VEGA_LITE, allowed_base_urls=[])


def whale_curve(rows: Rows) -> alt.LayerChart:
    data = alt.Data(values=rows)
    base = alt.Chart(data).encode(
        x=alt.X(
            "customer_share:Q",
            title="customers, most profitable first",
            axis=alt.Axis(format="%"),
            scale=alt.Scale(domain=[0, 1]),
        ),
        y=alt.Y("profit_share:Q", title="share of total profit", axis=alt.Axis(format="%")),
    )
    curve = base.mark_line(point=alt.OverlayMarkDef(size=18), color="#1f5f8b").encode(
        tooltip=[
            alt.Tooltip("customer_share:Q", title="customers", format=".0%"),
            alt.Tooltip("profit_share:Q", title="profit", format=".0%"),
        ]
    )
    total = (
        alt.Chart(alt.Data(values=[{"share": 1.0}]))
        .mark_rule(strokeDash=[4, 4], color="#888")
        .encode(y="share:Q")
    )
    peak = base.transform_filter("datum.is_peak").mark_point(
        size=160, shape="diamond", filled=True, color="#c0392b"
    )
    return alt.layer(total, curve, peak).properties(width=WIDTH, height=HEIGHT)


def ladder(rows: Rows) -> alt.Chart:
    return (
        alt.Chart(alt.Data(values=rows))
        .mark_bar()
        .encode(
            y=alt.Y("rung:N", sort=RUNGS, title=None),
            x=alt.X("customers:Q", title="customers", stack="zero"),
            color=alt.Color(
                "segment:N",
                title="value segment",
                scale=alt.Scale(domain=SEGMENTS, range=SEGMENT_COLOURS),
            ),
            order=alt.Order("segment:N"),
            tooltip=["rung:N", "segment:N", "customers:Q"],
        )
        .properties(width=WIDTH, height=26 * len(RUNGS))
    )


def movements(rows: Rows) -> alt.Chart:
    return (
        alt.Chart(alt.Data(values=rows))
        .mark_bar()
        .encode(
            y=alt.Y("rung:N", sort=RUNGS, title="rung now"),
            x=alt.X("customers:Q", title="customers who moved"),
            color=alt.Color(
                "direction:N",
                title="moved",
                scale=alt.Scale(domain=DIRECTIONS, range=DIRECTION_COLOURS),
            ),
            tooltip=["rung:N", "direction:N", "customers:Q"],
        )
        .properties(width=WIDTH, height=26 * len(RUNGS))
    )


def clv_histogram(rows: Rows) -> alt.Chart:
    return (
        alt.Chart(alt.Data(values=rows))
        .mark_bar(color="#1f5f8b", binSpacing=1)
        .encode(
            x=alt.X(
                "clv_from:Q",
                bin="binned",
                title="predicted CLV, next 365 days (discounted)",
                axis=alt.Axis(format=",.0f"),
            ),
            x2="clv_to:Q",
            y=alt.Y("customers:Q", title="buyers"),
            tooltip=[
                alt.Tooltip("clv_from:Q", format=",.0f", title="from"),
                alt.Tooltip("clv_to:Q", format=",.0f", title="to"),
                "customers:Q",
            ],
        )
        .properties(width=WIDTH, height=HEIGHT)
    )


def p_alive_by_recency(rows: Rows) -> alt.Chart:
    return (
        alt.Chart(alt.Data(values=rows))
        .mark_rect()
        .encode(
            x=alt.X("days_from:Q", title="days since the last purchase"),
            x2="days_to:Q",
            y=alt.Y("p_from:Q", title="P(alive)", scale=alt.Scale(domain=[0, 1])),
            y2="p_to:Q",
            color=alt.Color(
                "customers:Q", title="buyers", scale=alt.Scale(type="log", scheme="blues")
            ),
            tooltip=["days_from:Q", "p_from:Q", "customers:Q"],
        )
        .properties(width=WIDTH, height=HEIGHT)
    )


def cost_to_serve(rows: Rows) -> alt.Chart:
    return (
        alt.Chart(alt.Data(values=rows))
        .mark_bar()
        .encode(
            y=alt.Y("segment:N", sort=SEGMENTS, title="value segment"),
            x=alt.X(
                "cost_per_customer:Q",
                title="cost-to-serve per customer, trailing 365 days",
                axis=alt.Axis(format=",.0f"),
            ),
            color=alt.Color("activity:N", title="activity", scale=alt.Scale(scheme="tableau10")),
            tooltip=[
                "segment:N",
                "activity:N",
                alt.Tooltip("cost_per_customer:Q", format=",.2f", title="per customer"),
                alt.Tooltip("cost:Q", format=",.0f", title="total"),
            ],
        )
        .properties(width=WIDTH, height=34 * len(SEGMENTS))
    )


def treatments(rows: Rows) -> alt.Chart:
    return (
        alt.Chart(alt.Data(values=rows))
        .mark_bar(color="#1f5f8b")
        .encode(
            y=alt.Y("treatment:N", sort="-x", title=None),
            x=alt.X("customers:Q", title="customers"),
            row=alt.Row("list:N", title=None, header=alt.Header(labelAngle=0, labelAlign="left")),
            tooltip=["list:N", "treatment:N", "customers:Q"],
        )
        .resolve_scale(y="independent")
        .properties(width=WIDTH - 100)
    )


def forest(rows: Rows) -> alt.FacetChart:
    """Profit uplift per customer with its 95 % interval, one row per treatment and a
    panel per outcome window; red where the whole interval is below zero (harm)."""
    measured = [r for r in rows if r["ci_low"] is not None]
    base = alt.Chart().encode(
        y=alt.Y("treatment:N", title=None, sort=sorted({r["treatment"] for r in measured})),
        color=alt.condition("datum.is_harmful", alt.value("#c0392b"), alt.value("#1f5f8b")),
    )
    interval = base.mark_rule(strokeWidth=2).encode(
        x=alt.X("ci_low:Q", title="profit uplift per customer (95 % interval)"), x2="ci_high:Q"
    )
    estimate = base.mark_point(filled=True, size=60).encode(
        x="uplift:Q",
        tooltip=[
            "treatment:N", "window:N", "n_treated:Q", "n_holdout:Q",
            alt.Tooltip("uplift:Q", format=".2f"), alt.Tooltip("ci_low:Q", format=".2f"),
            alt.Tooltip("ci_high:Q", format=".2f"),
        ],
    )  # fmt: skip
    zero = alt.Chart().mark_rule(strokeDash=[4, 4], color="#888").encode(x=alt.datum(0))
    return (
        alt.layer(zero, interval, estimate, data=alt.Data(values=measured))
        .properties(width=WIDTH - 200)
        .facet(
            row=alt.Row(
                "window:N",
                title=None,
                sort=sorted({r["window"] for r in measured}, key=lambda w: int(w.split()[0])),
            )
        )
    )


def quarantine(rows: Rows) -> alt.Chart:
    return (
        alt.Chart(alt.Data(values=rows))
        .transform_calculate(what="datum.source_table + ': ' + datum.reason")
        .mark_bar(color="#e0a030")
        .encode(
            y=alt.Y("what:N", sort="-x", title=None, axis=alt.Axis(labelLimit=360)),
            x=alt.X("records:Q", title="raw rows quarantined"),
            tooltip=["source_table:N", "reason:N", "records:Q"],
        )
        .properties(width=WIDTH - 200)
    )
