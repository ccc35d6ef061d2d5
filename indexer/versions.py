"""A document's versions as one list: dates, status, the one in force, links to compare.

The versions are the documents joined to this one by confirmed ``supersedes`` relations, in
either direction (:func:`archive.clusters.cluster_of`), oldest first — however they were
found: by the text, by title and agency (:mod:`indexer.versioning`), by a manifest or by staff.
The same list serves the document page, the API's document answer (``versions``) and
``gongkai show --json`` (``versions``), so the three always agree.
"""

from __future__ import annotations

from dataclasses import dataclass

from archive import Document
from archive.clusters import Cluster
from archive.validity import Status
from indexer.validity_view import ValidityView


@dataclass
class VersionEntry:
    """One version of a document, its status on the date asked, and how it stands."""

    doc: Document
    status: Status
    current: bool  # the version in force (the newest in force, if several are)
    this: bool  # the document the list was made for

    def compare_path(self, this_id: str) -> str:
        """The comparison of the page's document with this version ("" for itself)."""
        return "" if self.this else f"/doc/{this_id}/compare/{self.doc.id}"

    def to_dict(self, this_id: str) -> dict[str, object]:
        return {
            "id": self.doc.id,
            "title": self.doc.title,
            "doc_number": self.doc.doc_number,
            "agency": self.doc.agency,
            "date_issued": self.doc.date_issued,
            "date_effective": self.doc.date_effective,
            "validity": self.status.validity,
            "since": self.status.since,
            "current": self.current,
            "this": self.this,
            "compare": self.compare_path(this_id),
        }


def version_list(
    view: ValidityView, doc: Document, cluster: Cluster, as_of: str | None = None
) -> list[VersionEntry]:
    """Every version of ``doc`` (``cluster.versions``, oldest first), or [] when it has no
    other version."""
    docs = cluster.versions
    if len(docs) < 2:
        return []
    statuses = view.statuses(docs, as_of)
    in_force = [d for d in docs if statuses[d.id].in_force]
    current = in_force[-1].id if in_force else ""
    return [VersionEntry(d, statuses[d.id], d.id == current, d.id == doc.id) for d in docs]


def versions_json(entries: list[VersionEntry], this_id: str) -> list[dict[str, object]]:
    """The list as JSON (the API and ``show --json``)."""
    return [e.to_dict(this_id) for e in entries]


def render_text(entries: list[VersionEntry], this_id: str) -> list[str]:
    """The list as lines for the terminal: date, status, title, 文号, id; the one in force and
    this document marked."""
    lines = []
    for e in entries:
        marks = ("【现行】" if e.current else "") + ("（本文件）" if e.this else "")
        dates = e.doc.date_issued or "—"
        if e.doc.date_effective and e.doc.date_effective != e.doc.date_issued:
            dates += f" 施行 {e.doc.date_effective}"
        number = f" {e.doc.doc_number}" if e.doc.doc_number else ""
        compare = f"  对照 {e.compare_path(this_id)}" if not e.this else ""
        lines.append(
            f"  - {dates} {e.status.validity}{marks} {e.doc.title}{number} [{e.doc.id}]{compare}"
        )
    return lines
