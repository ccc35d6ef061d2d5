"""Search: the engine finds ids and scores; the archive gives every hit its title, snippet,
highlights, status and cluster. The result is data — the web app and the CLI render it
(``search_app.filters`` marks highlights in HTML, the CLI in brackets). With a synonyms table
the query's synonym terms also search their group's other terms, and the result says which
(:attr:`SearchResult.expansions`). Question and filler words (还有效吗, 最新 …) are not required
(:mod:`indexer.question`); with ``explain``, every hit says why it ranks where it does
(:mod:`indexer.explain`).

Given the archive's vocabulary (:mod:`indexer.vocabulary`), a quoted phrase may begin or end
inside a word (:func:`indexer.query.cut_phrases`); unless ``exact``, a search also reads pinyin
words (:mod:`indexer.pinyin_query`) and corrects typos (:mod:`indexer.spelling`): a corrected
query that finds more is offered as ``suggestion``; when the query as typed finds nothing, the
corrected one is run at once and the result says so (``corrected``, ``original_query``).

Two steps sit between the engine and the hits, the same for every engine: the top of a
relevance ranking is re-ranked with what the archive knows (:mod:`indexer.ranking`: exact
title, version in force, one line per title), and a query whose every word finds fewer than
:data:`~indexer.relaxed.RELAX_BELOW` documents is followed by partial matches
(:mod:`indexer.relaxed`), each flagged ``partial`` and listed after every full match."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from archive import Archive, Document
from archive.clusters import cluster_briefs_read
from archive.reads import read_together
from archive.validity import ReadFacts, Status
from archive.withdrawals import withdrawn_ids
from indexer import question, ranking
from indexer.engines.base import Engine, EngineHit, Filters
from indexer.highlight import snippet, title_spans
from indexer.pinyin_query import expand
from indexer.query import Expansion, ParsedQuery, cut_phrases, parse
from indexer.relaxed import RELAX_BELOW, relax
from indexer.row_cache import RowCache
from indexer.spelling import correct
from indexer.synonyms import load as load_synonyms
from indexer.validity_view import ValidityView
from indexer.vocabulary import Vocabulary

if TYPE_CHECKING:
    from indexer.synonyms import Synonyms

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
    doc_type: str = ""  # 法律, 规章 … (archive.vocab.DOC_TYPES); "" not yet typed
    #: Why the hit ranks here (indexer.explain), only when asked: [{"factor", "detail", …}]
    explanation: list[dict[str, object]] | None = None

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
            "doc_type": self.doc_type,
            "source": self.source,
            "score": round(self.score, 4),
            "snippet": self.snippet,
            "highlights": self.highlights,
            "status": self.status.to_dict() if self.status is not None else None,
            "cluster": self.cluster,
            "partial": self.partial,
            "same_title": self.same_title,
        } | ({"explanation": self.explanation} if self.explanation is not None else {})


@dataclass
class SearchResult:
    total: int
    hits: list[Hit]
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    #: Query terms that also searched other terms of their synonym group (公租房 → 公共租赁住房)
    expansions: list[Expansion] = field(default_factory=list)
    #: Question and filler words that were not required (还有效吗, 最新 …), and whether the
    #: query asked about validity: front ends then show the top hit's status first.
    ignored: list[str] = field(default_factory=list)
    validity_question: bool = False
    #: For a validity question, the top hit's status in one sentence (《…》现行有效).
    validity_answer: str = ""
    #: A corrected query that finds more ("" when none): "您是不是要找".
    suggestion: str = ""
    #: True when these are the results of ``suggestion``, because the query as typed found
    #: nothing; ``original_query`` is then the query as typed.
    corrected: bool = False
    original_query: str = ""
    #: Pinyin words of the query and the words they were read as ({"wygl": ["物业管理"]}).
    pinyin: dict[str, list[str]] = field(default_factory=dict)
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
        data["expansions"] = [e.to_dict() for e in self.expansions]
        data["ignored"] = list(self.ignored)
        data["validity_question"] = self.validity_question
        if self.validity_answer:
            data["validity_answer"] = self.validity_answer
        if self.suggestion:
            data["suggestion"] = self.suggestion
            data["corrected"] = self.corrected
        if self.corrected:
            data["original_query"] = self.original_query
        if self.pinyin:
            data["pinyin"] = self.pinyin
        return data


def with_version(
    brief: dict[str, list[str]], status: Status, hidden: frozenset[str] | set[str] = frozenset()
) -> dict[str, object]:
    """A hit's cluster brief: the ids of :func:`archive.clusters.cluster_briefs`, and the
    current version when the document has been superseded (unless it is ``hidden``:
    withdrawn from the public)."""
    cluster: dict[str, object] = dict(brief)
    if status.current_version and status.current_version not in hidden:
        cluster["current_version"] = status.current_version
    return cluster


def understood(
    query: str,
    synonyms: Synonyms | None,
    vocabulary: Vocabulary | None,
    *,
    exact: bool = False,
) -> tuple[ParsedQuery, dict[str, list[str]]]:
    """``query`` parsed as every search reads it: synonyms expanded; with a ``vocabulary``,
    quoted phrases cut inside words matched and, unless ``exact``, pinyin read (the pinyin
    readings are returned with it; a synonym term read searches its group as well)."""
    parsed = parse(query, synonyms)
    spelled: dict[str, list[str]] = {}
    if vocabulary is not None:
        parsed = cut_phrases(parsed, vocabulary)
        if not exact:
            parsed, spelled = expand(parsed, vocabulary, synonyms)
    return parsed, spelled


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
    facet_top: int | None = None,
    as_of: str | None = None,
    synonyms: Synonyms | None = None,
    vocabulary: Vocabulary | None = None,
    exact: bool = False,
    explain: bool = False,
    relaxed: bool = True,
    collapse: bool = True,
    rows: RowCache | None = None,
) -> SearchResult:
    """Search, then take titles and snippets from the archive. Raises QuerySyntaxError.

    Validity filters and the validity facet are judged on ``as_of`` (default today) by
    :class:`~indexer.validity_view.ValidityView`, and every hit carries its status on that
    date. With ``synonyms``, synonym terms are expanded (:func:`indexer.query.parse`). With a
    ``vocabulary``, quoted phrases may be cut inside words; and when not ``exact``, pinyin is
    read and typos corrected (see the module
    docstring). With ``explain``, each hit gets its :attr:`Hit.explanation`. ``relaxed`` adds
    partial matches when full ones are few; ``collapse`` groups the documents of one title
    under the leading one (:mod:`indexer.ranking`). ``rows`` remembers the documents read
    (:mod:`indexer.row_cache`). ``facet_top``: a page shows only so many values of the
    facets with many (:data:`~indexer.engines.base.TOP_FACETS`), the engine may leave out
    the others."""
    parsed, spelled = understood(query, synonyms, vocabulary, exact=exact)
    options = (filters, sort, limit, offset, facets, as_of)
    how = _How(explain, relaxed, collapse, rows, facet_top)
    result = _run(archive, engine, validity, parsed, *options, how)
    result.pinyin = spelled
    if vocabulary is None or exact or (result.total and offset):
        return result
    fix = correct(query, vocabulary, synonyms or load_synonyms())
    if fix is None:
        return result
    fixed, fixed_spelled = understood(fix.query, synonyms, vocabulary)
    if result.total:
        # Only a count: the corrected results are not shown.
        count = _How(relaxed=False, collapse=False, rows=rows)
        better = _run(archive, engine, validity, fixed, filters, sort, 1, 0, False, as_of, count)
        if better.total > result.total:
            result.suggestion = fix.query
        return result
    better = _run(archive, engine, validity, fixed, *options, how)
    if not better.total:
        return result
    better.suggestion, better.corrected, better.original_query = fix.query, True, query
    better.pinyin = fixed_spelled
    return better


@dataclass(frozen=True)
class _How:
    """How one engine search is turned into hits (see :func:`search`)."""

    explain: bool = False
    relaxed: bool = True
    collapse: bool = True
    rows: RowCache | None = None  # where the hits' documents are read (else the archive)
    facet_top: int | None = None  # the facets of many values: their most frequent only


def _run(
    archive: Archive,
    engine: Engine,
    validity: ValidityView,
    parsed: ParsedQuery,
    filters: Filters | None,
    sort: str,
    limit: int,
    offset: int,
    facets: bool,
    as_of: str | None,
    how: _How,
) -> SearchResult:
    engine_filters = validity.engine_filters(filters, as_of, engine)
    get_many = how.rows.get_many if how.rows is not None else archive.get_many
    rerank = sort == "relevance" and not parsed.is_empty
    wanted = max(offset + limit, RELAX_BELOW, ranking.WINDOW if rerank else 0)
    result = engine.search(
        parsed,
        filters=engine_filters,
        sort=sort,
        limit=wanted,
        facets=facets,
        facet_top=how.facet_top,
    )
    if facets and "validity" in result.facets:
        result.facets["validity"] = validity.facet(
            engine, parsed, engine_filters, as_of, result.facets["validity"]
        )
    docs: dict[str, Document] = {}
    derived: dict[str, Status] = {}
    ranked = [ranking.Ranked(h) for h in result.hits]
    read_documents = how.rows.documents_read if how.rows is not None else archive.documents_read
    if rerank:  # the first WINDOW hits, the same on every page; the rest in engine order
        top = result.hits[: ranking.WINDOW]
        # their rows (texts: the page's, below) and the facts of their statuses not known:
        # one round trip on PostgreSQL
        ids = [h.id for h in top]
        unknown, facts = validity.facts_ahead(ids, as_of)
        docs, *answers = read_together(archive.conn, [read_documents(ids, text=False), *facts])
        ahead = ReadFacts(frozenset(unknown), answers) if unknown else None
        derived = validity.statuses(docs.values(), as_of, ahead)
        titles = {i: d.title for i, d in docs.items()}
        ranked[: len(top)] = ranking.rerank(top, titles, derived, parsed, collapse=how.collapse)
    # (engine hit, partial, same title) in the order shown: every full match first.
    listed = [(r.hit, False, r.same_title) for r in ranked]
    relaxed_total = 0
    loose = relax(parsed, result.total) if how.relaxed else None
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
        more = get_many(missing)
        docs.update(more)
        derived.update(validity.statuses(more.values(), as_of))
    # the page's texts (for snippets) where they were left out, and its clusters' briefs:
    # one round trip on PostgreSQL
    shown = [h.id for h, _, _ in page if h.id in docs]
    untexted = [i for i in shown if i not in missing] if rerank else []
    texts, briefs = read_together(
        archive.conn, [read_documents(untexted), cluster_briefs_read(archive, shown)]
    )
    docs.update(texts)
    hits = _hits(archive, docs, derived, briefs, parsed, page)
    if how.explain:  # off the normal path: it segments each hit's text again
        from indexer.explain import explain_hits

        explain_hits(hits, docs, parsed, engine.name, sort=sort)
    answer = ""
    if parsed.validity_question and hits and not offset:
        answer = question.answer_for(archive, hits[0].title, hits[0].status)
    return SearchResult(
        result.total,
        hits,
        result.facets,
        list(parsed.expansions),
        ignored=list(parsed.ignored),
        validity_question=parsed.validity_question,
        validity_answer=answer,
        relaxed=bool(relaxed_total),
        relaxed_total=relaxed_total,
    )


def matching_ids(
    engine: Engine,
    validity: ValidityView,
    query: str,
    *,
    filters: Filters | None,
    as_of: str | None = None,
    synonyms: Synonyms | None = None,
    vocabulary: Vocabulary | None = None,
    limit: int,
) -> list[str]:
    """The ids of the documents ``query`` matches as :func:`search` reads it (synonyms,
    phrases cut inside words, pinyin), newest first, without ranking, snippets or the
    archive: what a followed search needs to know of its many matches."""
    parsed, _ = understood(query, synonyms, vocabulary)
    found = engine.search(
        parsed, filters=validity.engine_filters(filters, as_of, engine), sort="newest", limit=limit
    )
    return [hit.id for hit in found.hits]


def _hits(
    archive: Archive,
    docs: dict[str, Document],
    derived: dict[str, Status],
    briefs: dict[str, dict[str, list[str]]],
    parsed: ParsedQuery,
    page: list[tuple[EngineHit, bool, int]],
) -> list[Hit]:
    """The hits of one page: titles, snippets, statuses and ``briefs``
    (:func:`archive.clusters.cluster_briefs`) from the archive."""
    hidden = withdrawn_ids(archive)  # a hit never points at a withdrawn document
    if hidden:
        briefs = {
            doc_id: {part: [i for i in ids if i not in hidden] for part, ids in brief.items()}
            for doc_id, brief in briefs.items()
        }
        briefs = {d: {p: ids for p, ids in b.items() if ids} for d, b in briefs.items()}
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
                doc_type=doc.doc_type,
                source=doc.source_name,
                score=engine_hit.score,
                snippet=snip.text,
                highlights=[[s, e] for s, e in snip.spans],
                title_highlights=[[s, e] for s, e in title_spans(doc.title, parsed).spans],
                status=status,
                cluster=with_version(briefs[doc.id], status, hidden),
                partial=partial,
                same_title=same_title,
            )
        )
    return hits


def suggestion_lines(result: SearchResult) -> list[str]:
    """What a text front end says above the hits: the pinyin read, a correction made or
    suggested (the CLI prints these; the web page has its own wording with links)."""
    lines = [f"拼音 {latin}：{'、'.join(words)}" for latin, words in result.pinyin.items()]
    if result.corrected:
        lines.append(
            f"以下是 {result.suggestion} 的结果；仍然搜索 {result.original_query}："
            f"加 --exact（showing results for the corrected query; --exact searches as typed）"
        )
    elif result.suggestion:
        lines.append(f"您是不是要找：{result.suggestion}（did you mean）")
    return lines
