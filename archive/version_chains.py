"""Chains of versions walked forward in one statement: from some documents, the confirmed
``supersedes`` relations pointing at them, at the versions that superseded them, and so on
(a recursive ``WITH``, the same on SQLite and PostgreSQL). A page of superseded documents then
finds the version in force of each without a round trip per step of its chain
(:func:`archive.validity.facts_of`)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import fields as dataclass_fields
from typing import Any

from archive.pgrows import row_dict
from archive.reads import Read, by_chunks
from archive.relations import CONFIRMED, SUPERSEDES, Relation, Relations

#: The relations reachable forward from the documents ``{marks}``, as the table ``later``.
#: UNION, not UNION ALL: a cycle (a data error) ends the walk, the same row not added twice.
_LATER = (
    "WITH RECURSIVE later AS ("
    "SELECT * FROM relations WHERE dst IN ({marks}) AND type = ? AND +state = ? "
    "UNION SELECT r.* FROM relations r JOIN later l ON r.dst = l.src "
    "WHERE r.type = ? AND +r.state = ?) "
)
_PARAMS = (SUPERSEDES, CONFIRMED, SUPERSEDES, CONFIRMED)


#: The prefix of a chain's documents' columns beside its relations' (:func:`later_versions_read`).
DOC = "doc_"


def later_versions_read(
    relations: Relations, ids: Iterable[str], columns: Sequence[str]
) -> Read[tuple[dict[str, list[Relation]], dict[str, dict[str, Any]]]]:
    """The confirmed ``supersedes`` relations of the chains forward from ``ids`` (by dst),
    and the ``columns`` of the documents they reach (by id), in one statement: each relation
    with its newer document's columns beside it (the walk made once, not once for each)."""
    if not relations.available:
        return Read([], lambda rows: ({}, {}))
    picked = ", ".join(f"d.{c} AS {DOC}{c}" for c in columns)
    sql = _LATER + f"SELECT l.*, {picked} FROM later l LEFT JOIN documents d ON d.id = l.src"
    sql += " ORDER BY l.id"
    fields = [f.name for f in dataclass_fields(Relation)]

    def collect(rows: list[Any]) -> tuple[dict[str, list[Relation]], dict[str, dict[str, Any]]]:
        chains: dict[str, list[Relation]] = {}
        docs: dict[str, dict[str, Any]] = {}
        for row in rows:
            values = row_dict(row)
            rel = Relation(**{f: values[f] for f in fields})
            chains.setdefault(rel.dst, []).append(rel)
            if values[f"{DOC}id"] is not None:
                docs[rel.src] = {c: values[f"{DOC}{c}"] for c in columns}
        return chains, docs

    return Read(by_chunks(sql, ids, *_PARAMS), collect)


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
