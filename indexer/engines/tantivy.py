"""The engine for large archives: a tantivy index on disk (the Rust engine, through its Python
binding), inside the data directory; no server.

Text is segmented by :mod:`indexer.analysis`, exactly as for Whoosh, and handed to tantivy
pre-segmented (``PreTokenizedString``): precise-mode words at sequential positions and the
sub-words of long words at their parent's position, so phrases, alternatives and the 文号 rules
behave as they do on Whoosh. Queries are compiled from the same :class:`ParsedQuery`:

* a query word with alternatives (政务公开 or 政务 公开) is an OR of a term and a phrase;
* a sequence of words (a quoted phrase, or the proximity bonus) is an OR of phrases, one per
  combination of the words' alternatives, with at most :data:`MAX_PHRASE_VARIANTS` of them
  (the first combinations, the one made of the words themselves first); a word's one-term
  alternatives take one place of the phrase together (a regex phrase whose place is an
  alternation of the literal terms), so the many terms a cut phrase's edge word may be
  (:func:`indexer.query.cut_phrases`) cost one phrase, not one each;
* title matches are boosted ×3, a 文号/索引号 matched in its exact field ×50, and words found
  next to each other (as the query cut them) ×2, as on Whoosh; exclusions, OR, ``title:`` work
  the same;
* filters never change scores; equal scores list the newer document first.

Facet fields and the date are fast fields (columns); facets are tantivy terms aggregations over
the same query. Stored fields are only the id and its revision: everything shown comes from the
archive.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import shutil
import time
from collections.abc import Iterable, Mapping
from pathlib import Path

import tantivy

from archive.errors import IndexDamagedError
from archive.sharing import SHARED_FILE_MODE, is_shared
from indexer import analysis
from indexer.engines import spans
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

TITLE_BOOST = 3.0
EXACT_BOOST = 50.0
PROXIMITY_BOOST = 2.0
MAX_PHRASE_VARIANTS = 16  # combinations of word alternatives tried for one phrase
MAX_FACET_VALUES = 10_000  # distinct values reported per facet
WRITER_HEAP = 128_000_000
#: One indexing thread: the writer is fed by Python (token objects) slower than one thread
#: indexes, and on a small machine more threads only compete with the import for the CPU.
WRITER_THREADS = 1
WRITER_WAIT = 30.0  # seconds to wait for another process's writer to finish
#: 2: the character bigram fields; 3: the document type (doc_type); 4: without the bigram
#: fields again (cut phrases by word edges); 5: validity spans (:mod:`.spans`).
SCHEMA_VERSION = "5"
#: Layouts still read as they are: 4 has no validity spans (as-of searches ask the archive
#: until a reindex).
READABLE_SCHEMAS = ("4", SCHEMA_VERSION)
#: Layouts with validity spans.
SPAN_SCHEMAS = ("5",)

Q = tantivy.Query
_DATE = re.compile(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?")


def date_key(value: str) -> int:
    """A date (YYYY-MM-DD, YYYY-MM or YYYY) as an ordered number YYYYMMDD; 0 when absent.

    Missing month or day count as 00, so the order is that of the strings Whoosh compares.
    """
    m = _DATE.match(value or "")
    if not m:
        return 0
    return int(m.group(1) + (m.group(2) or "00") + (m.group(3) or "00"))


def _schema() -> tantivy.Schema:
    sb = tantivy.SchemaBuilder()
    sb.add_text_field("id", stored=True, tokenizer_name="raw", index_option="basic")
    sb.add_unsigned_field("rev", stored=True)
    # Pre-segmented text: the tokenizer name only tells tantivy not to touch query terms.
    sb.add_text_field("title", tokenizer_name="raw", index_option="position")
    sb.add_text_field("body", tokenizer_name="raw", index_option="position")
    sb.add_text_field("doc_number", tokenizer_name="raw", index_option="basic")
    sb.add_text_field("index_number", tokenizer_name="raw", index_option="basic")
    for name in ("agency", "category", "kind", "doc_type", "validity"):
        sb.add_text_field(name, tokenizer_name="raw", index_option="basic", fast=True)
    sb.add_unsigned_field("year", indexed=True, fast=True)
    sb.add_unsigned_field("date", indexed=True, fast=True)
    for slot in range(spans.SLOTS):
        start, end, validity = spans.field_names(slot)
        sb.add_unsigned_field(start, indexed=True, fast=True)
        sb.add_unsigned_field(end, indexed=True, fast=True)
        sb.add_text_field(validity, tokenizer_name="raw", index_option="basic")
    return sb.build()


def segmented(
    text: str, terms: Mapping[str, list[int]] | None = None
) -> tantivy.PreTokenizedString:
    """``text`` cut by our analyzer (index mode: :func:`indexer.analysis.term_positions`,
    unless ``terms`` already holds them), as tantivy takes it. Tokens come term by term (each
    term's positions ascending), which is all the postings need; offsets are not indexed, so
    the text and offsets are left empty."""
    words, positions = analysis.flat_positions(
        analysis.term_positions(text) if terms is None else terms
    )
    zeros = itertools.repeat(0)
    return tantivy.PreTokenizedString("", list(map(tantivy.Token, words, positions, zeros, zeros)))


def to_document(doc: IndexDoc, timeline: bool = True) -> tantivy.Document:
    """The tantivy document for ``doc``; empty values are left out (no facet value ""). The
    validity spans only where the index has their fields (``timeline``)."""
    d = tantivy.Document()
    d.add_text("id", doc.id)
    d.add_unsigned("rev", doc.rev)
    d.add_pre_tokenized_text("title", segmented(doc.title, doc.title_terms))
    d.add_pre_tokenized_text("body", segmented(doc.body, doc.body_terms))
    if doc.doc_number:
        for term in dict.fromkeys([doc.doc_number, doc_number_suffix(doc.doc_number)]):
            d.add_text("doc_number", term)
    if doc.index_number:
        d.add_text("index_number", doc.index_number)
    for name, value in (
        ("agency", doc.agency),
        ("kind", doc.kind),
        ("doc_type", doc.doc_type),
        ("validity", doc.validity),
    ):
        if value:
            d.add_text(name, value)
    for category in dict.fromkeys(doc.categories):
        if category:
            d.add_text("category", category)
    if doc.year is not None:
        d.add_unsigned("year", doc.year)
    d.add_unsigned("date", date_key(doc.date_issued))
    if timeline:
        for slot, (first, end, validity) in enumerate(spans.stored_spans(doc.spans)):
            names = spans.field_names(slot)
            d.add_unsigned(names[0], first)
            d.add_unsigned(names[1], end)
            d.add_text(names[2], validity)
    return d


# -- query compilation --------------------------------------------------------------------


def _any(queries: list[tantivy.Query]) -> tantivy.Query:
    if len(queries) == 1:
        return queries[0]
    return Q.boolean_query([(tantivy.Occur.Should, q) for q in queries])


def _all(queries: list[tantivy.Query]) -> tantivy.Query:
    if len(queries) == 1:
        return queries[0]
    return Q.boolean_query([(tantivy.Occur.Must, q) for q in queries])


_REGEX_SPECIAL = frozenset("\\.+*?()|[]{}^$#&-~")


def _literal(term: str) -> str:
    """``term`` as a regular expression matching just it (tantivy's regex syntax)."""
    return "".join("\\" + ch if ch in _REGEX_SPECIAL else ch for ch in term)


def _choices(word: Word) -> list[tuple[list[str], ...]]:
    """The ways ``word`` may fill a phrase, each as its places' terms: all its one-term
    alternatives in one place, then each longer alternative (one term a place)."""
    single = [alt[0] for alt in word.alternatives if len(alt) == 1]
    choices: list[tuple[list[str], ...]] = [(single,)] if single else []
    choices += [tuple([t] for t in alt) for alt in word.alternatives if len(alt) > 1]
    return choices


class _Compiler:
    def __init__(self, schema: tantivy.Schema) -> None:
        self.schema = schema

    def _field(self, fieldname: str, query: tantivy.Query) -> tantivy.Query:
        return Q.boost_query(query, TITLE_BOOST) if fieldname == "title" else query

    def _tokens(self, fieldname: str, tokens: tuple[str, ...]) -> tantivy.Query:
        if len(tokens) == 1:
            return Q.term_query(self.schema, fieldname, tokens[0])
        return Q.phrase_query(self.schema, fieldname, list(tokens))

    def word(self, fieldname: str, word: Word) -> tantivy.Query:
        """Any of the word's alternatives (a term, or a phrase of its sub-words)."""
        return self._field(
            fieldname, _any([self._tokens(fieldname, alt) for alt in word.alternatives])
        )

    def _places(self, fieldname: str, places: list[list[str]]) -> tantivy.Query:
        """A phrase whose each place is any of its terms."""
        if all(len(terms) == 1 for terms in places):
            return self._tokens(fieldname, tuple(terms[0] for terms in places))
        patterns: list[str | tuple[int, str]] = ["|".join(map(_literal, t)) for t in places]
        return Q.regex_phrase_query(self.schema, fieldname, patterns)

    def sequence(self, fieldname: str, words: tuple[Word, ...]) -> tantivy.Query:
        """The words adjacent and in order, each as any of its alternatives."""
        if len(words) == 1:
            return self.word(fieldname, words[0])
        variants = itertools.islice(
            itertools.product(*(_choices(w) for w in words)), MAX_PHRASE_VARIANTS
        )
        phrases = [
            self._places(fieldname, [place for choice in combo for place in choice])
            for combo in variants
        ]
        return self._field(fieldname, _any(phrases))

    def match(self, match: Match) -> tantivy.Query:
        if match.phrase:
            text_query = _any([self.sequence(f, match.words) for f in match.fields])
        else:
            each = _all([_any([self.word(f, w) for f in match.fields]) for w in match.words])
            # As on Whoosh, the proximity boost is a plain phrase of the words as the query
            # cut them, not every combination of their alternatives.
            plain = tuple(w.text for w in match.words)
            near = _any([self._field(f, self._tokens(f, plain)) for f in match.fields])
            text_query = Q.boolean_query(
                [
                    (tantivy.Occur.Must, each),
                    (tantivy.Occur.Should, Q.boost_query(near, PROXIMITY_BOOST)),
                ]
            )
        exact: list[tantivy.Query] = []
        if match.doc_number:
            exact = [Q.term_query(self.schema, "doc_number", t) for t in doc_number_terms(match)]
        elif match.index_number:
            exact = [Q.term_query(self.schema, "index_number", match.index_number)]
        if exact:
            return _any([Q.boost_query(q, EXACT_BOOST) for q in exact] + [text_query])
        return text_query

    def query(self, parsed: ParsedQuery) -> tantivy.Query:
        positive: list[tantivy.Query] = []
        negative: list[tantivy.Query] = []
        for clause in parsed.clauses:
            q = _any([self.match(m) for m in clause.options])
            (negative if clause.negated else positive).append(q)
        base = _all(positive) if positive else Q.all_query()
        if negative:
            return Q.boolean_query(
                [(tantivy.Occur.Must, base), (tantivy.Occur.MustNot, _any(negative))]
            )
        return base

    def filters(self, filters: Filters | None) -> tantivy.Query | None:
        if filters is None or filters.is_empty():
            return None
        parts: list[tantivy.Query] = []
        for name in ("agency", "category", "kind", "doc_type"):
            values = getattr(filters, name)
            if values:
                parts.append(Q.term_set_query(self.schema, name, list(values)))
        if filters.validity:
            parts.append(self._validity(filters))
        if filters.year:
            parts.append(_any([Q.term_query(self.schema, "year", int(y)) for y in filters.year]))
        if filters.date_from or filters.date_to:
            lower = max(date_key(filters.date_from), 1)  # a document without a date never
            upper = date_key(filters.date_to) if filters.date_to else None  # matches a range
            parts.append(
                Q.range_query(self.schema, "date", tantivy.FieldType.Unsigned, lower, upper)
            )
        if filters.ids is not None:
            ids = sorted(filters.ids)
            parts.append(Q.term_set_query(self.schema, "id", ids) if ids else Q.empty_query())
        return _all(parts)

    def _validity(self, filters: Filters) -> tantivy.Query:
        """The validity filter: the stored field, or on ``filters.validity_on`` the spans."""
        values = list(filters.validity)
        if not filters.validity_on:
            return Q.term_set_query(self.schema, "validity", values)
        day, unsigned = filters.validity_on, tantivy.FieldType.Unsigned
        options = []
        for slot in range(spans.SLOTS):
            start, end, validity = spans.field_names(slot)
            options.append(
                _all(
                    [
                        Q.range_query(self.schema, start, unsigned, 0, day),
                        Q.range_query(self.schema, end, unsigned, day + 1, spans.LAST_DAY),
                        Q.term_set_query(self.schema, validity, values),
                    ]
                )
            )
        if filters.validity_also:
            options.append(Q.term_set_query(self.schema, "id", sorted(filters.validity_also)))
        return _any(options)


def compile_query(
    schema: tantivy.Schema, parsed: ParsedQuery, filters: Filters | None = None
) -> tantivy.Query:
    """Translate a parsed query (and filters, which add nothing to the score) for tantivy."""
    compiler = _Compiler(schema)
    query = compiler.query(parsed)
    restriction = compiler.filters(filters)
    if restriction is None:
        return query
    return Q.boolean_query(
        [
            (tantivy.Occur.Must, query),
            (tantivy.Occur.Must, Q.const_score_query(restriction, 0.0)),
        ]
    )


# -- the engine ---------------------------------------------------------------------------


#: The lock file every tantivy reader takes (for writing) while it reads ``meta.json``.
META_LOCK = ".tantivy-meta.lock"


def share_index_files(path: Path) -> None:
    """In a data directory shared with a group (:mod:`archive.sharing`), make the files
    tantivy writes 0600 whatever the umask (``meta.json``, ``.managed.json``) readable by the
    group, as the segments already are, and its empty meta lock file writable by the group:
    a tantivy reader opens that file for writing to take the lock while it reads meta.json."""
    if not is_shared(path):
        return
    for name, mode in (
        ("meta.json", SHARED_FILE_MODE),
        (".managed.json", SHARED_FILE_MODE),
        (META_LOCK, SHARED_FILE_MODE | 0o020),
    ):
        with contextlib.suppress(FileNotFoundError, PermissionError):
            os.chmod(path / name, mode)


class TantivyEngine:
    name = "tantivy"

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        self._opened: tantivy.Index | None = None
        self._problem: Exception | None = None
        self.timeline = False
        try:
            self._opened = self._open()
        except (RuntimeError, OSError, ValueError) as exc:
            # Kept for later: clear() (i.e. `gongkai reindex`) must still be able to rebuild.
            self._problem = exc

    def _open(self) -> tantivy.Index:
        marker = self.path / "gongkai-schema"
        if tantivy.Index.exists(str(self.path)):
            layout = marker.read_text().strip() if marker.exists() else ""
            if layout not in READABLE_SCHEMAS:
                raise IndexDamagedError(
                    f"the tantivy index in {self.path} has another layout; "
                    "run `gongkai reindex` to rebuild it"
                )
            self.timeline = layout in SPAN_SCHEMAS
            return tantivy.Index.open(str(self.path))
        marker.write_text(SCHEMA_VERSION)
        self.timeline = SCHEMA_VERSION in SPAN_SCHEMAS
        index = tantivy.Index(_schema(), path=str(self.path))
        share_index_files(self.path)
        return index

    @property
    def _ix(self) -> tantivy.Index:
        if isinstance(self._problem, IndexDamagedError):
            raise self._problem
        if self._opened is None:  # a file missing or damaged: the library's words as the cause
            raise IndexDamagedError() from self._problem
        return self._opened

    @property
    def schema(self) -> tantivy.Schema:
        return self._ix.schema

    # -- writing ---------------------------------------------------------------------------

    def _write(self, work) -> None:
        """Run ``work(writer)`` in one commit; the writer (and its lock) is released after.

        Merges are waited for, so that no other process finds the index locked afterwards.
        """
        writer = self._writer()
        try:
            work(writer)
        except BaseException:
            writer.rollback()
            writer.wait_merging_threads()
            raise
        writer.commit()
        writer.wait_merging_threads()
        share_index_files(self.path)
        self._ix.reload()

    def _writer(self) -> tantivy.IndexWriter:
        """The index writer, waiting up to :data:`WRITER_WAIT` seconds for its lock: the
        writer of an import that was just killed may take a moment to notice and exit."""
        deadline = time.monotonic() + WRITER_WAIT
        while True:
            try:
                return self._ix.writer(heap_size=WRITER_HEAP, num_threads=WRITER_THREADS)
            except ValueError as exc:
                if "LockBusy" not in str(exc) or time.monotonic() > deadline:
                    raise
            time.sleep(0.1)

    def add(self, docs: Iterable[IndexDoc]) -> int:
        count = 0

        def work(writer: tantivy.IndexWriter) -> None:
            nonlocal count
            for doc in docs:
                writer.delete_documents_by_term("id", doc.id)
                writer.add_document(to_document(doc, self.timeline))
                count += 1

        self._write(work)
        return count

    def delete(self, ids: Iterable[str]) -> int:
        ids = list(ids)
        if not ids:
            return 0

        def work(writer: tantivy.IndexWriter) -> None:
            for doc_id in ids:
                writer.delete_documents_by_term("id", doc_id)

        self._write(work)
        return len(ids)

    def clear(self) -> None:
        # A fresh directory rather than delete_all_documents: the space is given back at once.
        shutil.rmtree(self.path, ignore_errors=True)
        self.path.mkdir(parents=True, exist_ok=True)
        self._opened, self._problem = self._open(), None

    # -- reading ---------------------------------------------------------------------------

    @reads_index
    def term_counts(self, field: str, min_count: int = 1) -> dict[str, int]:
        pairs = self._ix.searcher().terms_with_prefix(field, "")
        return {term: count for term, count in pairs if count >= min_count}

    @reads_index
    def revisions(self) -> dict[str, int]:
        searcher = self._ix.searcher()
        total = searcher.num_docs
        if not total:
            return {}
        result = searcher.search(Q.all_query(), limit=total, count=False)
        revs: dict[str, int] = {}
        for _, address in result.hits:
            stored = searcher.doc(address)
            revs[str(stored.get_first("id"))] = int(stored.get_first("rev") or 0)
        return revs

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
        searcher = self._ix.searcher()
        tquery = compile_query(self.schema, query, filters)
        wanted = max(offset + limit, 1)
        if sort in ("newest", "oldest"):
            order = tantivy.Order.Desc if sort == "newest" else tantivy.Order.Asc
            result = searcher.search(
                tquery, limit=wanted, count=True, order_by_field="date", order=order
            )
            ranked = [(self._id(searcher, a), 0.0) for _, a in result.hits]
        else:
            result = searcher.search(tquery, limit=wanted, count=True)
            addresses = [a for _, a in result.hits]
            scores = [float(s) for s, _ in result.hits]
            dates = searcher.fast_field_values("date", addresses) if addresses else []
            order_ = sorted(range(len(addresses)), key=lambda i: dates[i] or 0, reverse=True)
            order_.sort(key=lambda i: -round(scores[i], 6))  # stable: newer first on ties
            ranked = [(self._id(searcher, addresses[i]), scores[i]) for i in order_]
        hits = [EngineHit(doc_id, score) for doc_id, score in ranked[offset : offset + limit]]
        facet_counts = self._facets(searcher, tquery) if facets else {}
        total = int(getattr(result, "count", 0) or 0)
        return EngineResult(total=total, hits=hits, facets=facet_counts)

    @staticmethod
    def _id(searcher: tantivy.Searcher, address: tantivy.DocAddress) -> str:
        return str(searcher.doc(address).get_first("id"))

    def _facets(
        self, searcher: tantivy.Searcher, query: tantivy.Query
    ) -> dict[str, dict[str, int]]:
        spec = {name: {"terms": {"field": name, "size": MAX_FACET_VALUES}} for name in FACET_FIELDS}
        found = searcher.aggregate(query, spec)
        counts: dict[str, dict[str, int]] = {}
        for name in FACET_FIELDS:
            buckets = found.get(name, {}).get("buckets", [])
            values: dict[str, int] = {}
            for bucket in buckets:
                key = bucket["key"]
                if isinstance(key, float) and key.is_integer():
                    key = int(key)
                if key in (None, ""):
                    continue
                values[str(key)] = int(bucket["doc_count"])
            counts[name] = values
        return counts

    def refresh(self) -> None:
        if self._opened is not None:
            self._ix.reload()

    def close(self) -> None:
        # The writer is released after every write; nothing else holds a lock.
        pass


__all__ = ["TantivyEngine", "compile_query"]
