"""A data directory opened for use: :class:`Gongkai`, the one front that the CLI, the web app
and the benchmarks call. It holds no logic of its own; each job lives in a module of its own:

====================  ==========================================================
configuration         :mod:`indexer.config` (``gongkai.json``, ``init``)
the write lock        :mod:`indexer.locking`
engines               :mod:`indexer.engines` (names, the factory)
import                :mod:`indexer.importing` → :mod:`indexer.pipeline`
index upkeep          :mod:`indexer.indexing` (entries, sync, reindex, verify)
status on a date      :mod:`indexer.validity_view` (filters, facets, badges, check)
search                :mod:`indexer.searching`
synonyms              :mod:`indexer.synonym_table` (shipped + staff entries)
look-up and check     :mod:`indexer.lookup`
staff curation        :mod:`indexer.curation`
====================  ==========================================================
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from archive import Archive, Document
from archive.clusters import Cluster, cluster_briefs, cluster_of
from archive.errors import BusyError, InvalidInput, NotFoundError
from archive.relations import Relation
from archive.synonym_entries import StaffSynonym
from archive.validity import Status
from archive.withdrawals import Withdrawal, withdrawal
from indexer.config import (
    CONFIG_NAME,
    EngineChangeError,
    apply_sharing,
    engine_name,
    ensure_config,
    init_data_dir,
    read_config,
    write_config,
)
from indexer.engines import ENGINES, open_engine
from indexer.indexing import Indexer, index_doc
from indexer.locking import write_lock
from indexer.row_cache import RowCache
from indexer.validity_view import ValidityView

# Each job's module is imported by the first call that needs it, so that a command pays only
# for what it uses: ``show`` or ``check`` never load the segmenter (rjieba takes longer to
# import than the rest of the CLI together), ``search`` never loads the import pipeline.
if TYPE_CHECKING:
    from archive.catalogue import CatalogueFilter
    from archive.outcomes import Outcome
    from indexer.annual_report import AnnualReport
    from indexer.curation import Curator
    from indexer.decisions import DecisionReport
    from indexer.diff_report import DiffReport
    from indexer.editing import EditResult
    from indexer.engines.base import Engine, Filters
    from indexer.engines.typesense_cluster import ClusterStatus
    from indexer.following import Event
    from indexer.items import ImportReport, Item, ProgressCallback
    from indexer.lookup import CheckResult
    from indexer.searching import SearchResult
    from indexer.synonym_table import SynonymTable
    from indexer.versions import VersionEntry
    from indexer.vocabulary import Vocabulary

__all__ = [
    "CONFIG_NAME",
    "ENGINES",
    "EngineChangeError",
    "Gongkai",
    "index_doc",
    "init_data_dir",
    "open_engine",
    "read_config",
    "write_config",
]


#: A followed search is matched against this many of the documents changed most recently.
FOLLOWED_MATCHES = 2000


class Gongkai:
    """One data directory. Use as a context manager, or call :meth:`close`."""

    def __init__(self, data_dir: Path | str, *, readonly: bool = False) -> None:
        self.data_dir = Path(data_dir)
        if readonly and not Archive.present(self.data_dir):
            raise NotFoundError(
                f"no Gongkai archive in {self.data_dir} (run `gongkai import` first)"
            )
        self.readonly = readonly
        if not readonly:  # a shared data directory: what we write, its group may read
            apply_sharing(read_config(self.data_dir))
        self.archive = Archive.open(self.data_dir, readonly=readonly)
        config = read_config(self.data_dir) if readonly else ensure_config(self.data_dir)
        self.indexer = Indexer(self.archive, self.data_dir, engine_name(config), readonly=readonly)
        self.validity = ValidityView(self.archive)
        self.rows = RowCache(self.archive)  # the rows searches read, until it changes
        self._curator: Curator | None = None
        self._synonyms: SynonymTable | None = None

    @property
    def curator(self) -> Curator:
        """Staff changes (:mod:`indexer.curation`)."""
        if self._curator is None:
            from indexer.curation import Curator

            self._curator = Curator(self.archive, self.validity, self.write_lock, self.sync_index)
        return self._curator

    @property
    def synonyms(self) -> SynonymTable:
        """The shipped synonyms with the staff's entries (:mod:`indexer.synonym_table`)."""
        if self._synonyms is None:
            from indexer.synonym_table import SynonymTable

            self._synonyms = SynonymTable(self.archive)
        return self._synonyms

    @property
    def engine(self) -> Engine:
        return self.indexer.engine

    @property
    def engine_name(self) -> str:
        return self.indexer.engine_name

    def close(self) -> None:
        self.indexer.close()
        self.archive.close()

    def __enter__(self) -> Gongkai:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def write_lock(self) -> Iterator[None]:
        """Exclusive right to write; a second writer is refused with ``BusyError``."""
        with write_lock(self.data_dir):
            yield

    # -- import ------------------------------------------------------------------------------

    def import_items(
        self,
        items: Iterable[Item],
        *,
        on_progress: ProgressCallback | None = None,
        max_bytes: int | None = None,
        workers: int = 1,
        isolate: bool = False,
        actor: str = "import",
        expected: int | None = None,
        editor: str = "",
        reason: str = "",
        keep_copies: bool = False,
        who: str = "",
        arguments: dict[str, object] | None = None,
    ) -> ImportReport:
        """Import files and manifest rows under the write lock, indexing as they commit
        (:func:`indexer.importing.import_items`); with ``isolate`` no file is extracted in
        this process; ``actor`` goes into each document's import history entry; ``expected``:
        how many items, when known; manifest rows that update archived documents are recorded
        under ``editor`` (default: the account running this) with ``reason``;
        ``keep_copies``: import copies of archived documents as documents of their own; ``who``
        and ``arguments`` are recorded with the run."""
        from indexer.importing import ImportOptions, import_items

        options = ImportOptions(
            on_progress,
            max_bytes,
            workers,
            isolate=isolate,
            actor=actor,
            expected=expected,
            editor=editor,
            reason=reason,
            keep_copies=keep_copies,
            who=who,
            arguments=arguments,
        )
        with self.write_lock():
            return import_items(items, options, indexer=self.indexer)

    def import_paths(
        self, paths: Iterable[Path], *, follow_symlinks: bool = False, **options: Any
    ) -> ImportReport:
        """Import files and folders (see :func:`indexer.reading.iter_files`)."""
        from indexer.importing import items_from

        items = items_from(paths=list(paths), follow_symlinks=follow_symlinks)
        return self.import_items(items, **options)

    def import_files(
        self, files: Iterable[tuple[Path, str]], *, roots: Iterable[Path] = (), **options: Any
    ) -> ImportReport:
        """Import listed files (path, reason to skip or ""); ``roots``: the folders they were
        found in (each document keeps its path under them)."""
        from indexer.reading import file_items

        return self.import_items(file_items(files, roots), **options)

    def import_manifest(
        self,
        manifest: Path,
        *,
        files: Iterable[tuple[Path, str]] = (),
        allow_outside: bool = False,
        on_error: str = "skip",
        **options: Any,
    ) -> ImportReport:
        """Import listed ``files``, then the rows of a JSONL/CSV manifest (see
        :mod:`indexer.manifest`; a row matching an archived document updates it, see
        :mod:`indexer.editing`); paths out of its folder only with ``allow_outside``; with
        ``on_error="stop"`` a manifest with a bad row is refused whole."""
        from indexer.importing import run_items

        items = run_items(
            files, manifest, allow_outside=allow_outside, on_error=on_error, data_dir=self.data_dir
        )
        return self.import_items(items, **options)

    # -- the index ---------------------------------------------------------------------------

    def sync_index(self) -> dict[str, int]:
        """Bring the index in line with the archive: add missing or stale, drop extra."""
        return self.indexer.sync()

    def reindex(self, engine: str | None = None, *, workers: int = 1) -> int:
        """Rebuild the index from the archive (with another ``engine``: convert to it).
        Documents archived before document types existed are typed first."""
        from indexer.curation import retype_archive

        with self.write_lock():
            retype_archive(self.archive, untyped_only=True)
            return self.indexer.reindex(engine, workers=workers)

    def set_cluster(
        self, nodes: str, api_key_file: str | None = None, phrases: str | None = None
    ) -> None:
        """Record the cluster's nodes, key file and phrase checking
        (:func:`indexer.cluster.set_cluster`)."""
        from indexer.cluster import set_cluster

        with self.write_lock():
            set_cluster(self.data_dir, nodes, api_key_file, phrases)

    def cluster_status(self) -> ClusterStatus:
        """The index's servers, node by node (:func:`indexer.cluster.cluster_status`)."""
        from indexer.cluster import cluster_status

        return cluster_status(self.indexer)

    def cluster_findings(self) -> dict[str, object]:
        """Leader, nodes down or behind; empty for an embedded engine."""
        from indexer.cluster import cluster_findings

        return cluster_findings(self.indexer)

    def verify(self, *, quick: bool = False, repair: bool = False) -> dict[str, object]:
        """Compare archive and index and check the stored data (see
        :meth:`Indexer.verify`); with ``repair``, mend what can be mended (under the write
        lock) and report again, with ``repaired`` and ``unrepaired``."""
        report = self.indexer.verify(quick=quick)
        if repair and not report["ok"]:
            with self.write_lock():
                mended = self.indexer.repair(report)
            report = {**self.indexer.verify(quick=quick), **mended}
        return {**report, **self.cluster_findings()}

    # -- reading -----------------------------------------------------------------------------

    def search(
        self,
        query: str,
        *,
        filters: Filters | None = None,
        sort: str = "relevance",
        limit: int = 10,
        offset: int = 0,
        facets: bool = False,
        facet_top: int | None = None,
        as_of: str | None = None,
        expand: bool = True,
        exact: bool = False,
        explain: bool = False,
        relaxed: bool = True,
        collapse: bool = True,
    ) -> SearchResult:
        """See :func:`indexer.searching.search`; ``expand=False`` searches without synonyms;
        ``exact`` searches the query as typed (no pinyin reading, no typo correction);
        ``explain`` says why each hit ranks where it does."""
        from indexer.searching import search

        return self.indexer.reading(
            lambda engine: search(
                self.archive,
                engine,
                self.validity,
                query,
                filters=filters,
                sort=sort,
                limit=limit,
                offset=offset,
                facets=facets,
                facet_top=facet_top,
                as_of=as_of,
                synonyms=self.synonyms.current() if expand else None,
                vocabulary=self.vocabulary() if query.strip() else None,
                exact=exact,
                explain=explain,
                relaxed=relaxed,
                collapse=collapse,
                rows=self.rows,
            )
        )

    def vocabulary(self) -> Vocabulary:
        """The archive's vocabulary (built or loaded on first use, shared in the process)."""
        from indexer.vocabulary import vocabulary_for

        return vocabulary_for(self.archive, self.engine)

    def add_synonym(
        self, terms: list[str], *, actor: str, note: str = "", replace: bool = False
    ) -> StaffSynonym:
        """Add a staff synonym group (see :meth:`SynonymTable.add`) under the write lock."""
        with self.write_lock():
            return self.synonyms.add(terms, actor=actor, note=note, replace=replace)

    def remove_synonym(self, entry_id: int, *, actor: str, note: str = "") -> StaffSynonym:
        """Withdraw a staff synonym entry under the write lock."""
        with self.write_lock():
            return self.synonyms.remove(entry_id, actor=actor, note=note)

    def status(self, doc: Document, as_of: str | None = None) -> Status:
        """Validity of ``doc`` on ``as_of`` (default today), with the reason."""
        return self.validity.status(doc, as_of)

    def cluster(self, doc: Document) -> Cluster:
        """Interpretations, answered requests, versions and relations of ``doc``."""
        return cluster_of(self.archive, doc)

    def versions(
        self, doc: Document, as_of: str | None = None, cluster: Cluster | None = None
    ) -> list[VersionEntry]:
        """Every version of ``doc`` with its status on ``as_of`` ([] when it has no other)."""
        from indexer.versions import version_list

        return version_list(self.validity, doc, cluster or self.cluster(doc), as_of)

    def cluster_brief(self, doc: Document, status: Status | None = None) -> dict[str, object]:
        """The cluster as ids, for a search hit: interpretations, answers, repealed-by,
        amended-by and the current version (only what is there)."""
        from indexer.searching import with_version

        brief = cluster_briefs(self.archive, [doc.id])[doc.id]
        return with_version(brief, status or self.status(doc))

    def one(self, ref: str) -> Document:
        """Exactly one document for ``ref``: :class:`NotFoundError` if none,
        :class:`~archive.errors.InvalidInput` (give the id) if several."""
        docs = self.lookup(ref)
        if not docs:
            raise NotFoundError(f"no document matches {ref!r}")
        if len(docs) > 1:
            ids = ", ".join(d.id for d in docs[:5])
            raise InvalidInput(f"{ref!r} matches {len(docs)} documents ({ids}); give the id")
        return docs[0]

    def diff(self, old_ref: str, new_ref: str) -> DiffReport:
        """新旧对照 of two documents (by id, 文号, 索引号 or title), with their status today."""
        from indexer.diff_report import compare_documents

        old, new = self.one(old_ref), self.one(new_ref)
        statuses = self.validity.statuses([old, new])
        return compare_documents(old, new, {k: v.validity for k, v in statuses.items()})

    def document_events(self, doc_id: str, *, since: str = "", limit: int = 50) -> list[Event]:
        """What happened to ``doc_id``, newest first (:mod:`indexer.following`)."""
        from indexer.following import events_for

        if not self.archive.exists(doc_id):
            raise NotFoundError(f"no document with id {doc_id}")
        return events_for(self.archive, self.validity, [doc_id], since=since, limit=limit)

    def search_events(
        self,
        query: str,
        *,
        filters: Filters | None = None,
        as_of: str | None = None,
        expand: bool = True,
        since: str = "",
        limit: int = 50,
    ) -> list[Event]:
        """Arrivals and status changes of the documents matching a search, newest first: the
        :data:`FOLLOWED_MATCHES` documents changed most recently (since ``since``) are matched
        against the search, so an old document's repeal is seen however many newer ones
        match."""
        from dataclasses import replace

        from archive.events import recent_doc_ids
        from indexer.engines.base import Filters
        from indexer.following import ACTIONS, SEARCH_KINDS, events_for
        from indexer.searching import matching_ids

        recent = frozenset(
            recent_doc_ids(self.archive, actions=ACTIONS, since=since, limit=FOLLOWED_MATCHES)
        )
        base = filters or Filters()
        chosen = replace(base, ids=recent if base.ids is None else base.ids & recent)
        if not chosen.ids:
            return []
        matched = self.indexer.reading(
            lambda engine: matching_ids(
                engine,
                self.validity,
                query,
                filters=chosen,
                as_of=as_of,
                synonyms=self.synonyms.current() if expand else None,
                vocabulary=self.vocabulary() if query.strip() else None,
                limit=len(recent),
            )
        )
        return events_for(
            self.archive, self.validity, matched, kinds=SEARCH_KINDS, since=since, limit=limit
        )

    def lookup(self, ref: str) -> list[Document]:
        """Documents by id, 文号 (any bracket style), 索引号 or exact title."""
        from indexer import lookup as lookups

        return lookups.lookup(self.archive, ref)

    def match(self, query: str) -> tuple[list[Document], str, float]:
        """Documents for one query, how they were matched and how sure the match is."""
        from indexer import lookup as lookups

        return lookups.match(self.archive, query)

    def check(self, queries: Iterable[str], as_of: str | None = None) -> list[CheckResult]:
        """For each query: the matching documents and their status on ``as_of``."""
        from indexer import lookup as lookups

        return lookups.check(self.archive, self.validity, queries, as_of)

    def decision(self, ref: str, as_of: str | None = None) -> DecisionReport:
        """What the cleanup decision ``ref`` changed, row by row (:mod:`indexer.decisions`)."""
        from indexer.decisions import decision_report

        return decision_report(self.archive, self.one(ref), as_of)

    # -- staff curation (see indexer.curation) -------------------------------------------------

    def set_status(self, doc_id: str, validity: str, **options: str) -> Status:
        return self.curator.set_status(doc_id, validity, **options)

    def link(self, src: str, rel_type: str, dst: str, **options: str) -> Relation:
        return self.curator.link(src, rel_type, dst, **options)

    def unlink(self, src: str, rel_type: str, dst: str, **options: str) -> Relation:
        return self.curator.unlink(src, rel_type, dst, **options)

    def set_relation_state(self, rel_id: int, state: str, **options: str) -> Relation:
        return self.curator.set_relation_state(rel_id, state, **options)

    def relations(self, doc_id: str) -> list[Relation]:
        return self.curator.relations(doc_id)

    def relation_rows(self, rels: list[Relation]) -> list[dict[str, object]]:
        """``rels`` as dicts, each with the titles of both ends (``src_title``, ``dst_title``)."""
        return self.curator.relation_rows(rels)

    def proposals(self) -> list[Relation]:
        return self.curator.proposals()

    def history(self, doc_id: str) -> list[dict[str, object]]:
        return self.curator.history(doc_id)

    def relink(self) -> dict[str, int]:
        return self.curator.relink()

    def set_doc_type(self, doc_id: str, value: str, **options: str) -> Document:
        return self.curator.set_doc_type(doc_id, value, **options)

    def retype(self, *, untyped_only: bool = False) -> dict[str, object]:
        return self.curator.retype(untyped_only=untyped_only)

    # -- metadata after import, withdrawal -----------------------------------------------------

    def edit(
        self,
        doc_id: str,
        fields: dict[str, str],
        *,
        actor: str = "",
        reason: str = "",
        dry_run: bool = False,
    ) -> EditResult:
        """Change a document's metadata (:func:`indexer.editing.edit_document`)."""
        from indexer.editing import edit_document, who

        return edit_document(
            self.archive,
            self.curator,
            self.write_lock,
            self.sync_index,
            doc_id,
            fields,
            actor=who(actor),
            reason=reason,
            dry_run=dry_run,
        )

    def withdraw(
        self,
        doc_id: str,
        *,
        undo: bool = False,
        actor: str = "",
        reason: str = "",
        dry_run: bool = False,
    ) -> dict[str, object]:
        """Withdraw a document from the public, or restore it (:mod:`indexer.withdrawal`)."""
        from indexer.editing import who
        from indexer.withdrawal import change_withdrawal

        return change_withdrawal(
            self.archive,
            self.write_lock,
            self.sync_index,
            doc_id,
            undo=undo,
            actor=who(actor),
            reason=reason,
            dry_run=dry_run,
        )

    def withdrawal(self, doc_id: str) -> Withdrawal | None:
        """The withdrawal of ``doc_id`` (None while it is public)."""
        return withdrawal(self.archive, doc_id)

    # -- reports and export (:mod:`indexer.annual_report`, :mod:`indexer.export`) ----------------

    def annual_report(self, year: int, agencies: Sequence[str] = ()) -> AnnualReport:
        """The 年度报告 tables for ``year``; outcomes read from answers for the first time are
        stored unless this data directory is open read-only or busy (then next time)."""
        from indexer.annual_report import annual_report

        return annual_report(
            self.archive, year, agencies, view=self.validity, record=self._record_outcomes
        )

    def _record_outcomes(self, found: dict[str, tuple[str, str]]) -> int:
        if self.readonly:
            return 0
        from archive.outcomes import Outcomes

        try:
            with self.write_lock():
                return Outcomes(self.archive).record_auto(found)
        except BusyError:
            return 0

    def set_outcome(self, doc_id: str, value: str, *, reason: str, actor: str) -> Outcome:
        """Staff's outcome (a code or its Chinese label) for the answer ``doc_id``, with the
        reason, kept in the history and never read from the text again."""
        from archive.outcomes import OUTCOMES, Outcomes, canonical_outcome

        code = canonical_outcome(value)
        if code is None:
            raise InvalidInput(
                f"unknown outcome {value!r} (one of {', '.join(OUTCOMES)}, or its label such "
                "as 予以公开 or 本机关不掌握相关政府信息)"
            )
        with self.write_lock():
            return Outcomes(self.archive).set(doc_id, code, reason=reason, actor=actor)

    def catalogue(
        self, chosen: CatalogueFilter | None = None, *, valid_only: bool = False
    ) -> Iterator[dict[str, str]]:
        """The catalogue rows of :func:`indexer.export.catalogue` (streamed)."""
        from indexer.export import catalogue

        return catalogue(self.archive, chosen, valid_only=valid_only, view=self.validity)
