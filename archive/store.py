"""The archive: SQLite metadata and text, original files, and the history of every change.

It is the source of truth. Everything else (the search index, the web pages) is derived from it
and can be rebuilt from it; it never reads the index.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from archive import schema
from archive.document import Document
from archive.errors import ConflictError
from archive.originals import OriginalStore, sha256_of

_COLUMNS = [
    "id",
    "rev",
    "title",
    "index_number",
    "index_number_norm",
    "agency",
    "doc_number",
    "doc_number_norm",
    "category",
    "date_written",
    "date_issued",
    "date_effective",
    "validity",
    "validity_raw",
    "kind",
    "source_name",
    "sha256",
    "size",
    "media_type",
    "extractor",
    "text",
    "extra",
    "created_at",
    "updated_at",
]


WRITER_CACHE_KB = 64 * 1024


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class AddOutcome:
    status: str  # "imported" or "duplicate"
    id: str
    duplicate_of: str = ""


class Archive:
    """Open with :meth:`open`; one instance per thread (SQLite connections are not shared)."""

    DB_NAME = "archive.sqlite3"

    def __init__(self, root: Path, conn: sqlite3.Connection) -> None:
        self.root = root
        self.conn = conn
        self.originals = OriginalStore(root / "originals")
        self._group = False  # inside begin_group() … commit_group()

    @classmethod
    def open(cls, root: Path | str, *, readonly: bool = False) -> Archive:
        root = Path(root)
        db_path = root / cls.DB_NAME
        if readonly:
            conn = sqlite3.connect(
                f"file:{db_path}?mode=ro", uri=True, isolation_level=None, check_same_thread=False
            )
        else:
            root.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(db_path, isolation_level=None, timeout=30)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            # The writer keeps more of the tables and indexes in memory (SQLite's default is
            # 2 MB): a large import looks up and inserts into every index per document.
            conn.execute(f"PRAGMA cache_size=-{WRITER_CACHE_KB}")
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA busy_timeout=30000")
        if not readonly:
            schema.migrate(conn)
        return cls(root, conn)

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writing ---------------------------------------------------------------------------

    def add(
        self, doc: Document, original: bytes, *, actor: str = "import", sha256: str = ""
    ) -> AddOutcome:
        """Store a new document and its original file, whole or not at all.

        The same bytes imported again are a duplicate: nothing changes and the existing id is
        returned. ``doc_number_norm`` and ``index_number_norm`` are set by the caller (the
        indexer's normalizer). The original is written first (atomically, by content
        address); the row and its history entry are committed in one transaction.
        """
        digest = sha256 or sha256_of(original)  # given by a caller that just computed it
        existing = self.conn.execute(
            "SELECT id FROM documents WHERE sha256 = ?", (digest,)
        ).fetchone()
        if existing:
            return AddOutcome("duplicate", existing["id"], existing["id"])
        self.originals.put(original, durable=not self._group, sha256=digest)
        doc.sha256 = digest
        doc.size = len(original)
        doc.created_at = doc.updated_at = now()
        doc.rev = 1
        begin, commit, rollback = (
            ("SAVEPOINT add_document", "RELEASE add_document", "ROLLBACK TO add_document")
            if self._group
            else ("BEGIN IMMEDIATE", "COMMIT", "ROLLBACK")
        )
        self.conn.execute(begin)
        try:
            if doc.id:
                if self._exists(doc.id):
                    raise DuplicateIdError(f"id {doc.id} is already used by another document")
            else:
                doc.id = self._new_id(digest)
            row = doc.to_dict()
            row["extra"] = json.dumps(doc.extra, ensure_ascii=False)
            self.conn.execute(
                f"INSERT INTO documents ({', '.join(_COLUMNS)}) "
                f"VALUES ({', '.join('?' for _ in _COLUMNS)})",
                [row[c] for c in _COLUMNS],
            )
            self._log(doc.id, actor, "import", {"source": doc.source_name, "sha256": digest})
            self.conn.execute(commit)
        except BaseException:
            self.conn.execute(rollback)
            if self._group:
                self.conn.execute(commit)  # a savepoint rolled back to is still open
            raise
        return AddOutcome("imported", doc.id)

    def begin_group(self) -> None:
        """Start a group of :meth:`add` calls that :meth:`commit_group` commits together
        (a bulk import): one transaction, and one flush of their originals instead of one per
        file. Each add is still whole or not at all; until the group commits, none of it is
        visible to other connections, and a crash or :meth:`rollback_group` drops it all
        (importing the same files again then resumes)."""
        self.conn.execute("BEGIN IMMEDIATE")
        self._group = True

    def commit_group(self) -> None:
        """Make the group's originals durable, then commit its rows."""
        self.originals.sync()
        self.conn.execute("COMMIT")
        self._group = False

    def rollback_group(self) -> None:
        if self.conn.in_transaction:
            self.conn.execute("ROLLBACK")
        self._group = False

    def _exists(self, doc_id: str) -> bool:
        return (
            self.conn.execute("SELECT 1 FROM documents WHERE id = ?", (doc_id,)).fetchone()
            is not None
        )

    def _new_id(self, digest: str) -> str:
        """A short, permanent id from the content hash, lengthened on the rare collision."""
        for size in range(10, 65, 2):
            candidate = digest[:size]
            if not self._exists(candidate):
                return candidate
        raise RuntimeError("no free id")  # pragma: no cover - needs a sha256 collision

    def _log(self, doc_id: str, actor: str, action: str, detail: dict[str, object]) -> None:
        self.conn.execute(
            "INSERT INTO history (doc_id, at, actor, action, detail) VALUES (?, ?, ?, ?, ?)",
            (doc_id, now(), actor, action, json.dumps(detail, ensure_ascii=False)),
        )

    # -- reading ---------------------------------------------------------------------------

    def get(self, doc_id: str) -> Document | None:
        row = self.conn.execute("SELECT * FROM documents WHERE id = ?", (doc_id,)).fetchone()
        return Document.from_row(dict(row)) if row else None

    def get_many(self, ids: list[str]) -> dict[str, Document]:
        found: dict[str, Document] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            rows = self.conn.execute(
                f"SELECT * FROM documents WHERE id IN ({', '.join('?' for _ in chunk)})", chunk
            )
            for row in rows:
                found[row["id"]] = Document.from_row(dict(row))
        return found

    def find_by_doc_number(self, normalized: str) -> list[Document]:
        """Documents with this canonical 文号; one without a prefix (``〔2017〕1号``) matches
        that year and number under any prefix, and never ``〔2017〕16号``."""
        if normalized.startswith("〔"):
            pattern = "%" + normalized.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            rows = self.conn.execute(
                "SELECT * FROM documents WHERE doc_number_norm LIKE ? ESCAPE '\\' "
                "ORDER BY date_issued DESC",
                (pattern,),
            )
        else:
            rows = self.conn.execute(
                "SELECT * FROM documents WHERE doc_number_norm = ? ORDER BY date_issued DESC",
                (normalized,),
            )
        return [Document.from_row(dict(r)) for r in rows]

    def find_by_index_number(self, normalized: str) -> list[Document]:
        rows = self.conn.execute(
            "SELECT * FROM documents WHERE index_number_norm = ? ORDER BY date_issued DESC",
            (normalized,),
        )
        return [Document.from_row(dict(r)) for r in rows]

    def find_by_title(self, title: str) -> list[Document]:
        rows = self.conn.execute(
            "SELECT * FROM documents WHERE title = ? ORDER BY date_issued DESC", (title,)
        )
        return [Document.from_row(dict(r)) for r in rows]

    def iter_documents(self, *, batch: int = 200) -> Iterator[Document]:
        """Every document, in id order, reading ``batch`` rows at a time."""
        last = ""
        while True:
            rows = self.conn.execute(
                "SELECT * FROM documents WHERE id > ? ORDER BY id LIMIT ?", (last, batch)
            ).fetchall()
            if not rows:
                return
            for row in rows:
                yield Document.from_row(dict(row))
            last = rows[-1]["id"]

    def revisions(self) -> dict[str, int]:
        return {r[0]: r[1] for r in self.conn.execute("SELECT id, rev FROM documents")}

    def has_sha256(self, digest: str) -> str | None:
        row = self.conn.execute("SELECT id FROM documents WHERE sha256 = ?", (digest,)).fetchone()
        return row["id"] if row else None

    def digests(self) -> dict[str, str]:
        """Every document's id and the sha256 of its original."""
        return {r[0]: r[1] for r in self.conn.execute("SELECT id, sha256 FROM documents")}

    def titles_containing(self, fragment: str, *, limit: int = 500) -> list[tuple[str, str]]:
        """(id, title) of up to ``limit`` documents whose title contains ``fragment``."""
        pattern = re.sub(r"([%_\\])", r"\\\1", fragment)
        rows = self.conn.execute(
            "SELECT id, title FROM documents WHERE title LIKE ? ESCAPE '\\' LIMIT ?",
            (f"%{pattern}%", limit),
        )
        return [(r[0], r[1]) for r in rows]

    def version(self) -> tuple[int, int]:
        """Changes whenever the archive does: any connection's commit changes SQLite's
        ``data_version``; this connection's own writes, ``total_changes``."""
        return (
            self.conn.execute("PRAGMA data_version").fetchone()[0],
            self.conn.total_changes,
        )

    def count(self) -> int:
        return self.conn.execute("SELECT COUNT(*) FROM documents").fetchone()[0]

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
            "by_agency": grouped("agency"),
            "by_year": grouped("substr(date_issued, 1, 4)"),
        }


class DuplicateIdError(ConflictError):
    """A manifest gave an id that another document already has."""
