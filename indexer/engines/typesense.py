"""The engine for more than one machine: a Typesense cluster (servers run apart from Gongkai,
every node a full copy, one Raft leader for writes, reads from any node).

Our analyzer stays the only segmenter: each document is sent as its terms (words, sub-words,
文号 normalised, traditional folded: :func:`indexer.analysis.term_positions`, exactly what
tantivy and Whoosh index), hashed into exact-match fields, plus the pairs and runs of three
of terms at consecutive positions for phrases (:mod:`indexer.engines.typesense_query` says
how a query becomes a filter). Stored fields are the id and its revision (and the terms as text, for
ranking and the vocabulary): everything shown comes from the archive, as for the other
engines.

The index folder (``index/<folder>``, as for the other engines) holds one file naming the
collection on the cluster, so a reindex builds a new collection beside the live one and
switches by renaming the folder, as on disk. Several ``gongkai serve`` processes (on several
machines, each with the data directory) may search the same collection.

Each search is one ``multi_search`` request (POST: a filter of thousands of ids fits): the
count and facets over the filter, the ranked page, and the 文号 lookup that ranks first.
Unreachable nodes are skipped by the client (see :mod:`indexer.engines.typesense_cluster`);
when none answers, :class:`ClusterUnavailable` says so in one line.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import typesense
import typesense.exceptions as tse

from archive.errors import IndexDamagedError
from indexer.engines import spans, typesense_reads
from indexer.engines import typesense_scoring as scoring
from indexer.engines import typesense_searches as ask
from indexer.engines.base import (
    FACET_FIELDS,
    EngineHit,
    EngineResult,
    Filters,
    IndexDoc,
)
from indexer.engines.typesense_cluster import (
    ClusterStatus,
    ClusterUnavailable,
    Settings,
    cluster_status,
)
from indexer.engines.typesense_documents import collection_schema, to_document
from indexer.engines.typesense_query import (
    PAIRS,
    TERMS,
    TIERED,
    TRIPLES,
    all_of,
    any_of,
    exact_filter,
    field_filters,
    query_filters,
    ranking_texts,
    tier_text,
)
from indexer.engines.typesense_searches import (
    Note,
    filter_of,
    hit_id,
    value_list,
)
from indexer.engines.typesense_split import fits, id_condition, matching_ids
from indexer.query import ParsedQuery, QuerySyntaxError

R = TypeVar("R")
COLLECTION_FILE = "collection"
IMPORT_BATCH = 100  # documents per import request
PAGE = 250  # Typesense's largest page
#: The boosts of the scoring (indexer.engines.typesense_scoring), as the other engines'.
TITLE_BOOST = scoring.TITLE_BOOST
EXACT_BOOST = scoring.EXACT_BOOST
PROXIMITY_BOOST = scoring.PROXIMITY_BOOST
#: How many candidates are scored with BM25: all matches when fewer, else Typesense's
#: text match chooses them (a page of Typesense's).
CANDIDATES = 100
#: How many more candidates come from the bodies that say the query's words most often
#: (Typesense's text match weighs a word said once as much as one said ten times).
OFTEN = 50
#: Requests a search sends at once (:meth:`TypesenseEngine._search_apart`).
APART = 3
WRITE_TIMEOUT = 60.0  # seconds: an import batch on a loaded machine


class TypesenseEngine:
    name = "typesense"

    def __init__(self, path: Path, settings: Settings) -> None:
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        self.settings = settings
        marker = self.path / COLLECTION_FILE
        if marker.exists():
            self.collection = marker.read_text(encoding="utf-8").strip()
        else:
            self.collection = f"gongkai_{secrets.token_hex(8)}"
            marker.write_text(self.collection, encoding="utf-8")
        # Any: the client's TypedDicts describe the newest server, not the 0.24 we run.
        client: Any = typesense.Client
        self._reads = typesense_reads.shared(settings, self.collection, client)
        self._writer: Any = client(
            {**settings.client_config(), "connection_timeout_seconds": WRITE_TIMEOUT}
        )
        self._ready = False
        self._stats = scoring.Statistics()
        self._timeline = False
        self._triples = True
        self._closed = False
        self._beside: ThreadPoolExecutor | None = None  # see _search_apart

    # -- talking to the cluster ---------------------------------------------------------------

    @contextmanager
    def _answering(self) -> Iterator[None]:
        """Typesense's and the network's failures as Gongkai errors, in one line each."""
        nodes = ",".join(str(n) for n in self.settings.nodes)
        try:
            yield
        except tse.ObjectNotFound as exc:
            raise IndexDamagedError(
                f"the Typesense collection {self.collection} is missing on {nodes}; "
                "run `gongkai reindex` to rebuild it"
            ) from exc
        except tse.RequestUnauthorized as exc:
            raise ClusterUnavailable(
                f"the Typesense cluster ({nodes}) refused the API key"
            ) from exc
        except (tse.TypesenseClientError, OSError) as exc:
            if isinstance(exc, tse.RequestMalformed):
                raise
            reason = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
            raise ClusterUnavailable(
                f"the Typesense cluster ({nodes}) does not answer: {reason}"
            ) from exc
        except Exception as exc:  # httpx's timeouts and connection errors
            if type(exc).__module__.startswith(("httpx", "httpcore", "requests", "urllib3")):
                raise ClusterUnavailable(
                    f"the Typesense cluster ({nodes}) does not answer: {type(exc).__name__}"
                ) from exc
            raise

    def _call(self, work: Callable[[], R]) -> R:
        with self._answering():
            self._ensure()
            return work()

    def _ensure(self) -> None:
        """Create the collection the first time it is needed."""
        if self._ready:
            return
        try:
            found = self._reads.everyone.collections[self.collection].retrieve()
        except tse.ObjectNotFound:
            with contextlib.suppress(tse.ObjectAlreadyExists):  # another process was first
                self._writer.collections.create(
                    collection_schema(self.collection, self.settings.runs)
                )
            self._wait_replicated()
            self._timeline, self._triples = True, self.settings.runs
        else:
            types = {f.get("name"): f.get("type") for f in found.get("fields", [])}
            names = set(types)
            if (
                TERMS not in names
                or "fq" in names
                or types.get(PAIRS) != "string"
                or TIERED not in names
            ):
                # Made before the terms of both fields shared one field (issue 18): its
                # values are hashed otherwise, so no query of this version can read it; or
                # with frequencies as indexed bits (fq) before the stored frequency maps,
                # pairs as a list before their text, or no tiers of frequent words (tq).
                raise IndexDamagedError(
                    f"the Typesense collection {self.collection} has an older layout; "
                    "run `gongkai reindex` to rebuild it"
                )
            self._timeline = spans.field_names(0)[0] in names
            # Made before runs of three were sent: phrases are its ANDed pairs until reindexed.
            self._triples = TRIPLES in names
        self._ready = True

    @property
    def runs_expected(self) -> bool:
        """Whether its documents carry runs of three, as far as known without asking the
        nodes: what the collection was found with, else what a new one is made with."""
        return self._triples if self._ready else self.settings.runs

    @property
    def timeline(self) -> bool:
        """Whether the collection has the validity span fields (one made before has not)."""
        self._call(lambda: None)
        return self._timeline

    def _wait_replicated(self, timeout: float = 15.0) -> None:
        """Wait until every node that answers holds the new collection: the client sends
        the next request to any node, and a follower learns of the collection a moment after
        the leader."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            nodes = self.status().nodes
            if all(n.documents is not None for n in nodes if n.up):
                return
            time.sleep(0.2)

    def _read(self, work: Callable[[Any], R]) -> R:
        """``work(client)`` on the nodes that hold the collection (:mod:`typesense_reads`);
        should they all fail, once more on every node."""
        client, partial = self._reads.client()
        try:
            return self._call(lambda: work(client))
        except ClusterUnavailable:
            if not partial:
                raise
            everyone = self._reads.widen()
            return self._call(lambda: work(everyone))

    # -- writing ---------------------------------------------------------------------------

    def add(self, docs: Iterable[IndexDoc]) -> int:
        """Send ``docs`` in batches; each batch is sent while the next one is prepared (the
        hashing here and the indexing on the nodes overlap), one request in flight."""
        self._stats = scoring.Statistics()
        self._call(lambda: None)  # the collection exists, and whether it has runs of three
        count = 0
        batch: list[dict[str, Any]] = []
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="typesense-import") as sender:
            sending: Future[int] | None = None
            for doc in docs:
                batch.append(to_document(doc, self._triples))
                if len(batch) >= IMPORT_BATCH:
                    if sending is not None:
                        count += sending.result()
                    sending, batch = sender.submit(self._import, batch), []
            if sending is not None:
                count += sending.result()
            if batch:
                count += self._import(batch)
        return count

    def _import(self, batch: list[dict[str, Any]]) -> int:
        documents = self._writer.collections[self.collection].documents
        results = self._call(lambda: documents.import_(batch, {"action": "upsert"}))
        failed = [r for r in results if not r.get("success")]
        if failed:
            reason = str(failed[0].get("error", "?"))[:200]
            raise ClusterUnavailable(
                f"Typesense refused {len(failed)} of {len(batch)} documents: {reason}"
            )
        return len(batch)

    def delete(self, ids: Iterable[str]) -> int:
        self._stats = scoring.Statistics()
        ids = list(ids)
        documents = self._writer.collections[self.collection].documents
        for start in range(0, len(ids), 200):
            condition = {"filter_by": "id:=" + value_list(ids[start : start + 200])}
            self._call(lambda: documents.delete(condition))  # noqa: B023 (called at once)
        return len(ids)

    def clear(self) -> None:
        self.drop()
        self._call(lambda: None)  # creates it again, empty

    def drop(self) -> None:
        """Remove the collection from the cluster (its index folder is being removed)."""
        with self._answering(), contextlib.suppress(tse.ObjectNotFound):
            self._writer.collections[self.collection].delete()
        self._ready = False
        self._stats = scoring.Statistics()

    # -- reading ---------------------------------------------------------------------------

    def _export(self, fields: str) -> Iterator[dict[str, Any]]:
        text = self._read(
            lambda c: c.collections[self.collection].documents.export({"include_fields": fields})
        )
        for line in text.splitlines():
            if line.strip():
                yield json.loads(line)

    def revisions(self) -> dict[str, int]:
        return {str(d["id"]): int(d.get("rev", 0)) for d in self._export("id,rev")}

    def term_counts(self, field: str, min_count: int = 1) -> dict[str, int]:
        counts: dict[str, int] = {}
        for d in self._export(field):
            for term in set(str(d.get(field, "")).split()):
                counts[term] = counts.get(term, 0) + 1
        return {t: n for t, n in counts.items() if n >= min_count}

    def _search(self, searches: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for s in searches:
            s["collection"] = self.collection
        found = self._read(lambda c: c.multi_search.perform({"searches": searches}, {}))
        results = found["results"]
        for r in results:
            if "error" in r:
                code = int(r.get("code", 500))
                if code == 404:
                    raise tse.ObjectNotFound(r["error"])  # pragma: no cover - mapped below
                raise ClusterUnavailable(f"Typesense could not search: {str(r['error'])[:200]}")
        return results

    def _search_apart(self, groups: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
        """The answers of every group's searches, in order, each non-empty group sent as a
        request of its own, all at once: a node runs the searches of one request one after
        the other, and those of several requests on several of its threads."""
        groups = [g for g in groups if g]
        if len(groups) <= 1:
            return self._search(groups[0]) if groups else []
        if self._beside is None:
            self._beside = ThreadPoolExecutor(
                max_workers=APART - 1, thread_name_prefix="typesense-read"
            )
        later = [self._beside.submit(self._search, g) for g in groups[1:]]
        try:
            answered = self._search(groups[0])
        finally:
            answers = [f.result() for f in later]
        return [*answered, *(r for found in answers for r in found)]

    def _search_split(self, searches: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The answers of ``searches`` in order, sent as up to :data:`APART` requests at
        once, each with about as many hits to load (:func:`ask.split_by_hits`)."""
        return self._search_apart(ask.split_by_hits(searches, APART))

    def _window(
        self, params: dict[str, Any], offset: int, limit: int
    ) -> tuple[int, list[dict[str, Any]]]:
        """(found, the hits from ``offset`` to ``offset + limit``) of one search, in pages."""
        limit = max(limit, 0)
        if limit == 0:
            result = self._search([{**params, "per_page": 0}])[0]
            return int(result["found"]), []
        first, last = offset // PAGE, (offset + limit - 1) // PAGE
        per_page = PAGE if last > first or offset + limit > PAGE else offset + limit
        if per_page < PAGE:
            first = last = 0
        searches = [{**params, "per_page": per_page, "page": p + 1} for p in range(first, last + 1)]
        results = self._search(searches)
        hits = [h for r in results for h in r.get("hits", [])]
        start = offset - first * per_page
        return int(results[0]["found"]), hits[start : start + limit]

    def _all_ids(self, params: dict[str, Any], found: int) -> list[str]:
        _, hits = self._window({**params, "include_fields": "id"}, 0, found)
        return [str(h["document"]["id"]) for h in hits]

    def search(
        self,
        query: ParsedQuery,
        *,
        filters: Filters | None = None,
        sort: str = "relevance",
        limit: int = 10,
        offset: int = 0,
        facets: bool = False,
        facet_top: int | None = None,
    ) -> EngineResult:
        empty_facets: dict[str, dict[str, int]] = {n: {} for n in FACET_FIELDS} if facets else {}
        if filters is not None and filters.ids is not None and not filters.ids:
            return EngineResult(total=0, hits=[], facets=empty_facets)
        parts, excluded = self._conditions(query, filters)
        if excluded:
            left_out = matching_ids(any_of(excluded), parts, self._ids_of)
            if left_out:
                parts.append("key:!=" + value_list(left_out))
        base = {"q": "*", "query_by": "title", **filter_of(parts)}
        heads = ask.heads(base, facets, facet_top)
        if sort in ("newest", "oldest") or query.is_empty:
            answered = self._search(heads)
            order = "asc" if sort == "oldest" else "desc"
            _, hits = self._window(
                {**base, "sort_by": f"date:{order}", "include_fields": "id"}, offset, limit
            )
            found = [EngineHit(hit_id(h), 0.0) for h in hits]
        else:
            answered, found = self._ranked(query, parts, heads, offset, limit)
        total = int(answered[0]["found"])
        # The count and the hits may come from different nodes (reads go to any of them), and
        # during a failover one may lag behind: never report fewer matches than were shown.
        return EngineResult(
            max(total, offset + len(found)), found, ask.facets(answered) if facets else {}
        )

    def _conditions(
        self, query: ParsedQuery, filters: Filters | None
    ) -> tuple[list[str], list[str]]:
        """The filter's conditions and the excluded clauses; a filter longer than Typesense
        takes is run in pieces first and becomes the ids it matches
        (:mod:`indexer.engines.typesense_split`)."""
        self._call(lambda: None)  # the collection's layout is known from here on
        required, excluded = query_filters(query, self._triples)
        scope = field_filters(filters)
        parts = scope + required
        if not fits(parts) and required:
            if not fits(scope):
                raise QuerySyntaxError("过滤条件过多（too many filter values for Typesense）")
            ids = matching_ids(all_of(required), scope, self._ids_of)
            parts = [*scope, id_condition(ids)] if ids else [*scope, "key:=[`-`]"]
        return parts, excluded

    def _ids_of(self, expression: str) -> list[str]:
        params = {"q": "*", "query_by": "title", "filter_by": expression}
        found = int(self._search([{**params, "per_page": 0}])[0]["found"])
        return self._all_ids(params, found) if found else []

    def _ranked(
        self,
        query: ParsedQuery,
        parts: list[str],
        heads: list[dict[str, Any]],
        offset: int,
        limit: int,
    ) -> tuple[list[dict[str, Any]], list[EngineHit]]:
        """(the ``heads`` searches' answers, the hits by relevance): exact 文号 / 索引号 matches
        first, then the candidates (every match, or the best :data:`CANDIDATES` by
        Typesense's text match) by BM25 (:mod:`indexer.engines.typesense_scoring`), equal
        scores newest first; any further hits in text match order. The heads (count, facets),
        the exact matches and the text match's best go to the cluster in one request."""
        wanted = offset + max(limit, 0)
        count = max(wanted, CANDIDATES)
        fields = scoring.stored(query)
        scorer = scoring.Scorer(self._search_split, self._stats, fields)
        # The candidates' field lengths and frequencies come with them (each hit loaded
        # costs: Typesense reads the whole stored document), so the scorer need not fetch
        # them again.
        exact = [f for m in query.positive if (f := exact_filter(m))]
        exact_search = [ask.dated_search([*parts, any_of(exact)], PAGE, fields)] if exact else []
        texts = [
            {**ask.text_search(query, parts, count, fields), "q": text, "per_page": count}
            for text in (ranking_texts(query) if count <= PAGE else ())
        ]
        # Beside the text match's best: those that say the query's words most often.
        tiers = tier_text(query)  # on every page alike, so that pages agree
        often = [ask.often_search(tiers, parts, fields, OFTEN)] if tiers else []
        # The count and facets beside the searches of the candidates.
        results = self._search_apart([heads, [*exact_search, *texts], often])
        first = results[0]
        after = len(heads) + len(exact_search)  # where the ranking texts' answers start
        exact_hits = ask.dated_hits(results[len(heads)], scorer.note) if exact else []
        exact_ids = {i for i, _ in exact_hits}
        need = wanted - len(exact_hits)
        candidates: list[tuple[str, int]] = []
        tail: list[tuple[str, int]] = []
        if need > 0:
            found = (
                results[after : after + len(texts)]
                if texts  # else a page deeper than one search answers
                else self._text_matched(query, parts, count, fields)
            )
            chosen = ask.best(found, scorer.note, exact_ids, count)
            extra: list[tuple[str, int]] = []
            if often:
                best = {i for i, _ in chosen[:CANDIDATES]}
                extra = [
                    (i, d)
                    for i, d in ask.dated_hits(results[-1], scorer.note)
                    if i not in best and i not in exact_ids
                ]
                taken = {i for i, _ in extra}
                chosen = (
                    chosen[:CANDIDATES]
                    + extra
                    + [(i, d) for i, d in chosen[CANDIDATES:] if i not in taken]
                )
            missing = min(count, int(first["found"]) - len(exact_ids)) - len(chosen)
            if missing > 0 and all(len(r.get("hits") or []) < count for r in found):
                # matches the ranking texts miss (found through another alternative), newest
                seen = sorted(exact_ids | {i for i, _ in chosen})
                chosen += self._dated(
                    [*parts, "key:!=" + value_list(seen)], missing, fields, scorer.note
                )
            scored = CANDIDATES + len(extra)
            candidates, tail = chosen[:scored], chosen[scored:need]
        scores = scorer.scores(query, [i for i, _ in exact_hits + candidates])
        ranked = ask.by_score(exact_hits, scores, EXACT_BOOST) + ask.by_score(candidates, scores)
        ranked += [EngineHit(i, 0.0) for i, _ in tail]
        return results[: len(heads)], ranked[offset:wanted]

    def _dated(
        self, parts: list[str], count: int, fields: str, note: Note
    ) -> list[tuple[str, int]]:
        """(id, date) of up to ``count`` matches of ``parts``, newest first; what the scorer
        needs of them (``fields``) is loaded too and given to ``note`` (:meth:`Scorer.note`)."""
        _, hits = self._window(ask.dated_search(parts, count, fields), 0, count)
        return ask.dated_hits({"hits": hits}, note)

    def _text_matched(
        self, query: ParsedQuery, parts: list[str], count: int, fields: str
    ) -> list[dict[str, Any]]:
        """The first ``count`` matches by Typesense's text match of each ranking text, in
        pages."""
        found = []
        for text in ranking_texts(query):
            search = {**ask.text_search(query, parts, count, fields), "q": text}
            _, hits = self._window(search, 0, count)
            found.append({"hits": hits})
        return found

    def status(self) -> ClusterStatus:
        """Each node's answer: up or down, its role, its copy's document count."""
        return cluster_status(self.settings, self.collection)

    def refresh(self) -> None:
        """Every search asks the cluster; only the collection's scoring figures are kept,
        until the index changes."""
        self._stats = scoring.Statistics()

    def close(self) -> None:
        if not self._closed:  # no connection is kept open between requests
            self._closed = True
            self._reads.release()
            if self._beside is not None:
                self._beside.shutdown(wait=False)


__all__ = ["TypesenseEngine", "collection_schema", "to_document"]
