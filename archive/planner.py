"""Keeping PostgreSQL's plans right while a bulk import grows the tables.

psycopg prepares a statement the fifth time it is sent, and PostgreSQL then keeps one
generic plan for it, made from the table's statistics at that moment. An import begins
with nearly empty tables, so a look-up such as ``relations WHERE src = ANY(?)`` is planned
as a scan of the whole table (right for a few rows), and the plan stays while the table
grows to tens of thousands of rows: each of the linker's look-ups of 500 ids then compared
every row with every id. At 20,000 documents that was 11 s of the server's 25 s.

Autovacuum analyzes a table only after 10% of it changed and at most once a minute, too late
for an import. :func:`refresh_statistics` analyzes, between batches, each table that has
changed by half its size since it was last analyzed (so a few times in all, as it doubles:
about 12 times per table for a million rows); new statistics make the server plan those
statements again, on every connection. SQLite plans each statement from its indexes alone:
nothing to do there.
"""

from __future__ import annotations

from typing import Any

from archive.backend import PgConnection

#: A table is analyzed again once this many rows, and half its size, changed.
MIN_CHANGED = 500


def refresh_statistics(conn: Any) -> list[str]:
    """On PostgreSQL, outside a transaction, ANALYZE the archive's tables that changed
    much since last analyzed; their names (none on SQLite or inside a transaction, where the
    lock it takes would last until the commit)."""
    if not isinstance(conn, PgConnection) or conn.readonly or conn.in_transaction:
        return []
    return _analyze(
        conn,
        "SELECT relname FROM pg_stat_user_tables WHERE schemaname = current_schema() "
        "AND n_mod_since_analyze >= GREATEST(?, n_live_tup / 2) ORDER BY relname",
        (MIN_CHANGED,),
    )


def analyze_all(conn: Any) -> int:
    """On PostgreSQL, ANALYZE every table of the archive's schema: after rows arrive in bulk
    by another way than an import (``migrate --to``, ``restore``: pg_restore brings no
    statistics), so that the first searches are not planned as if the tables were empty.
    How many tables."""
    if not isinstance(conn, PgConnection):
        return 0
    return len(
        _analyze(
            conn,
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
            "ORDER BY tablename",
        )
    )


def _analyze(conn: PgConnection, which: str, params: tuple[object, ...] = ()) -> list[str]:
    """ANALYZE the tables the statement ``which`` names; their names."""
    tables = [str(r[0]) for r in conn.execute(which, params).fetchall()]
    for table in tables:
        conn.execute(f'ANALYZE "{table}"')
    return tables
