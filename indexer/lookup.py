"""Finding documents by what staff type: id, 文号 in any bracket style, 索引号, exact title, and
titles that are only similar — one chain used by ``show``, ``check``, ``/wenhao/…``, the staff
forms and ``link``."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from archive import Archive, Document
from archive.validity import Status, today
from indexer.linking import title_key, title_keys
from indexer.normalize import (
    STATE_PREFIX,
    decree_tail,
    is_decree_number,
    looks_like_doc_number,
    looks_like_index_number,
    normalize_doc_number,
    normalize_index_number,
)
from indexer.validity_view import ValidityView


@dataclass
class CheckResult:
    """One query of ``gongkai check``: the documents it matched and their status."""

    query: str
    as_of: str
    matched_by: str  # id / doc_number / index_number / title / title_similar / none
    confidence: float
    matches: list[tuple[Document, Status]] = field(default_factory=list)
    #: The documents the statuses name (``by``, ``current_version``), by id.
    refs: dict[str, Document] = field(default_factory=dict)

    @property
    def found(self) -> bool:
        return bool(self.matches)

    @property
    def valid(self) -> bool:
        """Found, and some match is in force on the date."""
        return any(status.in_force for _, status in self.matches)

    def to_dict(self) -> dict[str, object]:
        return {
            "query": self.query,
            "as_of": self.as_of,
            "found": self.found,
            "valid": self.valid,
            "matched_by": self.matched_by,
            "confidence": self.confidence,
            "matches": [
                {
                    "id": doc.id,
                    "title": doc.title,
                    "doc_number": doc.doc_number,
                    "agency": doc.agency,
                    "date_issued": doc.date_issued,
                    **status.to_dict(),
                    **_named(self.refs, status),
                }
                for doc, status in self.matches
            ],
        }


def _named(refs: dict[str, Document], status: Status) -> dict[str, str]:
    basis, current = refs.get(status.by), refs.get(status.current_version)
    return {
        "basis_title": basis.title if basis else "",
        "basis_doc_number": basis.doc_number if basis else "",
        "current_version_title": current.title if current else "",
        "current_version_doc_number": current.doc_number if current else "",
    }


def exact(archive: Archive, ref: str) -> tuple[list[Document], str]:
    """Exact matches of ``ref`` and how they were found: by id, then 文号, 索引号, title."""
    doc = archive.get(ref)
    if doc:
        return [doc], "id"
    if looks_like_doc_number(ref):
        found = by_doc_number(archive, normalize_doc_number(ref))
        if found:
            return found, "doc_number"
    if looks_like_index_number(ref):
        found = archive.find_by_index_number(normalize_index_number(ref))
        if found:
            return found, "index_number"
    found = archive.find_by_title(ref)
    return found, ("title" if found else "none")


def by_doc_number(archive: Archive, normalized: str) -> list[Document]:
    """Documents with the canonical 文号 ``normalized``. A decree number matches however its
    issuer is spelled (国务院令第656号 = 中华人民共和国国务院令第656号); one without an issuer
    (令第656号), like one without a prefix (〔2017〕1号), matches that number under any."""
    if not is_decree_number(normalized):
        return archive.find_by_doc_number(normalized)
    if normalized == decree_tail(normalized):
        return archive.find_by_doc_number_ending(normalized)
    bare = normalized.removeprefix(STATE_PREFIX)
    found: dict[str, Document] = {}
    for spelling in dict.fromkeys([normalized, bare, STATE_PREFIX + bare]):
        for doc in archive.find_by_doc_number(spelling):
            found.setdefault(doc.id, doc)
    return sorted(found.values(), key=lambda d: d.date_issued, reverse=True)


def lookup(archive: Archive, ref: str) -> list[Document]:
    """Documents by id, 文号 (any bracket style), 索引号 or exact title."""
    return exact(archive, ref.strip())[0]


def similar_title(archive: Archive, ref: str) -> tuple[list[Document], str, float]:
    """Documents whose title contains ``ref`` or the title of what they issue equals it
    (关于印发《X》的通知 for X). Confidence is the share of the title that matched."""
    key = title_key(ref)
    if len(key) < 4:
        return [], "none", 0.0
    fragment = re.sub(r"[\s《》“”\"]+", "", ref)
    scored: list[tuple[float, str]] = []
    for doc_id, title in archive.titles_containing(fragment):
        doc_key = title_key(title)
        keys = title_keys(Document(title=title, text=""))
        if key in keys:
            scored.append((0.95, doc_id))
        elif key in doc_key:
            scored.append((round(len(key) / len(doc_key), 2), doc_id))
    if not scored:
        return [], "none", 0.0
    best = max(score for score, _ in scored)
    ids = [doc_id for score, doc_id in scored if score == best]
    docs = archive.get_many(ids)
    ordered = sorted(docs.values(), key=lambda d: d.date_issued, reverse=True)
    return ordered, "title_similar", best


def match(archive: Archive, query: str) -> tuple[list[Document], str, float]:
    """Documents for one query, how they were matched and how sure the match is
    (1.0 for id, 文号, 索引号 and exact title; less for a similar title)."""
    ref = query.strip()
    if not ref:
        return [], "none", 0.0
    found, how = exact(archive, ref)
    if found:
        return found, how, 1.0
    return similar_title(archive, ref)


def check(
    archive: Archive, validity: ValidityView, queries: Iterable[str], as_of: str | None = None
) -> list[CheckResult]:
    """For each query (文号 in any bracket style, 索引号, id or title): the matching
    documents and their status on ``as_of`` (default today)."""
    as_of = as_of or today()
    results = []
    for query in queries:
        docs, matched_by, confidence = match(archive, query)
        found = validity.statuses(docs, as_of)
        results.append(
            CheckResult(
                query=query,
                as_of=as_of,
                matched_by=matched_by,
                confidence=confidence,
                matches=[(d, found[d.id]) for d in docs],
            )
        )
    named = {i for r in results for _, s in r.matches for i in (s.by, s.current_version) if i}
    refs = archive.get_many(sorted(named)) if named else {}
    for result in results:
        result.refs = refs
    return results
