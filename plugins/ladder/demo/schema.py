"""Table definitions of the demo source systems (DESIGN §5.1: keep these shapes stable)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TableDef:
    name: str
    columns: tuple[tuple[str, str], ...]
    primary_key: tuple[str, ...]
    # The helpdesk's export API pages through each table in (updated_at, id) order.
    export_index: bool = False

    def create_sql(self, schema: str) -> str:
        cols = ", ".join(f"{name} {kind}" for name, kind in self.columns)
        return f"create table {schema}.{self.name} ({cols})"

    def primary_key_sql(self, schema: str) -> str:
        return f"alter table {schema}.{self.name} add primary key ({', '.join(self.primary_key)})"

    def export_index_sql(self, schema: str) -> str:
        key = self.primary_key[0]
        return f"create index on {schema}.{self.name} (updated_at, {key})"

    @property
    def column_names(self) -> list[str]:
        return [name for name, _ in self.columns]


def truth_table(name: str) -> TableDef:
    return next(t for t in TRUTH_TABLES if t.name == name)


TS = "timestamptz"
MONEY = "numeric(12, 2)"

SHOP_TABLES = (
    TableDef("customers", (
        ("customer_id", "text"), ("email", "text"), ("full_name", "text"), ("country", "text"),
        ("acquisition_channel", "text"), ("created_at", TS), ("updated_at", TS),
    ), ("customer_id",)),
    TableDef("orders", (
        ("order_id", "text"), ("customer_id", "text"), ("ordered_at", TS), ("status", "text"),
        ("shipping_method", "text"), ("shipping_charged", MONEY), ("shipping_cost", MONEY),
        ("discount_amount", MONEY), ("updated_at", TS),
    ), ("order_id",)),
    TableDef("order_lines", (
        ("order_id", "text"), ("line_no", "int"), ("product_id", "text"), ("quantity", "int"),
        ("unit_price", MONEY), ("unit_cost", MONEY), ("updated_at", TS),
    ), ("order_id", "line_no")),
    TableDef("returns", (
        ("return_id", "text"), ("order_id", "text"), ("customer_id", "text"),
        ("returned_at", TS), ("refund_amount", MONEY), ("reason", "text"), ("updated_at", TS),
    ), ("return_id",)),
    TableDef("payment_events", (
        ("event_id", "text"), ("order_id", "text"), ("customer_id", "text"),
        ("occurred_at", TS), ("kind", "text"), ("amount", MONEY), ("fraud_confirmed", "boolean"),
        ("updated_at", TS),
    ), ("event_id",)),
    TableDef("referrals", (
        ("referral_id", "text"), ("referrer_customer_id", "text"),
        ("referred_customer_id", "text"), ("referred_at", TS), ("updated_at", TS),
    ), ("referral_id",)),
    TableDef("marketing_consent", (
        ("consent_id", "text"), ("customer_id", "text"), ("status", "text"),
        ("recorded_at", TS), ("updated_at", TS),
    ), ("consent_id",)),
)  # fmt: skip

HELPDESK_TABLES = (
    TableDef("tickets", (
        ("ticket_id", "text"), ("customer_id", "text"), ("created_at", TS), ("updated_at", TS),
        ("channel", "text"), ("category", "text"), ("status", "text"),
        ("is_complaint", "boolean"), ("satisfaction", "smallint"),
    ), ("ticket_id",), export_index=True),
    TableDef("interactions", (
        ("interaction_id", "text"), ("ticket_id", "text"), ("customer_id", "text"),
        ("occurred_at", TS), ("updated_at", TS), ("channel", "text"), ("agent_id", "text"),
        ("handle_minutes", "numeric(8, 1)"), ("abuse_reported", "boolean"),
    ), ("interaction_id",), export_index=True),
    TableDef("surveys", (
        ("survey_id", "text"), ("customer_id", "text"), ("answered_at", TS), ("updated_at", TS),
        ("nps", "smallint"),
    ), ("survey_id",), export_index=True),
)  # fmt: skip

# Ground truth for tests and benchmarks, in shop.demo_truth. The pipeline never reads it.
TRUTH_SCHEMA = "demo_truth"
TRUTH_TABLES = (
    TableDef("customer_persona", (("customer_id", "text"), ("persona", "text")),
             ("customer_id",)),
    TableDef("customer_parameters", (
        ("customer_id", "text"), ("lambda_per_day", "double precision"),
        ("dropout_p", "double precision"), ("dropout_after", "bigint"),
        ("nu", "double precision"), ("repeat_purchases", "bigint"), ("opted_in", "boolean"),
        ("created_day", "double precision"), ("heavy_use", "double precision"),
    ), ("customer_id",)),
    TableDef("customer_trait", (("customer_id", "text"), ("trait", "text")),
             ("customer_id", "trait")),
    # The demo's response to what its systems hold (response.py).
    TableDef("treatment_received", (
        ("customer_id", "text"), ("treatment_code", "text"), ("received_on", "date"),
        ("responds_on", "date"), ("improves", "boolean"),
    ), ("customer_id", "treatment_code")),
    TableDef("response_orders", (
        ("order_id", "text"), ("customer_id", "text"), ("treatment_code", "text"),
        ("ordered_on", "date"),
    ), ("order_id",)),
    TableDef("planted_effects", (
        ("treatment_code", "text"), ("purchase_response", "double precision"),
        ("response_days", "integer"), ("basket_factor", "double precision"),
        ("improves_share", "double precision"), ("improved_heavy_use", "double precision"),
        ("description", "text"),
    ), ("treatment_code",)),
    TableDef("generation", (
        ("seed", "bigint"), ("customers", "bigint"), ("start_date", "date"),
        ("end_date", "date"), ("covered_until", "date"),
    ), ()),
)  # fmt: skip
