"""A failed night leaves what BI reads untouched (DESIGN §8): the marts are built into
the shadow schema, validated there, and only then swapped in for `marts`."""

from __future__ import annotations

from datetime import date, timedelta

import psycopg
import pytest
from psycopg import sql

from ladder.errors import LadderError
from ladder.quality.gates import GateFailed
from ladder.transform.promote import PUBLISHED, SHADOW, prepare_shadow, promote
from ladder.transform.stages import build_warehouse
from tests.conftest import dbt_session, new_target
from tests.transform.conftest import AS_OF

NEXT = AS_OF + timedelta(days=1)


def marts_checksums(url: str) -> dict[str, tuple[int, str]]:
    """Every table in `marts`: rows and a digest of its whole content."""
    with psycopg.connect(url) as conn:
        tables = [name for (name,) in conn.execute(
            "select tablename from pg_tables where schemaname = 'marts' order by 1")]  # fmt: skip
        return {
            table: conn.execute(
                sql.SQL(
                    "select count(*), md5(coalesce(string_agg(t::text, chr(10)"
                    " order by t::text), '')) from {} as t"
                ).format(sql.Identifier(PUBLISHED, table))
            ).fetchone()
            for table in tables
        }


def scalar(url: str, query: str, *params: object) -> object:
    with psycopg.connect(url) as conn:
        return conn.execute(query, params).fetchone()[0]


def test_a_night_the_gate_stops_changes_nothing_bi_reads_and_a_good_one_promotes(built) -> None:
    good = marts_checksums(built.url)
    assert {"customer_segments", "segment_history", "segment_runs", "treatment_marketing",
            "whale_curve"} <= good.keys()  # fmt: skip

    # An upstream bug the raw gate would catch, let through: every interaction flagged
    # abusive makes Terrorists of everyone who called, a segment swing the marts gate stops.
    with psycopg.connect(built.url) as conn:
        conn.execute("create table public.interactions_kept as table raw.helpdesk_interactions")
        conn.execute("update raw.helpdesk_interactions set abuse_reported = true")
    with pytest.raises(GateFailed, match="segment_share_drift_max"):
        build_warehouse(NEXT, warehouse_url=built.url, capture=True, validate=True,
                        session=dbt_session(built.url))  # fmt: skip

    # The gate saw the night being built, in the shadow, compared with the last good run.
    shadow_runs = f"select count(*) from {SHADOW}.segment_runs where as_of_date = %s"
    assert scalar(built.url, shadow_runs, NEXT) == 1
    assert marts_checksums(built.url) == good
    assert scalar(built.url, "select count(*) from marts.segment_runs where as_of_date = %s",
                  NEXT) == 0  # fmt: skip
    assert scalar(built.url, "select count(*) from marts.segment_history where valid_from = %s",
                  NEXT) == 0  # fmt: skip
    assert scalar(built.url, "select max(as_of_date) from marts.customer_segments") == AS_OF

    # The bug fixed, the same night passes and is promoted, history and all.
    with psycopg.connect(built.url) as conn:
        conn.execute("truncate raw.helpdesk_interactions")
        conn.execute("insert into raw.helpdesk_interactions select * from public.interactions_kept")
    build_warehouse(NEXT, warehouse_url=built.url, capture=True, validate=True,
                    session=dbt_session(built.url))  # fmt: skip
    promoted = marts_checksums(built.url)
    assert promoted.keys() == good.keys() and promoted != good
    assert scalar(built.url, "select max(as_of_date) from marts.customer_segments") == NEXT
    runs = "select array_agg(as_of_date order by as_of_date) from marts.segment_runs"
    assert scalar(built.url, runs) == [AS_OF, NEXT]
    assert scalar(built.url, "select count(*) from pg_namespace where nspname like 'marts_%%'") == 0

    # A rerun of the night changes nothing.
    build_warehouse(NEXT, warehouse_url=built.url, capture=True, validate=True,
                    session=dbt_session(built.url))  # fmt: skip
    assert marts_checksums(built.url) == promoted


@pytest.fixture()
def warehouse_db(warehouse, tmp_path) -> str:
    return new_target(warehouse, tmp_path / "dlt").url


def test_promotion_keeps_the_grants_bi_had_and_carries_the_history(warehouse_db) -> None:
    url, night = warehouse_db, date(2025, 7, 1)
    readers = [f"ladder_test_bi_{warehouse_db.rsplit('_', 1)[-1]}_{n}" for n in (1, 2)]
    with psycopg.connect(url, autocommit=True) as conn:
        for role in readers:
            conn.execute(sql.SQL("create role {} nologin").format(sql.Identifier(role)))
        conn.execute("create schema marts")
        conn.execute("create table marts.segment_runs (as_of_date date not null, customers int)")
        conn.execute("insert into marts.segment_runs values ('2025-06-30', 10)")
        conn.execute("create table marts.whale_curve (percentile int)")
        # One reader by explicit grants, the other by the schema's default privileges.
        conn.execute(sql.SQL("grant usage on schema marts to {0}, {1};"
                             " grant select on marts.whale_curve to {0};"
                             " alter default privileges in schema marts grant select on tables"
                             " to {1}").format(*map(sql.Identifier, readers)))  # fmt: skip
    try:
        assert prepare_shadow(night, url) == ["segment_runs"]
        with psycopg.connect(url) as conn:
            # What the marts stage adds: tonight's run, and a new mart.
            conn.execute(f"insert into {SHADOW}.segment_runs values (%s, 11)", (night,))
            conn.execute(f"create table {SHADOW}.whale_curve (percentile int)")
            conn.execute(f"create table {SHADOW}.payload_new_list (customer_id text)")
        with pytest.raises(LadderError, match="no build for 2025-07-02 in marts_next"):
            promote(night + timedelta(days=1), url)
        assert promote(night, url) == ["payload_new_list", "segment_runs", "whale_curve"]
        assert promote(night, url) == ["payload_new_list", "segment_runs", "whale_curve"]

        with psycopg.connect(url) as conn:
            rows = conn.execute(
                "select has_schema_privilege(r, 'marts', 'usage'),"
                " has_table_privilege(r, 'marts.whale_curve', 'select'),"
                " has_table_privilege(r, 'marts.payload_new_list', 'select')"
                " from unnest(%s::text[]) with ordinality as roles(r, n) order by n",
                (readers,),
            ).fetchall()
            assert rows == [(True, True, False), (True, True, True)]
            assert conn.execute("select * from marts.segment_runs order by 1").fetchall() == [
                (date(2025, 6, 30), 10),
                (night, 11),
            ]
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("drop schema if exists marts, marts_next cascade")
            for role in readers:
                conn.execute(sql.SQL("drop owned by {0}; drop role {0}").format(
                    sql.Identifier(role)))  # fmt: skip
