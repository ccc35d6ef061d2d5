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
from archive.store import Archive

#: The tables copied, each with its key (for reading in order, a batch at a time).
TABLES = {
    "documents": "id",
    "history": "seq",
    "relations": "id",
    "status_changes": "seq",
    "refs": "id",
    "meta": "key",
    "text_dates": "doc_id",
    "text_expiry": "doc_id",
    "staff_synonyms": "id",
    "users": "name",
}

BATCH = 500


def open_new_sqlite(root: Path) -> Archive:
    """A new SQLite archive in ``root`` (whatever ``GONGKAI_NEW_ARCHIVE_URL`` says)."""
    root.mkdir(parents=True, exist_ok=True)
    sqlite3.connect(root / Archive.DB_NAME).close()
    return Archive.open(root)


def copy_archive(src: Archive, dst: Archive) -> dict[str, int]:
    """Copy every row and original of ``src`` into the empty archive ``dst``; returns rows
    copied per table (and ``originals``)."""
    shared = [t for t in TABLES if t in schema.tables(src.conn) & schema.tables(dst.conn)]
    for table in shared:
        if dst.conn.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone() is not None:
            raise ConflictError(f"the destination archive is not empty (table {table})")
    counts: dict[str, int] = {}
    with dst.transaction():
        for table in shared:
            counts[table] = _copy_table(src, dst, table, TABLES[table])
        digests = sorted(set(src.digests().values()))
        for digest in digests:
            dst.originals.put(src.originals.read(digest), sha256=digest, durable=False)
        dst.originals.sync()
        counts["originals"] = len(digests)
        if dst.dialect == "postgresql":
            from archive.pgschema import reset_keys

            reset_keys(dst.conn)
    return counts


def _copy_table(src: Archive, dst: Archive, table: str, key: str) -> int:
    copied, last = 0, None
    while True:
        where = "" if last is None else f" WHERE {key} > ?"
        rows = src.conn.execute(
            f"SELECT * FROM {table}{where} ORDER BY {key} LIMIT {BATCH}",
            () if last is None else (last,),
        ).fetchall()
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
        last = rows[-1][key]


def differences(src: Archive, dst: Archive) -> list[str]:
    """What the copy ``dst`` lacks or has otherwise than ``src``: rows per table, documents
    and their revisions, and every original (present, and hashing to its name)."""
    problems = []
    shared = [t for t in TABLES if t in schema.tables(src.conn) & schema.tables(dst.conn)]
    for table in shared:
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
