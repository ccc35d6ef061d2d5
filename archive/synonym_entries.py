"""Synonym groups added by staff, stored in the archive's ``staff_synonyms`` table.

The shipped table (``indexer/data/synonyms.tsv``) is reviewed with the code; staff know their
own usage (a local agency's short name, a programme's nickname) and add to it without a
release. The entries live in the archive, the truth of a data directory, so that every process
that searches it sees the same table and every change is recorded: who added or removed which
group, when and why, in the entry itself and in the archive's history (document id
:data:`HISTORY_ID`). A removed entry is kept, marked removed, never deleted.

This module stores entries only; how they combine with the shipped table is
:meth:`indexer.synonyms.Synonyms.extended`'s business.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass

from archive.errors import InvalidInput, NotFoundError
from archive.store import Archive, now

#: The history's document id for changes to the synonyms table.
HISTORY_ID = "synonyms"


@dataclass(frozen=True)
class StaffSynonym:
    """One staff entry: ``terms`` (two or more; one with ``replace`` means "no synonyms")."""

    id: int
    terms: tuple[str, ...]
    replace: bool
    domain: str
    note: str
    actor: str
    created_at: str
    removed_at: str = ""
    removed_by: str = ""

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "terms": list(self.terms),
            "replace": self.replace,
            "domain": self.domain,
            "note": self.note,
            "actor": self.actor,
            "created_at": self.created_at,
            "removed_at": self.removed_at,
            "removed_by": self.removed_by,
        }


class StaffSynonyms:
    """The staff synonym entries of one :class:`~archive.store.Archive`."""

    def __init__(self, archive: Archive) -> None:
        self.archive = archive

    def add(
        self,
        terms: list[str],
        *,
        actor: str,
        note: str = "",
        replace: bool = False,
        domain: str = "government",
    ) -> StaffSynonym:
        """Store a new entry and record it in history, in one transaction. ``note`` says why.

        Only the shape is checked here (non-empty terms, an actor); whether the terms make a
        valid group is checked by the caller against the shipped table before storing."""
        cleaned = tuple(t.strip() for t in terms if t.strip())
        if not cleaned or (len(cleaned) < 2 and not replace):
            raise InvalidInput("a synonym group needs at least two terms")
        if not actor.strip():
            raise InvalidInput("who made the change must be recorded (actor)")
        at = now()
        with self.archive.transaction():
            cursor = self.archive.conn.execute(
                "INSERT INTO staff_synonyms (terms, replace, domain, note, actor, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (json.dumps(cleaned, ensure_ascii=False), int(replace), domain, note, actor, at),
            )
            entry_id = int(cursor.lastrowid or 0)
            self.archive.log(
                HISTORY_ID,
                actor,
                "synonyms.add",
                {"entry": entry_id, "terms": list(cleaned), "replace": replace, "why": note},
            )
        return StaffSynonym(entry_id, cleaned, replace, domain, note, actor, at)

    def remove(self, entry_id: int, *, actor: str, note: str = "") -> StaffSynonym:
        """Mark entry ``entry_id`` removed and record it in history; raises
        :class:`~archive.errors.NotFoundError` when there is no such active entry."""
        entry = self.get(entry_id)
        if entry is None or entry.removed_at:
            raise NotFoundError(f"no active staff synonym entry {entry_id}")
        if not actor.strip():
            raise InvalidInput("who made the change must be recorded (actor)")
        at = now()
        with self.archive.transaction():
            self.archive.conn.execute(
                "UPDATE staff_synonyms SET removed_at = ?, removed_by = ? WHERE id = ?",
                (at, actor, entry_id),
            )
            self.archive.log(
                HISTORY_ID,
                actor,
                "synonyms.remove",
                {"entry": entry_id, "terms": list(entry.terms), "why": note},
            )
        return StaffSynonym(**{**entry.__dict__, "removed_at": at, "removed_by": actor})

    def get(self, entry_id: int) -> StaffSynonym | None:
        row = self.archive.conn.execute(
            "SELECT * FROM staff_synonyms WHERE id = ?", (entry_id,)
        ).fetchone()
        return _entry(row) if row else None

    def active(self) -> list[StaffSynonym]:
        """The entries in force, oldest first (the order they apply in)."""
        try:
            rows = self.archive.conn.execute(
                "SELECT * FROM staff_synonyms WHERE removed_at = '' ORDER BY id"
            ).fetchall()
        except sqlite3.OperationalError:  # a read-only archive not yet migrated
            return []
        return [_entry(r) for r in rows]

    def all(self) -> list[StaffSynonym]:
        """Every entry, removed ones included, oldest first."""
        rows = self.archive.conn.execute("SELECT * FROM staff_synonyms ORDER BY id")
        return [_entry(r) for r in rows]


def _entry(row: sqlite3.Row) -> StaffSynonym:
    return StaffSynonym(
        id=row["id"],
        terms=tuple(json.loads(row["terms"])),
        replace=bool(row["replace"]),
        domain=row["domain"],
        note=row["note"],
        actor=row["actor"],
        created_at=row["created_at"],
        removed_at=row["removed_at"],
        removed_by=row["removed_by"],
    )


__all__ = ["HISTORY_ID", "StaffSynonym", "StaffSynonyms"]
