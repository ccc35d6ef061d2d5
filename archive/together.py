"""Look-ups sent together: on PostgreSQL, independent reads in one round trip.

A results page asks several things of the same documents (their dates in the text, the
relations pointing at them, staff records, expiries) whose statements do not depend on each
other's answers. On SQLite each is a call into the library; on PostgreSQL each is a round
trip. :func:`together` runs such look-ups once to collect their statements (answering each
with no rows), sends the statements in one pipeline, then runs the look-ups again, answering
their statements from what came back. The look-ups themselves are unchanged, so the
statements are the ones they always send; one whose statements turn out different the
second time is simply answered by the database.

Only reads: a look-up that writes would be run twice, so a statement other than a SELECT
while collecting is an error.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from archive.backend import PgConnection
from archive.store import Archive


class _Rows:
    """The answer to one statement, read as a cursor is."""

    def __init__(self, rows: list[Any]) -> None:
        self._rows = rows
        self.rowcount = len(rows)
        self.lastrowid = None

    def fetchone(self) -> Any:
        return self._rows[0] if self._rows else None

    def fetchall(self) -> list[Any]:
        return list(self._rows)

    def __iter__(self) -> Iterator[Any]:
        return iter(list(self._rows))


def together(archive: Archive, *lookups: Callable[[], Any]) -> list[Any]:
    """The results of ``lookups`` (functions that only read ``archive``), in order; on
    PostgreSQL their statements go to the server in one round trip."""
    conn = archive.conn
    if not isinstance(conn, PgConnection) or conn.answers is not None or len(lookups) < 2:
        return [lookup() for lookup in lookups]
    wanted: list[tuple[str, list[Any]]] = []

    def collect(sql: str, values: list[Any]) -> _Rows:
        if not sql.lstrip()[:6].upper() == "SELECT":
            raise RuntimeError(f"together() is for reads, not {sql.split(None, 1)[0]}")
        wanted.append((sql, values))
        return _Rows([])

    conn.answers = collect
    try:
        for lookup in lookups:
            lookup()
    finally:
        conn.answers = None
    if not wanted:
        return [lookup() for lookup in lookups]
    with archive.batched():
        cursors = [conn.execute(sql, values) for sql, values in wanted]
        answers = [
            (sql, values, cursor.fetchall())
            for (sql, values), cursor in zip(wanted, cursors, strict=True)
        ]

    def answer(sql: str, values: list[Any]) -> _Rows | None:
        for i, (asked, asked_values, rows) in enumerate(answers):
            if asked == sql and asked_values == values:
                del answers[i]
                return _Rows(rows)
        return None  # not asked the first time: the database answers it

    conn.answers = answer
    try:
        return [lookup() for lookup in lookups]
    finally:
        conn.answers = None
