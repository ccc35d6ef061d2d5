"""History entries written many at a time: multi-row INSERTs for a batch's entries.

:meth:`archive.store.Archive.log` writes one entry; a linker batch writes thousands (two for
each relation it makes). One statement per entry costs the client a wait each on
PostgreSQL even pipelined; here they go in statements of :data:`ROWS` entries.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

#: Entries per INSERT: 5 values each, under SQLite's 999-parameter limit.
ROWS = 150


def log_many(
    conn: Any, entries: Sequence[tuple[str, str, str, dict[str, object]]], *, at: str
) -> None:
    """Append ``entries`` (document id, actor, action, detail) to the history, in order,
    stamped ``at``; in the caller's transaction."""
    for start in range(0, len(entries), ROWS):
        part = entries[start : start + ROWS]
        conn.execute(
            "INSERT INTO history (doc_id, at, actor, action, detail) VALUES "
            + ", ".join(["(?, ?, ?, ?, ?)"] * len(part)),
            [
                v
                for doc_id, actor, action, detail in part
                for v in (doc_id, at, actor, action, json.dumps(detail, ensure_ascii=False))
            ],
        )
