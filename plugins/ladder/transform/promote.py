"""What BI reads changes only once validate_marts has passed (DESIGN §8).

The marts stage builds into the shadow schema `marts_next` (dbt's var `marts_schema`),
validate_marts checks it there, and `promote` swaps it in for `marts` in one transaction
of schema renames: BI and the service desk see the last good night, complete, until the
new one is, and a night that fails anywhere before the promotion leaves them untouched.
Why a swap and not views over the last validated build: docs/marts-promotion.md.

History tables (the marts dbt builds incrementally: segment_history, segment_runs) add
one version per night on top of the published ones, so `prepare_shadow` copies them into
the shadow before the build: a failed night adds no version to what BI reads, and a good
one brings its version in with the rest. Nothing else in the shadow is named here: the
swap moves whatever dbt built, payload lists included.
"""

from __future__ import annotations

import json
from datetime import date

import psycopg
from psycopg import sql

from ladder.errors import LadderError

PUBLISHED = "marts"
SHADOW = "marts_next"
# The replaced marts between the swap and their drop; left over only by a promotion
# that stopped in between, and dropped by the next night's preparation.
RETIRED = "marts_retired"

# pg_default_acl's object types, as ALTER DEFAULT PRIVILEGES names them.
DEFAULT_ACL_KINDS = {"r": "tables", "S": "sequences", "f": "functions", "T": "types"}


def history_tables() -> list[str]:
    """The marts dbt builds incrementally (their rows accumulate across nights), from the
    project's manifest."""
    from ladder.transform.dbt import ensure_manifest

    nodes = json.loads(ensure_manifest().read_text())["nodes"].values()
    return sorted(
        node["alias"]
        for node in nodes
        if node["resource_type"] == "model"
        and node["config"].get("schema") == PUBLISHED
        and node["config"].get("materialized") == "incremental"
    )


def label(as_of: date) -> str:
    """The comment on a build's schema: which night it holds (`\\dn+` shows it)."""
    return f"Ladder marts for as-of date {as_of.isoformat()}"


def prepare_shadow(as_of: date, warehouse_url: str | None = None) -> list[str]:
    """A new shadow schema for D holding copies of the published history tables; returns
    the tables copied (none on the first night)."""
    wanted = history_tables()
    with psycopg.connect(_url(warehouse_url)) as conn:
        for schema in (SHADOW, RETIRED):
            conn.execute(sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(schema)))
        conn.execute(sql.SQL("create schema {}").format(sql.Identifier(SHADOW)))
        conn.execute(
            sql.SQL("comment on schema {} is {}").format(
                sql.Identifier(SHADOW), sql.Literal(label(as_of))
            )
        )
        published = _tables(conn, PUBLISHED)
        copied = [table for table in wanted if table in published]
        for table in copied:
            _copy_table(conn, sql.Identifier(PUBLISHED, table), sql.Identifier(SHADOW, table))
    return copied


def _copy_table(conn: psycopg.Connection, source: sql.Identifier, target: sql.Identifier) -> None:
    """`target` as a copy of `source`, with its constraints and indexes. The indexes are
    built after the rows are in: loading the 2.4 million rows of a 95-night assignment
    log into an indexed table took 4.4 s, loading and then indexing 2.2 s."""
    conn.execute(sql.SQL("create table {} (like {} including all)").format(target, source))
    oid = conn.execute("select %s::regclass::oid", (target.as_string(conn),)).fetchone()[0]
    constraints = conn.execute(
        "select conname, pg_get_constraintdef(oid) from pg_constraint"
        " where conrelid = %s and contype in ('p', 'u', 'x')",
        (oid,),
    ).fetchall()
    indexes = conn.execute(
        "select indexrelid::regclass::text, pg_get_indexdef(indexrelid) from pg_index"
        " where indrelid = %s"
        " and indexrelid not in (select conindid from pg_constraint where conrelid = %s)",
        (oid, oid),
    ).fetchall()
    for name, _ in constraints:
        drop = sql.SQL("alter table {} drop constraint {}")
        conn.execute(drop.format(target, sql.Identifier(name)))
    for name, _ in indexes:
        conn.execute(sql.SQL("drop index {}").format(sql.SQL(name)))
    conn.execute(sql.SQL("insert into {} select * from {}").format(target, source))
    for name, definition in constraints:
        conn.execute(
            sql.SQL("alter table {} add constraint {} {}").format(
                target, sql.Identifier(name), sql.SQL(definition)
            )
        )
    for _, definition in indexes:
        conn.execute(sql.SQL(definition))
    conn.execute(sql.SQL("analyze {}").format(target))


