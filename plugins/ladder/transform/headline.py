"""The headline numbers of a build, as `make demo` prints them: value and the whale
curve, predicted CLV, the ladder, the value segments, the treatment lists, and where the
quality gates' Data Docs are."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

RUNG_ORDER = ["Advocate", "Supporter", "Client", "Customer", "Prospect", "Toxic", "Terrorist"]


@dataclass(frozen=True)
class Headline:
    as_of: date
    customers: int
    buyers: int
    revenue: Decimal
    margin: Decimal
    cost_to_serve: Decimal
    top_fifth_share: Decimal | None
    peak_share: Decimal | None
    peak_percentile: int | None
    clv: Decimal
    net_clv: Decimal
    rungs: dict[str, int]
    segments: dict[str, int]
    treatments: dict[str, list[tuple[str, int]]]  # list -> (treatment, customers)
    data_docs: Path

    def render(self) -> str:
        def pct(share: Decimal | None) -> str:
            return "n/a" if share is None else f"{share * 100:.0f} %"

        return "\n".join(
            [
                f"customer value as of {self.as_of} (trailing 365 days, marts.*):",
                f"  customers              {self.customers:>14,} ({self.buyers:,} have bought)",
                f"  net revenue            {self.revenue:>14,.2f}",
                f"  gross margin           {self.margin:>14,.2f}",
                f"  cost-to-serve          {self.cost_to_serve:>14,.2f}",
                f"  profit                 {self.margin - self.cost_to_serve:>14,.2f}",
                f"  profit from top 20 %   {pct(self.top_fifth_share):>14}",
                f"  whale curve peak       {pct(self.peak_share):>14}"
                + (f" at the top {self.peak_percentile} %" if self.peak_percentile else ""),
                f"  predicted CLV, 365 d   {self.clv:>14,.2f} (net of cost-to-serve "
                f"{self.net_clv:,.2f})",
                "the loyalty ladder (marts.customer_segments):",
                *(f"  {rung:<22} {self.rungs.get(rung, 0):>14,}" for rung in RUNG_ORDER),
                "value segments:",
                *(
                    f"  {name:<22} {count:>14,} {count / self.customers:>7.1%}"
                    for name, count in self.segments.items()
                ),
                *(
                    line
                    for name, codes in self.treatments.items()
                    for line in [f"{name} ({sum(n for _, n in codes):,} customers):"]
                    + [f"  {code:<22} {count:>14,}" for code, count in codes]
                ),
                f"quality gates' Data Docs: {self.data_docs}",
            ]
        )


def headline(warehouse_url: str) -> Headline:
    import psycopg

    with psycopg.connect(warehouse_url) as conn:
        value = totals(conn)
        top_fifth, peak, peak_percentile = conn.execute(
            "select max(cumulative_profit_share) filter (where percentile = 20), "
            "max(cumulative_profit_share) filter (where is_peak), "
            "max(percentile) filter (where is_peak) from marts.whale_curve"
        ).fetchone()
        rungs = dict(conn.execute(
            "select ladder_rung, count(*) from marts.customer_segments group by 1"
        ).fetchall())  # fmt: skip
        segments = dict(conn.execute(
            "select value_segment, count(*) from marts.customer_segments group by 1 order by 2 desc"
        ).fetchall())  # fmt: skip
        treatments = {
            f"treatment_{system}": conn.execute(
                f"select treatment_code, count(*) from marts.treatment_{system}"
                " group by 1 order by 2 desc, 1"
            ).fetchall()
            for system in ("marketing", "service")
        }
    return Headline(
        value.as_of, value.customers, value.buyers, value.revenue, value.margin,
        value.cost_to_serve, top_fifth, peak, peak_percentile, value.clv, value.net_clv,
        rungs, segments, treatments, data_docs_index(),
    )  # fmt: skip


@dataclass(frozen=True)
class Totals:
    """The value figures summed over customers (trailing 365 days), as the quality gate
    validate_marts watches them too."""

    as_of: date | None
    customers: int
    buyers: int
    revenue: Decimal
    margin: Decimal
    cost_to_serve: Decimal
    clv: Decimal
    net_clv: Decimal


def totals(conn, schema: str = "marts") -> Totals:
    """The value totals of the build in `schema` (the marts, or a build not yet visible)."""
    from psycopg import sql

    row = conn.execute(
        sql.SQL(
            "select max(v.as_of_date), count(*), count(*) filter (where not p.is_prospect),"
            " coalesce(sum(v.net_revenue_365d), 0), coalesce(sum(p.gross_margin_365d), 0),"
            " coalesce(sum(p.cost_to_serve_365d), 0), coalesce(sum(v.clv_365d), 0),"
            " coalesce(sum(v.net_clv_365d), 0)"
            " from {} as v join {} as p using (customer_id)"
        ).format(
            sql.Identifier(schema, "customer_value"),
            sql.Identifier(schema, "customer_profitability"),
        )
    ).fetchone()
    return Totals(*row)


def data_docs_index() -> Path:
    from ladder import config

    folder = config.section("quality").get("data_docs_dir", ".ladder/data_docs")
    return config.project_path(folder) / "index.html"
