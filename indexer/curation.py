"""Staff curation: status records, manual relations, proposals, history, relinking.

Each change runs under the data directory's write lock, records in the archive's history what
it did to the validity of the documents involved (before and after), and re-indexes them, so
that search, badges and ``check`` answer the new status at once."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager

from archive import Archive, Document
from archive.errors import InvalidInput, NotFoundError
from archive.relations import CONFIRMED, PROPOSED, REJECTED, Relation, Relations
from archive.validity import Status
from archive.vocab import DOC_TYPES, VALIDITY, canonical_doc_type, canonical_validity
from indexer.decisions import apply_to_batch
from indexer.linking import relink_all
from indexer.manifest_links import apply_claims
from indexer.validity_view import ValidityView
from indexer.versioning import chain_versions

Lock = Callable[[], AbstractContextManager[None]]
Sync = Callable[[], object]


def brief_status(status: Status) -> dict[str, object]:
    """What the history records of a status, before and after a change."""
    return {
        "validity": status.validity,
        "since": status.since,
        "by": status.by,
        "current_version": status.current_version,
        "source": status.source,
    }


class Curator:
    """Staff changes to one archive. ``lock`` takes the write lock; ``sync`` re-indexes."""

    def __init__(self, archive: Archive, validity: ValidityView, lock: Lock, sync: Sync) -> None:
        self.archive = archive
        self.validity = validity
        self._lock = lock
        self._sync = sync

    def get(self, doc_id: str) -> Document:
        doc = self.archive.get(doc_id)
        if doc is None:
            raise NotFoundError(f"no document with id {doc_id}")
        return doc

    # -- status records ----------------------------------------------------------------------

    def set_status(
        self,
        doc_id: str,
        validity: str,
        *,
        date: str = "",
        by: str = "",
        note: str = "",
        actor: str = "staff",
    ) -> Status:
        """Record a staff status for ``doc_id`` (``validity == ""`` withdraws earlier staff
        records); history keeps the status before and after. Returns the status today."""
        if validity and canonical_validity(validity) is None:
            raise InvalidInput(f"unknown validity {validity!r} (known: {', '.join(VALIDITY)})")
        validity = canonical_validity(validity) or "" if validity else ""
        with self._lock():
            doc = self.get(doc_id)
            before = self.validity.status(doc)
            relations = Relations(self.archive)
            with relations.transaction():
                relations.record_status(
                    doc.id,
                    validity,
                    effective=date,
                    by_doc=by,
                    note=note,
                    actor=actor,
                    before=brief_status(before),
                )
                relations.touch([doc.id])
            after = self.validity.status(self.get(doc.id))
            self._log_validity(relations, doc.id, before, after, actor)
            self._sync()
            return after

    # -- relations ---------------------------------------------------------------------------

    def link(
        self,
        src: str,
        rel_type: str,
        dst: str,
        *,
        date: str = "",
        note: str = "",
        actor: str = "staff",
    ) -> Relation:
        """Make (or re-confirm) a manual relation ``src rel_type dst``."""
        with self._lock():
            return self._change(
                [dst, src],
                actor,
                lambda rels: rels.add(
                    src, rel_type, dst, effective=date, note=note, actor=actor, state=CONFIRMED
                )[0],
            )

    def unlink(
        self, src: str, rel_type: str, dst: str, *, note: str = "", actor: str = "staff"
    ) -> Relation:
        """Reject the relation ``src rel_type dst`` (kept, with its history)."""
        with self._lock():
            rel = Relations(self.archive).find(src, rel_type, dst)
            if rel is None:
                raise NotFoundError(f"no relation {src} {rel_type} {dst}")
            return self._set_state(rel, REJECTED, note=note, actor=actor)

    def set_relation_state(
        self, rel_id: int, state: str, *, note: str = "", actor: str = "staff"
    ) -> Relation:
        """Confirm, reject or re-propose a relation by id (``gongkai proposals``)."""
        with self._lock():
            rel = Relations(self.archive).get(rel_id)
            if rel is None:
                raise NotFoundError(f"no relation {rel_id}")
            return self._set_state(rel, state, note=note, actor=actor)

    def _set_state(self, rel: Relation, state: str, *, note: str, actor: str) -> Relation:
        return self._change(
            [rel.dst, rel.src],
            actor,
            lambda rels: rels.set_state(rel.id, state, actor=actor, note=note),
        )

    def _change(
        self, ids: list[str], actor: str, change: Callable[[Relations], Relation]
    ) -> Relation:
        """Apply a relation change, log what it did to the validity of ``ids``, re-index."""
        relations = Relations(self.archive)
        docs = [self.get(i) for i in ids]
        before = {d.id: self.validity.status(d) for d in docs}
        with relations.transaction():
            rel = change(relations)
            relations.touch(before)
        for doc_id, old in before.items():
            self._log_validity(
                relations, doc_id, old, self.validity.status(self.get(doc_id)), actor
            )
        self._sync()
        return rel

    def _log_validity(
        self, relations: Relations, doc_id: str, before: Status, after: Status, actor: str
    ) -> None:
        old, new = brief_status(before), brief_status(after)
        if old != new:
            relations.log_validity(doc_id, actor, old, new)

    # -- document types ----------------------------------------------------------------------

    def set_doc_type(
        self, doc_id: str, value: str, *, reason: str = "", actor: str = "staff"
    ) -> Document:
        """Set the type of ``doc_id`` by staff (a code or Chinese name: 规章, 规范性文件 …),
        kept across re-inference; ``auto`` hands it back to inference. Recorded in the history
        with ``reason``; re-indexed at once."""
        from indexer.doctypes import infer_doc_type

        auto = value.strip().lower() in ("auto", "自动", "自动识别")
        doc_type = "" if auto else canonical_doc_type(value)
        if not auto and doc_type is None:
            raise InvalidInput(
                f"unknown document type {value!r} (one of {', '.join(DOC_TYPES)}, their "
                "Chinese names such as 规章 or 规范性文件, or auto)"
            )
        with self._lock():
            doc = self.get(doc_id)
            if auto:
                self.archive.set_doc_type(
                    doc.id, infer_doc_type(doc), actor=actor, why=reason, origin="auto"
                )
            else:
                self.archive.set_doc_type(doc.id, str(doc_type), actor=actor, why=reason)
            self._sync()
            return self.get(doc.id)

    def retype(self, *, untyped_only: bool = False) -> dict[str, object]:
        """Infer the type of every document (or only of those without one) again; types a
        manifest or staff gave are kept. Re-indexes what changed."""
        with self._lock():
            changed = retype_archive(self.archive, untyped_only=untyped_only)
            self._sync()
        by_type = self.archive.stats()["by_doc_type"]
        return {"changed": changed, "documents": self.archive.count(), "by_doc_type": by_type}

    def relink(self) -> dict[str, int]:
        """Run the linker over the whole archive (keeps existing relations and decisions)."""
        with self._lock():
            report = relink_all(self.archive, steps=[apply_to_batch, apply_claims, chain_versions])
            self._sync()
            return {
                "added": len(report.added),
                "confirmed": report.confirmed,
                "proposed": report.proposed,
                "affected": len(report.affected),
            }

    # -- reading -----------------------------------------------------------------------------

    def relations(self, doc_id: str) -> list[Relation]:
        """Every relation from or to ``doc_id``, in any state."""
        self.get(doc_id)
        return Relations(self.archive).of(doc_id)

    def relation_rows(self, rels: list[Relation]) -> list[dict[str, object]]:
        """``rels`` as dicts, each with the titles of both ends (``src_title``, ``dst_title``)."""
        docs = self.archive.get_many(sorted({r.src for r in rels} | {r.dst for r in rels}))
        rows = []
        for rel in rels:
            row = rel.to_dict()
            for end, doc_id in (("src", rel.src), ("dst", rel.dst)):
                doc = docs.get(doc_id)
                row[f"{end}_title"] = doc.title if doc else ""
            rows.append(row)
        return rows

    def proposals(self) -> list[Relation]:
        """Automatic relations waiting for staff."""
        return Relations(self.archive).with_state(PROPOSED)

    def history(self, doc_id: str) -> list[dict[str, object]]:
        """The append-only history of ``doc_id``: import, relations, status records."""
        self.get(doc_id)
        return self.archive.history(doc_id)


#: The actor under which re-inference records a changed type.
RETYPE_ACTOR = "retype"


def retype_archive(archive: Archive, *, untyped_only: bool = False) -> int:
    """Infer the types of the archive's documents (only the untyped ones with
    ``untyped_only``) and store them; returns how many changed. The caller holds the lock."""
    from indexer.doctypes import infer_doc_type

    wanted = set(archive.untyped()) if untyped_only else None
    if wanted is not None and not wanted:
        return 0
    changed = 0
    inferred: dict[str, str] = {}
    for doc in archive.iter_documents():
        if wanted is not None and doc.id not in wanted:
            continue
        if doc.doc_type_origin in ("manifest", "staff"):
            continue
        inferred[doc.id] = infer_doc_type(doc)
        if len(inferred) >= 500:
            changed += archive.retype(inferred, actor=RETYPE_ACTOR)
            inferred = {}
    return changed + archive.retype(inferred, actor=RETYPE_ACTOR)
