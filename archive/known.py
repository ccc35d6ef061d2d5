"""What the archive already holds of a run of digests, asked once for many documents.

An import asks of each document's bytes whether they are archived (the manifest-row match,
the read stage's duplicate check) and whether they were kept as a copy
(:mod:`archive.fingerprints`).
On PostgreSQL each question is a round trip, and an import of thousands of documents spent
more time waiting on them than writing. :meth:`archive.store.Archive.look_ahead` asks both for
a chunk of upcoming digests in one ``IN (…)`` query each (:func:`archive.chunks.in_chunks`);
the answers are kept here and :meth:`~archive.store.Archive.has_sha256` and
:meth:`~archive.fingerprints.Fingerprints.copy_of` use them instead of asking again.

An answer stays true while nothing else writes: documents and copies are never deleted nor
their digests changed, and only the process holding the write lock adds them. The archive's
own writes keep it true: adding a document or a copy forgets the answer for its digest (the
next question goes to the database), and rolling back a group forgets every answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from archive.chunks import in_chunks

#: How many answers are kept at most (one look-ahead replaces the previous one).
LIMIT = 2000


class KnownDigests:
    """Answers for digests looked up ahead: ``archived`` digest → document id or None,
    ``copies`` digest → the ``copies`` row or None."""

    def __init__(self) -> None:
        self.archived: dict[str, str | None] = {}
        self.copies: dict[str, Any] = {}

    def fill(self, conn: Any, digests: Sequence[str]) -> None:
        """Look ``digests`` up (documents, then copies): one statement each per chunk."""
        wanted = list(dict.fromkeys(digests))[:LIMIT]
        archived: dict[str, str | None] = dict.fromkeys(wanted)
        copies: dict[str, Any] = dict.fromkeys(wanted)
        for chunk, marks in in_chunks(wanted):
            for row in conn.execute(
                f"SELECT id, sha256 FROM documents WHERE sha256 IN ({marks})", chunk
            ):
                archived[row["sha256"]] = row["id"]
            for row in conn.execute(f"SELECT * FROM copies WHERE sha256 IN ({marks})", chunk):
                copies[row["sha256"]] = row
        self.archived, self.copies = archived, copies

    def forget(self, digest: str) -> None:
        """``digest`` was just written: ask the database next time."""
        self.archived.pop(digest, None)
        self.copies.pop(digest, None)

    def clear(self) -> None:
        self.archived, self.copies = {}, {}
