"""Copying a whole archive from one database to the other (`gongkai migrate`), and checking
the copy: SQLite → PostgreSQL when a deployment outgrows one machine, PostgreSQL → SQLite
for a laptop copy.

Rows are copied as they are, keys included (document ids, history and relation numbers),
so that everything that names them (the index, links, history) stays true; the originals go
with them, from whichever store the source keeps them in to the destination's. The copy is
one transaction on the destination: a copy cut short leaves it empty, and running it again
starts over. Sessions and failed sign-ins are not copied (staff sign in again).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from archive import schema
from archive.errors import ConflictError
from archive.planner import analyze_all
from archive.store import Archive

#: Tables not copied: the change counter and the schema version (the destination keeps its
#: own), sessions and failed sign-ins, and originals (copied by digest, between stores).
NOT_COPIED = frozenset(
    {"changes", "gongkai_schema", "sessions", "login_failures", "originals", "sqlite_sequence"}
)

BATCH = 500


def open_new_sqlite(root: Path) -> Archive:
    """A new SQLite archive in ``root`` (whatever ``GONGKAI_NEW_ARCHIVE_URL`` says)."""
    root.mkdir(parents=True, exist_ok=True)
    sqlite3.connect(root / Archive.DB_NAME).close()
    return Archive.open(root)


def copy_archive(src: Archive, dst: Archive) -> dict[str, int]:
    """Copy every row and original of ``src`` into the empty archive ``dst``; returns rows
    copied per table (and ``originals``)."""
    shared = _tables(src, dst)
    for table in shared:
        if dst.conn.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone() is not None:
            raise ConflictError(f"the destination archive is not empty (table {table})")
    counts: dict[str, int] = {}
    with dst.transaction():
        for table in shared:
            counts[table] = _copy_table(src, dst, table, schema.primary_key(src.conn, table))
        digests = sorted(set(src.digests().values()))
        for digest in digests:
            dst.originals.put(src.originals.read(digest), sha256=digest, durable=False)
        dst.originals.sync()
        counts["originals"] = len(digests)
        if dst.dialect == "postgresql":
            from archive.pgschema import reset_keys

            reset_keys(dst.conn)
    analyze_all(dst.conn)
    return counts


def _tables(src: Archive, dst: Archive) -> list[str]:
    """Every table both archives have, documents first (others refer to it)."""
    both = (schema.tables(src.conn) & schema.tables(dst.conn)) - NOT_COPIED
    return sorted(both, key=lambda t: (t != "documents", t))


def _copy_table(src: Archive, dst: Archive, table: str, key: list[str]) -> int:
    """Rows of ``table`` in key order, :data:`BATCH` at a time (all at once without a key)."""
    copied, last = 0, None
    order = ", ".join(f'"{k}"' for k in key)
    while True:
        if not key:
            sql, args = f"SELECT * FROM {table}", ()
        elif last is None:
            sql, args = f"SELECT * FROM {table} ORDER BY {order} LIMIT {BATCH}", ()
        else:
            marks = ", ".join("?" for _ in key)
            sql = (
                f"SELECT * FROM {table} WHERE ({order}) > ({marks}) ORDER BY {order} LIMIT {BATCH}"
            )
            args = last
        rows = src.conn.execute(sql, args).fetchall()
        if not rows:
            return copied
        names = list(rows[0].keys())
        columns = ", ".join(f'"{n}"' for n in names)
        marks = ", ".join("?" for _ in names)
        dst.conn.executemany(
            f"INSERT INTO {table} ({columns}) VALUES ({marks})",
            [tuple(row[n] for n in names) for row in rows],
        )
        copied += len(rows)
        if not key:
            return copied
        last = tuple(rows[-1][k] for k in key)


def differences(src: Archive, dst: Archive) -> list[str]:
    """What the copy ``dst`` lacks or has otherwise than ``src``: rows per table, documents
    and their revisions, and every original (present, and hashing to its name)."""
    problems = []
    for table in _tables(src, dst):
        a = src.conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
        b = dst.conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
        if a != b:
            problems.append(f"{table}: {a} rows in the source, {b} in the copy")
    if src.revisions() != dst.revisions():
        problems.append("documents: ids or revisions differ")
    if src.digests() != dst.digests():
        problems.append("documents: the originals they name differ")
    bad = [d for d in sorted(set(dst.digests().values())) if not dst.originals.intact(d)]
    if bad:
        problems.append(f"originals: {len(bad)} missing or damaged in the copy ({bad[0]} …)")
    return problems
