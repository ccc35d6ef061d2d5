"""History entries of many documents at once, newest first: what the feeds that follow a
document or a search read (:mod:`indexer.following`).

:meth:`Archive.history` gives one document's whole history, oldest first, for staff. A feed
wants the opposite: the latest few entries of some kinds, for one document or for every
document a search matches, from a date on. The ``history_doc`` index (doc_id, seq) answers
each chunk of ids without reading the rest of the log.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from archive.chunks import in_chunks
from archive.store import Archive


def latest_history(
    archive: Archive,
    ids: Iterable[str],
    *,
    actions: Iterable[str],
    since: str = "",
    limit: int = 50,
) -> list[dict[str, object]]:
    """The newest ``limit`` history entries of ``ids`` whose action is one of ``actions``,
    made on or after ``since`` (YYYY-MM-DD, UTC; "" for any time), newest first."""
    ids, actions = list(dict.fromkeys(ids)), list(actions)
    found: list[dict[str, object]] = []
    for chunk, marks in in_chunks(ids):
        rows = archive.conn.execute(
            "SELECT seq, doc_id, at, actor, action, detail FROM history "
            f"WHERE doc_id IN ({marks}) "
            f"AND action IN ({', '.join('?' for _ in actions)}) AND at >= ? "
            "ORDER BY seq DESC LIMIT ?",
            (*chunk, *actions, since, limit),
        )
        found += [{**dict(r), "detail": json.loads(r["detail"])} for r in rows]
    found.sort(key=lambda entry: -int(str(entry["seq"])))
    return found[:limit]


def recent_doc_ids(
    archive: Archive, *, actions: Iterable[str], since: str = "", limit: int = 2000
) -> list[str]:
    """The documents with a history entry of ``actions`` on or after ``since``, the most
    recently changed first, at most ``limit``: the candidates a followed search is matched
    against (an old document repealed today is one of them, however many newer ones match)."""
    actions = list(actions)
    rows = archive.conn.execute(
        "SELECT doc_id, MAX(seq) AS last FROM history "
        f"WHERE action IN ({', '.join('?' for _ in actions)}) AND at >= ? "
        "GROUP BY doc_id ORDER BY last DESC LIMIT ?",
        (*actions, since, limit),
    )
    return [str(r[0]) for r in rows]
