"""Statuses known to every thread of a process, for as long as the archive stays as it was
(the rule of :mod:`indexer.per_state`).

Each thread's view (:class:`indexer.validity_view.ValidityView`) remembered the statuses it
had worked out, so over HTTP most searches found their documents' statuses unknown: on
PostgreSQL a search is then six more statements. :class:`SharedStatuses` is that memory for
all the views of one archive in the process.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from archive.validity import ReadFacts, Status, statuses
from indexer.per_state import PerState, State, per_archive

if TYPE_CHECKING:
    from archive import Archive, Document

#: Statuses remembered at once per archive (per state of it): a few MB.
KNOWN = 20_000


class SharedStatuses(PerState):
    """The statuses worked out for one archive at one state of it, by (id, day), each with
    the revision it was worked out for. At one state of the archive a document has one
    revision, so which statuses are known can be told before its row is read
    (:meth:`unknown`); the revision is still checked when the rows are there."""

    def __init__(self, limit: int = KNOWN) -> None:
        super().__init__()
        self.limit = limit
        self._known: dict[tuple[str, str], tuple[int, Status]] = {}
        self.worked_out = 0  # statuses asked of the archive (for tests)

    def forget(self) -> None:
        self._known = {}

    def unknown(self, state: State, ids: list[str], day: str) -> list[str]:
        """Which of ``ids`` have no status on ``day`` known at ``state`` (whose facts a
        search reads with their rows)."""
        with self.lock:
            if not self.take(state):
                return list(ids)
            return [i for i in ids if (i, day) not in self._known]

    def statuses(
        self,
        archive: Archive,
        state: State,
        docs: list[Document],
        day: str,
        read_ahead: ReadFacts | None = None,
    ) -> dict[str, Status]:
        """The status of each of ``docs`` on ``day``, by id, for an ``archive`` whose change
        counter read ``state``; copies (a caller may change what it is given).
        ``read_ahead``: the facts of the unknown ones, read with their rows."""
        with self.lock:
            usable = self.take(state)
            known = {
                d.id: kept[1]
                for d in docs
                if usable
                and (kept := self._known.get((d.id, day))) is not None
                and kept[0] == d.rev
            }
        wanted = [d for d in docs if d.id not in known]
        if wanted:
            found = statuses(archive, wanted, day, read_ahead)
            self.worked_out += len(found)
            known.update(found)
            with self.lock:
                if usable and self.state == state:
                    if len(self._known) + len(found) > self.limit:
                        self.forget()
                    revs = {d.id: d.rev for d in wanted}
                    for doc_id, status in found.items():
                        self._known[(doc_id, day)] = (revs[doc_id], status)
        return {d.id: replace(known[d.id]) for d in docs if d.id in known}


def shared_statuses(archive: Archive) -> SharedStatuses:
    """The process's :class:`SharedStatuses` of the archive in ``archive.root``."""
    return per_archive(archive, SharedStatuses)
