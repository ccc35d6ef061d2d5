"""A data directory opened for use: the archive, the engine it is configured with, and the
operations the CLI and the web app share (import, search, look-up, reindex, verify).

Layout of a data directory::

    gongkai.json         configuration (engine)
    archive.sqlite3      the archive (source of truth)
    originals/           original files by sha256
    index/<engine>/      the search index (derived; rebuildable)
    write.lock           held by whoever writes (import, reindex, status changes)
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import re
from collections import deque
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from archive import Archive, Document
from archive.errors import BusyError, ConflictError, NotFoundError
from archive.relations import CONFIRMED, PROPOSED, REJECTED, Relation, Relations
from archive.validity import (
    Cluster,
    Status,
    cluster_briefs,
    cluster_of,
    ids_in,
    status_of,
    statuses,
    today,
    validity_groups,
)
from archive.vocab import VALIDITY, canonical_validity
from indexer.analysis import TermPositions
from indexer.engines.background import BackgroundWriter
from indexer.engines.base import Engine, Filters, IndexDoc
from indexer.highlight import snippet, title_spans
from indexer.linking import Linker, relink_all, title_key, title_keys
from indexer.normalize import (
    looks_like_doc_number,
    looks_like_index_number,
    normalize_doc_number,
    normalize_index_number,
)
from indexer.pipeline import (
    BATCH_DOCS,
    FAILED,
    SKIPPED,
    WINDOW_ITEMS,
    ImportReport,
    Item,
    Prepared,
    ProgressCallback,
    import_items,
    is_full_batch,
    iter_files,
    segment_chunk,
)
from indexer.query import ParsedQuery, parse
from indexer.workers import WorkerPool

log = logging.getLogger("gongkai")

ENGINES = ("whoosh", "tantivy")
CONFIG_NAME = "gongkai.json"


class EngineChangeError(ConflictError):
    """The engine of a data directory that holds documents changes only by a reindex."""


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
    snippet_html: str
    title_html: str
    highlights: list[list[int]] = field(default_factory=list)
    status: Status | None = None  # validity on the search's date, with since/by/note
    cluster: dict[str, object] = field(default_factory=dict)  # see Gongkai.cluster_brief

    def to_dict(self) -> dict[str, object]:
        extra: dict[str, object] = {
            "status": self.status.to_dict() if self.status is not None else None,
            "cluster": self.cluster,
        }
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
            **extra,
        }


@dataclass
class CheckResult:
    """One query of ``gongkai check``: the documents it matched and their status."""

    query: str
    as_of: str
    matched_by: str  # id / doc_number / index_number / title / title_similar / none
    confidence: float
    matches: list[tuple[Document, Status]] = field(default_factory=list)

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
                }
                for doc, status in self.matches
            ],
        }


def _brief_status(status: Status) -> dict[str, object]:
    return {
        "validity": status.validity,
        "since": status.since,
        "by": status.by,
        "current_version": status.current_version,
        "source": status.source,
    }


def _with_version(brief: dict[str, list[str]], status: Status) -> dict[str, object]:
    """A hit's cluster brief: the ids of :func:`archive.validity.cluster_briefs`, and the
    current version when the document has been superseded."""
    cluster: dict[str, object] = dict(brief)
    if status.current_version:
        cluster["current_version"] = status.current_version
    return cluster


@dataclass
class SearchResult:
    total: int
    hits: list[Hit]
    facets: dict[str, dict[str, int]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        data: dict[str, object] = {"total": self.total, "hits": [h.to_dict() for h in self.hits]}
        if self.facets:
            data["facets"] = self.facets
        return data


def index_doc(
    doc: Document, validity: str | None = None, prepared: Prepared | None = None
) -> IndexDoc:
    """What the index holds for an archived document; ``validity`` is its derived status
    today (see :meth:`Gongkai.index_docs`), else the published one. The segments an import
    worker ``prepared`` are handed on when they were cut from this title and text."""
    cut = prepared if prepared is not None and prepared.fits(doc.title, doc.text) else None
    return IndexDoc(
        id=doc.id,
        rev=doc.rev,
        title=doc.title,
        body=doc.text,
        doc_number=doc.doc_number_norm,
        index_number=doc.index_number_norm,
        agency=doc.agency,
        categories=doc.categories,
        kind=doc.kind,
        validity=validity or doc.validity,
        date_issued=doc.date_issued,
        title_terms=cut.title_terms if cut else None,
        body_terms=cut.body_terms if cut else None,
    )


def _batches(docs: Iterable[Document], size: int) -> Iterator[list[Document]]:
    batch: list[Document] = []
    for doc in docs:
        batch.append(doc)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def read_config(data_dir: Path) -> dict[str, object]:
    path = data_dir / CONFIG_NAME
    if path.exists():
        return json.loads(path.read_text(encoding="utf-8"))
    return {"engine": "whoosh"}


def init_data_dir(data_dir: Path | str, engine: str = "whoosh") -> dict[str, object]:
    """Create (or confirm) a data directory using ``engine``; returns its configuration.

    A directory whose archive already holds documents keeps its engine: converting is
    ``Gongkai.reindex(engine=...)``, which builds the new index before switching.
    """
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r} (known: {', '.join(ENGINES)})")
    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    config = read_config(data_dir)
    if config.get("engine", "whoosh") != engine and (data_dir / Archive.DB_NAME).exists():
        with Archive.open(data_dir, readonly=True) as archive:
            documents = len(archive.revisions())
        if documents:
            raise EngineChangeError(
                f"{data_dir} holds {documents} documents indexed with {config.get('engine')}; "
                f"convert it with `gongkai reindex --engine {engine}`"
            )
    config = {**config, "engine": engine}
    write_config(data_dir, config)
    return config


def write_config(data_dir: Path, config: dict[str, object]) -> None:
    """Replace the data directory's configuration atomically."""
    tmp = data_dir / (CONFIG_NAME + ".tmp")
    tmp.write_text(json.dumps(config, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, data_dir / CONFIG_NAME)


def open_engine(data_dir: Path, name: str) -> Engine:
    if name == "whoosh":
        from indexer.engines.whoosh import WhooshEngine

        return WhooshEngine(data_dir / "index" / "whoosh")
    if name == "tantivy":
        from indexer.engines.tantivy import TantivyEngine

        return TantivyEngine(data_dir / "index" / "tantivy")
    raise ValueError(f"unknown engine {name!r} (known: {', '.join(ENGINES)})")


class Gongkai:
    """One data directory. Use as a context manager, or call :meth:`close`."""

    def __init__(self, data_dir: Path | str, *, readonly: bool = False) -> None:
        self.data_dir = Path(data_dir)
        if readonly and not (self.data_dir / Archive.DB_NAME).exists():
            raise NotFoundError(
                f"no Gongkai archive in {self.data_dir} (run `gongkai import` first)"
            )
        self.readonly = readonly
        self.archive = Archive.open(self.data_dir, readonly=readonly)
        config = read_config(self.data_dir)
        if not readonly and not (self.data_dir / CONFIG_NAME).exists():
            (self.data_dir / CONFIG_NAME).write_text(json.dumps(config), encoding="utf-8")
        self.engine_name = str(config.get("engine", "whoosh"))
        self._engine: Engine | None = None
        # as_of → (archive version, validity → ids): see _validity_groups
        self._validity_cache: dict[str, tuple[tuple[int, int], dict[str, frozenset[str]]]] = {}

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = open_engine(self.data_dir, self.engine_name)
        return self._engine

    def close(self) -> None:
        if self._engine is not None:
            self._engine.close()
        self.archive.close()

    def __enter__(self) -> Gongkai:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writing ---------------------------------------------------------------------------

    @contextmanager
    def write_lock(self) -> Iterator[None]:
        """Exclusive right to write; a second writer is refused with :class:`BusyError`."""
        path = self.data_dir / "write.lock"
        handle = open(path, "a+")  # noqa: SIM115 - held for the duration of the block
        try:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.seek(0)
                holder = handle.read().strip() or "another process"
                raise BusyError(
                    f"{self.data_dir} is being written by {holder}; wait for it to finish"
                ) from None
            handle.seek(0)
            handle.truncate()
            handle.write(f"pid {os.getpid()}")
            handle.flush()
            yield
        finally:
            handle.close()

    def import_paths(
        self,
        paths: Iterable[Path],
        *,
        on_progress: ProgressCallback | None = None,
        max_bytes: int | None = None,
        workers: int = 1,
    ) -> ImportReport:
        """Import files and folders (see :func:`indexer.pipeline.iter_files`)."""
        return self.import_files(
            iter_files(paths), on_progress=on_progress, max_bytes=max_bytes, workers=workers
        )

    def import_files(
        self,
        files: Iterable[tuple[Path, str]],
        *,
        on_progress: ProgressCallback | None = None,
        max_bytes: int | None = None,
        workers: int = 1,
    ) -> ImportReport:
        """Import listed files (path, reason to skip or "")."""
        items = (
            Item(str(p), p, skip=r, skip_status=SKIPPED if (r and p.exists()) else FAILED)
            for p, r in files
        )
        return self.import_items(
            items, on_progress=on_progress, max_bytes=max_bytes, workers=workers
        )

    def import_manifest(
        self,
        manifest: Path,
        *,
        on_progress: ProgressCallback | None = None,
        max_bytes: int | None = None,
        workers: int = 1,
    ) -> ImportReport:
        """Import the rows of a JSONL/CSV manifest (see :mod:`indexer.manifest`)."""
        from indexer.manifest import manifest_format, manifest_items

        manifest_format(manifest)  # refuse an unknown format before taking the lock
        return self.import_items(
            manifest_items(manifest),
            on_progress=on_progress,
            max_bytes=max_bytes,
            workers=workers,
        )

    def import_items(
        self,
        items: Iterable[Item],
        *,
        on_progress: ProgressCallback | None = None,
        max_bytes: int | None = None,
        workers: int = 1,
    ) -> ImportReport:
        """Import files and manifest rows under the write lock, indexing as they commit."""
        with self.write_lock():
            self.sync_index()  # finish what an interrupted run left unindexed

            linker = Linker(self.archive)
            prepared: dict[str, Prepared] = {}  # by the import workers, by id
            writer: BackgroundWriter | None = None

            def to_index(docs: list[Document]) -> None:
                nonlocal writer
                ids = [d.id for d in docs]
                try:
                    ids += sorted(linker.link(docs, prepared).affected - set(ids))
                except Exception:  # linking must never lose an import; relink later
                    log.exception("linking failed for %d documents", len(docs))
                fresh = self.archive.get_many(ids)  # revisions bumped by linking
                entries = self.index_docs(fresh.values(), prepared)
                if writer is None and is_full_batch(docs):
                    # A large import: index in a child process from now on, so that
                    # writing the index overlaps committing the next batch.
                    writer = BackgroundWriter(self.data_dir, self.engine_name)
                if writer is not None:
                    writer.add(entries)
                else:
                    self.engine.add(entries)

            kwargs = {"max_bytes": max_bytes} if max_bytes else {}
            seen: dict[str, tuple[Path | None, bool]] = {}

            def tracked(items: Iterable[Item]) -> Iterator[Item]:
                for item in items:  # where each item came from, for attachments
                    if not item.skip:
                        path = None if item.data is not None else item.path
                        seen[item.label] = (path, bool(item.meta and "kind" in item.meta))
                    yield item

            try:
                report = import_items(
                    self.archive,
                    tracked(items),
                    on_committed=to_index,
                    on_progress=on_progress,
                    workers=workers,
                    prepared=prepared,
                    **kwargs,
                )
            finally:
                # Cut short (an error, Ctrl-C), the next run indexes what is missing.
                complete = writer.close() if writer is not None else True
                self.engine.refresh()
            if not complete:  # index from the archive what the writer did not
                self.sync_index()
            self._link_attachments(report, seen)
            return report

    def _link_attachments(
        self, report: ImportReport, seen: dict[str, tuple[Path | None, bool]]
    ) -> None:
        """Link the attachments (附件) among what this run imported or found already there."""
        from indexer.attachments import RunFile, link_attachments

        run = [
            RunFile(o.id, *seen[o.path])
            for o in report.outcomes
            if o.id and o.status in ("imported", "duplicate") and o.path in seen
        ]
        try:
            linked = link_attachments(self.archive, run)
        except Exception:  # linking must never lose an import; the files are all archived
            log.exception("linking attachments failed")
            return
        report.attachments = linked.linked
        if linked.kind_changed:
            self.sync_index()

    def sync_index(self) -> dict[str, int]:
        """Bring the index in line with the archive: add missing or stale, drop extra."""
        self._touch_due()
        return self._sync(self.engine)

    def _sync(self, target: Engine) -> dict[str, int]:
        """Bring the index ``target`` in line with the archive (see :meth:`sync_index`)."""
        archived = self.archive.revisions()
        indexed = target.revisions()
        stale = [i for i, rev in archived.items() if indexed.get(i) != rev]
        extra = [i for i in indexed if i not in archived]
        if extra:
            target.delete(extra)
        for start in range(0, len(stale), 200):
            docs = self.archive.get_many(stale[start : start + 200])
            target.add(self.index_docs(docs.values()))
        return {"indexed": len(stale), "removed": len(extra)}

    def reindex(self, engine: str | None = None, *, workers: int = 1) -> int:
        """Rebuild the index from the archive. With another ``engine``, convert: build that
        engine's index first, then switch the configuration to it (the old index is left on
        disk, unused, until removed by hand). With ``workers`` > 1, documents are segmented
        in that many processes and the index is written by one more (see
        :meth:`_rebuild_in_parallel`)."""
        with self.write_lock():
            target = self.engine
            name = self.engine_name
            if engine is not None and engine != self.engine_name:
                target = open_engine(self.data_dir, engine)  # ValueError if unknown
                name = engine
            target.clear()
            if workers > 1:
                count = self._rebuild_in_parallel(target, name, workers)
            else:
                count = 0
                for batch in _batches(self.archive.iter_documents(), BATCH_DOCS):
                    count += target.add(self.index_docs(batch))
            if target is not self._engine:
                write_config(self.data_dir, {**read_config(self.data_dir), "engine": engine})
                if self._engine is not None:
                    self._engine.close()
                self._engine, self.engine_name = target, str(engine)
            if not self.readonly:
                Relations(self.archive).set_meta("validity_indexed_on", today())
            return count

    def _rebuild_in_parallel(self, target: Engine, name: str, workers: int) -> int:
        """Fill the empty index ``target`` (engine ``name``) from the archive: ``workers``
        processes segment titles and bodies (:func:`indexer.pipeline.segment_chunk`), this
        process adds statuses, and a :class:`BackgroundWriter` writes the index. If that
        writer fails, what it did not write is added here."""
        pool = WorkerPool(workers, segment_chunk, preload=["indexer.pipeline"])
        writer = BackgroundWriter(self.data_dir, name)
        window: deque[tuple[Document, object]] = deque()
        batch: list[tuple[Document, tuple[TermPositions, TermPositions]]] = []

        def flush() -> None:
            entries = self.index_docs(doc for doc, _ in batch)
            writer.add(
                [
                    replace(entry, title_terms=cut[0], body_terms=cut[1])
                    for entry, (_, cut) in zip(entries, batch, strict=True)
                ]
            )
            batch.clear()

        def finish() -> None:
            doc, ticket = window.popleft()
            batch.append((doc, pool.result(ticket)))  # type: ignore[arg-type]
            if len(batch) >= BATCH_DOCS:
                flush()

        try:
            for doc in self.archive.iter_documents():
                window.append((doc, pool.submit((doc.title, doc.text), b"")))
                if len(window) > WINDOW_ITEMS * workers:
                    finish()
            while window:
                finish()
            if batch:
                flush()
        finally:
            pool.shutdown()
            complete = writer.close()
            target.refresh()
        if not complete:
            self._sync(target)
        return len(target.revisions())

    def index_docs(
        self, docs: Iterable[Document], prepared: dict[str, Prepared] | None = None
    ) -> list[IndexDoc]:
        """Index entries for ``docs``, each with its derived validity today; what the import
        workers prepared for ``docs`` is taken out of ``prepared`` (see :func:`index_doc`)."""
        docs = list(docs)
        derived = statuses(self.archive, docs)
        done = prepared if prepared is not None else {}
        return [index_doc(d, derived[d.id].validity, done.pop(d.id, None)) for d in docs]

    def _touch_due(self) -> None:
        """Bump documents whose derived validity changed with the calendar since the index
        last looked (a repeal taking effect, a 施行日期 reached), so that sync re-indexes them."""
        if self.readonly:
            return
        relations = Relations(self.archive)
        last, now = relations.meta("validity_indexed_on"), today()
        if last == now:
            return
        if last:
            relations.touch(relations.due_between(last, now))
        relations.set_meta("validity_indexed_on", now)

    def verify(self) -> dict[str, object]:
        """Compare archive and index (and the original files); nothing is changed."""
        archived = self.archive.revisions()
        indexed = self.engine.revisions()
        missing = sorted(i for i in archived if i not in indexed)
        stale = sorted(i for i, rev in archived.items() if i in indexed and indexed[i] != rev)
        extra = sorted(i for i in indexed if i not in archived)
        rows = self.archive.conn.execute("SELECT id, sha256 FROM documents").fetchall()
        lost = sorted(r["id"] for r in rows if not self.archive.originals.exists(r["sha256"]))
        return {
            "ok": not (missing or stale or extra or lost),
            "documents": len(archived),
            "indexed": len(indexed),
            "missing_from_index": missing,
            "stale_in_index": stale,
            "extra_in_index": extra,
            "missing_originals": lost,
        }

    # -- reading ---------------------------------------------------------------------------

    def search(
        self,
        query: str,
        *,
        filters: Filters | None = None,
        sort: str = "relevance",
        limit: int = 10,
        offset: int = 0,
        facets: bool = False,
        as_of: str | None = None,
    ) -> SearchResult:
        """Search, then take titles and snippets from the archive. Raises QuerySyntaxError.

        With ``as_of`` (YYYY-MM-DD), ``filters.validity`` is judged on that date from the
        archive (header, relations, staff records) instead of the index, and every hit carries
        its status on that date. Without it, hits carry their status today.
        """
        parsed = parse(query)
        if as_of and filters is not None and filters.validity:
            on_date = self._ids_with_validity(as_of, filters.validity)
            if filters.ids is not None:
                on_date = on_date & filters.ids
            filters = replace(filters, validity=[], ids=on_date)
        result = self.engine.search(
            parsed, filters=filters, sort=sort, limit=limit, offset=offset, facets=facets
        )
        if facets and as_of and as_of != today():
            result.facets["validity"] = self._validity_facet(parsed, filters, as_of)
        docs = self.archive.get_many([h.id for h in result.hits])
        # Everything the hits need from the archive, for all of them at once.
        derived = statuses(self.archive, docs.values(), as_of)
        briefs = cluster_briefs(self.archive, docs)
        hits = []
        for engine_hit in result.hits:
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
                    snippet_html=str(snip.html()),
                    title_html=str(title_spans(doc.title, parsed).html()),
                    highlights=[[s, e] for s, e in snip.spans],
                    status=status,
                    cluster=_with_version(briefs[doc.id], status),
                )
            )
        return SearchResult(result.total, hits, result.facets)

    def _validity_groups(self, as_of: str) -> dict[str, frozenset[str]]:
        """:func:`validity_groups`, remembered until the archive changes (any connection's
        commit changes ``PRAGMA data_version``; this connection's, ``total_changes``)."""
        version = (
            self.archive.conn.execute("PRAGMA data_version").fetchone()[0],
            self.archive.conn.total_changes,
        )
        cached = self._validity_cache.get(as_of)
        if cached is None or cached[0] != version:
            if len(self._validity_cache) > 8:
                self._validity_cache.clear()
            cached = (version, validity_groups(self.archive, as_of))
            self._validity_cache[as_of] = cached
        return cached[1]

    def _ids_with_validity(self, as_of: str, values: Iterable[str]) -> frozenset[str]:
        return ids_in(self._validity_groups(as_of), values)

    def _validity_facet(
        self, parsed: ParsedQuery, filters: Filters | None, as_of: str
    ) -> dict[str, int]:
        """The validity facet with each document counted under its status on ``as_of``: one
        count per status among the documents the query and filters match."""
        counts: dict[str, int] = {}
        base = filters or Filters()
        for validity, ids in self._validity_groups(as_of).items():
            wanted = ids if base.ids is None else ids & base.ids
            if wanted:
                total = self.engine.search(parsed, filters=replace(base, ids=wanted), limit=1).total
                if total:
                    counts[validity] = total
        return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))

    def status(self, doc: Document, as_of: str | None = None) -> Status:
        """Validity of ``doc`` on ``as_of`` (default today), with the reason."""
        return status_of(self.archive, doc, as_of)

    def cluster(self, doc: Document) -> Cluster:
        """Interpretations, answered requests, versions and relations of ``doc``."""
        return cluster_of(self.archive, doc)

    def cluster_brief(self, doc: Document, status: Status | None = None) -> dict[str, object]:
        """The cluster as ids, for a search hit: interpretations, answers, repealed-by,
        amended-by and the current version (only what is there)."""
        brief = cluster_briefs(self.archive, [doc.id])[doc.id]
        return _with_version(brief, status or self.status(doc))

    # -- validity and relations (issue 3) ---------------------------------------------------

    def check(self, queries: Iterable[str], as_of: str | None = None) -> list[CheckResult]:
        """For each query (文号 in any bracket style, 索引号, id or title): the matching
        documents and their status on ``as_of`` (default today)."""
        as_of = as_of or today()
        results = []
        for query in queries:
            docs, matched_by, confidence = self.match(query)
            found = statuses(self.archive, docs, as_of)
            results.append(
                CheckResult(
                    query=query,
                    as_of=as_of,
                    matched_by=matched_by,
                    confidence=confidence,
                    matches=[(d, found[d.id]) for d in docs],
                )
            )
        return results

    def match(self, query: str) -> tuple[list[Document], str, float]:
        """Documents for one query, how they were matched and how sure the match is
        (1.0 for id, 文号, 索引号 and exact title; less for a similar title)."""
        ref = query.strip()
        if not ref:
            return [], "none", 0.0
        found, how = self._exact(ref)
        if found:
            return found, how, 1.0
        return self._similar_title(ref)

    def _similar_title(self, ref: str) -> tuple[list[Document], str, float]:
        """Documents whose title contains ``ref`` or the title of what they issue equals it
        (关于印发《X》的通知 for X). Confidence is the share of the title that matched."""
        key = title_key(ref)
        if len(key) < 4:
            return [], "none", 0.0
        pattern = re.sub(r"([%_\\])", r"\\\1", re.sub(r"[\s《》“”\"]+", "", ref))
        rows = self.archive.conn.execute(
            "SELECT id, title FROM documents WHERE title LIKE ? ESCAPE '\\' LIMIT 500",
            (f"%{pattern}%",),
        ).fetchall()
        scored: list[tuple[float, str]] = []
        for row in rows:
            doc_key = title_key(row["title"])
            keys = title_keys(Document(title=row["title"], text=""))
            if key in keys:
                scored.append((0.95, row["id"]))
            elif key in doc_key:
                scored.append((round(len(key) / len(doc_key), 2), row["id"]))
        if not scored:
            return [], "none", 0.0
        best = max(score for score, _ in scored)
        ids = [doc_id for score, doc_id in scored if score == best]
        docs = self.archive.get_many(ids)
        ordered = sorted(docs.values(), key=lambda d: d.date_issued, reverse=True)
        return ordered, "title_similar", best

    def set_status(
        self,
        doc_id: str,
        validity: str,
        *,
        date: str = "",
        by: str = "",
        note: str = "",
        actor: str = "staff",
    ) -> Status:
        """Record a staff status for ``doc_id`` (``validity == ""`` withdraws earlier staff
        records); history keeps the status before and after. Returns the status today."""
        if validity and canonical_validity(validity) is None:
            raise ValueError(f"unknown validity {validity!r} (known: {', '.join(VALIDITY)})")
        validity = canonical_validity(validity) or "" if validity else ""
        with self.write_lock():
            doc = self._get(doc_id)
            before = self.status(doc)
            relations = Relations(self.archive)
            with relations.transaction():
                relations.record_status(
                    doc.id,
                    validity,
                    effective=date,
                    by_doc=by,
                    note=note,
                    actor=actor,
                    before=_brief_status(before),
                )
                relations.touch([doc.id])
            after = self.status(self._get(doc.id))
            self._log_validity(relations, doc.id, before, after, actor)
            self.sync_index()
            return after

    def link(
        self,
        src: str,
        rel_type: str,
        dst: str,
        *,
        date: str = "",
        note: str = "",
        actor: str = "staff",
    ) -> Relation:
        """Make (or re-confirm) a manual relation ``src rel_type dst``."""
        with self.write_lock():
            return self._change(
                [dst, src],
                actor,
                lambda rels: rels.add(
                    src, rel_type, dst, effective=date, note=note, actor=actor, state=CONFIRMED
                )[0],
            )

    def unlink(
        self, src: str, rel_type: str, dst: str, *, note: str = "", actor: str = "staff"
    ) -> Relation:
        """Reject the relation ``src rel_type dst`` (kept, with its history)."""
        with self.write_lock():
            rel = Relations(self.archive).find(src, rel_type, dst)
            if rel is None:
                raise NotFoundError(f"no relation {src} {rel_type} {dst}")
            return self.set_relation_state(rel.id, REJECTED, note=note, actor=actor, locked=True)

    def set_relation_state(
        self, rel_id: int, state: str, *, note: str = "", actor: str = "staff", locked: bool = False
    ) -> Relation:
        """Confirm, reject or re-propose a relation by id (``gongkai proposals``)."""
        relations = Relations(self.archive)
        rel = relations.get(rel_id)
        if rel is None:
            raise NotFoundError(f"no relation {rel_id}")
        if not locked:
            with self.write_lock():
                return self.set_relation_state(rel_id, state, note=note, actor=actor, locked=True)
        return self._change(
            [rel.dst, rel.src],
            actor,
            lambda rels: rels.set_state(rel_id, state, actor=actor, note=note),
        )

    def _change(self, ids: list[str], actor: str, change) -> Relation:  # type: ignore[no-untyped-def]
        """Apply a relation change, log what it did to the validity of ``ids``, re-index."""
        relations = Relations(self.archive)
        docs = [self._get(i) for i in ids]
        before = {d.id: self.status(d) for d in docs}
        with relations.transaction():
            rel = change(relations)
            relations.touch(before)
        for doc_id, old in before.items():
            self._log_validity(relations, doc_id, old, self.status(self._get(doc_id)), actor)
        self.sync_index()
        return rel

    def _log_validity(
        self, relations: Relations, doc_id: str, before: Status, after: Status, actor: str
    ) -> None:
        old, new = _brief_status(before), _brief_status(after)
        if old != new:
            relations.log_validity(doc_id, actor, old, new)

    def _get(self, doc_id: str) -> Document:
        doc = self.archive.get(doc_id)
        if doc is None:
            raise NotFoundError(f"no document with id {doc_id}")
        return doc

    def relations(self, doc_id: str) -> list[Relation]:
        """Every relation from or to ``doc_id``, in any state."""
        self._get(doc_id)
        return Relations(self.archive).of(doc_id)

    def proposals(self) -> list[Relation]:
        """Automatic relations waiting for staff."""
        return Relations(self.archive).with_state(PROPOSED)

    def history(self, doc_id: str) -> list[dict[str, object]]:
        """The append-only history of ``doc_id``: import, relations, status records."""
        self._get(doc_id)
        return self.archive.history(doc_id)

    def relink(self) -> dict[str, int]:
        """Run the linker over the whole archive (keeps existing relations and decisions)."""
        with self.write_lock():
            report = relink_all(self.archive)
            self.sync_index()
            return {
                "added": len(report.added),
                "confirmed": report.confirmed,
                "proposed": report.proposed,
                "affected": len(report.affected),
            }

    def lookup(self, ref: str) -> list[Document]:
        """Documents by id, 文号 (any bracket style), 索引号 or exact title."""
        return self._exact(ref.strip())[0]

    def _exact(self, ref: str) -> tuple[list[Document], str]:
        """Exact matches of ``ref`` and how they were found: by id, then 文号, 索引号, title."""
        doc = self.archive.get(ref)
        if doc:
            return [doc], "id"
        if looks_like_doc_number(ref):
            found = self.archive.find_by_doc_number(normalize_doc_number(ref))
            if found:
                return found, "doc_number"
        if looks_like_index_number(ref):
            found = self.archive.find_by_index_number(normalize_index_number(ref))
            if found:
                return found, "index_number"
        found = self.archive.find_by_title(ref)
        return found, ("title" if found else "none")
