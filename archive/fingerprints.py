"""The SQL of finding copies: each document's text fingerprint, and the files found to be
copies of an archived document.

A fingerprint is the hash of the document's normalised text (an exact copy is one indexed
look-up) and a MinHash signature with its LSH bucket keys (a near copy: the documents sharing a
bucket, a few look-ups). They are computed by :mod:`indexer.near_duplicates`; this module only
stores and finds them, in the tables of migration 11 (:mod:`archive.schema`). They live beside
the documents table, not in it, so that a document row keeps its shape and an archive made
before them is filled in by the next import.

A copy is not a second document: its original bytes stay in the content-addressed store
(:class:`archive.originals.OriginalStore`) and a ``copies`` row names the document it copies,
with how it matched, where it came from and in which import run; a ``copy`` entry in that
document's history says the same. Nothing is lost, and search shows the document once.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass

from archive.chunks import marks
from archive.fingerprint_rows import write_fingerprint
from archive.store import Archive, now

#: How a copy matched: the same normalised text, or a near copy above the threshold.
SAME_TEXT, NEAR = "same-text", "near"


@dataclass(frozen=True)
class CopyRecord:
    """A file kept as a copy of the archived document ``doc_id`` (a ``copies`` row)."""

    sha256: str
    doc_id: str
    match: str
    similarity: float
    source_name: str = ""
    size: int = 0
    media_type: str = ""
    run_id: int | None = None
    path: str = ""
    created_at: str = ""

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


class Fingerprints:
    """The fingerprints and copies of one archive (its connection; writes join the caller's
    transaction or group)."""

    def __init__(self, archive: Archive) -> None:
        self.archive = archive
        self.conn = archive.conn

    # -- fingerprints ------------------------------------------------------------------------

    def put(self, doc_id: str, text_hash: str, minhash: bytes, buckets: Iterable[int]) -> None:
        """Store ``doc_id``'s fingerprint (replacing an older one) and its bucket keys."""
        with self.archive.transaction(), self.archive.batched():
            write_fingerprint(self.conn, doc_id, text_hash, minhash, buckets, at=now())

    def unfingerprinted(self, *, batch: int = 200) -> Iterable[list[tuple[str, str]]]:
        """(id, text) of the documents without a fingerprint, ``batch`` at a time."""
        last = ""
        while True:
            rows = self.conn.execute(
                "SELECT d.id, d.text FROM documents d LEFT JOIN text_fingerprints f "
                "ON f.doc_id = d.id WHERE f.doc_id IS NULL AND d.id > ? ORDER BY d.id LIMIT ?",
                (last, batch),
            ).fetchall()
            if not rows:
                return
            yield [(str(r[0]), str(r[1])) for r in rows]
            last = rows[-1][0]

    def with_text_hash(self, text_hash: str) -> list[str]:
        """Ids of the documents whose normalised text has this hash, oldest first."""
        rows = self.conn.execute(
            "SELECT f.doc_id FROM text_fingerprints f JOIN documents d ON d.id = f.doc_id "
            "WHERE f.text_hash = ? ORDER BY d.created_at, d.id",
            (text_hash,),
        )
        return [str(r[0]) for r in rows]

    def candidates(
        self, text_hash: str, buckets: Sequence[int]
    ) -> tuple[list[str], dict[str, bytes]]:
        """:meth:`with_text_hash`, and id → MinHash signature of the documents sharing at
        least one of ``buckets``, in one statement (a copy check asks both of nearly every
        new document: on PostgreSQL one round trip)."""
        if not buckets:
            return self.with_text_hash(text_hash), {}
        rows = self.conn.execute(
            "SELECT 0 AS part, f.doc_id, NULL AS minhash, d.created_at FROM text_fingerprints f "
            "JOIN documents d ON d.id = f.doc_id WHERE f.text_hash = ? "
            "UNION ALL SELECT 1, f.doc_id, f.minhash, '' FROM text_fingerprints f "
            "WHERE f.doc_id IN (SELECT DISTINCT doc_id FROM text_buckets "
            f"WHERE bucket IN ({marks(buckets)})) "
            "ORDER BY 1, 4, 2",  # part, then the copy check's oldest first
            [text_hash, *buckets],
        ).fetchall()
        same = [str(r[1]) for r in rows if r[0] == 0]
        return same, {str(r[1]): bytes(r[2]) for r in rows if r[0] == 1}

    def text_hashes(self, *, chunk: int = 50_000) -> Iterator[list[str]]:
        """Every fingerprinted text's hash, ``chunk`` at a time (in the order of the index
        on them: no sort, no more than a chunk held at once)."""
        yield from self._keys("text_hash", "text_fingerprints", chunk)

    def bucket_keys(self, *, chunk: int = 50_000) -> Iterator[list[int]]:
        """Every LSH bucket key, ``chunk`` at a time (from the table's primary key; a key
        shared by several documents may come more than once)."""
        yield from self._keys("bucket", "text_buckets", chunk)

    def _keys(self, column: str, table: str, chunk: int) -> Iterator[list]:
        """``column`` of every row, in its order, ``chunk`` at a time (each read starts
        after the last value of the one before)."""
        clause = ""
        after: tuple[object, ...] = ()
        while True:
            rows = self.conn.execute(
                f"SELECT {column} FROM {table}{clause} ORDER BY {column} LIMIT ?",
                (*after, chunk),
            ).fetchall()
            if not rows:
                return
            yield [r[0] for r in rows]
            if len(rows) < chunk:
                return
            clause, after = f" WHERE {column} > ?", (rows[-1][0],)

    def count(self) -> int:
        return int(self.conn.execute("SELECT COUNT(*) FROM text_fingerprints").fetchone()[0])

    # -- copies ------------------------------------------------------------------------------

    def add_copy(self, record: CopyRecord, *, actor: str) -> bool:
        """Record a copy of ``record.doc_id`` (its original already in the store) and say so
        in that document's history; False if these bytes were recorded as a copy before."""
        self.archive.known.forget(record.sha256)
        with self.archive.transaction():
            cursor = self.conn.execute(
                "INSERT OR IGNORE INTO copies (sha256, doc_id, match, similarity, source_name, "
                "size, media_type, run_id, path, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    record.sha256,
                    record.doc_id,
                    record.match,
                    record.similarity,
                    record.source_name,
                    record.size,
                    record.media_type,
                    record.run_id,
                    record.path,
                    now(),
                ),
            )
            if cursor.rowcount == 0:
                return False
            detail: dict[str, object] = {
                "source": record.source_name,
                "sha256": record.sha256,
                "match": record.match,
                "similarity": round(record.similarity, 3),
            }
            if record.run_id is not None:
                detail["run"] = record.run_id
            if record.path:
                detail["path"] = record.path
            self.archive.log(record.doc_id, actor, "copy", detail)
        return True

    def copy_of(self, sha256: str) -> CopyRecord | None:
        """The copy these bytes were recorded as, if any."""
        known = self.archive.known.copies
        if sha256 in known:  # looked up ahead
            row = known[sha256]
        else:
            row = self.conn.execute("SELECT * FROM copies WHERE sha256 = ?", (sha256,)).fetchone()
        return _record(row) if row else None

    def copies_of(self, doc_id: str) -> list[CopyRecord]:
        """The copies recorded of ``doc_id``, oldest first."""
        rows = self.conn.execute("SELECT * FROM copies WHERE doc_id = ? ORDER BY id", (doc_id,))
        return [_record(r) for r in rows]

    def copy_digests(self) -> set[str]:
        """The sha256 of every original kept as a copy (they are referenced, like the
        documents' own)."""
        return {str(r[0]) for r in self.conn.execute("SELECT sha256 FROM copies")}


def _record(row: object) -> CopyRecord:
    data = dict(row)  # type: ignore[call-overload]
    data.pop("id", None)
    return CopyRecord(**data)
