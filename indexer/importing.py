"""The import as one call: commit files and manifest rows to the archive, link them, index them.

:func:`run_import` is the one entry point that the CLI, the staff upload form, manifests and
dry runs all use. It drives :func:`indexer.pipeline.import_items` (read → extract and build →
commit), and for every committed batch links the documents (:class:`indexer.linking.Linker`)
and hands their index entries to the engine — in a background process once the import is large
(:class:`indexer.engines.background.BackgroundWriter`). After the run, attachments (附件) found
among its files are linked to their main documents.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from archive import Document
from indexer.pipeline import (
    DEFAULT_MAX_BYTES,
    ImportReport,
    Item,
    Prepared,
    ProgressCallback,
    import_items,
    is_full_batch,
)

if TYPE_CHECKING:
    from indexer.engines.background import BackgroundWriter
    from indexer.indexing import Indexer

log = logging.getLogger("gongkai")


@dataclass
class ImportOptions:
    """How to import: progress callback, size cap per file, worker processes."""

    on_progress: ProgressCallback | None = None
    max_bytes: int | None = None
    workers: int = 1


@dataclass
class _Run:
    """What one import run carries between its stages."""

    indexer: Indexer
    prepared: dict[str, Prepared] = field(default_factory=dict)  # by the workers, by id
    seen: dict[str, tuple[Path | None, bool]] = field(default_factory=dict)  # for attachments
    writer: BackgroundWriter | None = None


def run_import(indexer: Indexer, items: Iterable[Item], options: ImportOptions) -> ImportReport:
    """Import ``items`` into the archive of ``indexer``, indexing as they commit. The caller
    holds the write lock."""
    indexer.sync()  # finish what an interrupted run left unindexed
    run = _Run(indexer)
    linker = _linker(indexer)
    try:
        report = import_items(
            indexer.archive,
            _tracked(items, run.seen),
            on_committed=lambda docs: _index_batch(run, linker, docs),
            on_progress=options.on_progress,
            workers=options.workers,
            prepared=run.prepared,
            max_bytes=options.max_bytes or DEFAULT_MAX_BYTES,
        )
    finally:
        # Cut short (an error, Ctrl-C), the next run indexes what is missing.
        complete = run.writer.close() if run.writer is not None else True
        indexer.engine.refresh()
    if not complete:  # index from the archive what the writer did not
        indexer.sync()
    _link_attachments(indexer, report, run.seen)
    return report


def _linker(indexer: Indexer):  # type: ignore[no-untyped-def]
    from indexer.linking import Linker

    return Linker(indexer.archive)


def _tracked(items: Iterable[Item], seen: dict[str, tuple[Path | None, bool]]) -> Iterator[Item]:
    """``items``, noting where each came from (for attachments)."""
    for item in items:
        if not item.skip:
            path = None if item.data is not None else item.path
            seen[item.label] = (path, bool(item.meta and "kind" in item.meta))
        yield item


def _index_batch(run: _Run, linker, docs: list[Document]) -> None:  # type: ignore[no-untyped-def]
    """Link a committed batch, then index it and whatever linking changed."""
    archive = run.indexer.archive
    ids = [d.id for d in docs]
    try:
        ids += sorted(linker.link(docs, run.prepared).affected - set(ids))
    except Exception:  # linking must never lose an import; relink later
        log.exception("linking failed for %d documents", len(docs))
    fresh = archive.get_many(ids)  # revisions bumped by linking
    entries = run.indexer.entries(fresh.values(), run.prepared)
    if run.writer is None and is_full_batch(docs):
        # A large import: index in a child process from now on, so that writing the index
        # overlaps committing the next batch.
        from indexer.engines.background import BackgroundWriter

        run.writer = BackgroundWriter(run.indexer.data_dir, run.indexer.engine_name)
    if run.writer is not None:
        run.writer.add(entries)
    else:
        run.indexer.engine.add(entries)


def _link_attachments(
    indexer: Indexer, report: ImportReport, seen: dict[str, tuple[Path | None, bool]]
) -> None:
    """Link the attachments (附件) among what this run imported or found already there."""
    from indexer.attachments import RunFile, link_attachments

    run = [
        RunFile(o.id, *seen[o.path])
        for o in report.outcomes
        if o.id and o.status in ("imported", "duplicate") and o.path in seen
    ]
    try:
        linked = link_attachments(indexer.archive, run)
    except Exception:  # linking must never lose an import; the files are all archived
        log.exception("linking attachments failed")
        return
    report.attachments = linked.linked
    if linked.kind_changed:
        indexer.sync()
