"""Statuses known to every thread of a process, for as long as the archive stays as it was.

A web process serves each of its threads with a view of its own (:class:`indexer.service.
Gongkai`: a connection, an engine reader, :class:`indexer.validity_view.ValidityView`). Each
remembered the statuses it had worked out, so a search answered by one thread taught the
others nothing, and over HTTP most searches found their documents' statuses unknown: on
PostgreSQL a search is then six more statements. :class:`SharedStatuses` is that memory for
all the views of one archive in the process.

It is kept under the archive's change counter, ``(n, at)`` (:meth:`archive.Archive.changes`),
which every connection reads alike (SQLite's ``data_version`` does not). A view that reads
a newer state empties it and fills it again; one that read an older state (a request that
began just before a change) neither reads it nor adds to it. A view inside a transaction
(which may see its own writes before they are committed) does not use it at all. So a staff
change made through any thread or process is seen by the next request that reads the counter,
as without it.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import TYPE_CHECKING

from archive.validity import Status, statuses

if TYPE_CHECKING:
    from archive import Archive, Document

#: Statuses remembered at once per archive (per state of it): a few MB.
KNOWN = 20_000

State = tuple[int, str]


class SharedStatuses:
    """The statuses worked out for one archive at one state of it, by (id, revision, day)."""

    def __init__(self, limit: int = KNOWN) -> None:
        self.limit = limit
        self._lock = threading.Lock()
        self._state: State | None = None
        self._known: dict[tuple[str, int, str], Status] = {}
        self.worked_out = 0  # statuses asked of the archive (for tests)

    def statuses(
        self, archive: Archive, state: State, docs: list[Document], day: str
    ) -> dict[str, Status]:
        """The status of each of ``docs`` on ``day``, by id, for an ``archive`` whose change
        counter read ``state``; copies (a caller may change what it is given)."""
        with self._lock:
            usable = self._take(state)
            known = {
                d.id: self._known[key]
                for d in docs
                if usable and (key := (d.id, d.rev, day)) in self._known
            }
        wanted = [d for d in docs if d.id not in known]
        if wanted:
            found = statuses(archive, wanted, day)
            self.worked_out += len(found)
            known.update(found)
            with self._lock:
                if usable and self._state == state:
                    if len(self._known) + len(found) > self.limit:
                        self._known.clear()
                    revs = {d.id: d.rev for d in wanted}
                    for doc_id, status in found.items():
                        self._known[(doc_id, revs[doc_id], day)] = status
        return {d.id: replace(known[d.id]) for d in docs if d.id in known}

    def _take(self, state: State) -> bool:
        """Whether what is kept may serve a reader at ``state`` (emptied first for a newer
        state, or another at the same count: an archive restored in place)."""
        if self._state != state and (self._state is None or state[0] >= self._state[0]):
            self._state = state
            self._known = {}
        return self._state == state


_ALL: dict[str, SharedStatuses] = {}
_ALL_LOCK = threading.Lock()


def shared_statuses(archive: Archive) -> SharedStatuses:
    """The process's :class:`SharedStatuses` of the archive in ``archive.root``."""
    key = str(archive.root)
    with _ALL_LOCK:
        found = _ALL.get(key)
        if found is None:
            found = _ALL[key] = SharedStatuses()
        return found
