"""``gongkai show``: everything known about the documents a reference names — the record,
its status today, related documents, versions, withdrawal and provenance — gathered once
and given as JSON (``to_dict``) or as the plain text a person reads (``text_lines``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from archive.vocab import CLUSTER_LABELS, KIND_LABELS
from indexer.status_text import doc_type_text, status_lines


@dataclass
class DocumentView:
    """One document with what ``show`` prints about it."""

    doc: Any  # archive.Document
    status: Any  # archive.validity.Status
    cluster: dict[str, Any]
    versions: list[Any]
    withdrawn: Any  # archive.withdrawals.Withdrawal | None
    provenance: dict[str, object]

    def to_dict(self, *, text: bool) -> dict[str, object]:
        from indexer.versions import versions_json

        w = self.withdrawn
        return {
            **self.doc.to_dict(text=text),
            "status": self.status.to_dict(),
            "cluster": self.cluster,
            "versions": versions_json(self.versions, self.doc.id),
            "withdrawn": w.to_dict() if w else None,
            "provenance": self.provenance,
        }

    def text_lines(self, *, text: bool) -> Iterator[str]:
        from indexer.provenance import sources_text
        from indexer.versions import render_text

        doc = self.doc
        yield f"名称: {doc.title}"
        for label, value in (
            ("编号", doc.id),
            ("索引号", doc.index_number),
            ("发布机构", doc.agency),
            ("文号", doc.doc_number),
            ("主题分类", doc.category),
            ("成文日期", doc.date_written),
            ("发文日期", doc.date_issued),
            ("有效性", doc.validity),
            ("类型", KIND_LABELS.get(doc.kind, doc.kind)),
            ("文件类型", doc_type_text(doc.doc_type, doc.doc_type_origin)),
            ("来源文件", doc.source_name),
        ):
            if value:
                yield f"{label}: {value}"
        if (gone := self.withdrawn) is not None:
            yield f"已撤回（不公开）: {gone.at} {gone.actor}，理由：{gone.reason}"
        for line in sources_text(self.provenance):
            yield f"来源: {line}"
        yield from status_lines(self.status)
        if self.versions:
            yield "历次版本:"
            yield "\n".join(render_text(self.versions, doc.id))
        for name, items in self.cluster.items():
            if name == "versions":
                continue  # shown above, with dates and statuses
            yield f"{CLUSTER_LABELS.get(name, name)}:"
            for item in items:
                yield f"  - {item['title']} {item['doc_number']} [{item['id']}]"
        if text:
            yield "\n" + doc.text


def document_views(gk: Any, ref: str) -> list[DocumentView]:
    """A view of each document ``ref`` names (id, 文号, 索引号 or title); [] if none."""
    from indexer.provenance import document_provenance

    views = []
    for doc in gk.lookup(ref):
        found = gk.cluster(doc)
        views.append(
            DocumentView(
                doc,
                gk.status(doc),
                found.summary(),
                gk.versions(doc, cluster=found),
                gk.withdrawal(doc.id),
                document_provenance(gk.archive, doc.id),
            )
        )
    return views
