"""Search: the engine finds ids and scores; the archive gives every hit its title, snippet,
highlights, status and cluster. The result is data — the web app and the CLI render it
(``search_app.filters`` marks highlights in HTML, the CLI in brackets).

Two steps sit between the engine and the hits, the same for every engine: the top of a
relevance ranking is re-ranked with what the archive knows (:mod:`indexer.ranking`: exact
title, version in force, one line per title), and a query whose every word finds fewer than
:data:`~indexer.relaxed.RELAX_BELOW` documents is followed by partial matches
(:mod:`indexer.relaxed`), each flagged ``partial`` and listed after every full match."""

from __future__ import annotations

from dataclasses import dataclass, field

from archive import Archive, Document
from archive.validity import Status, cluster_briefs
from indexer import ranking
from indexer.engines.base import Engine, EngineHit, Filters
from indexer.highlight import snippet, title_spans
from indexer.query import ParsedQuery, parse
from indexer.relaxed import RELAX_BELOW, relax
from indexer.validity_view import ValidityView

Spans = list[list[int]]


@dataclass
class Hit:
    id: str
    title: str
    doc_number: str
    index_number: str
    agency: str
    date_issued: str
    validity: str
    kind: str
    source: str
    score: float
    snippet: str
    highlights: Spans = field(default_factory=list)  # [start, end) offsets into ``snippet``
    title_highlights: Spans = field(default_factory=list)  # …into ``title``
    status: Status | None = None  # validity on the search's date, with since/by/note
    cluster: dict[str, object] = field(default_factory=dict)  # see with_version
    partial: bool = False  # a relaxed match: holds only some of the query's words
    same_title: int = 0  # other documents of the same title grouped under this one

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "title": self.title,
            "doc_number": self.doc_number,
            "index_number": self.index_number,
            "agency": self.agency,
            "date_issued": self.date_issued,
            "validity": self.validity,
            "kind": self.kind,
            "source": self.source,
            "score": round(self.score, 4),
            "snippet": self.snippet,
            "highlights": self.highlights,
            "status": self.status.to_dict() if self.status is not None else None,
            "cluster": self.cluster,
            "partial": self.partial,
            "same_title": self.same_title,
        }


@dataclass
class SearchResult:
    total: int
    hits: list[Hit]
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    #: Partial matches follow the full ones (``total`` counts full matches only).
    relaxed: bool = False
    relaxed_total: int = 0  # documents matching only part of the words

    def to_dict(self) -> dict[str, object]:
        data: dict[str, object] = {
            "total": self.total,
            "hits": [h.to_dict() for h in self.hits],
            "relaxed": self.relaxed,
            "relaxed_total": self.relaxed_total,
        }
        if self.facets:
            data["facets"] = self.facets
        return data


def with_version(brief: dict[str, list[str]], status: Status) -> dict[str, object]:
    """A hit's cluster brief: the ids of :func:`archive.validity.cluster_briefs`, and the
    current version when the document has been superseded."""
    cluster: dict[str, object] = dict(brief)
    if status.current_version:
        cluster["current_version"] = status.current_version
    return cluster


def search(
    archive: Archive,
    engine: Engine,
    validity: ValidityView,
    query: str,
    *,
    filters: Filters | None = None,
    sort: str = "relevance",
    limit: int = 10,
    offset: int = 0,
    facets: bool = False,
    as_of: str | None = None,
    relaxed: bool = True,
    collapse: bool = True,
) -> SearchResult:
    """Search, then take titles and snippets from the archive. Raises QuerySyntaxError.

    Validity filters and the validity facet are judged on ``as_of`` (default today) by
    :class:`~indexer.validity_view.ValidityView`, and every hit carries its status on that
    date. ``relaxed`` adds partial matches when full ones are few; ``collapse`` groups the
    documents of one title under the leading one (:mod:`indexer.ranking`)."""
    parsed = parse(query)
    engine_filters = validity.engine_filters(filters, as_of)
    rerank = sort == "relevance" and not parsed.is_empty
    wanted = max(offset + limit, RELAX_BELOW, ranking.WINDOW if rerank else 0)
    result = engine.search(parsed, filters=engine_filters, sort=sort, limit=wanted, facets=facets)
    if facets and "validity" in result.facets:
        result.facets["validity"] = validity.facet(
            engine, parsed, engine_filters, as_of, result.facets["validity"]
        )
    docs: dict[str, Document] = {}
    derived: dict[str, Status] = {}
    ranked = [ranking.Ranked(h) for h in result.hits]
    if rerank:  # the first WINDOW hits, the same on every page; the rest in engine order
        top = result.hits[: ranking.WINDOW]
        docs = archive.get_many([h.id for h in top])
        derived = validity.statuses(docs.values(), as_of)
        titles = {i: d.title for i, d in docs.items()}
        ranked[: len(top)] = ranking.rerank(top, titles, derived, parsed, collapse=collapse)
    # (engine hit, partial, same title) in the order shown: every full match first.
    listed = [(r.hit, False, r.same_title) for r in ranked]
    relaxed_total = 0
    loose = relax(parsed, result.total) if relaxed else None
    if loose is not None:
        found = {h.id for h in result.hits}
        extra = engine.search(
            loose, filters=engine_filters, sort=sort, limit=offset + limit + len(found)
        )
        listed += [(h, True, 0) for h in extra.hits if h.id not in found]
        relaxed_total = max(extra.total - result.total, 0)
    page = listed[offset : offset + limit]
    missing = [h.id for h, _, _ in page if h.id not in docs]
    if missing:
        more = archive.get_many(missing)
        docs.update(more)
        derived.update(validity.statuses(more.values(), as_of))
    hits = _hits(archive, docs, derived, parsed, page)
    return SearchResult(result.total, hits, result.facets, bool(relaxed_total), relaxed_total)


def _hits(
    archive: Archive,
    docs: dict[str, Document],
    derived: dict[str, Status],
    parsed: ParsedQuery,
    page: list[tuple[EngineHit, bool, int]],
) -> list[Hit]:
    """The hits of one page, titles, snippets and statuses from the archive."""
    briefs = cluster_briefs(archive, [h.id for h, _, _ in page if h.id in docs])
    hits = []
    for engine_hit, partial, same_title in page:
        doc = docs.get(engine_hit.id)
        if doc is None:  # index ahead of archive: never show what the archive lacks
            continue
        snip = snippet(doc.text, parsed)
        status = derived[doc.id]
        hits.append(
            Hit(
                id=doc.id,
                title=doc.title,
                doc_number=doc.doc_number,
                index_number=doc.index_number,
                agency=doc.agency,
                date_issued=doc.date_issued,
                validity=status.validity,
                kind=doc.kind,
                source=doc.source_name,
                score=engine_hit.score,
                snippet=snip.text,
                highlights=[[s, e] for s, e in snip.spans],
                title_highlights=[[s, e] for s, e in title_spans(doc.title, parsed).spans],
                status=status,
                cluster=with_version(briefs[doc.id], status),
                partial=partial,
                same_title=same_title,
            )
        )
    return hits
