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
look-up and check     :mod:`indexer.lookup`
staff curation        :mod:`indexer.curation`
====================  ==========================================================
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from archive import Archive, Document
from archive.errors import NotFoundError
from archive.relations import Relation
from archive.validity import Cluster, Status, cluster_briefs, cluster_of
from indexer import lookup as lookups
from indexer.config import (
    CONFIG_NAME,
    EngineChangeError,
    engine_name,
    ensure_config,
    init_data_dir,
    read_config,
    write_config,
)
from indexer.curation import Curator
from indexer.engines import ENGINES, open_engine
from indexer.engines.base import Engine, Filters, IndexDoc
from indexer.importing import ImportOptions, run_import
from indexer.indexing import Indexer, index_doc
from indexer.locking import write_lock
from indexer.lookup import CheckResult
from indexer.pipeline import (
    FAILED,
    SKIPPED,
    ImportReport,
    Item,
    Prepared,
    ProgressCallback,
    iter_files,
)
from indexer.searching import Hit, SearchResult, search, with_version
from indexer.validity_view import ValidityView

__all__ = [
    "CONFIG_NAME",
    "ENGINES",
    "CheckResult",
    "EngineChangeError",
    "Gongkai",
    "Hit",
    "SearchResult",
    "index_doc",
    "init_data_dir",
    "open_engine",
    "read_config",
    "write_config",
]


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
        config = read_config(self.data_dir) if readonly else ensure_config(self.data_dir)
        self.indexer = Indexer(self.archive, self.data_dir, engine_name(config), readonly=readonly)
        self.validity = ValidityView(self.archive)
        self.curator = Curator(self.archive, self.validity, self.write_lock, self.sync_index)

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
    ) -> ImportReport:
        """Import files and manifest rows under the write lock, indexing as they commit."""
        with self.write_lock():
            return run_import(self.indexer, items, ImportOptions(on_progress, max_bytes, workers))

    def import_paths(self, paths: Iterable[Path], **options: object) -> ImportReport:
        """Import files and folders (see :func:`indexer.pipeline.iter_files`)."""
        return self.import_files(iter_files(paths), **options)  # type: ignore[arg-type]

    def import_files(self, files: Iterable[tuple[Path, str]], **options: object) -> ImportReport:
        """Import listed files (path, reason to skip or "")."""
        items = (
            Item(str(p), p, skip=r, skip_status=SKIPPED if (r and p.exists()) else FAILED)
            for p, r in files
        )
        return self.import_items(items, **options)  # type: ignore[arg-type]

    def import_manifest(self, manifest: Path, **options: object) -> ImportReport:
        """Import the rows of a JSONL/CSV manifest (see :mod:`indexer.manifest`)."""
        from indexer.manifest import manifest_format, manifest_items

        manifest_format(manifest)  # refuse an unknown format before taking the lock
        return self.import_items(manifest_items(manifest), **options)  # type: ignore[arg-type]

    # -- the index ---------------------------------------------------------------------------

    def sync_index(self) -> dict[str, int]:
        """Bring the index in line with the archive: add missing or stale, drop extra."""
        return self.indexer.sync()

    def reindex(self, engine: str | None = None, *, workers: int = 1) -> int:
        """Rebuild the index from the archive (with another ``engine``: convert to it)."""
        with self.write_lock():
            return self.indexer.reindex(engine, workers=workers)

    def index_docs(
        self, docs: Iterable[Document], prepared: dict[str, Prepared] | None = None
    ) -> list[IndexDoc]:
        return self.indexer.entries(docs, prepared)

    def verify(self) -> dict[str, object]:
        """Compare archive and index (and the original files); nothing is changed."""
        return self.indexer.verify()

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
        as_of: str | None = None,
        relaxed: bool = True,
        collapse: bool = True,
    ) -> SearchResult:
        """See :func:`indexer.searching.search`."""
        return search(
            self.archive,
            self.engine,
            self.validity,
            query,
            filters=filters,
            sort=sort,
            limit=limit,
            offset=offset,
            facets=facets,
            as_of=as_of,
            relaxed=relaxed,
            collapse=collapse,
        )

    def status(self, doc: Document, as_of: str | None = None) -> Status:
        """Validity of ``doc`` on ``as_of`` (default today), with the reason."""
        return self.validity.status(doc, as_of)

    def cluster(self, doc: Document) -> Cluster:
        """Interpretations, answered requests, versions and relations of ``doc``."""
        return cluster_of(self.archive, doc)

    def cluster_brief(self, doc: Document, status: Status | None = None) -> dict[str, object]:
        """The cluster as ids, for a search hit: interpretations, answers, repealed-by,
        amended-by and the current version (only what is there)."""
        brief = cluster_briefs(self.archive, [doc.id])[doc.id]
        return with_version(brief, status or self.status(doc))

    def lookup(self, ref: str) -> list[Document]:
        """Documents by id, 文号 (any bracket style), 索引号 or exact title."""
        return lookups.lookup(self.archive, ref)

    def match(self, query: str) -> tuple[list[Document], str, float]:
        """Documents for one query, how they were matched and how sure the match is."""
        return lookups.match(self.archive, query)

    def check(self, queries: Iterable[str], as_of: str | None = None) -> list[CheckResult]:
        """For each query: the matching documents and their status on ``as_of``."""
        return lookups.check(self.archive, self.validity, queries, as_of)

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

    def proposals(self) -> list[Relation]:
        return self.curator.proposals()

    def history(self, doc_id: str) -> list[dict[str, object]]:
        return self.curator.history(doc_id)

    def relink(self) -> dict[str, int]:
        return self.curator.relink()
