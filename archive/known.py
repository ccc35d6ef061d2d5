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
    ``copies`` digest → the ``copies`` row or None; and ``taken`` document id → whether a
    document has it."""

    def __init__(self) -> None:
        self.archived: dict[str, str | None] = {}
        self.copies: dict[str, Any] = {}
        self.taken: dict[str, bool] = {}

    def fill(self, conn: Any, digests: Sequence[str], ids: Sequence[str] = ()) -> None:
        """Look ``digests`` up (documents, then copies) and ``ids``: one statement each per
        chunk."""
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
        names = list(dict.fromkeys(ids))[:LIMIT]
        taken = dict.fromkeys(names, False)
        for chunk, marks in in_chunks(names):
            for row in conn.execute(f"SELECT id FROM documents WHERE id IN ({marks})", chunk):
                taken[row["id"]] = True
        self.archived, self.copies, self.taken = archived, copies, taken

    def clash(self, digest: str, doc_id: str) -> dict[str, str] | None:
        """What :meth:`archive.store.Archive.add` asks before adding ``digest`` as ``doc_id``
        (sha256 → id of the documents with these bytes or this id), or None when either was
        not looked up ahead."""
        if digest not in self.archived or doc_id not in self.taken:
            return None
        holder = self.archived[digest]
        if holder is not None:
            return {digest: holder}
        return {"": doc_id} if self.taken[doc_id] else {}

    def forget(self, digest: str, doc_id: str = "") -> None:
        """``digest`` (as ``doc_id``) was just written: ask the database next time."""
        self.archived.pop(digest, None)
        self.copies.pop(digest, None)
        self.taken.pop(doc_id, None)

    def clear(self) -> None:
        self.archived, self.copies, self.taken = {}, {}, {}
