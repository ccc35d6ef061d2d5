"""Chains of versions walked forward in one statement: from some documents, the confirmed
``supersedes`` relations pointing at them, at the versions that superseded them, and so on
(a recursive ``WITH``, the same on SQLite and PostgreSQL). A page of superseded documents then
finds the version in force of each without a round trip per step of its chain
(:func:`archive.validity.facts_of`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from archive.reads import Read, by_chunks
from archive.relations import CONFIRMED, SUPERSEDES, Relation, Relations, grouped_by

#: The relations reachable forward from the documents ``{marks}``, as the table ``later``.
#: UNION, not UNION ALL: a cycle (a data error) ends the walk, the same row not added twice.
_LATER = (
    "WITH RECURSIVE later AS ("
    "SELECT * FROM relations WHERE dst IN ({marks}) AND type = ? AND +state = ? "
    "UNION SELECT r.* FROM relations r JOIN later l ON r.dst = l.src "
    "WHERE r.type = ? AND +r.state = ?) "
)
_PARAMS = (SUPERSEDES, CONFIRMED, SUPERSEDES, CONFIRMED)


def later_versions_read(
    relations: Relations, ids: Iterable[str]
) -> Read[dict[str, list[Relation]]]:
    """The confirmed ``supersedes`` relations of the chains forward from ``ids``, by dst."""
    if not relations.available:
        return Read([], grouped_by("dst"))
    sql = _LATER + "SELECT * FROM later ORDER BY id"
    return Read(by_chunks(sql, ids, *_PARAMS), grouped_by("dst"))


def later_versions_docs_read(
    relations: Relations, ids: Iterable[str], columns: str
) -> Read[list[Any]]:
    """The rows (``columns``) of the documents those chains reach."""
    if not relations.available:
        return Read([], list)
    sql = _LATER + f"SELECT {columns} FROM documents WHERE id IN (SELECT src FROM later)"
    return Read(by_chunks(sql, ids, *_PARAMS), list)


def versions_of_read(relations: Relations, doc_id: str) -> Read[set[str]]:
    """The ids of every version of ``doc_id`` (itself included): the documents confirmed
    ``supersedes`` relations join to it, either way, and to those, and so on."""
    if not relations.available:
        return Read([], lambda rows: {doc_id})
    sql = (
        "WITH RECURSIVE chain(id) AS (SELECT id FROM documents WHERE id = ? UNION "
        "SELECT CASE WHEN r.dst = c.id THEN r.src ELSE r.dst END FROM relations r "
        "JOIN chain c ON (r.dst = c.id OR r.src = c.id) WHERE r.type = ? AND +r.state = ?) "
        "SELECT id FROM chain"
    )
    return Read(
        [(sql, (doc_id, SUPERSEDES, CONFIRMED))], lambda rows: {doc_id} | {r[0] for r in rows}
    )
