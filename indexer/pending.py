"""Proposals that would change a document's validity, shown where decisions are made.

The linker proposes a relation (state ``proposed``) when a clause says a document is repealed
or amended but names it only by title. A proposal never changes validity (see
:mod:`archive.validity`), so until someone confirmed it on /staff nothing showed that a
document might no longer be in force: not its page, not ``check``. Here each proposal becomes a
notice — "待确认：可能已被《…》（文号）废止" — that the document page (for staff), ``check``
(CLI text, CSV, JSON, /check) and the API show next to the status, never as the status.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass

from archive import Archive
from archive.relations import PROPOSED, Relations
from archive.vocab import AMENDS, REPEALS, SUPERSEDES, VALIDITY_EFFECT

#: What a proposal of each type would mean for its target, in staff words.
VERBS = {REPEALS: "废止", AMENDS: "修改", SUPERSEDES: "替代"}


@dataclass(frozen=True)
class Pending:
    """One proposed relation that would change the validity of ``doc_id``."""

    relation: int  # the relation's id (confirm it with ``gongkai proposals`` or on /staff)
    doc_id: str
    type: str  # repeals / amends / supersedes
    validity: str  # what the document would become if confirmed
    by: str  # the id of the document whose clause says so
    by_title: str
    by_doc_number: str
    effective: str
    evidence: str  # the clause

    @property
    def text(self) -> str:
        """待确认：可能已被《title》（文号）废止."""
        name = f"《{self.by_title.strip('《》')}》" if self.by_title else self.by
        if self.by_doc_number:
            name += f"（{self.by_doc_number}）"
        since = f"（自 {self.effective} 起）" if self.effective else ""
        return f"待确认：可能已被{name}{VERBS.get(self.type, self.type)}{since}"

    def to_dict(self) -> dict[str, object]:
        return {**asdict(self), "text": self.text}


def pending_for(archive: Archive, ids: Iterable[str]) -> dict[str, list[Pending]]:
    """For each of ``ids`` with any: the proposals that would change its validity, oldest
    first (two queries for all ``ids`` together)."""
    incoming = Relations(archive).incoming(ids, types=tuple(VALIDITY_EFFECT), states=(PROPOSED,))
    if not incoming:
        return {}
    sources = archive.get_many(sorted({r.src for rels in incoming.values() for r in rels}))
    found: dict[str, list[Pending]] = {}
    for doc_id, rels in incoming.items():
        for rel in rels:
            src = sources.get(rel.src)
            found.setdefault(doc_id, []).append(
                Pending(
                    relation=rel.id,
                    doc_id=doc_id,
                    type=rel.type,
                    validity=VALIDITY_EFFECT[rel.type],
                    by=rel.src,
                    by_title=src.title if src else "",
                    by_doc_number=src.doc_number if src else "",
                    effective=rel.effective,
                    evidence=rel.evidence,
                )
            )
    return found
