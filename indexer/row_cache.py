"""Documents as the archive holds them, remembered until the archive changes: the rows a
results page reads.

Every relevance search reads the rows of its top hits (without texts, to re-rank them) and
the page's texts (for snippets). Searches of a public site ask for the same popular
documents again and again, and on PostgreSQL each read is a round trip with rows to convert:
about 1 ms for 50 rows, 2 ms of a search. :class:`RowCache` keeps what it read, under the
archive's version (:meth:`archive.Archive.version`: the change counter, read once a request
on PostgreSQL; SQLite's ``data_version``), and forgets all of it the moment any process
changes the archive, as the validity view does with statuses
(:class:`indexer.validity_view.ValidityView`). So a staff correction is seen by the next
request on every node, as without it.

It belongs to one :class:`indexer.service.Gongkai` (one thread of the web server), like the
validity view, and is bounded: the least recently used rows and texts go first.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import replace
from typing import Any

from archive import Archive, Document
from archive.reads import Read, read

#: Rows (without texts) kept at once, and characters of text: a few MB a thread.
ROWS = 4_000
TEXT_CHARS = 2_000_000


class RowCache:
    """:meth:`archive.Archive.get_many`, answered from memory where it can be."""

    def __init__(self, archive: Archive, *, rows: int = ROWS, text_chars: int = TEXT_CHARS) -> None:
        self.archive = archive
        self.max_rows = rows
        self.max_chars = text_chars
        self._at: object = None
        self._rows: OrderedDict[str, Document] = OrderedDict()  # texts left empty
        self._texts: OrderedDict[str, str] = OrderedDict()
        self._chars = 0
        self.reads = 0  # archive reads made (for tests and benchmarks)

    def get_many(self, ids: list[str], *, text: bool = True) -> dict[str, Document]:
        """By id, as :meth:`archive.Archive.get_many` (``text=False``: texts left empty);
        each document a copy of its own."""
        return read(self.archive.conn, self.documents_read(ids, text=text))

    def documents_read(self, ids: list[str], *, text: bool = True) -> Read[dict[str, Document]]:
        """:meth:`get_many` as a :class:`archive.reads.Read` (its statements ask only for the
        rows not remembered), to send with a page's other reads."""
        version = self.archive.version()
        if version != self._at:
            self.clear()
            self._at = version
        missing = [i for i in ids if i not in self._rows or (text and i not in self._texts)]
        asked = self.archive.documents_read(missing, text=text)

        def collect(rows: list[Any]) -> dict[str, Document]:
            if missing:
                self.reads += 1
                for doc_id, doc in asked.collect(rows).items():
                    self._rows[doc_id] = replace(doc, text="")
                    if text:
                        self._keep_text(doc_id, doc.text)
            return self._found(ids, text)

        return Read(asked.statements, collect)

    def _found(self, ids: list[str], text: bool) -> dict[str, Document]:
        found: dict[str, Document] = {}
        for doc_id in ids:
            row = self._rows.get(doc_id)
            if row is None:  # not in the archive
                continue
            self._rows.move_to_end(doc_id)
            body = ""
            if text:
                self._texts.move_to_end(doc_id)
                body = self._texts[doc_id]
            found[doc_id] = replace(row, text=body, extra=dict(row.extra))
        self._trim()
        return found

    def _keep_text(self, doc_id: str, body: str) -> None:
        old = self._texts.pop(doc_id, None)
        if old is not None:
            self._chars -= len(old)
        self._texts[doc_id] = body
        self._chars += len(body)

    def _trim(self) -> None:
        while len(self._rows) > self.max_rows:
            self._rows.popitem(last=False)
        while self._chars > self.max_chars and len(self._texts) > 1:
            _, body = self._texts.popitem(last=False)
            self._chars -= len(body)

    def clear(self) -> None:
        """Forget every row and text."""
        self._rows.clear()
        self._texts.clear()
        self._chars = 0
