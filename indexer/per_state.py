"""Memory shared by every thread of a process, for as long as an archive stays as it was.

A web process serves each of its threads with a view of its own (:class:`indexer.service.
Gongkai`: a connection, an engine reader, caches). What one thread read taught the others
nothing, so over HTTP most searches found their documents unknown again. :class:`PerState`
is the rule such a shared memory keeps (:mod:`indexer.shared_statuses`,
:mod:`indexer.row_cache`).

It is kept under the archive's change counter, ``(n, at)`` (:meth:`archive.Archive.changes`),
which every connection reads alike (SQLite's ``data_version`` does not). A reader of a newer
state empties it and fills it again; one that read an older state (a request that began just
before a change) neither reads it nor adds to it. A reader inside a transaction (which may
see its own writes before they are committed) must not use it at all. So a staff change made
through any thread or process is seen by the next request that reads the counter.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from archive import Archive

State = tuple[int, str]
T = TypeVar("T", bound="PerState")


class PerState:
    """The state rule; a subclass says what to forget (:meth:`forget`), and holds
    :attr:`lock` while it reads or changes what it keeps."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.state: State | None = None

    def take(self, state: State) -> bool:
        """Whether what is kept may serve a reader at ``state`` (emptied first for a newer
        state, or another at the same count: an archive restored in place). Call with
        :attr:`lock` held."""
        if self.state != state and (self.state is None or state[0] >= self.state[0]):
            self.state = state
            self.forget()
        return self.state == state

    def forget(self) -> None:
        raise NotImplementedError


_ALL: dict[tuple[object, ...], PerState] = {}
_ALL_LOCK = threading.Lock()


def per_archive(archive: Archive, kind: Callable[..., T], *args: Any) -> T:
    """The process's one ``kind(*args)`` for the archive in ``archive.root``."""
    key = (str(archive.root), archive.dialect, kind, *args)
    with _ALL_LOCK:
        found = _ALL.get(key)
        if found is None:
            found = _ALL[key] = kind(*args)
        return found  # type: ignore[return-value]
