"""The archive: SQLite metadata and text, original files, and the history of every change.

It is the source of truth. Everything else (the search index, the web pages) is derived from it
and can be rebuilt from it; it never reads the index.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from archive import backend, schema
from archive.counts import ArchiveCounts
from archive.document import Document
from archive.errors import ConflictError, InvalidInput, NotFoundError
from archive.fingerprint_rows import write_fingerprint
from archive.known import KnownDigests
from archive.lookups import COLUMNS
from archive.originals import ID_CHARS, OriginalStore, first_id, sha256_of
from archive.pgoriginals import DatabaseOriginals
from archive.vocab import DOC_TYPE_ORIGINS, DOC_TYPES, KINDS

WRITER_CACHE_KB = 64 * 1024


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class AddOutcome:
    status: str  # "imported" or "duplicate"
    id: str


class Archive(ArchiveCounts):
    """Open with :meth:`open`; one instance per thread (SQLite connections are not shared)."""

    DB_NAME = "archive.sqlite3"

    def __init__(self, root: Path, conn: sqlite3.Connection | backend.PgConnection) -> None:
        self.root = root
        self.conn: Any = conn
        #: "sqlite" or "postgresql" (see :mod:`archive.backend`)
        self.dialect = "sqlite" if isinstance(conn, sqlite3.Connection) else "postgresql"
        self.originals: Any = (  # in the database, or files in the data directory
            DatabaseOriginals(conn)
            if isinstance(conn, backend.PgConnection)
            else OriginalStore(root / "originals")
        )
        self._group = False  # inside begin_group() … commit_group()
        self.known = KnownDigests()  # answers looked up ahead (look_ahead)
        self._existing: set[str] = set()  # ids seen to exist (existing())
        self.immutable = False  # read as immutable: see open() and outdated()

    @classmethod
    def open(cls, root: Path | str, *, readonly: bool = False) -> Archive:
        root = Path(root)
        url = backend.stored_url(root)
        if url is None and not readonly and not (root / cls.DB_NAME).exists():
            url = backend.location_for_new(root)
        if url is not None:
            return cls._open_postgresql(root, url, readonly=readonly)
        db_path = root / cls.DB_NAME
        immutable = False
        if readonly:
            # A reader of a WAL database needs its -wal and -shm files (it may read them
            # when they are the writer's, 0640 in a shared data directory). When they are
            # absent (the last writer closed cleanly: everything is in the database file)
            # and this account may not create them (the web server reading the importer's
            # data directory through a group), the database is read as immutable until a
            # writer starts again: see :meth:`outdated`.
            immutable = not cls._log_present(db_path) and not os.access(root, os.W_OK)
            conn = sqlite3.connect(
                f"file:{db_path}?{'immutable=1' if immutable else 'mode=ro'}",
                uri=True,
                isolation_level=None,
                check_same_thread=False,
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
        archive = cls(root, conn)
        archive.immutable = immutable
        return archive

    @classmethod
    def _open_postgresql(cls, root: Path, url: str, *, readonly: bool) -> Archive:
        conn = backend.PgConnection(url, readonly=readonly)
        try:
            if not readonly:
                schema.migrate(conn)
        except BaseException:
            conn.close()
            raise
        return cls(root, conn)

    @classmethod
    def present(cls, root: Path | str) -> bool:
        """Whether ``root`` holds an archive (an SQLite file, or the address of one)."""
        root = Path(root)
        return (root / cls.DB_NAME).exists() or backend.stored_url(root) is not None

    @staticmethod
    def _log_present(db_path: Path) -> bool:
        return os.path.exists(f"{db_path}-wal") and os.path.exists(f"{db_path}-shm")

    def outdated(self) -> bool:
        """Whether this connection was opened immutable (see :meth:`open`) and a writer has
        started since: its -wal file exists, so the database must be opened again to see
        what the writer commits. Cheap (a ``stat``); a long-lived reader asks per request."""
        return self.immutable and os.path.exists(f"{self.root / self.DB_NAME}-wal")

    @classmethod
    def open_untouched(cls, root: Path | str) -> Archive | None:
        """The archive in ``root`` opened so that nothing is written (a dry run), or None if
        there is none.

        A read-only SQLite connection to a WAL database creates the ``-wal`` and ``-shm`` files
        when they are missing and writes reader marks into ``-shm``. When the write-ahead log
        is absent or empty (no writer mid-transaction, no crashed import), everything committed
        is in the database file, so it is opened as immutable, which touches nothing. Otherwise
        (an import running or killed) it must be read through the log: only ``-shm``, SQLite's
        shared-memory index, can then be touched, never the data."""
        root = Path(root)
        url = backend.stored_url(root)
        if url is not None:  # a read-only transaction writes nothing
            return cls(root, backend.PgConnection(url, readonly=True))
        db = root / cls.DB_NAME
        if not db.is_file():
            return None
        wal, shm = Path(f"{db}-wal"), Path(f"{db}-shm")
        live = wal.exists() and wal.stat().st_size > 0 and shm.exists()
        uri = f"file:{db}?mode=ro" if live else f"file:{db}?immutable=1"
        conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA busy_timeout=30000")
        return cls(root, conn)

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writing ---------------------------------------------------------------------------

    def add(
        self,
        doc: Document,
        original: bytes,
        *,
        actor: str = "import",
        sha256: str = "",
        stored: bool = False,
        provenance: dict[str, object] | None = None,
        fingerprint: tuple[str, bytes, Sequence[int]] | None = None,
    ) -> AddOutcome:
        """Store a new document and its original file, whole or not at all.

        The same bytes imported again are a duplicate: nothing changes and the existing id is
        returned. ``doc_number_norm`` and ``index_number_norm`` are set by the caller (the
        indexer's normalizer). The original is written first (atomically, by content
        address) unless the caller has ``stored`` it already (the import's build stage writes
        it; if it is missing after all, it is written here); the row and its history entry
        are committed in one transaction; ``provenance`` (import run, path, manifest line)
        goes into its ``import`` history entry; ``fingerprint`` (text hash, MinHash, bucket
        keys: :mod:`archive.fingerprint_rows`) is written with the row, in the
        same round trip on PostgreSQL.
        """
        digest = sha256 or sha256_of(original)  # given by a caller that just computed it
        # One look-up (or its answer looked up ahead) answers both questions: are these
        # bytes archived, and is the id wanted (given, or the shortest the digest offers) free.
        wanted = doc.id or first_id(digest)
        found = self.known.clash(digest, wanted)
        self.known.forget(digest, wanted)
        if found is None:
            found = {
                r["sha256"]: r["id"]
                for r in self.conn.execute(
                    "SELECT id, sha256 FROM documents WHERE sha256 = ? OR id = ?", (digest, wanted)
                )
            }
        if digest in found:
            return AddOutcome("duplicate", found[digest])
        in_database = self.dialect == "postgresql"  # written with the row, below
        if not in_database and not (stored and self.originals.holds(digest, len(original))):
            self.originals.put(original, durable=not self._group, sha256=digest)
        if doc.id and found:
            raise DuplicateIdError(f"id {doc.id} is already used by another document")
        doc.id = doc.id or (wanted if not found else self._new_id(digest))
        self.known.forget(digest, doc.id)
        doc.sha256 = digest
        doc.size = len(original)
        doc.created_at = doc.updated_at = now()
        doc.rev = 1
        begin, commit, rollback = (
            ("SAVEPOINT add_document", "RELEASE add_document", "ROLLBACK TO add_document")
            if self._group
            else ("BEGIN IMMEDIATE", "COMMIT", "ROLLBACK")
        )
        row = doc.to_dict()
        row["extra"] = json.dumps(doc.extra, ensure_ascii=False)
        detail = {"source": doc.source_name, "sha256": digest, **(provenance or {})}
        try:
            with self.together():  # PostgreSQL: the whole add in one round trip
                self.conn.execute(begin)
                self.conn.execute(
                    f"INSERT INTO documents ({', '.join(COLUMNS)}) "
                    f"VALUES ({', '.join('?' for _ in COLUMNS)})",
                    [row[c] for c in COLUMNS],
                )
                if in_database:
                    self.originals.put(original, sha256=digest)
                self.log(doc.id, actor, "import", detail)
                if fingerprint is not None:
                    write_fingerprint(self.conn, doc.id, *fingerprint, at=doc.created_at, new=True)
                self.conn.execute(commit)
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute(rollback)
                self._existing.clear()
                if self._group:
                    self.conn.execute(commit)  # a savepoint rolled back to is still open
            raise
        return AddOutcome("imported", doc.id)

    def batched(self) -> AbstractContextManager[None]:
        """A block whose statements need no answer one by one (writes): on PostgreSQL they
        are sent together, in one round trip (:meth:`backend.PgConnection.pipeline`), and an
        error is raised at the end of the block; on SQLite, nothing changes."""
        if isinstance(self.conn, backend.PgConnection):
            return self.conn.pipeline()
        return nullcontext()

    def together(self) -> AbstractContextManager[None]:
        """:meth:`batched`, and on PostgreSQL the writes of the block that follow one
        another sent as one statement (:meth:`backend.PgConnection.together`): for blocks
        of writes that read nothing back and none of which reads what another writes."""
        if isinstance(self.conn, backend.PgConnection):
            return self.conn.together()
        return nullcontext()

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
        self.known.clear()  # what the group added is gone
        self._existing.clear()
        if self.conn.in_transaction:
            self.conn.execute("ROLLBACK")
        self._group = False

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One write transaction: committed when the block ends, rolled back if it raises.
        Used inside another transaction (or a :meth:`begin_group`) it joins the outer one."""
        if self.conn.in_transaction:
            yield
            return
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield
            self.conn.execute("COMMIT")
        except BaseException:
            self._existing.clear()  # ids seen inside the transaction may be gone
            self.conn.execute("ROLLBACK")
            raise

    def log(self, doc_id: str, actor: str, action: str, detail: dict[str, object]) -> None:
        """Append an entry to ``doc_id``'s history (who, what, details as JSON). Call it
        inside the :meth:`transaction` that makes the change, so both land or neither does."""
        self.conn.execute(
            "INSERT INTO history (doc_id, at, actor, action, detail) VALUES (?, ?, ?, ?, ?)",
            (doc_id, now(), actor, action, json.dumps(detail, ensure_ascii=False)),
        )

    def set_kind(self, doc_id: str, kind: str, *, actor: str, why: str = "") -> bool:
        """Change a document's kind (a new revision, recorded in its history with ``why``);
        False when it already has that kind."""
        if kind not in KINDS:
            raise InvalidInput(f"unknown kind {kind!r} (one of {', '.join(KINDS)})")
        with self.transaction():
            row = self.conn.execute("SELECT kind FROM documents WHERE id = ?", (doc_id,)).fetchone()
            if row is None:
                raise NotFoundError(f"no document {doc_id}")
            if row["kind"] == kind:
                return False
            self.conn.execute(
                "UPDATE documents SET kind = ?, rev = rev + 1, updated_at = ? WHERE id = ?",
                (kind, now(), doc_id),
            )
            detail: dict[str, object] = {"before": row["kind"], "after": kind}
            if why:
                detail["why"] = why
            self.log(doc_id, actor, "kind", detail)
        return True

    def set_doc_type(
        self, doc_id: str, doc_type: str, *, actor: str, why: str = "", origin: str = "staff"
    ) -> bool:
        """Set a document's type (法律, 规章 …) and who decided it (``origin``): a new revision,
        recorded in its history with ``why``; False when nothing changes."""
        if doc_type not in DOC_TYPES:
            known = ", ".join(DOC_TYPES)
            raise InvalidInput(f"unknown document type {doc_type!r} (one of {known})")
        if origin not in DOC_TYPE_ORIGINS:
            raise InvalidInput(f"unknown origin {origin!r} (one of {', '.join(DOC_TYPE_ORIGINS)})")
        with self.transaction():
            row = self.conn.execute(
                "SELECT doc_type, doc_type_origin FROM documents WHERE id = ?", (doc_id,)
            ).fetchone()
            if row is None:
                raise NotFoundError(f"no document {doc_id}")
            if (row["doc_type"], row["doc_type_origin"]) == (doc_type, origin):
                return False
            self.conn.execute(
                "UPDATE documents SET doc_type = ?, doc_type_origin = ?, rev = rev + 1, "
                "updated_at = ? WHERE id = ?",
                (doc_type, origin, now(), doc_id),
            )
            detail: dict[str, object] = {
                "before": row["doc_type"],
                "after": doc_type,
                "origin": origin,
            }
            if why:
                detail["why"] = why
            self.log(doc_id, actor, "doc_type", detail)
        return True

    def retype(self, inferred: dict[str, str], *, actor: str) -> int:
        """Give documents their inferred types (id → type) in one transaction, leaving those
        a manifest or staff typed alone; returns how many changed. A changed type is recorded
        in the history; a first type (an untyped row after the upgrade) is not."""
        changed = 0
        with self.transaction():
            for doc_id, doc_type in inferred.items():
                if doc_type not in DOC_TYPES:
                    raise InvalidInput(f"unknown document type {doc_type!r}")
                row = self.conn.execute(
                    "SELECT doc_type, doc_type_origin FROM documents WHERE id = ?", (doc_id,)
                ).fetchone()
                if row is None or row["doc_type_origin"] in ("manifest", "staff"):
                    continue
                if (row["doc_type"], row["doc_type_origin"]) == (doc_type, "auto"):
                    continue
                self.conn.execute(
                    "UPDATE documents SET doc_type = ?, doc_type_origin = 'auto', "
                    "rev = rev + 1, updated_at = ? WHERE id = ?",
                    (doc_type, now(), doc_id),
                )
                if row["doc_type"] and row["doc_type"] != doc_type:
                    detail = {"before": row["doc_type"], "after": doc_type, "origin": "auto"}
                    self.log(doc_id, actor, "doc_type", detail)
                changed += 1
        return changed

    def untyped(self) -> list[str]:
        """Ids of the documents that have no type yet (archived before types existed)."""
        return [r[0] for r in self.conn.execute("SELECT id FROM documents WHERE doc_type = ''")]

    def exists(self, doc_id: str) -> bool:
        """Whether a document has this id."""
        return doc_id in self.existing([doc_id])

    def _new_id(self, digest: str) -> str:
        """A short, permanent id from the content hash, lengthened on the rare collision."""
        for size in range(ID_CHARS, 65, 2):
            candidate = digest[:size]
            if not self.exists(candidate):
                return candidate
        raise RuntimeError("no free id")  # pragma: no cover - needs a sha256 collision

    # -- reading ---------------------------------------------------------------------------

    # -- integrity ---------------------------------------------------------------------------

    def restore_original(self, digest: str, data: bytes, *, actor: str = "import") -> bool:
        """Put ``data`` back as the original ``digest`` if the stored file is missing or
        damaged (importing the same file again mends it); True if it was restored. Recorded
        in the history of the document that names it."""
        if self.originals.intact(digest):
            return False
        doc_id = self.has_sha256(digest)
        if self.dialect == "postgresql":
            with self.transaction():
                self.originals.put(data, sha256=digest, replace=True)
                if doc_id:
                    self.log(doc_id, actor, "restore_original", {"sha256": digest})
            return True
        self.originals.put(data, sha256=digest, replace=True)
        if doc_id:
            with self.transaction():
                self.log(doc_id, actor, "restore_original", {"sha256": digest})
        return True

    def look_ahead(self, digests: Sequence[str], ids: Sequence[str] = ()) -> None:
        """Ask once whether each of ``digests`` is archived or kept as a copy, and which of
        ``ids`` are taken, so that :meth:`has_sha256`, :meth:`Fingerprints.copy_of` and
        :meth:`add` answer them without a round trip (:mod:`archive.known`)."""
        self.known.fill(self.conn, digests, ids)

    def has_sha256(self, digest: str) -> str | None:
        if digest in self.known.archived:
            return self.known.archived[digest]
        row = self.conn.execute("SELECT id FROM documents WHERE sha256 = ?", (digest,)).fetchone()
        return row["id"] if row else None

    def titles_containing(self, fragment: str, *, limit: int = 500) -> list[tuple[str, str]]:
        """(id, title) of up to ``limit`` documents whose title contains ``fragment``."""
        pattern = re.sub(r"([%_\\])", r"\\\1", fragment)
        rows = self.conn.execute(
            "SELECT id, title FROM documents WHERE title LIKE ? ESCAPE '\\' LIMIT ?",
            (f"%{pattern}%", limit),
        )
        return [(r[0], r[1]) for r in rows]


class DuplicateIdError(ConflictError):
    """A manifest gave an id that another document already has."""
