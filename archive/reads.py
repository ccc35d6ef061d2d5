"""Reads that do not depend on one another, sent together: one round trip on PostgreSQL.

A results page asks the archive several independent questions about the same documents (the
dates in their texts, the relations pointing at them, staff status records, the ends of their
有效期). On SQLite each is a call into the library; on PostgreSQL each is a round trip to the
server, and a page made a dozen of them. A :class:`Read` is one such question: its statements
(one per chunk of ids) and how its rows become an answer. :func:`read_together` sends the
statements of several reads before waiting for any answer (psycopg's pipeline mode: the rows
of all of them arrive in one round trip) and gives each read's answer, in order; on SQLite it
runs them one after the other.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from archive import backend
from archive.chunks import in_chunks

T = TypeVar("T")

#: A statement and its parameters.
Statement = tuple[str, Sequence[object]]


@dataclass(frozen=True)
class Read(Generic[T]):
    """A question to the archive: ``statements`` (none: the answer is ``collect([])``) and
    ``collect``, which makes the answer of all their rows."""

    statements: list[Statement]
    collect: Callable[[list[Any]], T]


def by_chunks(sql: str, ids: Iterable[str], *after: object) -> list[Statement]:
    """``sql`` (with ``{marks}`` where the ids' placeholders go) once per chunk of ``ids``
    (each id once), each with its chunk followed by ``after``."""
    unique = list(dict.fromkeys(ids))
    return [(sql.format(marks=marks), (*chunk, *after)) for chunk, marks in in_chunks(unique)]


Connection = sqlite3.Connection | backend.PgConnection


def read_together(conn: Connection, reads: Iterable[Read[Any]]) -> list[Any]:
    """Each read's answer, in order; on PostgreSQL all their statements in one round trip."""
    reads = list(reads)
    statements = [s for read in reads for s in read.statements]
    if isinstance(conn, backend.PgConnection) and len(statements) > 1:
        with conn.pipeline():  # every statement sent; their rows arrive as the block ends
            cursors = [[conn.execute(sql, params) for sql, params in r.statements] for r in reads]
        rows = [[row for cursor in sent for row in cursor.fetchall()] for sent in cursors]
    else:
        rows = [[row for sql, ps in r.statements for row in conn.execute(sql, ps)] for r in reads]
    return [read.collect(found) for read, found in zip(reads, rows, strict=True)]


def read(conn: Connection, question: Read[T]) -> T:
    """One read's answer."""
    answer: T = read_together(conn, [question])[0]
    return answer
