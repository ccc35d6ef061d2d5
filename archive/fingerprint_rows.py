"""The statements that store one document's fingerprint, apart from
:mod:`archive.fingerprints` so that :meth:`archive.store.Archive.add` can write a new
document's fingerprint with its row (in the same transaction, and on PostgreSQL the same
round trip) without the store importing the module that imports it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from archive.backend import PgConnection
from archive.chunks import rows_in_chunks


def write_fingerprint(
    conn: Any,
    doc_id: str,
    text_hash: str,
    minhash: bytes,
    buckets: Iterable[int],
    *,
    at: str,
    new: bool = False,
) -> None:
    """Store ``doc_id``'s fingerprint (replacing an older one) and its bucket keys, in the
    caller's transaction, stamped ``at`` (:func:`archive.store.now`); a ``new`` document has
    no older keys to delete."""
    if not new:
        conn.execute("DELETE FROM text_buckets WHERE doc_id = ?", (doc_id,))
    conn.execute(
        # An upsert both SQLite and PostgreSQL read (INSERT OR REPLACE is SQLite's own).
        "INSERT INTO text_fingerprints (doc_id, text_hash, minhash, created_at) "
        "VALUES (?, ?, ?, ?) ON CONFLICT (doc_id) DO UPDATE SET "
        "text_hash = excluded.text_hash, minhash = excluded.minhash, "
        "created_at = excluded.created_at",
        (doc_id, text_hash, minhash, at),
    )
    keys = list(dict.fromkeys(buckets))
    if isinstance(conn, PgConnection):
        # One array, not a value per key: a statement of more than 50 values is parsed
        # again each time it is sent (psycopg caches the parse of shorter ones).
        conn.execute(
            "INSERT INTO text_buckets (bucket, doc_id) SELECT unnest(?::bigint[]), ? "
            "ON CONFLICT DO NOTHING",
            (keys, doc_id),
        )
        return
    # One multi-row INSERT, not a statement per key
    rows = [(key, doc_id) for key in keys]
    for values, row_marks in rows_in_chunks(rows):
        conn.execute(
            f"INSERT OR IGNORE INTO text_buckets (bucket, doc_id) VALUES {row_marks}", values
        )
