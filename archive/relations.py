"""Relations between documents, staff status records and the references found in text.

A relation says that one document (``src``) repeals, amends, supersedes, interprets, answers or
cites another (``dst``), from an effective date, or is one of its attachments (附件). Relations
are made by staff (``manual``), by the linker at import (``auto``) or by an import manifest
(``manifest``). An automatic relation may be ``proposed`` (waiting for staff) or ``confirmed``;
staff can ``reject`` any relation. Relations are never deleted and every change to one is
written to the append-only history of both documents, with the relation before and after, who
and why.

A status record is a staff statement "document D has validity V from date E (because of B)".
Status records are append-only; a later record (or a ``clear`` record, validity ``""``) takes
precedence as :mod:`archive.validity` explains.

An expiry (``text_expiry``) is the day a document's own 有效期 ends, as its text or header says
(本规定有效期三年 → three years after it took effect): :mod:`archive.validity` makes the document
失效 from that day unless staff say otherwise.

References (``refs``) are what the linker found in a document's text: a title in 《》 and/or a
文号, with the kind of relation the sentence implies. They are kept, resolved or not, so that a
document imported later can be linked to what was imported before it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Any

from archive import schema
from archive.chunks import in_chunks, rows_in_chunks
from archive.chunks import marks as placeholders
from archive.errors import InvalidInput
from archive.history_rows import log_many
from archive.pgrows import row_dict
from archive.reads import Read, by_chunks, read
from archive.store import Archive, now
from archive.text_facts import Expiry, Reference

# The relation types and their labels are vocabulary (archive.vocab); importable from here too.
from archive.vocab import (  # noqa: F401
    AMENDS,
    ANSWERS,
    ATTACHMENT,
    CITES,
    INTERPRETS,
    RELATION_TYPES,
    REPEALS,
    SUPERSEDES,
    TYPE_LABELS,
    VALIDITY_EFFECT,
)

MANUAL, AUTO, MANIFEST = "manual", "auto", "manifest"
ORIGINS = (MANUAL, AUTO, MANIFEST)
PROPOSED, CONFIRMED, REJECTED = "proposed", "confirmed", "rejected"
STATES = (PROPOSED, CONFIRMED, REJECTED)


def grouped_by(end: str) -> Callable[[list[Any]], dict[str, list[Relation]]]:
    """Rows of relations made into relations, by their ``end`` ("src" or "dst")."""

    def collect(rows: list[Any]) -> dict[str, list[Relation]]:
        found: dict[str, list[Relation]] = {}
        for row in rows:
            rel = Relation.from_row(row)
            found.setdefault(getattr(rel, end), []).append(rel)
        return found

    return collect


class RelationError(InvalidInput):
    """A relation that cannot be made (unknown type, a document related to itself …)."""


@dataclass
class Relation:
    id: int
    src: str
    dst: str
    type: str
    effective: str = ""
    origin: str = MANUAL
    state: str = CONFIRMED
    note: str = ""
    evidence: str = ""
    actor: str = ""
    created_at: str = ""
    updated_at: str = ""

    def to_dict(self) -> dict[str, object]:
        return asdict(self)

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Relation:
        return cls(**row_dict(row))


@dataclass
class StatusChange:
    """A staff record: ``doc_id`` has ``validity`` from ``effective`` ("" = no date given).

    ``validity == ""`` withdraws every earlier record (validity is derived again)."""

    seq: int
    doc_id: str
    validity: str
    effective: str = ""
    by_doc: str = ""
    note: str = ""
    actor: str = ""
    created_at: str = ""

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


Kept = Mapping[str, Expiry] | None  # expiries already read (Relations.set_expiry)


def change_detail(
    rel: Relation, before: Relation | None, change: str, why: str
) -> dict[str, object]:
    """What the history of both its documents says of a change to ``rel``."""
    return {
        "relation": rel.id,
        "change": change,
        "src": rel.src,
        "type": rel.type,
        "dst": rel.dst,
        "origin": rel.origin,
        "why": why,
        "before": _relation_snapshot(before),
        "after": _relation_snapshot(rel),
    }


def _relation_snapshot(rel: Relation | None) -> dict[str, object] | None:
    if rel is None:
        return None
    return {k: getattr(rel, k) for k in ("type", "effective", "origin", "state", "note")}


class Relations:
    """Relations, status records and references of one :class:`~archive.store.Archive`."""

    def __init__(self, archive: Archive) -> None:
        self.archive = archive
        self.conn = archive.conn
        #: False for a read-only archive written by a Gongkai older than relations.
        tables = schema.tables(self.conn)
        self.available = "relations" in tables
        self.has_text_dates = "text_dates" in tables
        self._expiry = "text_expiry" in tables

    # -- transactions ----------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One transaction; nested uses join the outer one (:meth:`Archive.transaction`)."""
        with self.archive.transaction():
            yield

    def touch(self, ids: Iterable[str]) -> None:
        """Bump the revision of documents whose derived status or cluster changed, so that
        the index picks them up (``sync_index``)."""
        stamp = now()
        with self.transaction():
            for chunk, marks in in_chunks(sorted(set(ids))):  # not a round trip per document
                self.conn.execute(
                    f"UPDATE documents SET rev = rev + 1, updated_at = ? WHERE id IN ({marks})",
                    (stamp, *chunk),
                )

    # -- relations -------------------------------------------------------------------------

    def get(self, rel_id: int) -> Relation | None:
        if not self.available:
            return None
        row = self.conn.execute("SELECT * FROM relations WHERE id = ?", (rel_id,)).fetchone()
        return Relation.from_row(row) if row else None

    def find(self, src: str, rel_type: str, dst: str) -> Relation | None:
        row = self.conn.execute(
            "SELECT * FROM relations WHERE src = ? AND dst = ? AND type = ?",
            (src, dst, rel_type),
        ).fetchone()
        return Relation.from_row(row) if row else None

    def related(self, src: str, dst: str) -> bool:
        """Whether ``src`` has a relation of any type to ``dst`` that was not rejected."""
        row = self.conn.execute(
            "SELECT 1 FROM relations WHERE src = ? AND dst = ? AND state != ?",
            (src, dst, REJECTED),
        ).fetchone()
        return row is not None

    def of(self, doc_id: str, *, states: Iterable[str] = STATES) -> list[Relation]:
        """Every relation from or to ``doc_id`` in one of ``states``."""
        if not self.available:
            return []
        states = list(states)
        marks = ", ".join("?" for _ in states)
        # Two indexed look-ups (src via the UNIQUE(src, dst, type) index, dst via relations_dst).
        # ``+state`` keeps SQLite off the state index, which it would otherwise prefer (it
        # yields rows in id order) and scan: a few ms a call at 20,000 documents.
        rows = self.conn.execute(
            f"SELECT * FROM relations WHERE src = ? AND +state IN ({marks}) "
            f"UNION SELECT * FROM relations WHERE dst = ? AND +state IN ({marks}) ORDER BY id",
            (doc_id, *states, doc_id, *states),
        )
        return [Relation.from_row(r) for r in rows]

    def incoming(
        self,
        ids: Iterable[str],
        *,
        types: Iterable[str] = RELATION_TYPES,
        states: Iterable[str] = (CONFIRMED,),
    ) -> dict[str, list[Relation]]:
        """Relations pointing at each of ``ids`` (dst), by dst."""
        return self._by_end("dst", ids, types, states)

    def outgoing(
        self,
        ids: Iterable[str],
        *,
        types: Iterable[str] = RELATION_TYPES,
        states: Iterable[str] = (CONFIRMED,),
    ) -> dict[str, list[Relation]]:
        """Relations from each of ``ids`` (src), by src."""
        return self._by_end("src", ids, types, states)

    def _by_end(
        self, end: str, ids: Iterable[str], types: Iterable[str], states: Iterable[str]
    ) -> dict[str, list[Relation]]:
        return read(self.conn, self.by_end_read(end, ids, types=types, states=states))

    def by_end_read(
        self,
        end: str,
        ids: Iterable[str],
        *,
        types: Iterable[str] = RELATION_TYPES,
        states: Iterable[str] = (CONFIRMED,),
    ) -> Read[dict[str, list[Relation]]]:
        """:meth:`incoming` (``end`` "dst") or :meth:`outgoing` ("src") as a
        :class:`archive.reads.Read`, to send with others."""
        types, states = list(types), list(states)
        if not self.available:
            return Read([], grouped_by(end))
        sql = (
            f"SELECT * FROM relations WHERE {end} IN ({{marks}}) "
            f"AND type IN ({placeholders(types)}) "
            f"AND +state IN ({placeholders(states)}) ORDER BY id"  # (+state: see of())
        )
        return Read(by_chunks(sql, ids, *types, *states), grouped_by(end))

    def with_state(self, state: str) -> list[Relation]:
        if not self.available:
            return []
        rows = self.conn.execute("SELECT * FROM relations WHERE state = ? ORDER BY id", (state,))
        return [Relation.from_row(r) for r in rows]

    def add(
        self,
        src: str,
        rel_type: str,
        dst: str,
        *,
        effective: str = "",
        origin: str = MANUAL,
        state: str = CONFIRMED,
        note: str = "",
        evidence: str = "",
        actor: str = "staff",
    ) -> tuple[Relation, bool]:
        """Make a relation, or bring an existing one to this state (manual links only).

        Automatic relations never change an existing relation (a rejected one stays rejected).
        Returns the relation and whether anything changed."""
        if rel_type not in RELATION_TYPES:
            raise RelationError(
                f"unknown relation type {rel_type!r} (known: {', '.join(RELATION_TYPES)})"
            )
        if origin not in ORIGINS or state not in STATES:
            raise RelationError(f"bad origin {origin!r} or state {state!r}")
        if src == dst:
            raise RelationError("a document cannot be related to itself")
        found = self.archive.existing([src, dst])
        missing = [d for d in (src, dst) if d not in found]
        if missing:
            raise RelationError(f"no document with id {missing[0]}")
        with self.transaction():
            stamp = now()
            values = (src, dst, rel_type, effective, origin, state, note, evidence, actor)
            # An automatic relation never changes an existing one: insert unless it is there
            # (one statement); any other first looks for it, as it may update it.
            existing = None if origin == AUTO else self.find(src, rel_type, dst)
            if existing is None:
                row = self.conn.execute(
                    "INSERT INTO relations (src, dst, type, effective, origin, state, note, "
                    "evidence, actor, created_at, updated_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT (src, dst, type) DO NOTHING RETURNING *",
                    (*values, stamp, stamp),
                ).fetchone()
                if row is not None:
                    rel = Relation.from_row(row)
                    self._log_change(rel, None, actor, "added", note)
                    return rel, True
                existing = self.find(src, rel_type, dst)
                assert existing is not None  # the conflict was with it
            if origin == AUTO:
                return existing, False
            if existing.state == state and existing.effective == (effective or existing.effective):
                return existing, False
            self.conn.execute(
                "UPDATE relations SET state = ?, effective = ?, note = ?, actor = ?, "
                "updated_at = ? WHERE id = ?",
                (
                    state,
                    effective or existing.effective,
                    note or existing.note,
                    actor,
                    stamp,
                    existing.id,
                ),
            )
            updated = self.get(existing.id)
            assert updated is not None
            self._log_change(updated, existing, actor, "updated", note)
            return updated, True

    def set_state(self, rel_id: int, state: str, *, actor: str, note: str = "") -> Relation:
        """Confirm, reject (unlink) or re-propose a relation; recorded in history."""
        if state not in STATES:
            raise RelationError(f"unknown state {state!r}")
        with self.transaction():
            before = self.get(rel_id)
            if before is None:
                raise LookupError(f"no relation {rel_id}")
            if before.state == state:
                return before
            self.conn.execute(
                "UPDATE relations SET state = ?, note = ?, actor = ?, updated_at = ? WHERE id = ?",
                (state, note or before.note, actor, now(), rel_id),
            )
            after = self.get(rel_id)
            assert after is not None
            self._log_change(after, before, actor, state, note)
            return after

    def _log_change(
        self, rel: Relation, before: Relation | None, actor: str, change: str, why: str
    ) -> None:
        """Write a change to ``rel`` (``before`` it) to both its documents' history."""
        detail = change_detail(rel, before, change, why)
        with self.archive.batched():  # PostgreSQL: both entries in one round trip
            for doc_id in (rel.src, rel.dst):
                self.archive.log(doc_id, actor, "relation", detail)

    # -- staff status records --------------------------------------------------------------

    def record_status(
        self,
        doc_id: str,
        validity: str,
        *,
        effective: str = "",
        by_doc: str = "",
        note: str = "",
        actor: str = "staff",
        before: dict[str, object] | None = None,
    ) -> StatusChange:
        """Append a staff status record (``validity == ""``: withdraw earlier ones).

        ``before`` is the derived status before the change, kept in history beside the record.
        """
        if not self.archive.exists(doc_id):
            raise RelationError(f"no document with id {doc_id}")
        if by_doc and not self.archive.exists(by_doc):
            raise RelationError(f"no document with id {by_doc}")
        with self.transaction():
            stamp = now()
            cursor = self.conn.execute(
                "INSERT INTO status_changes (doc_id, validity, effective, by_doc, note, actor, "
                "created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (doc_id, validity, effective, by_doc, note, actor, stamp),
            )
            change = StatusChange(
                int(cursor.lastrowid or 0), doc_id, validity, effective, by_doc, note, actor, stamp
            )
            self.archive.log(
                doc_id,
                actor,
                "status",
                {
                    "record": change.seq,
                    "validity": validity or "(derived)",
                    "effective": effective,
                    "by": by_doc,
                    "why": note,
                    "before": before,
                },
            )
            return change

    def status_changes(self, ids: Iterable[str]) -> dict[str, list[StatusChange]]:
        """Staff status records of each of ``ids``, oldest first."""
        return read(self.conn, self.status_changes_read(ids))

    def status_changes_read(self, ids: Iterable[str]) -> Read[dict[str, list[StatusChange]]]:
        """:meth:`status_changes` as a :class:`archive.reads.Read`."""

        def collect(rows: list[Any]) -> dict[str, list[StatusChange]]:
            found: dict[str, list[StatusChange]] = {}
            for row in rows:
                found.setdefault(row["doc_id"], []).append(StatusChange(**row_dict(row)))
            return found

        if not self.available:
            return Read([], collect)
        sql = "SELECT * FROM status_changes WHERE doc_id IN ({marks}) ORDER BY seq"
        return Read(by_chunks(sql, ids), collect)

    def log_validity(
        self, doc_id: str, actor: str, before: dict[str, object], after: dict[str, object]
    ) -> None:
        """Record that the derived validity of ``doc_id`` changed (and why)."""
        self.log_validities([(doc_id, before, after)], actor)

    def log_validities(
        self, changes: Iterable[tuple[str, dict[str, object], dict[str, object]]], actor: str
    ) -> None:
        """:meth:`log_validity` for each (document id, before, after), in one statement per
        chunk (a linked batch changes thousands: not a round trip each on PostgreSQL)."""
        entries: list[tuple[str, str, str, dict[str, object]]] = [
            (doc_id, actor, "validity", {"before": before, "after": after})
            for doc_id, before, after in changes
        ]
        if entries:
            with self.transaction():
                log_many(self.conn, entries, at=now())

    def fill_effective(self, doc_id: str, effective: str, *, evidence: str, actor: str) -> bool:
        """Keep the 施行日期 a document's own text states (used when the header gives none;
        the document row stays as imported). Recorded in history; returns whether it is new."""
        with self.transaction():
            cursor = self.conn.execute(
                "INSERT OR IGNORE INTO text_dates (doc_id, effective, evidence, created_at) "
                "VALUES (?, ?, ?, ?)",
                (doc_id, effective, evidence, now()),
            )
            if cursor.rowcount:
                self.archive.log(
                    doc_id,
                    actor,
                    "date_effective",
                    {"before": "", "after": effective, "why": f"正文：{evidence}"},
                )
            return bool(cursor.rowcount)

    def text_dates(self, ids: Iterable[str]) -> dict[str, str]:
        """The 施行日期 found in the text of each of ``ids`` (where one was)."""
        return read(self.conn, self.text_dates_read(ids))

    def text_dates_read(self, ids: Iterable[str]) -> Read[dict[str, str]]:
        """:meth:`text_dates` as a :class:`archive.reads.Read`."""
        sql = "SELECT doc_id, effective FROM text_dates WHERE doc_id IN ({marks})"
        asked = by_chunks(sql, ids) if self.has_text_dates else []
        return Read(asked, lambda rows: {r[0]: r[1] for r in rows})

    def set_expiry(self, doc_id: str, expiry: Expiry | None, actor: str, kept: Kept = None) -> bool:
        """Keep (or with ``None`` forget) the end of ``doc_id``'s 有效期 as found in its text or
        header; recorded in history when it changes. Returns whether it changed. ``kept``:
        :meth:`expiries` of a batch with ``doc_id``, asked in this transaction."""
        if not self._expiry:
            return False
        with self.transaction():
            before = (kept if kept is not None else self.expiries([doc_id])).get(doc_id)
            same = (before.expires, before.clause, before.basis) if before else None
            if same == ((expiry.expires, expiry.clause, expiry.basis) if expiry else None):
                return False
            if expiry is None:
                self.conn.execute("DELETE FROM text_expiry WHERE doc_id = ?", (doc_id,))
            else:
                self.conn.execute(
                    "INSERT INTO text_expiry (doc_id, expires, clause, basis, evidence, "
                    "created_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(doc_id) DO UPDATE SET "
                    "expires = excluded.expires, clause = excluded.clause, "
                    "basis = excluded.basis, evidence = excluded.evidence, "
                    "created_at = excluded.created_at",
                    (doc_id, expiry.expires, expiry.clause, expiry.basis, expiry.evidence, now()),
                )
            self.archive.log(
                doc_id,
                actor,
                "expiry",
                {
                    "before": before.expires if before else "",
                    "after": expiry.expires if expiry else "",
                    "why": "，".join(filter(None, (expiry.clause, expiry.basis)))
                    if expiry
                    else "条款已不在文中",
                },
            )
            return True

    def expiries(self, ids: Iterable[str]) -> dict[str, Expiry]:
        """The end of the 有效期 of each of ``ids`` (where its text or header states one)."""
        return read(self.conn, self.expiries_read(ids))

    def expiries_read(self, ids: Iterable[str]) -> Read[dict[str, Expiry]]:
        """:meth:`expiries` as a :class:`archive.reads.Read`."""
        asked = by_chunks("SELECT * FROM text_expiry WHERE doc_id IN ({marks})", ids)
        return Read(
            asked if self._expiry else [],
            lambda rows: {r["doc_id"]: Expiry(**row_dict(r)) for r in rows},
        )

    # -- references found in text ----------------------------------------------------------

    def replace_refs(self, found: Mapping[str, Iterable[Reference]]) -> None:
        """The references found in each document of ``found`` (by id; derived data, replaced
        when the text is relinked): a batch's in one DELETE and multi-row INSERTs."""
        ids = list(found)
        rows = [
            (src, r.type, r.title_key, r.number_suffix, r.number_before, r.effective, r.evidence)
            for src, refs in found.items()
            for r in refs
        ]
        with self.transaction(), self.archive.batched():
            for chunk, marks in in_chunks(ids):
                self.conn.execute(f"DELETE FROM refs WHERE src IN ({marks})", chunk)
            for values, row_marks in rows_in_chunks(rows):
                self.conn.execute(
                    "INSERT INTO refs (src, type, title_key, number_suffix, number_before, "
                    f"effective, evidence) VALUES {row_marks}",
                    values,
                )

    def refs_naming(
        self, *, title_keys: Iterable[str] = (), number_suffixes: Iterable[str] = ()
    ) -> list[Reference]:
        """References (from any document) that name one of these titles or 文号 suffixes."""
        found: dict[int, Reference] = {}
        for column, values in (("title_key", title_keys), ("number_suffix", number_suffixes)):
            values = [v for v in dict.fromkeys(values) if v]
            for chunk, marks in in_chunks(values):
                rows = self.conn.execute(
                    f"SELECT * FROM refs WHERE {column} IN ({marks})",
                    chunk,
                )
                for row in rows:
                    found[row["id"]] = Reference(**dict(row))
        return [found[k] for k in sorted(found)]

    # -- dates that change derived validity ------------------------------------------------

    def due_between(self, after: str, until: str) -> set[str]:
        """Documents whose derived validity may change on a date in (``after``, ``until``]:
        their own effective date, a relation's, a staff record's or the end of their 有效期."""
        ids: set[str] = set()
        queries = [
            "SELECT id FROM documents WHERE date_effective > ? AND date_effective <= ?",
            "SELECT id FROM documents WHERE date_effective = '' "
            "AND date_issued > ? AND date_issued <= ?",
            "SELECT dst FROM relations WHERE state = 'confirmed' AND effective > ? "
            "AND effective <= ?",
            "SELECT doc_id FROM status_changes WHERE effective > ? AND effective <= ?",
            "SELECT doc_id FROM text_dates WHERE effective > ? AND effective <= ?",
        ]
        if self._expiry:
            queries.append("SELECT doc_id FROM text_expiry WHERE expires > ? AND expires <= ?")
        for sql in queries:
            ids.update(r[0] for r in self.conn.execute(sql, (after, until)))
        return ids

    def meta(self, key: str) -> str:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else ""

    def set_meta(self, key: str, value: str) -> None:
        with self.transaction():
            self.conn.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, value),
            )
