"""A document's cluster: everything confirmed as related to it (its versions, interpretations,
answers, what repealed or amended it, what it cites, its 附件), for the document page and
``show``; and the brief of it that a search hit names (:func:`cluster_briefs`: one statement
for a whole page)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from archive.chunks import marks as placeholders
from archive.document import Document
from archive.reads import Read, by_chunks, read
from archive.relations import (
    AMENDS,
    ANSWERS,
    ATTACHMENT,
    CITES,
    CONFIRMED,
    INTERPRETS,
    REPEALS,
    Relation,
    Relations,
)
from archive.store import Archive
from archive.validity import doc_start
from archive.version_chains import versions_of_read
from archive.vocab import PROPOSAL_REPLY


@dataclass
class Cluster:
    """Everything linked to one document, for the document page and ``show``."""

    doc_id: str
    interpretations: list[Document] = field(default_factory=list)
    answers: list[Document] = field(default_factory=list)
    #: replies to 人大代表建议 / 政协委员提案 (kind proposal_reply) that answer this document
    proposal_replies: list[Document] = field(default_factory=list)
    versions: list[Document] = field(default_factory=list)  # oldest first, this one included
    repealed_by: list[Document] = field(default_factory=list)
    repeals: list[Document] = field(default_factory=list)
    amended_by: list[Document] = field(default_factory=list)
    amends: list[Document] = field(default_factory=list)
    interprets: list[Document] = field(default_factory=list)  # for an interpretation
    answers_about: list[Document] = field(default_factory=list)  # for a request answer
    cites: list[Document] = field(default_factory=list)
    cited_by: list[Document] = field(default_factory=list)
    attachments: list[Document] = field(default_factory=list)  # this document's 附件
    attachment_of: list[Document] = field(default_factory=list)  # for an attachment

    def documents(self) -> list[Document]:
        """Every document of the cluster (this one among its versions), each once."""
        found: dict[str, Document] = {}
        for part in fields(self):
            if part.name != "doc_id":
                found.update((d.id, d) for d in getattr(self, part.name) if d.id not in found)
        return list(found.values())

    def summary(self) -> dict[str, list[dict[str, str]]]:
        """Each non-empty list as id/title/文号/date (for JSON and the CLI)."""
        out: dict[str, list[dict[str, str]]] = {}
        for name, value in asdict(self).items():
            if name == "doc_id" or not value:
                continue
            out[name] = [
                {
                    "id": d["id"],
                    "title": d["title"],
                    "doc_number": d["doc_number"],
                    "date_issued": d["date_issued"],
                }
                for d in value
            ]
        return out


#: The parts of a cluster that a search hit names (see ``Gongkai.cluster_brief``): each is the
#: sources of confirmed relations of one type pointing at the document.
BRIEF_PARTS = (
    ("interpretations", INTERPRETS),
    ("answers", ANSWERS),
    ("repealed_by", REPEALS),
    ("amended_by", AMENDS),
)


def cluster_briefs(archive: Archive, ids: Iterable[str]) -> dict[str, dict[str, list[str]]]:
    """For each of ``ids``, the ids in its :data:`BRIEF_PARTS` (only the non-empty ones), in
    the order :func:`cluster_of` lists them, with one query for all ``ids`` together."""
    return read(archive.conn, cluster_briefs_read(archive, ids))


def cluster_briefs_read(
    archive: Archive, ids: Iterable[str]
) -> Read[dict[str, dict[str, list[str]]]]:
    """:func:`cluster_briefs` as a :class:`archive.reads.Read`, to send with others."""
    ids = list(dict.fromkeys(ids))
    part_of = {rel_type: name for name, rel_type in BRIEF_PARTS}

    def collect(rows: list[Any]) -> dict[str, dict[str, list[str]]]:
        incoming: dict[str, list[Relation]] = {}
        for row in rows:
            rel = Relation.from_row(row)
            incoming.setdefault(rel.dst, []).append(rel)
        briefs: dict[str, dict[str, list[str]]] = {}
        for doc_id in ids:
            parts: dict[str, list[str]] = {}
            for rel in incoming.get(doc_id, []):  # ordered by relation id, as cluster_of reads
                found = parts.setdefault(part_of[rel.type], [])
                if rel.src not in found:
                    found.append(rel.src)
            briefs[doc_id] = {name: parts[name] for name, _ in BRIEF_PARTS if name in parts}
        return briefs

    if not Relations(archive).available:
        return Read([], collect)
    types = tuple(part_of)
    sql = (  # only sources still archived: one statement a page
        "SELECT * FROM relations WHERE dst IN ({marks}) "
        f"AND type IN ({placeholders(types)}) AND +state = ? "
        "AND EXISTS (SELECT 1 FROM documents d WHERE d.id = relations.src) ORDER BY id"
    )
    return Read(by_chunks(sql, ids, *types, CONFIRMED), collect)


def cluster_of(archive: Archive, doc: Document) -> Cluster:
    """Everything confirmed as related to ``doc``: versions, interpretations, answers …"""
    relations = Relations(archive)
    rels = relations.of(doc.id, states=(CONFIRMED,))
    chain = read(archive.conn, versions_of_read(relations, doc.id))  # supersedes, both ways
    wanted = {r.src for r in rels} | {r.dst for r in rels} | chain
    wanted.discard(doc.id)
    docs = archive.get_many(sorted(wanted))
    docs[doc.id] = doc
    cluster = Cluster(doc.id)
    slots = {
        # (type, doc is dst) → list; (type, doc is src) → list
        (INTERPRETS, True): cluster.interpretations,
        (INTERPRETS, False): cluster.interprets,
        (ANSWERS, True): cluster.answers,
        (ANSWERS, False): cluster.answers_about,
        ("repeals", True): cluster.repealed_by,
        ("repeals", False): cluster.repeals,
        ("amends", True): cluster.amended_by,
        ("amends", False): cluster.amends,
        (CITES, True): cluster.cited_by,
        (CITES, False): cluster.cites,
        (ATTACHMENT, True): cluster.attachments,
        (ATTACHMENT, False): cluster.attachment_of,
    }
    for rel in rels:
        target = slots.get((rel.type, rel.dst == doc.id))
        other = docs.get(rel.src if rel.dst == doc.id else rel.dst)
        if target is not None and other is not None and other not in target:
            target.append(other)
    cluster.proposal_replies = [d for d in cluster.answers if d.kind == PROPOSAL_REPLY]
    cluster.answers = [d for d in cluster.answers if d.kind != PROPOSAL_REPLY]
    cluster.versions = sorted(
        (docs[i] for i in chain if i in docs), key=lambda d: (doc_start(d), d.created_at)
    )
    cluster.attachments.sort(key=lambda d: (d.source_name, d.title))  # 附件1, 附件2 …
    return cluster