def promote(as_of: date, warehouse_url: str | None = None) -> list[str]:
    """Swap D's shadow build in for `marts` in one transaction, with the grants the
    published schema and its tables had; then drop the replaced marts. Returns the
    tables now published. Promoting D again once it is published (a retried task)
    changes nothing."""
    with psycopg.connect(_url(warehouse_url)) as conn:
        built = _label(conn, SHADOW)
        if built is None and _label(conn, PUBLISHED) == label(as_of):
            return _tables(conn, PUBLISHED)
        if built != label(as_of):
            found = f"it holds {built!r}" if built else "it does not exist"
            raise LadderError(
                f"there is no build for {as_of} in {SHADOW} to promote ({found}): build the "
                f"marts for that date first (`ladder transform --as-of {as_of}`)"
            )
        promoted = _tables(conn, SHADOW)
        if _schema_exists(conn, PUBLISHED):
            _copy_grants(conn, PUBLISHED, SHADOW)
            conn.execute(
                sql.SQL("alter schema {} rename to {}").format(
                    sql.Identifier(PUBLISHED), sql.Identifier(RETIRED)
                )
            )
        conn.execute(
            sql.SQL("alter schema {} rename to {}").format(
                sql.Identifier(SHADOW), sql.Identifier(PUBLISHED)
            )
        )
    # Apart, so the swap never waits: the drop waits for BI queries still reading the
    # replaced tables, while new queries already resolve `marts` to the new ones.
    with psycopg.connect(_url(warehouse_url), autocommit=True) as conn:
        conn.execute(sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(RETIRED)))
    return promoted


# A grantee's name; none for PUBLIC (grantee 0).
GRANTEE = "case acl.grantee when 0 then null else pg_get_userbyid(acl.grantee) end"


def _copy_grants(conn: psycopg.Connection, source: str, target: str) -> None:
    """Grant on `target` what roles other than the owner hold on `source`: the schema's
    privileges, its default privileges (applied to the tables built tonight, as they
    would have been had those been created in `source`), and each table's privileges
    on its namesake."""
    schema = sql.Identifier(target)
    grants: list[sql.Composable] = []
    for privilege, grantee, grantable in conn.execute(
        f"""
        select acl.privilege_type, {GRANTEE}, acl.is_grantable
        from pg_namespace as ns
        cross join aclexplode(ns.nspacl) as acl
        where ns.nspname = %s and acl.grantee <> ns.nspowner
        """,
        (source,),
    ):
        grants.append(_grant("schema {}", schema, privilege, grantee, grantable))
    for owner, kind, privilege, grantee, grantable in conn.execute(
        f"""
        select
            pg_get_userbyid(defaults.defaclrole), defaults.defaclobjtype,
            acl.privilege_type, {GRANTEE}, acl.is_grantable
        from pg_default_acl as defaults
        cross join aclexplode(defaults.defaclacl) as acl
        where defaults.defaclnamespace = %s::regnamespace
        """,
        (source,),
    ):
        on = sql.SQL("schema {} grant {} on " + DEFAULT_ACL_KINDS[kind]).format(
            schema, _privilege(privilege)
        )
        grants.append(
            sql.SQL("alter default privileges for role {} in {} to {}{}").format(
                sql.Identifier(owner), on, _role(grantee), _option(grantable)
            )
        )
        if kind == "r":
            grants.append(_grant("all tables in schema {}", schema, privilege, grantee, grantable))
    for table, privilege, grantee, grantable in conn.execute(
        f"""
        select old.relname, acl.privilege_type, {GRANTEE}, acl.is_grantable
        from pg_class as old
        join pg_class as new
            on new.relname = old.relname and new.relnamespace = %s::regnamespace
        cross join aclexplode(old.relacl) as acl
        where old.relnamespace = %s::regnamespace and acl.grantee <> old.relowner
        """,
        (target, source),
    ):
        relation = sql.Identifier(target, table)
        grants.append(_grant("table {}", relation, privilege, grantee, grantable))
    for grant in grants:
        conn.execute(grant)


def _grant(
    on: str, name: sql.Composable, privilege: str, grantee: str | None, grantable: bool
) -> sql.Composable:
    return sql.SQL("grant {} on " + on + " to {}{}").format(
        _privilege(privilege), name, _role(grantee), _option(grantable)
    )


def _privilege(name: str) -> sql.Composable:
    # aclexplode names privileges in upper-case keywords (SELECT, USAGE, ...).
    if not name.replace(" ", "").isalpha():
        raise LadderError(f"unexpected privilege {name!r} in the catalog")
    return sql.SQL(name)


def _role(name: str | None) -> sql.Composable:
    # The grantee 0 (no name) is PUBLIC.
    return sql.SQL("public") if name is None else sql.Identifier(name)


def _option(grantable: bool) -> sql.Composable:
    return sql.SQL(" with grant option" if grantable else "")


def _tables(conn: psycopg.Connection, schema: str) -> list[str]:
    rows = conn.execute(
        "select tablename from pg_tables where schemaname = %s order by 1", (schema,)
    )
    return [name for (name,) in rows]


def _label(conn: psycopg.Connection, schema: str) -> str | None:
    found = conn.execute(
        "select obj_description(oid, 'pg_namespace') from pg_namespace where nspname = %s",
        (schema,),
    ).fetchone()
    return found[0] if found else None


def _schema_exists(conn: psycopg.Connection, schema: str) -> bool:
    found = conn.execute("select 1 from pg_namespace where nspname = %s", (schema,))
    return found.fetchone() is not None


def _url(warehouse_url: str | None) -> str:
    if warehouse_url is not None:
        return warehouse_url
    from ladder.warehouse import resolve_warehouse

    return resolve_warehouse().url
