"""The headline numbers of a build, as `make demo` prints them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal


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
            ]
        )


def headline(warehouse_url: str) -> Headline:
    import psycopg

    with psycopg.connect(warehouse_url) as conn:
        as_of, customers, buyers, revenue, margin, cost = conn.execute(
            "select max(v.as_of_date), count(*), count(*) filter (where not p.is_prospect), "
            "coalesce(sum(v.net_revenue_365d), 0), coalesce(sum(p.gross_margin_365d), 0), "
            "coalesce(sum(p.cost_to_serve_365d), 0) "
            "from marts.customer_value as v "
            "join marts.customer_profitability as p using (customer_id)"
        ).fetchone()
        top_fifth, peak, peak_percentile = conn.execute(
            "select max(cumulative_profit_share) filter (where percentile = 20), "
            "max(cumulative_profit_share) filter (where is_peak), "
            "max(percentile) filter (where is_peak) from marts.whale_curve"
        ).fetchone()
    return Headline(
        as_of, customers, buyers, revenue, margin, cost, top_fifth, peak, peak_percentile
    )
