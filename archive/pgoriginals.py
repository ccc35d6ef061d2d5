"""Original files in the archive's PostgreSQL database, so that every node reaches them.

A PostgreSQL archive is shared by several machines; a folder of originals on one of them is
not. So its originals live in the table ``originals`` (sha256 → bytes), and an original is
written in the same transaction as the row that names it: a document is never committed
without its original, and a rolled-back import leaves none behind. The interface is
:class:`archive.originals.OriginalStore`'s, so that ``verify``, the document page and
``restore_original`` do not care which store they read. The hashes are checked by the
server (``sha256(data)``), so that ``verify`` does not pull every original over the network.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from archive.backend import PgConnection

#: The table, created with the PostgreSQL schema (:mod:`archive.pgschema`). Stored without
#: compression: most originals (PDF, DOCX) are compressed already.
DDL = [
    'CREATE TABLE IF NOT EXISTS originals (sha256 TEXT COLLATE "C" PRIMARY KEY, '
    "size BIGINT NOT NULL, data BYTEA NOT NULL)",
    "ALTER TABLE originals ALTER COLUMN data SET STORAGE EXTERNAL",
]


class DatabaseOriginals:
    """Originals kept in the archive database (see the module docstring)."""

    #: Written by :meth:`archive.store.Archive.add` inside the row's own transaction.
    transactional = True
    #: No folder: the import's build workers write nothing ahead of the commit.
    root: Path | None = None

    def __init__(self, conn: PgConnection) -> None:
        self.conn = conn

    def put(
        self, data: bytes, *, durable: bool = True, sha256: str = "", replace: bool = False
    ) -> str:
        """Store ``data`` under its sha256 (given, or computed); with ``replace``, over a
        damaged copy. Call inside the transaction that commits the row naming it."""
        from archive.originals import sha256_of

        digest = sha256 or sha256_of(data)
        conflict = (
            "DO UPDATE SET size = excluded.size, data = excluded.data" if replace else "DO NOTHING"
        )
        self.conn.execute(
            f"INSERT INTO originals (sha256, size, data) VALUES (?, ?, ?) "
            f"ON CONFLICT (sha256) {conflict}",
            (digest, len(data), data),
        )
        return digest

    def sync(self) -> None:
        """Nothing to flush: the rows are durable when their transaction commits."""

    def read(self, sha256: str) -> bytes:
        row = self.conn.execute("SELECT data FROM originals WHERE sha256 = ?", (sha256,)).fetchone()
        if row is None:
            raise FileNotFoundError(f"no original {sha256}")
        return bytes(row[0])

    def exists(self, sha256: str) -> bool:
        return (
            self.conn.execute("SELECT 1 FROM originals WHERE sha256 = ?", (sha256,)).fetchone()
            is not None
        )

    def holds(self, sha256: str, size: int) -> bool:
        row = self.conn.execute("SELECT size FROM originals WHERE sha256 = ?", (sha256,)).fetchone()
        return row is not None and int(row[0]) == size

    def intact(self, sha256: str) -> bool:
        """Whether the original is there and its bytes still hash to its name (hashed by
        the server)."""
        row = self.conn.execute(
            "SELECT encode(sha256(data), 'hex') = sha256 AND length(data) = size "
            "FROM originals WHERE sha256 = ?",
            (sha256,),
        ).fetchone()
        return bool(row and row[0])

    def all_digests(self) -> set[str]:
        return {r[0] for r in self.conn.execute("SELECT sha256 FROM originals")}

    def remove_unreferenced(self, referenced: set[str], *, since: float) -> int:
        """Nothing to remove: a failed group's originals were rolled back with its rows."""
        return 0
