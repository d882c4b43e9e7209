"""Who may be marketed to at D (DESIGN §6 "Consent", docs/consent.md), recomputed for
`validate_marts` straight from raw and the operator's suppression list: the gate must
not trust the staging models the marketing list was built from.

A customer is marketable at D when their latest readable consent record before D is an
opt-in (at one instant an opt-out beats an opt-in), no unreadable record of theirs counts
from that time or later, and ops.marketing_suppression does not name them by customer id
or by normalised e-mail address. A record is a consent_id's latest version known at D (by
updated_at, then load); a row without consent_id or updated_at is a record of its own.
It is unreadable when it is not exactly one row at that version, its status is not
`opted_in` or `opted_out`, its recorded_at is missing, on or after D or before
`earliest_plausible_date`, or a value of it could not be landed in its column. An
unreadable record counts from its usable recorded_at, else its updated_at, else from
always (it is the latest of all). dbt's test marketing_lists_only_consented_customers
states the same rule in its own SQL.
"""

from __future__ import annotations

from functools import cache

import yaml

from ladder import config


@cache
def earliest_plausible_date() -> str:
    """dbt's `earliest_plausible_date`, from dbt_project.yml where it is written once."""
    project = yaml.safe_load((config.PROJECT_ROOT / "dbt_project" / "dbt_project.yml").read_text())
    return str(project["vars"]["earliest_plausible_date"])


def marketable_customers(as_of: str) -> str:
    """SQL selecting the customer_id of every customer marketable at D, where `as_of` is
    an SQL expression of type date giving D."""
    d = f"(cast({as_of} as timestamp) at time zone 'UTC')"
    usable_time = (
        f"coalesce(recorded_at < {d} and recorded_at >="
        f" cast('{earliest_plausible_date()}' as timestamptz), false)"
    )
    return f"""
        with known as (
            select * from raw.shop_marketing_consent
            where updated_at is null or updated_at < {d}
        ),
        versioned as (
            select
                known.*,
                coalesce(consent_id, '') = '' or updated_at is null as stands_alone,
                rank() over (
                    partition by consent_id, updated_at is null
                    order by updated_at desc, _dlt_load_id desc
                ) as version_rank,
                count(*) over (partition by consent_id, updated_at, _dlt_load_id) as twins,
                {usable_time} as has_usable_time
            from known
        ),
        records as (
            select
                customer_id, status, recorded_at, updated_at, has_usable_time,
                coalesce(
                    not stands_alone and twins = 1 and has_usable_time
                    and status in ('opted_in', 'opted_out')
                    and not exists (
                        select 1 from jsonb_each(to_jsonb(versioned)) as cells
                        where cells.key ~ '(__v_text|^_ladder_unrepresentable)$'
                            and cells.value <> 'null'
                    ),
                    false
                ) as is_readable
            from versioned
            where stands_alone or version_rank = 1
        ),
        latest_readable as (
            select distinct on (customer_id) customer_id, status, recorded_at
            from records
            where is_readable
            order by customer_id, recorded_at desc, status = 'opted_out' desc
        ),
        unreadable as (
            select
                customer_id,
                max(case when has_usable_time then recorded_at
                         else coalesce(updated_at, 'infinity') end) as counts_from
            from records
            where not is_readable
            group by customer_id
        ),
        customers as (
            select customer_id, {_normalised("email")} as email
            from (
                select
                    customer_id, email,
                    rank() over (partition by customer_id
                                 order by updated_at desc, _dlt_load_id desc) as version_rank
                from raw.shop_customers
                where updated_at < {d}
            ) as versions
            where version_rank = 1
        ),
        suppression as (
            select trim(customer_id) as customer_id, {_normalised("email")} as email
            from ops.marketing_suppression
        ),
        suppressed as (
            select customers.customer_id from customers
            join suppression on customers.customer_id = suppression.customer_id
            union all
            select customers.customer_id from customers
            join suppression on customers.email = suppression.email
        )
        select latest_readable.customer_id
        from latest_readable
        left join unreadable using (customer_id)
        where latest_readable.status = 'opted_in'
            and coalesce(unreadable.counts_from < latest_readable.recorded_at, true)
            and not exists (
                select 1 from suppressed
                where suppressed.customer_id = latest_readable.customer_id
            )
    """


def listed_without_consent(listing: str, night: str) -> str:
    """SQL selecting the rows of the marketing list `listing` (a table, or GX's `{batch}`)
    whose customer is not marketable at D (`night`, an SQL date expression), the
    suppression treatment aside."""
    return f"""
        with marketable as ({marketable_customers(night)})
        select list.customer_id, list.treatment_code
        from {listing} as list
        where list.treatment_code <> 'SUPPRESS_PROMOTIONS'
            and not exists (
                select 1 from marketable where marketable.customer_id = list.customer_id
            )
    """


def _normalised(column: str) -> str:
    """An e-mail address as a person's identity: lower case, trimmed, without the +tag of
    its local part (dbt's macro normalised_email, restated for this independent check)."""
    return f"nullif(regexp_replace(lower(trim({column})), '\\+[^@]*@', '@'), '')"
