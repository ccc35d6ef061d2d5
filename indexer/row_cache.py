"""Documents as the archive holds them, remembered until the archive changes: the rows a
results page reads.

Every relevance search reads the rows of its top hits (without texts, to re-rank them) and
the page's texts (for snippets). Searches of a public site ask for the same popular
documents again and again, and on PostgreSQL each read is a round trip with rows to convert:
about 1 ms for 50 rows, 2 ms of a search. :class:`RowCache` keeps what it read and forgets
all of it the moment any process changes the archive, so a staff correction is seen by the
next request on every node, as without it.

Outside a transaction what it keeps is shared by every :class:`RowCache` of the archive in
the process (a web process's threads each have one), under the archive's change counter
(the rule of :mod:`indexer.per_state`). Inside a transaction, which may see its own writes
before they are committed, it keeps to itself, under :meth:`archive.Archive.version`. Both
are bounded: the least recently used rows and texts go first.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import replace
from typing import Any

from archive import Archive, Document
from archive.reads import Read, read
from indexer.per_state import PerState, State, per_archive

#: Rows (without texts) kept at once per archive, and characters of text: some 30 MB (a row
#: is about 1.6 KB in memory, a character of text 2 bytes).
ROWS = 10_000
TEXT_CHARS = 6_000_000


class RowStore(PerState):
    """Rows without their texts, and texts, least recently used first; hold :attr:`lock`
    while using one that is shared."""

    def __init__(self, rows: int = ROWS, text_chars: int = TEXT_CHARS) -> None:
        super().__init__()
        self.max_rows, self.max_chars = rows, text_chars
        self.rows: OrderedDict[str, Document] = OrderedDict()  # texts left empty
        self.texts: OrderedDict[str, str] = OrderedDict()
        self.chars = 0

    def forget(self) -> None:
        self.rows.clear()
        self.texts.clear()
        self.chars = 0

    def known(self, ids: list[str], text: bool) -> dict[str, tuple[Document, str]]:
        """(row, text) of those of ``ids`` kept (with their texts, if ``text``), now the
        most recently used."""
        found: dict[str, tuple[Document, str]] = {}
        for doc_id in ids:
            row = self.rows.get(doc_id)
            if row is None or (text and doc_id not in self.texts):
                continue
            self.rows.move_to_end(doc_id)
            body = ""
            if text:
                self.texts.move_to_end(doc_id)
                body = self.texts[doc_id]
            found[doc_id] = (row, body)
        return found

    def keep(self, docs: dict[str, Document], text: bool) -> None:
        for doc_id, doc in docs.items():
            self.rows[doc_id] = replace(doc, text="")
            self.rows.move_to_end(doc_id)
            if text:
                old = self.texts.pop(doc_id, None)
                if old is not None:
                    self.chars -= len(old)
                self.texts[doc_id] = doc.text
                self.chars += len(doc.text)
        while len(self.rows) > self.max_rows:
            self.rows.popitem(last=False)
        while self.chars > self.max_chars and len(self.texts) > 1:
            _, body = self.texts.popitem(last=False)
            self.chars -= len(body)


class RowCache:
    """:meth:`archive.Archive.get_many`, answered from memory where it can be."""

    def __init__(self, archive: Archive, *, rows: int = ROWS, text_chars: int = TEXT_CHARS) -> None:
        self.archive = archive
        self.limits = (rows, text_chars)
        self._own = RowStore(rows, text_chars)  # inside a transaction
        self._own_at: object = None
        self.reads = 0  # archive reads made (for tests and benchmarks)

    def get_many(self, ids: list[str], *, text: bool = True) -> dict[str, Document]:
        """By id, as :meth:`archive.Archive.get_many` (``text=False``: texts left empty);
        each document a copy of its own."""
        return read(self.archive.conn, self.documents_read(ids, text=text))

    def _where(self) -> tuple[RowStore, State | None]:
        """(the store this reader uses now, the archive's state to use it at): the
        process's for the archive outside a transaction, its own (state None) inside one."""
        state = None if self.archive.conn.in_transaction else self.archive.changes()
        if state is None:
            version = self.archive.version()
            if version != self._own_at:
                self._own.forget()
                self._own_at = version
            return self._own, None
        return per_archive(self.archive, RowStore, *self.limits), state

    def documents_read(self, ids: list[str], *, text: bool = True) -> Read[dict[str, Document]]:
        """:meth:`get_many` as a :class:`archive.reads.Read` (its statements ask only for the
        rows not remembered), to send with a page's other reads."""
        store, state = self._where()
        with store.lock:
            usable = state is None or store.take(state)
            known = store.known(ids, text) if usable else {}
        missing = [i for i in ids if i not in known]
        asked = self.archive.documents_read(missing, text=text)

        def collect(rows: list[Any]) -> dict[str, Document]:
            found = {i: (d, d.text) for i, d in asked.collect(rows).items()} if missing else {}
            if missing:
                self.reads += 1
                with store.lock:
                    if usable and store.state == state:
                        store.keep({i: found[i][0] for i in missing if i in found}, text)
            found.update(known)
            return {
                i: replace(found[i][0], text=found[i][1], extra=dict(found[i][0].extra))
                for i in ids
                if i in found
            }

        return Read(asked.statements, collect)

    def kept(self) -> tuple[int, int]:
        """(rows, characters of text) kept where this reader looks now."""
        store, _ = self._where()
        with store.lock:
            return len(store.rows), store.chars

    def clear(self) -> None:
        """Forget every row and text (this process's, for the archive)."""
        store, _ = self._where()
        with store.lock:
            store.forget()
        self._own.forget()
