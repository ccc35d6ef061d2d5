"""PostgreSQL's results as rows that answer as :class:`sqlite3.Row` does (by position, by
column name, ``keys()``), with SQLite's plain values (an integer sum an int, bytea bytes), made
as cheaply as tuples: the archive reads a few hundred rows for a results page."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, ClassVar


class Row(tuple[Any, ...]):
    """A result row read by position or by column name, and ``dict(row)``: what
    :class:`sqlite3.Row` offers. Each shape of result has a subclass of its own that holds
    the names (:func:`_shape`), so a row is made as fast as a tuple (0.14 µs, not 0.6 µs
    with the names set on each row), a few hundred times a results page."""

    __slots__ = ()
    _names: ClassVar[tuple[str, ...]] = ()
    _index: ClassVar[dict[str, int]] = {}

    def keys(self) -> list[str]:
        return list(self._names)

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            return tuple.__getitem__(self, self._index[key])
        return tuple.__getitem__(self, key)


def row_class(names: tuple[str, ...]) -> type[Row]:
    """The :class:`Row` subclass of rows with the columns ``names`` (the first of a name
    answers for it, as :class:`sqlite3.Row` does)."""
    index = {name: i for i, name in reversed(list(enumerate(names)))}
    return type("Row", (Row,), {"__slots__": (), "_names": names, "_index": index})


def row_dict(row: Any) -> dict[str, Any]:
    """``dict(row)`` for a :class:`Row` or an :class:`sqlite3.Row`, at the speed of a tuple:
    ``dict(row)`` asks a :class:`Row` for each column by name in Python, and a results page
    turns a few hundred rows of some 25 columns into documents. A dict is copied."""
    if isinstance(row, dict):
        return dict(row)
    return dict(zip(row.keys(), row, strict=True))


def _plain(value: Any) -> Any:
    # SUM over integers is numeric in PostgreSQL: whole numbers come back as int, as in SQLite.
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, memoryview):
        return bytes(value)
    return value


#: Column types whose values :func:`_plain` changes: numeric (Decimal) and bytea.
_NOT_PLAIN = frozenset({1700, 17})


#: A result's shape (its columns' names and type oids) → how its rows are made: their
#: class (:func:`row_class`), the columns :func:`_plain` changes.
_SHAPES: dict[tuple[tuple[bytes, int], ...], tuple[type[Row], list[int]]] = {}


def _shape(result: Any) -> tuple[type[Row], list[int]]:
    """Read from the raw result, not ``cursor.description``: psycopg makes a Column object
    per column for that, 0.07 ms for a document's 25 columns (ten times this), on each of the
    dozen statements of a results page."""
    key = tuple((result.fname(i), result.ftype(i)) for i in range(result.nfields))
    known = _SHAPES.get(key)
    if known is None:
        names = tuple(name.decode("utf-8") for name, _ in key)
        # Only the columns of those types are looked at: a value at a time cost half of
        # reading 50 documents' rows (0.6 of 1.2 ms), on every search.
        odd = [i for i, (_, oid) in enumerate(key) if oid in _NOT_PLAIN]
        if len(_SHAPES) >= 1024:  # statements are few; ad hoc ones must not grow it forever
            _SHAPES.clear()
        known = _SHAPES[key] = (row_class(names), odd)
    return known


def row_factory(cursor: Any) -> Any:
    """psycopg's row factory for the archive's connections: :class:`Row` objects."""
    result = cursor.pgresult
    if result is None or not result.nfields:
        return lambda values: values
    made, odd = _shape(result)
    if not odd:
        return made

    def make(values: Sequence[Any]) -> Row:
        plain = list(values)
        for i in odd:
            plain[i] = _plain(plain[i])
        return made(plain)

    return make


def has_rows(cursor: Any) -> bool:
    """Whether the statement answered rows (even none): what ``cursor.description is not
    None`` tells, without the Column object psycopg makes per column to say it."""
    result = cursor.pgresult
    return result is not None and (bool(result.nfields) or result.status in _rows_statuses())


@functools.cache
def _rows_statuses() -> frozenset[int]:
    from psycopg.pq import ExecStatus

    names = ("TUPLES_OK", "SINGLE_TUPLE", "TUPLES_CHUNK")  # (the last: libpq 17)
    return frozenset(int(getattr(ExecStatus, n)) for n in names if hasattr(ExecStatus, n))
