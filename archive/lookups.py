"""Reading documents: by id (one, many, or every one in turn), by 文号, 索引号 or title, and
only some columns. A base class of :class:`archive.store.Archive`, kept apart so that the
store is about adding documents and keeping them whole."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from archive.chunks import in_chunks
from archive.document import Document
from archive.errors import DamagedError, InvalidInput
from archive.pgrows import row_dict
from archive.reads import Read, by_chunks, read

#: The columns of the documents table, in order.
COLUMNS = [
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
    "doc_type",
    "doc_type_origin",
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


#: The columns :meth:`ArchiveLookups.documents_with_read` finds documents by (all indexed).
FOUND_BY = ("doc_number_norm", "index_number_norm", "title")

SEE_VERIFY = "(the archive is damaged: run `gongkai verify`)"


def decoded(row: Any) -> Document:
    """The Document of a row; a row that does not decode is :class:`DamagedError`."""
    try:
        return Document.from_row(row_dict(row))
    except (ValueError, TypeError) as exc:
        doc_id = dict(row).get("id", "?")
        raise DamagedError(f"document {doc_id} cannot be decoded: {exc} {SEE_VERIFY}") from exc


class ArchiveLookups:
    """Reading documents (needs ``conn``, which :class:`archive.store.Archive` sets)."""

    conn: Any

    def get(self, doc_id: str) -> Document | None:
        try:
            row = self.conn.execute("SELECT * FROM documents WHERE id = ?", (doc_id,)).fetchone()
        except sqlite3.DatabaseError as exc:
            raise DamagedError(f"document {doc_id} cannot be read: {exc} {SEE_VERIFY}") from exc
        return decoded(row) if row else None

    def get_many(self, ids: list[str], *, text: bool = True) -> dict[str, Document]:
        """By id; ``text=False``: without their texts (left empty; the bulk of a row, on
        PostgreSQL carried over the network) for a caller that weighs metadata only."""
        return read(self.conn, self.documents_read(ids, text=text))

    def documents_read(self, ids: list[str], *, text: bool = True) -> Read[dict[str, Document]]:
        """:meth:`get_many` as a :class:`archive.reads.Read`, to send with others."""

        def collect(rows: list[Any]) -> dict[str, Document]:
            return {r["id"]: decoded(r if text else {"text": "", **row_dict(r)}) for r in rows}

        columns = "*" if text else ", ".join(c for c in COLUMNS if c != "text")
        return Read(
            by_chunks(f"SELECT {columns} FROM documents WHERE id IN ({{marks}})", ids), collect
        )

    def documents_with_read(
        self, column: str, values: Iterable[str]
    ) -> Read[dict[str, list[Document]]]:
        """The documents whose ``column`` (one of :data:`FOUND_BY`) is one of ``values``, by
        value, newest first: the ``find_by_*`` look-ups of many values in one statement."""
        if column not in FOUND_BY:
            raise InvalidInput(f"documents are not found by {column!r}")

        def collect(rows: list[Any]) -> dict[str, list[Document]]:
            found: dict[str, list[Document]] = {}
            for row in rows:
                found.setdefault(row[column], []).append(decoded(row))
            return found

        sql = f"SELECT * FROM documents WHERE {column} IN ({{marks}}) ORDER BY date_issued DESC"
        return Read(by_chunks(sql, values), collect)

    def fields(
        self, names: Sequence[str], ids: Iterable[str] | None = None
    ) -> Iterator[dict[str, Any]]:
        """Only the named columns (no text unless asked for) of the documents among ``ids``
        (in chunks; unknown ids are left out), or of every document when ``ids`` is None."""
        unknown = [n for n in names if n not in COLUMNS]
        if unknown or not names:
            raise InvalidInput(f"unknown document fields: {', '.join(unknown) or '(none)'}")
        select = f"SELECT {', '.join(names)} FROM documents"
        if ids is None:
            return (dict(r) for r in self.conn.execute(select))
        return self._chunked(select + " WHERE id IN ({marks})", list(ids), 400)

    def texts_containing(self, word: str, ids: Iterable[str]) -> Iterator[tuple[str, str]]:
        """(id, text) of the documents among ``ids`` whose text contains ``word``."""
        rows = self._chunked(
            "SELECT id, text FROM documents WHERE id IN ({marks}) AND instr(text, ?) > 0",
            list(ids),
            200,
            word,
        )
        return ((str(r["id"]), str(r["text"])) for r in rows)

    def _chunked(
        self, sql: str, ids: list[str], size: int, *extra: object
    ) -> Iterator[dict[str, Any]]:
        for chunk, marks in in_chunks(ids, size):
            rows = self.conn.execute(sql.format(marks=marks), [*chunk, *extra]).fetchall()
            yield from (dict(r) for r in rows)

    def find_by_doc_number(self, normalized: str) -> list[Document]:
        """Documents with this canonical 文号; one without a prefix (``〔2017〕1号``) matches
        that year and number under any prefix, and never ``〔2017〕16号``."""
        if normalized.startswith("〔"):
            return self.find_by_doc_number_ending(normalized)
        return self._with("doc_number_norm", normalized)

    def find_by_doc_number_ending(self, tail: str) -> list[Document]:
        """Documents whose canonical 文号 ends with ``tail`` (``令第656号``): the candidates for a
        decree number, whose issuer is spelled in more than one way."""
        pattern = "%" + tail.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        rows = self.conn.execute(
            "SELECT * FROM documents WHERE doc_number_norm LIKE ? ESCAPE '\\' "
            "ORDER BY date_issued DESC",
            (pattern,),
        )
        return [decoded(r) for r in rows]

    def find_by_index_number(self, normalized: str) -> list[Document]:
        return self._with("index_number_norm", normalized)

    def find_by_title(self, title: str) -> list[Document]:
        return self._with("title", title)

    def _with(self, column: str, value: str) -> list[Document]:
        """The documents whose ``column`` is ``value``, newest first."""
        found: dict[str, list[Document]] = read(
            self.conn, self.documents_with_read(column, [value])
        )
        return found.get(value, [])

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
                yield decoded(row)
            last = rows[-1]["id"]
