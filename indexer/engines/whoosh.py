"""The default engine: a Whoosh index on disk, inside the data directory; no server.

Text fields are segmented by :mod:`indexer.analysis` (word positions, sub-words at their
parent's position), 文号 and 索引号 are exact keyword fields, and the facet fields are sortable
columns. Stored fields are only the id and its revision: everything shown comes from the archive.

Quoted phrases cut inside a word are matched through their word-level variants
(:func:`indexer.query.cut_phrases`); an index made while main still had character bigram fields
(``title_chars``, ``body_chars``) keeps working, those fields unused until a reindex drops them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from whoosh import fields as wf
from whoosh import index as windex
from whoosh import query as wq
from whoosh import sorting
from whoosh.analysis import Token as WhooshToken
from whoosh.analysis import Tokenizer
from whoosh.filedb.filestore import FileStorage
from whoosh.searching import Searcher

from indexer import analysis
from indexer.engines import spans, whoosh_files
from indexer.engines.base import (
    FACET_FIELDS,
    EngineHit,
    EngineResult,
    Filters,
    IndexDoc,
    reads_index,
)
from indexer.normalize import doc_number_suffix
from indexer.query import Match, ParsedQuery, Word, doc_number_terms

whoosh_files.install()

TITLE_BOOST = 3.0
EXACT_BOOST = 50.0
PROXIMITY_BOOST = 2.0
WRITER_WAIT = 30.0  # seconds to wait for another process's writer (a killed import's) to finish


class GongkaiTokenizer(Tokenizer):
    """Whoosh face of :func:`indexer.analysis.tokenize` (index mode)."""

    def __call__(self, value, positions=False, chars=False, mode="", **kwargs):
        token = WhooshToken(positions, chars, **kwargs)
        for tok in analysis.tokenize(value, index=(mode == "index")):
            token.text = token.original = tok.text
            token.pos = tok.pos
            token.startchar, token.endchar = tok.start, tok.end
            token.boost = 1.0
            token.stopped = False
            yield token


class SegmentedText(wf.TEXT):
    """A TEXT field indexed from :func:`indexer.analysis.term_positions`.

    It builds the postings straight from the term → positions map, without Whoosh's per-token
    objects; the value may be the text or an already computed map (segmented in a worker).
    """

    def index(self, value, **kwargs):
        positions: Mapping[str, list[int]]
        positions = analysis.term_positions(value) if isinstance(value, str) else value
        encode = self.format.encode
        boost = self.format.field_boost
        for term, poslist in positions.items():
            yield term.encode("utf-8"), len(poslist), len(poslist) * boost, encode(poslist)


def _schema() -> wf.Schema:
    analyzer = GongkaiTokenizer()
    span_fields: dict[str, wf.FieldType] = {}
    for slot in range(spans.SLOTS):
        start, end, validity = spans.field_names(slot)
        # Signed: Whoosh's ranges over unsigned numbers match everything below and above.
        span_fields[start] = wf.NUMERIC(int, bits=32)
        span_fields[end] = wf.NUMERIC(int, bits=32)
        span_fields[validity] = wf.ID()
    return wf.Schema(
        **span_fields,
        id=wf.ID(stored=True, unique=True),
        rev=wf.STORED(),
        title=SegmentedText(analyzer=analyzer, phrase=True, field_boost=TITLE_BOOST),
        body=SegmentedText(analyzer=analyzer, phrase=True),
        doc_number=wf.KEYWORD(commas=True),
        index_number=wf.ID(),
        agency=wf.ID(sortable=True),
        category=wf.KEYWORD(commas=True, sortable=True),
        kind=wf.ID(sortable=True),
        doc_type=wf.ID(sortable=True),
        validity=wf.ID(sortable=True),
        year=wf.NUMERIC(int, sortable=True, signed=False),
        date_issued=wf.ID(sortable=True),
    )


def _word_query(fieldname: str, word: Word) -> wq.Query:
    options: list[wq.Query] = []
    for alt in word.alternatives:
        if len(alt) == 1:
            options.append(wq.Term(fieldname, alt[0]))
        else:
            options.append(wq.Phrase(fieldname, list(alt)))
    return options[0] if len(options) == 1 else wq.Or(options)


def _sequence(fieldname: str, words: tuple[Word, ...]) -> wq.Query:
    if len(words) == 1:
        return _word_query(fieldname, words[0])
    if all(len(w.alternatives) == 1 and len(w.alternatives[0]) == 1 for w in words):
        return wq.Phrase(fieldname, [w.alternatives[0][0] for w in words])
    return wq.Sequence([_word_query(fieldname, w) for w in words])


def _match_query(match: Match) -> wq.Query:
    if match.phrase:
        text_query = wq.Or([_sequence(f, match.words) for f in match.fields])
    else:
        each = wq.And([wq.Or([_word_query(f, w) for f in match.fields]) for w in match.words])
        # The proximity boost uses each word as the query cut it (a plain Phrase): span
        # queries over every alternative cost more than the boost is worth.
        near = wq.Or([wq.Phrase(f, [w.text for w in match.words]) for f in match.fields])
        text_query = wq.AndMaybe(each, near.with_boost(PROXIMITY_BOOST))
    exact: list[wq.Query] = []
    if match.doc_number:
        exact = [wq.Term("doc_number", t) for t in doc_number_terms(match)]
    elif match.index_number:
        exact = [wq.Term("index_number", match.index_number)]
    if exact:
        return wq.Or([q.with_boost(EXACT_BOOST) for q in exact] + [text_query])
    return text_query


def compile_query(parsed: ParsedQuery) -> wq.Query:
    """Translate a parsed query into a Whoosh query."""
    positive: list[wq.Query] = []
    negative: list[wq.Query] = []
    for clause in parsed.clauses:
        options = [_match_query(m) for m in clause.options]
        q = options[0] if len(options) == 1 else wq.Or(options)
        (negative if clause.negated else positive).append(q)
    base: wq.Query = wq.And(positive) if positive else wq.Every()
    if len(positive) == 1:
        base = positive[0]
    if negative:
        # Not AndNot: whoosh's AndNotMatcher keeps a document when the excluded postings
        # start before it (excluded [5, 6], wanted [6] → 6 kept); And with Not is right.
        return wq.And([base, wq.Not(wq.Or(negative))])
    return base


def compile_filters(filters: Filters | None) -> wq.Query | None:
    """The field restrictions as a Whoosh query; ``filters.ids`` is applied separately, as a
    set of document numbers (an OR of thousands of id terms is slow)."""
    if filters is None or filters.is_empty():
        return None
    parts: list[wq.Query] = []
    for name in ("agency", "kind", "doc_type"):
        values = getattr(filters, name)
        if values:
            parts.append(wq.Or([wq.Term(name, v) for v in values]))
    if filters.validity:
        parts.append(_validity_filter(filters))
    if filters.category:
        parts.append(wq.Or([wq.Term("category", v) for v in filters.category]))
    if filters.year:
        parts.append(wq.Or([wq.NumericRange("year", y, y) for y in filters.year]))
    if filters.date_from or filters.date_to:
        parts.append(
            wq.TermRange("date_issued", filters.date_from or None, filters.date_to or None)
        )
    if not parts:
        return None
    return wq.And(parts) if len(parts) > 1 else parts[0]


def _validity_filter(filters: Filters) -> wq.Query:
    """The validity filter: the stored field, or on ``filters.validity_on`` the spans."""
    if not filters.validity_on:
        return wq.Or([wq.Term("validity", v) for v in filters.validity])
    day = filters.validity_on
    options: list[wq.Query] = []
    for slot in range(spans.SLOTS):
        start, end, validity = spans.field_names(slot)
        options.append(
            wq.And(
                [
                    wq.NumericRange(start, None, day),
                    wq.NumericRange(end, day + 1, None),
                    wq.Or([wq.Term(validity, v) for v in filters.validity]),
                ]
            )
        )
    options += [wq.Term("id", i) for i in sorted(filters.validity_also)]
    return wq.Or(options)


#: What a sortable column holds for a document without the field: an empty string, or for the
#: unsigned ``year`` column its largest value. Not a facet value.
_NO_VALUE = (None, "", b"", 2**32 - 1)


class WhooshEngine:
    name = "whoosh"

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        storage = FileStorage(str(self.path))  # mapped, read in place (whoosh_files)
        if windex.exists_in(str(self.path)):
            self._ix = storage.open_index()
        else:
            self._ix = storage.create_index(_schema())
        # An index made before the document type has no type facet (a type filter finds nothing).
        self._facets = tuple(n for n in FACET_FIELDS if n in self._ix.schema)
        self.timeline = spans.field_names(0)[0] in self._ix.schema
        self._searcher = None
        self._docnums: tuple[object, dict[str, int]] | None = None  # (searcher, id → docnum)

    # -- writing ---------------------------------------------------------------------------

    def add(self, docs: Iterable[IndexDoc]) -> int:
        count = 0
        writer = self._ix.writer(limitmb=256, timeout=WRITER_WAIT)
        try:
            for doc in docs:
                fields = _fields(doc)
                if "doc_type" not in self._facets:
                    fields.pop("doc_type", None)
                if self.timeline:
                    fields.update(_span_fields(doc))
                writer.update_document(**fields)
                count += 1
        except BaseException:
            writer.cancel()
            raise
        writer.commit()
        return count

    def delete(self, ids: Iterable[str]) -> int:
        ids = list(ids)
        if not ids:
            return 0
        writer = self._ix.writer(timeout=WRITER_WAIT)
        for doc_id in ids:
            writer.delete_by_term("id", doc_id)
        writer.commit()
        return len(ids)

    def clear(self) -> None:
        self.close()
        storage = FileStorage(str(self.path))
        self._ix = storage.create_index(_schema())
        self._facets = FACET_FIELDS
        self.timeline = True

    # -- reading ---------------------------------------------------------------------------

    def _current_searcher(self):
        # Searcher.refresh() fails in Whoosh when reusing a single-segment reader, so a stale
        # searcher is replaced rather than refreshed.
        if self._searcher is not None and not self._searcher.up_to_date():
            self._searcher.close()
            self._searcher = None
        if self._searcher is None:
            self._searcher = self._ix.searcher()
        return self._searcher

    def _filter(self, searcher: Searcher, filters: Filters | None) -> wq.Query | set[int] | None:
        """A Whoosh filter: a set of document numbers (or None: no filter). A query is turned
        into its set here, as Whoosh would do anyway: Whoosh's count takes an empty filter
        set for no filter at all, so an empty one is answered by the caller."""
        query = compile_filters(filters)
        if filters is None or filters.ids is None:
            return None if query is None else set(searcher.docs_for_query(query))
        if self._docnums is None or self._docnums[0] is not searcher:
            mapping = {
                fields["id"]: docnum
                for docnum, fields in searcher.reader().iter_docs()  # live docs only
            }
            self._docnums = (searcher, mapping)
        mapping = self._docnums[1]
        allowed = {mapping[i] for i in filters.ids if i in mapping}
        if query is not None and allowed:
            allowed &= set(searcher.docs_for_query(query))
        return allowed

    @staticmethod
    def _dates(searcher, docnums: list[int]) -> list[str]:
        if not docnums:  # an empty index's reader has no columns at all
            return []
        column = searcher.reader().column_reader("date_issued")
        return [column[d] or "" for d in docnums]

    @reads_index
    def term_counts(self, field: str, min_count: int = 1) -> dict[str, int]:
        # Segment by segment: the merged reader looks every term up in every segment.
        counts: dict[str, int] = {}
        for leaf, _ in self._current_searcher().reader().leaf_readers():
            for term, info in leaf.iter_field(field):
                key = term.decode("utf-8")
                counts[key] = counts.get(key, 0) + info.doc_frequency()
        return {term: n for term, n in counts.items() if n >= min_count}

    @reads_index
    def revisions(self) -> dict[str, int]:
        searcher = self._current_searcher()
        return {f["id"]: f.get("rev", 0) for f in searcher.all_stored_fields()}

    @reads_index
    def search(
        self,
        query: ParsedQuery,
        *,
        filters: Filters | None = None,
        sort: str = "relevance",
        limit: int = 10,
        offset: int = 0,
        facets: bool = False,
        facet_top: int | None = None,  # every value is counted at no extra cost: all given
    ) -> EngineResult:
        searcher = self._current_searcher()
        wquery = compile_query(query)
        sortedby = None
        if sort in ("newest", "oldest"):
            sortedby = sorting.FieldFacet("date_issued", reverse=(sort == "newest"))
        groupedby = None
        if facets:
            groupedby = {
                name: sorting.FieldFacet(name, allow_overlap=(name == "category"))
                for name in self._facets
            }
        allowed = self._filter(searcher, filters)
        if isinstance(allowed, set) and not allowed:
            return EngineResult(
                total=0, hits=[], facets={n: {} for n in FACET_FIELDS} if facets else {}
            )
        results = searcher.search(
            wquery,
            limit=max(offset + limit, 1),
            filter=allowed,
            sortedby=sortedby,
            groupedby=groupedby,
            maptype=sorting.Count if facets else None,
            terms=False,
        )
        docnums = [docnum for _, docnum in results.top_n]
        ids = [searcher.stored_fields(d)["id"] for d in docnums]
        if sortedby is None:
            scores = [float(score or 0.0) for score, _ in results.top_n]
            dates = self._dates(searcher, docnums)
            order = sorted(range(len(ids)), key=lambda i: dates[i], reverse=True)
            order.sort(key=lambda i: -round(scores[i], 6))  # stable: newer first on equal scores
        else:
            scores = [0.0] * len(ids)
            order = list(range(len(ids)))
        ranked = [(ids[i], scores[i]) for i in order]
        hits = [EngineHit(doc_id, score) for doc_id, score in ranked[offset : offset + limit]]
        facet_counts: dict[str, dict[str, int]] = {}
        if facets:
            for name in FACET_FIELDS:
                if name not in self._facets:
                    facet_counts[name] = {}
                    continue
                groups = results.groups(name)
                facet_counts[name] = {
                    str(k): int(v) for k, v in groups.items() if k not in _NO_VALUE
                }
        return EngineResult(total=len(results), hits=hits, facets=facet_counts)

    def refresh(self) -> None:
        # Nothing to do: every search checks that its searcher is up to date.
        pass

    def close(self) -> None:
        if self._searcher is not None:
            self._searcher.close()
            self._searcher = None
        self._ix.close()


def _fields(doc: IndexDoc) -> dict[str, object]:
    fields: dict[str, object] = {
        "id": doc.id,
        "rev": doc.rev,
        # SegmentedText takes the text, or its term positions when a worker segmented it.
        "title": doc.title if doc.title_terms is None else doc.title_terms,
        "body": doc.body if doc.body_terms is None else doc.body_terms,
        "agency": doc.agency,
        "kind": doc.kind,
        "validity": doc.validity,
        "date_issued": doc.date_issued,
    }
    if doc.doc_number:
        suffix = doc_number_suffix(doc.doc_number)
        fields["doc_number"] = ",".join(dict.fromkeys([doc.doc_number, suffix]))
    if doc.index_number:
        fields["index_number"] = doc.index_number
    if doc.categories:
        fields["category"] = ",".join(doc.categories)
    if doc.year is not None:
        fields["year"] = doc.year
    if doc.doc_type:
        fields["doc_type"] = doc.doc_type
    return fields


def _span_fields(doc: IndexDoc) -> dict[str, object]:
    fields: dict[str, object] = {}
    for slot, (first, end, validity) in enumerate(spans.stored_spans(doc.spans)):
        names = spans.field_names(slot)
        fields.update(zip(names, (first, end, validity), strict=True))
    return fields


__all__ = ["WhooshEngine", "compile_query"]
