"""Automatic relations made many at a time: the linker's whole batch in a few statements.

The linker and the version chains of an import propose hundreds of relations per batch. Made
one by one (:meth:`archive.relations.Relations.add`), each costs an ``INSERT`` and its two
history entries: one round trip or more per relation on PostgreSQL, where the linker was
half an import. Here a batch asks once which of its relations (and which other relations
between the same documents) are there already, inserts the rest in multi-row ``INSERT``
statements, and writes their history the same way.

The rules are those of :meth:`Relations.add` for ``origin=auto``, applied in the order the
relations are given: an existing relation (rejected or not) is left as it is, and a citation
(``cites``) adds nothing where another relation between the same two documents exists or is
added before it (see :func:`plan`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from archive.chunks import in_chunks, rows_in_chunks
from archive.history_rows import log_many
from archive.relations import (
    AUTO,
    CITES,
    CONFIRMED,
    REJECTED,
    RELATION_TYPES,
    STATES,
    Relation,
    RelationError,
    Relations,
    change_detail,
)
from archive.store import now

_COLUMNS = "src, dst, type, effective, origin, state, note, evidence, actor, created_at, updated_at"


@dataclass(frozen=True)
class NewRelation:
    """An automatic relation to make, unless it (or, for a citation, a stronger one) is there."""

    src: str
    type: str
    dst: str
    effective: str = ""
    state: str = CONFIRMED
    note: str = ""
    evidence: str = ""

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.src, self.dst, self.type)


def existing(relations: Relations, srcs: Iterable[str]) -> dict[tuple[str, str, str], str]:
    """The state of every relation from one of ``srcs``, by (src, dst, type)."""
    found: dict[tuple[str, str, str], str] = {}
    for chunk, marks in in_chunks(sorted(set(srcs))):
        rows = relations.conn.execute(
            f"SELECT src, dst, type, state FROM relations WHERE src IN ({marks})", chunk
        )
        for row in rows:
            found[(str(row[0]), str(row[1]), str(row[2]))] = str(row[3])
    return found


def plan(
    wanted: Sequence[NewRelation], there: dict[tuple[str, str, str], str]
) -> list[NewRelation]:
    """Which of ``wanted`` to insert, in order, given the relations ``there`` (by key, their
    state): not one that is there, not the same one twice, and not a citation between two
    documents already related (not rejected) or related by an earlier one of ``wanted``."""
    related = {(src, dst) for (src, dst, _t), state in there.items() if state != REJECTED}
    keys: set[tuple[str, str, str]] = set()
    chosen: list[NewRelation] = []
    for rel in wanted:
        if rel.key in there or rel.key in keys:
            continue
        if rel.type == CITES and (rel.src, rel.dst) in related:
            continue
        keys.add(rel.key)
        related.add((rel.src, rel.dst))
        chosen.append(rel)
    return chosen


def add_auto(relations: Relations, wanted: Sequence[NewRelation], *, actor: str) -> list[Relation]:
    """Make the automatic relations of ``wanted`` that :func:`plan` keeps, with their history
    (both documents'), in one transaction; returns those made, in the order given.

    Raises :class:`RelationError` for an unknown type or state, a document related to itself
    or an id that is not a document's (nothing is then written)."""
    for rel in wanted:
        if rel.type not in RELATION_TYPES or rel.state not in STATES:
            raise RelationError(f"bad relation type {rel.type!r} or state {rel.state!r}")
        if rel.src == rel.dst:
            raise RelationError("a document cannot be related to itself")
    if not wanted:
        return []
    ids = list(dict.fromkeys(i for rel in wanted for i in (rel.src, rel.dst)))
    found = relations.archive.existing(ids)
    missing = [i for i in ids if i not in found]
    if missing:
        raise RelationError(f"no document with id {missing[0]}")
    with relations.transaction():
        chosen = plan(wanted, existing(relations, {rel.src for rel in wanted}))
        stamp = now()
        rows = [
            (
                r.src,
                r.dst,
                r.type,
                r.effective,
                AUTO,
                r.state,
                r.note,
                r.evidence,
                actor,
                stamp,
                stamp,
            )
            for r in chosen
        ]
        by_key: dict[tuple[str, str, str], Relation] = {}
        for values, row_marks in rows_in_chunks(rows):
            for row in relations.conn.execute(
                f"INSERT INTO relations ({_COLUMNS}) VALUES {row_marks} "
                "ON CONFLICT (src, dst, type) DO NOTHING RETURNING *",
                values,
            ).fetchall():
                by_key[(row["src"], row["dst"], row["type"])] = Relation.from_row(row)
        made = [by_key[rel.key] for rel in chosen if rel.key in by_key]
        entries = [
            (doc_id, actor, "relation", change_detail(added, None, "added", added.note))
            for added in made
            for doc_id in (added.src, added.dst)
        ]
        log_many(relations.conn, entries, at=stamp)
    return made
