"""What each treatment list sends: the rows of its payload model (dbt, marts/payloads/),
one JSON record per customer of every column but `as_of_date`. The model's contract is
the one place a payload's fields are named: they are read from its schema file here, so
what is sent, documented, tested and exposed in lineage is one thing (DESIGN §7: no
rung, segment or figure leaves the warehouse).

A payload's md5 is what the diff compares, so a customer is resent only when something
they would receive changed. The reason sent is the rule's reason for the customer, not
the mart's internal one: its figures (trailing profit, P(alive)) move every day, and
would resend a third of each list every night for nothing. `as_of_date` stays out of
the record for the same reason."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import yaml

from ladder import config
from ladder.errors import LadderError

PAYLOADS = config.PROJECT_ROOT / "dbt_project" / "models" / "marts" / "payloads"
CONTRACTS = PAYLOADS / "_payloads__models.yml"
KEY = "customer_id"
NOT_SENT = ("as_of_date",)  # in the model (and the daily file), not in a record


@dataclass(frozen=True)
class TreatmentList:
    name: str  # also the destination name in ladder.yml (destinations.<name>)
    model: str  # its payload model, in schema marts

    @property
    def system(self) -> str:
        """The system the list feeds (treatment_catalogue.system): every destination of
        the list delivers to it, and the delivery log records it so."""
        return self.name

    @property
    def mart(self) -> str:
        return f"marts.{self.model}"

    @property
    def columns(self) -> tuple[str, ...]:
        """The model's contract columns, in order: what the daily file holds."""
        return contract_columns(self.model)

    @property
    def fields(self) -> tuple[str, ...]:
        """A record's keys, customer_id first (a table destination's columns)."""
        return tuple(c for c in self.columns if c not in NOT_SENT)

    @property
    def payload_sql(self) -> str:
        """select customer_id, payload (jsonb) from the payload model."""
        pairs = ", ".join(f"'{f}', payload.{f}" for f in self.fields)
        return (
            f"select payload.{KEY}, jsonb_build_object({pairs}) as payload"
            f" from {self.mart} as payload"
        )


@cache
def contract_columns(model: str) -> tuple[str, ...]:
    models = {m["name"]: m for m in yaml.safe_load(CONTRACTS.read_text())["models"]}
    if model not in models:
        raise LadderError(f"{CONTRACTS} defines no payload model {model!r}")
    columns = tuple(c["name"] for c in models[model]["columns"])
    if columns[:1] != (KEY,):
        raise LadderError(f"{CONTRACTS}: {model}'s first column must be {KEY}")
    return columns


MARKETING = TreatmentList("marketing", "payload_marketing_audience")
SERVICE = TreatmentList("service", "payload_service_profile")

LISTS = {lst.name: lst for lst in (MARKETING, SERVICE)}
