"""Ids read in chunks for ``IN (…)`` lists: one helper instead of the same loop in every module.

SQLite refuses a statement with more than ``SQLITE_MAX_VARIABLE_NUMBER`` parameters (999 in
older builds) and a very long ``IN`` list is slow to plan on PostgreSQL too, so a look-up of
many ids runs once per chunk. The placeholders are ``?`` on both back ends: the PostgreSQL
connection in :mod:`archive.backend` turns each ``?`` outside a string literal into ``%s``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TypeVar

T = TypeVar("T")

CHUNK = 400
"""Ids per statement: well under SQLite's 999-parameter limit, with room for other values."""


def marks(values: Sequence[object]) -> str:
    """``?, ?, ?`` — one placeholder for each of ``values``."""
    return ", ".join("?" for _ in values)


#: Values per multi-row ``INSERT`` (:func:`rows_in_chunks`): under SQLite's 999 parameters.
ROW_VALUES = 900


def rows_in_chunks(
    rows: Sequence[Sequence[T]], budget: int = ROW_VALUES
) -> Iterator[tuple[list[T], str]]:
    """``(values, placeholders)`` for each run of ``rows`` (all of one width) that fits in
    one multi-row ``VALUES`` of at most ``budget`` values, in order:
    ``for values, ph in rows_in_chunks(rows): conn.execute(f"INSERT … VALUES {ph}", values)``."""
    if not rows:
        return
    row = "(" + marks(rows[0]) + ")"
    size = max(1, budget // len(rows[0]))
    for start in range(0, len(rows), size):
        part = rows[start : start + size]
        yield [v for r in part for v in r], ", ".join([row] * len(part))


def in_chunks(values: Sequence[T], size: int = CHUNK) -> Iterator[tuple[list[T], str]]:
    """``(chunk, placeholders)`` for each run of at most ``size`` of ``values``, in order:
    ``for chunk, ph in in_chunks(ids): conn.execute(f"… IN ({ph})", chunk)``."""
    for start in range(0, len(values), size):
        chunk = list(values[start : start + size])
        yield chunk, marks(chunk)
