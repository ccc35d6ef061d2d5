"""History entries written many at a time: multi-row INSERTs for a batch's entries.

:meth:`archive.store.Archive.log` writes one entry; a linker batch writes thousands (two for
each relation it makes). One statement per entry costs the client a wait each on
PostgreSQL even pipelined; here they go in multi-row INSERTs
(:func:`archive.chunks.rows_in_chunks`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from archive.chunks import rows_in_chunks


def log_many(
    conn: Any, entries: Sequence[tuple[str, str, str, dict[str, object]]], *, at: str
) -> None:
    """Append ``entries`` (document id, actor, action, detail) to the history, in order,
    stamped ``at``; in the caller's transaction."""
    rows = [
        (doc_id, at, actor, action, json.dumps(detail, ensure_ascii=False))
        for doc_id, actor, action, detail in entries
    ]
    for values, row_marks in rows_in_chunks(rows):
        conn.execute(
            f"INSERT INTO history (doc_id, at, actor, action, detail) VALUES {row_marks}", values
        )
