"""What an archive can tell about itself without reading documents one by one: how many
there are, whether anything changed (for caches and the vocabulary), recent history, the
grouped counts of ``gongkai stats`` and the soundness checks of ``gongkai verify``. A base
class of :class:`archive.store.Archive`, kept apart so the store is about adding and reading
documents."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from typing import Any

from archive.chunks import in_chunks
from archive.errors import DamagedError
from archive.lookups import ArchiveLookups


class ArchiveCounts(ArchiveLookups):
    """Counts, change stamps and history of the documents table (needs ``conn`` and
    ``dialect``, which :class:`archive.store.Archive` sets)."""

    conn: Any
    dialect: str
    #: the stamps read since :meth:`pin` (None: not pinned, every call reads)
    _pinned: dict[str, Any] | None = None
    #: ids seen to exist (:meth:`existing`); the store clears it when a write rolls back
    _existing: set[str]

    def pin(self) -> None:
        """Until :meth:`unpin`, read each change stamp (:meth:`version`, :meth:`changes`,
        :meth:`membership`) once and answer it again from memory: what one read-only web
        request does, whose modules (page cache, synonyms, vocabulary, validity) each ask
        whether anything changed. On PostgreSQL each ask is a round trip; within one request
        the answers could only differ by a commit made meanwhile, which the next request sees."""
        self._pinned = {}

    def unpin(self) -> None:
        self._pinned = None

    def _remembered(self, name: str, read: Any) -> Any:
        if self._pinned is None:
            return read()
        if name not in self._pinned:
            self._pinned[name] = read()
        return self._pinned[name]

    def titles(self) -> Iterator[str]:
        """Every document's title (for the vocabulary), without reading the texts."""
        for row in self.conn.execute("SELECT title FROM documents"):
            yield row[0]

    def membership(self) -> tuple[int, int]:
        """(documents, last row id): changes when a document is added or removed, in any
        process. Cheap: the count reads the smallest index, not the rows (and their texts)."""
        return self._remembered("membership", self._membership)

    def _membership(self) -> tuple[int, int]:
        if self.dialect == "postgresql":
            # The change counter alone, read once a request when pinned: it moves whenever a
            # document is added or removed (and more often), so a COUNT(*), which reads
            # every row on PostgreSQL (7 ms at 20,000 documents), would tell nothing more.
            changes = self.changes()
            return (0, changes[0] if changes is not None else 0)
        row = self.conn.execute("SELECT COUNT(*), COALESCE(MAX(rowid), 0) FROM documents")
        count, last = row.fetchone()
        return (count, last)

    def version(self) -> tuple[int, int]:
        """Changes whenever the archive does: any connection's commit changes SQLite's
        ``data_version``; this connection's own writes, ``total_changes``. On PostgreSQL,
        the archive's change counter (:meth:`changes`)."""
        if self.dialect == "postgresql":
            if self._pinned is not None and self.changes() is not None:
                return (self._pinned["changes"][0], 0)  # the one read of the counter
            return (self.conn.execute("SELECT n FROM changes WHERE id = 1").fetchone()[0], 0)
        if self._pinned is not None:
            return self._remembered("version", self._sqlite_version)
        return self._sqlite_version()

    def _sqlite_version(self) -> tuple[int, int]:
        return (
            self.conn.execute("PRAGMA data_version").fetchone()[0],
            self.conn.total_changes,
        )

    def changes(self) -> tuple[int, str] | None:
        """(how many rows have been written, when the last was: ISO UTC) over the tables a
        reader sees, the same for every connection and process (kept by triggers, see
        :func:`archive.schema.count_changes`); None for an archive too old to have the
        counter (opened read-only before its migration), which nothing may then cache by."""
        return self._remembered("changes", self._changes)

    def _changes(self) -> tuple[int, str] | None:
        try:
            row = self.conn.execute("SELECT n, at FROM changes WHERE id = 1").fetchone()
        except sqlite3.OperationalError:
            return None
        return (int(row[0]), str(row[1])) if row else None

    def existing(self, ids: Sequence[str]) -> set[str]:
        """Which of ``ids`` are documents' ids, in one statement. Documents are never deleted,
        so an id seen once is remembered (until a group is rolled back): the linker asks of
        the same documents again and again."""
        found = {i for i in ids if i in self._existing}
        wanted = [i for i in dict.fromkeys(ids) if i not in found]
        if wanted:
            seen = {
                str(r[0])
                for chunk, marks in in_chunks(wanted, 500)
                for r in self.conn.execute(
                    f"SELECT id FROM documents WHERE id IN ({marks})", chunk
                ).fetchall()
            }
            if len(self._existing) > 200_000:
                self._existing.clear()
            self._existing |= seen
            found |= seen
        return found

    def count(self) -> int:
        return self.conn.execute("SELECT COUNT(*) FROM documents").fetchone()[0]

    def recent_history(self, limit: int = 15) -> list[dict[str, object]]:
        """The latest ``limit`` history entries of any document, newest first."""
        rows = self.conn.execute(
            "SELECT seq, doc_id, at, actor, action, detail FROM history ORDER BY seq DESC LIMIT ?",
            (limit,),
        )
        return [{**dict(r), "detail": json.loads(r["detail"])} for r in rows]

    def history(self, doc_id: str) -> list[dict[str, object]]:
        rows = self.conn.execute(
            "SELECT seq, doc_id, at, actor, action, detail FROM history "
            "WHERE doc_id = ? ORDER BY seq",
            (doc_id,),
        )
        return [{**dict(r), "detail": json.loads(r["detail"])} for r in rows]

    def stats(self) -> dict[str, object]:
        def grouped(column: str) -> dict[str, int]:
            rows = self.conn.execute(
                f"SELECT {column} AS k, COUNT(*) AS n FROM documents GROUP BY k ORDER BY n DESC"
            )
            return {str(r["k"]): r["n"] for r in rows}

        size = self.conn.execute(
            "SELECT COALESCE(SUM(size), 0), COALESCE(SUM(LENGTH(text)), 0) FROM documents"
        ).fetchone()
        return {
            "documents": self.count(),
            "original_bytes": size[0],
            "text_chars": size[1],
            "by_validity": grouped("validity"),
            "by_kind": grouped("kind"),
            "by_doc_type": grouped("doc_type"),
            "by_agency": grouped("agency"),
            "by_year": grouped("substr(date_issued, 1, 4)"),
        }

    def revisions(self) -> dict[str, int]:
        return {r[0]: r[1] for r in self.conn.execute("SELECT id, rev FROM documents")}

    def digests(self) -> dict[str, str]:
        """Every document's id and the sha256 of its original."""
        return {r[0]: r[1] for r in self.conn.execute("SELECT id, sha256 FROM documents")}

    def integrity_errors(self) -> list[str]:
        """What SQLite's ``PRAGMA integrity_check`` finds wrong with the database file (every
        page, every index against its table); empty when it is sound."""
        if self.dialect == "postgresql":
            return []  # the server's own business (its checksums, amcheck)
        try:
            rows = [r[0] for r in self.conn.execute("PRAGMA integrity_check(100)")]
        except sqlite3.DatabaseError as exc:
            return [str(exc)]
        return [] if rows == ["ok"] else rows

    def bad_rows(self) -> dict[str, str]:
        """Documents whose row, or one of whose history entries, cannot be read or decoded:
        id → why. Read one document at a time, so that one damaged page names only the
        documents on it."""
        bad: dict[str, str] = {}
        try:
            ids = [r[0] for r in self.conn.execute("SELECT id FROM documents ORDER BY id")]
        except sqlite3.DatabaseError as exc:
            return {"(all)": f"the list of documents cannot be read: {exc}"}
        for doc_id in ids:
            try:
                if self.get(doc_id) is None:
                    bad[doc_id] = "row missing from the table although its index lists it"
                self.history(doc_id)
            except DamagedError as exc:
                bad[doc_id] = str(exc)
            except (sqlite3.DatabaseError, ValueError) as exc:
                bad[doc_id] = f"history cannot be read: {exc}"
        return bad
