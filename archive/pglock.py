"""One writer at a time for a PostgreSQL archive, across machines: an advisory lock.

A data directory's ``write.lock`` (:mod:`indexer.locking`) only excludes writers on the
machine that holds the folder. For an archive in PostgreSQL the writers may be anywhere, so
the lock is taken in the database itself: a session-level advisory lock keyed on the
archive's schema, held on a connection of its own for as long as the writer writes. The
server releases it when that session ends, however it ends: a ``kill -9``'d importer's lock
is gone as soon as the server sees its connection close, and the next import resumes.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager

from archive.backend import connect_url, redacted
from archive.errors import BusyError

#: The advisory lock's first key ("gk"); the second is the archive schema's oid.
LOCK_CLASS = 0x676B

_KEY = "current_schema()::regnamespace::oid::int"


@contextmanager
def advisory_lock(url: str) -> Iterator[None]:
    """Exclusive right to write the archive at ``url``; a second writer, on this machine or
    another, gets :class:`BusyError` at once, naming the holder."""
    import psycopg

    me = f"gongkai writer pid {os.getpid()} on {socket.gethostname()}"
    try:
        conn = psycopg.connect(
            connect_url(url), autocommit=True, connect_timeout=10, application_name=me[:63]
        )
    except psycopg.Error as exc:
        raise BusyError(f"cannot connect to the archive database {redacted(url)}") from exc
    try:
        got = conn.execute(f"SELECT pg_try_advisory_lock(%s, {_KEY})", (LOCK_CLASS,)).fetchone()
        if not (got and got[0]):
            row = conn.execute(
                "SELECT a.application_name, a.client_addr FROM pg_locks l "
                "JOIN pg_stat_activity a ON a.pid = l.pid "
                f"WHERE l.locktype = 'advisory' AND l.classid = %s AND l.objid = {_KEY}::oid "
                "AND l.granted LIMIT 1",
                (LOCK_CLASS,),
            ).fetchone()
            holder = (row[0] or "another process") if row else "another process"
            raise BusyError(
                f"the archive {redacted(url)} is being written by {holder}; wait for it to finish"
            )
        yield
    finally:
        conn.close()  # ends the session: the server releases the lock
