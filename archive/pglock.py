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
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from archive.backend import connect_url, redacted
from archive.errors import BusyError

#: The advisory lock's first key ("gk"); the second is the archive schema's oid.
LOCK_CLASS = 0x676B

_KEY = "current_schema()::regnamespace::oid::int"

#: How long a writer waits for this same process's previous writer session to end (the
#: server drops a closed session's locks a moment after the client has closed it).
OWN_SESSION_WAIT = 2.0


@contextmanager
def advisory_lock(url: str) -> Iterator[None]:
    """Exclusive right to write the archive at ``url``; a second writer, on this machine or
    another, gets :class:`BusyError` at once, naming the holder."""
    import psycopg

    me = f"gongkai writer pid {os.getpid()} on {socket.gethostname()}"[:63]  # (its limit)
    try:
        conn = psycopg.connect(
            connect_url(url), autocommit=True, connect_timeout=10, application_name=me
        )
    except psycopg.Error as exc:
        why = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
        raise BusyError(f"cannot connect to the archive database {redacted(url)}: {why}") from exc
    try:
        deadline = time.monotonic() + OWN_SESSION_WAIT
        while True:
            got = conn.execute(f"SELECT pg_try_advisory_lock(%s, {_KEY})", (LOCK_CLASS,))
            if _true(got.fetchone()):
                break
            holder = _holder(conn)
            if holder != me or time.monotonic() > deadline:
                raise BusyError(
                    f"the archive {redacted(url)} is being written by {holder}; "
                    "wait for it to finish"
                )
            time.sleep(0.05)  # this process's previous writer session, still ending
        yield
    finally:
        conn.close()  # ends the session: the server releases the lock


def _true(row: object) -> bool:
    return bool(row and row[0])  # type: ignore[index]


def _holder(conn: Any) -> str:
    row = conn.execute(
        "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
        f"WHERE l.locktype = 'advisory' AND l.classid = %s AND l.objid = {_KEY}::oid "
        "AND l.granted LIMIT 1",
        (LOCK_CLASS,),
    ).fetchone()
    return str(row[0]) if row and row[0] else "another process"
