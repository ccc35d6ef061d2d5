"""The import as one call: :func:`import_items`, used by the CLI (files, manifests and dry
runs), the staff upload form and the benchmarks alike (through :class:`indexer.service.Gongkai`
or directly for a dry run, which needs no data directory).

It declares the stages (:func:`indexer.pipeline.plan`): read → build → commit, then for every
committed batch :class:`LinkStage` (relations among documents, :mod:`indexer.linking`) and
:class:`IndexStage` (the index, in a background process once the import is large), and after the
run :class:`AttachmentStage` (附件 among the run's files, :mod:`indexer.attachments`).

A real import is a run (:mod:`archive.runs`): recorded when it starts, finished with its counts
and what became of each item and where it came from (provenance). The commit stage finds
copies of archived documents (:mod:`indexer.near_duplicates`) and keeps them with those
documents as ``duplicate-text`` unless ``keep_copies``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING

from archive import Archive
from archive.errors import UnavailableError
from indexer import pipeline
from indexer.engines import text_spec
from indexer.items import FAILED, UPDATED, Batch, ImportReport, Item, ProgressCallback
from indexer.reading import file_items, iter_files

if TYPE_CHECKING:
    from archive.runs import Runs
    from indexer.engines.background import BackgroundWriter
    from indexer.indexing import Indexer
    from indexer.linking import Linker

log = logging.getLogger("gongkai")


@dataclass
class ImportOptions:
    """How to import: progress callback, size cap per file, worker processes, dry run; with
    ``isolate``, no file is extracted in the importing process (a web server's uploads);
    ``actor`` is who imports, recorded in each document's ``import`` history entry in the
    same transaction as the document (a staff account for an upload); ``expected``: how many
    items, when known (a small import starts no workers)."""

    on_progress: ProgressCallback | None = None
    max_bytes: int | None = None
    workers: int = 1
    dry_run: bool = False
    isolate: bool = False
    actor: str = "import"
    expected: int | None = None
    #: Who a manifest row that updates an archived document is recorded under (default: the
    #: account running the import), and why (:mod:`indexer.editing`).
    editor: str = ""
    reason: str = ""
    #: Import copies of archived documents as documents of their own (``--keep-copies``).
    keep_copies: bool = False
    #: Who runs the import (the run's ``actor``; default: ``actor``) and with what arguments.
    who: str = ""
    arguments: dict[str, object] | None = None


def items_from(
    *,
    paths: Sequence[Path] = (),
    manifest: Path | None = None,
    follow_symlinks: bool = False,
    allow_outside: bool = False,
) -> Iterator[Item]:
    """What to import: the files under ``paths`` (folders walked; links out of them only with
    ``follow_symlinks``), then the rows of ``manifest`` (a JSONL/CSV file, see
    :mod:`indexer.manifest`; paths out of its folder only with ``allow_outside``)."""
    yield from file_items(iter_files(paths, follow_symlinks=follow_symlinks), paths)
    if manifest is not None:
        from indexer.manifest import manifest_items

        yield from manifest_items(manifest, allow_outside=allow_outside)


def run_items(
    files: Iterable[tuple[Path, str]] = (),
    manifest: Path | None = None,
    *,
    allow_outside: bool = False,
    on_error: str = "skip",
    data_dir: Path | None = None,
    roots: Iterable[Path] = (),
) -> Iterator[Item]:
    """What one ``gongkai import`` brings in: the listed files (path, reason to skip), then
    the rows of ``manifest``. With ``on_error="stop"``, a manifest with any bad row (a bad
    value, a missing file, or a row without content that matches no single document of the
    archive in ``data_dir``) is refused here, before anything is applied
    (:class:`indexer.manifest.ManifestRowsError`, exit 2); with ``"skip"`` bad rows are
    reported one by one and the good ones applied."""
    from indexer.manifest import (
        ON_ERROR,
        check_rows,
        manifest_format,
        manifest_items,
        refuse_bad_rows,
    )

    if on_error not in ON_ERROR:
        raise ValueError(f"on_error must be one of {ON_ERROR}")
    if manifest is not None:
        manifest_format(manifest)  # an unknown format is refused before anything starts
        if on_error == "stop":
            bad = check_rows(manifest, allow_outside=allow_outside)
            refuse_bad_rows(bad or _unmatched_rows(manifest, allow_outside, data_dir))
    items = file_items(files, roots)
    if manifest is None:
        return items
    return chain(items, manifest_items(manifest, allow_outside=allow_outside))


def _unmatched_rows(
    manifest: Path, allow_outside: bool, data_dir: Path | None
) -> list[tuple[str, str]]:
    """(label, reason) of the rows of ``manifest`` with only metadata that would fail against
    the archive in ``data_dir`` (none or several documents match): a dry run of the updates."""
    from indexer.editing import updating
    from indexer.manifest import NO_CONTENT, manifest_items

    archive = Archive.open_untouched(data_dir) if data_dir is not None else None
    try:
        rows = (
            i for i in manifest_items(manifest, allow_outside=allow_outside) if i.skip == NO_CONTENT
        )
        checked = updating(rows, archive, actor="check", dry_run=True)
        return [(i.label, i.skip) for i in checked if i.skip_status == FAILED]
    finally:
        if archive is not None:
            archive.close()


def import_items(
    items: Iterable[Item],
    options: ImportOptions,
    *,
    indexer: Indexer | None = None,
    data_dir: Path | None = None,
) -> ImportReport:
    """Import ``items`` into the archive of ``indexer`` (whose caller holds the write lock),
    indexing as they commit; or, with ``options.dry_run``, say what importing them into
    ``data_dir`` would do, writing nothing anywhere (the directory need not exist)."""
    from indexer.editing import updating, who

    report = ImportReport()
    editor = who(options.editor)
    if options.dry_run:
        archive = Archive.open_untouched(data_dir) if data_dir is not None else None
        items = updating(items, archive, actor=editor, reason=options.reason, dry_run=True)
        try:
            stages = pipeline.plan(
                archive,
                report,
                dry_run=True,
                workers=options.workers,
                max_bytes=options.max_bytes,
                on_progress=options.on_progress,
                isolate=options.isolate,
                expected=options.expected,
            )
            return pipeline.run(stages, items, report)
        finally:
            if archive is not None:
                archive.close()
    if indexer is None:
        raise ValueError("a real import needs the data directory's Indexer")
    indexer.sync()  # finish what an interrupted run left unindexed
    from archive.runs import Runs
    from indexer.decisions import apply_to_batch
    from indexer.linking import Linker
    from indexer.manifest_links import apply_claims
    from indexer.near_duplicates import CopyFinder
    from indexer.versioning import chain_versions

    copies = CopyFinder(indexer.archive)
    copies.fill_missing()  # an archive from before fingerprints, once
    runs = Runs(indexer.archive)
    arguments = {"keep_copies": options.keep_copies, **(options.arguments or {})}
    report.run_id = runs.start(options.who or options.actor, arguments)
    seen: dict[str, tuple[Path | None, bool]] = {}
    origins: dict[str, tuple[str, str]] = {}
    index = IndexStage(indexer)
    stages = pipeline.plan(
        indexer.archive,
        report,
        workers=options.workers,
        max_bytes=options.max_bytes,
        on_progress=options.on_progress,
        isolate=options.isolate,
        actor=options.actor,
        prepare=True,
        text_spec=text_spec(indexer.engine),
        batch=[
            LinkStage(
                Linker(indexer.archive, steps=[apply_to_batch, apply_claims, chain_versions])
            ),
            index,
        ],
        finish=[index.flush_stage(), AttachmentStage(indexer, seen), VocabularyStage(indexer)],
        expected=options.expected,
        copies=copies,
        keep_copies=options.keep_copies,
    )
    items = updating(items, indexer.archive, actor=editor, reason=options.reason)
    try:
        pipeline.run(stages, _tracked(items, seen, origins), report)
    finally:
        index.close()  # cut short (an error, Ctrl-C): the next run indexes what is missing
        _finish_run(runs, report, origins)
    if report.counts()[UPDATED]:
        indexer.sync()  # the updated documents' new revisions
    return report


def _finish_run(runs: Runs, report: ImportReport, origins: dict[str, tuple[str, str]]) -> None:
    """Record the run's end: its counts, and each reported item with where it came from. A
    run cut short records what it reported; a failure here never hides the run's own."""
    from archive.runs import RunItem

    if report.run_id is None:
        return
    items = [
        RunItem(seq, o.path, o.status, o.id, *origins.get(o.path, ("", "")), reason=o.reason)
        for seq, o in enumerate(report.outcomes, start=1)
    ]
    try:
        runs.finish(report.run_id, report.counts(), items, report.stopped)
    except UnavailableError:
        pass  # the database went away: the run's own error says so (it stays unfinished)
    except Exception:
        log.exception("recording the end of import run %s failed", report.run_id)


def _tracked(
    items: Iterable[Item],
    seen: dict[str, tuple[Path | None, bool]],
    origins: dict[str, tuple[str, str]],
) -> Iterator[Item]:
    """``items``, noting where each came from (for attachments and the run's record)."""
    for item in items:
        if item.source_path or item.manifest_row:
            origins[item.label] = (item.source_path, item.manifest_row)
        if not item.skip:
            path = None if item.data is not None else item.path
            seen[item.label] = (path, bool(item.meta and "kind" in item.meta))
        yield item


class LinkStage:
    """Relations among the batch's documents and the archive (:class:`Linker`); the other
    documents it changed are re-indexed with the batch. Linking never loses an import: on a
    failure the documents stay archived, and ``gongkai relink`` links them later."""

    name = "link"

    def __init__(self, linker: Linker) -> None:
        self.linker = linker

    def run(self, batch: Batch) -> None:
        try:
            batch.affected |= self.linker.link(batch.docs, batch.prepared).affected
        except Exception:
            log.exception("linking failed for %d documents", len(batch.docs))


class IndexStage:
    """The batch's index entries, with what linking changed: written here, or from the first
    full batch on by a :class:`BackgroundWriter` child process, so that writing the index
    overlaps committing the next batch. If the writer dies, the archive holds everything and
    :meth:`close` indexes from it what the writer did not."""

    name = "index"

    def __init__(self, indexer: Indexer) -> None:
        self.indexer = indexer
        self.writer: BackgroundWriter | None = None

    def run(self, batch: Batch) -> None:
        ids = [d.id for d in batch.docs]
        ids += sorted(batch.affected - set(ids))
        fresh = self.indexer.archive.get_many(ids)  # revisions bumped by linking
        entries = self.indexer.entries(fresh.values(), batch.prepared)
        if self.writer is None and batch.is_full:
            from indexer.engines.background import BackgroundWriter

            self.writer = BackgroundWriter(
                self.indexer.data_dir, self.indexer.engine_name, self.indexer.index_dir
            )
        if self.writer is not None:
            self.writer.add(entries)
        else:
            self.indexer.engine.add(entries)

    def flush_stage(self) -> _IndexFlush:
        """The finishing stage that waits for the writer (before attachments are linked)."""
        return _IndexFlush(self)

    def close(self) -> None:
        """Wait for the background writer and make the index current; index from the archive
        whatever the writer did not write. Safe to call more than once."""
        complete = self.writer.close() if self.writer is not None else True
        self.writer = None
        self.indexer.engine.refresh()
        if not complete:
            self.indexer.sync()


class _IndexFlush:
    name = "index-flush"

    def __init__(self, stage: IndexStage) -> None:
        self.stage = stage

    def run(self, report: ImportReport) -> None:
        self.stage.close()


class AttachmentStage:
    """Links the attachments (附件) among what the run imported or found already there."""

    name = "attachments"

    def __init__(self, indexer: Indexer, seen: dict[str, tuple[Path | None, bool]]) -> None:
        self.indexer = indexer
        self.seen = seen

    def run(self, report: ImportReport) -> None:
        from indexer.attachments import RunFile, link_attachments

        run = [
            RunFile(o.id, *self.seen[o.path])
            for o in report.outcomes
            if o.id and o.status in ("imported", "duplicate") and o.path in self.seen
        ]
        try:
            linked = link_attachments(self.indexer.archive, run)
        except Exception:  # linking must never lose an import; the files are all archived
            log.exception("linking attachments failed")
            return
        report.attachments = linked.linked
        if linked.kind_changed:
            self.indexer.sync()


class VocabularyStage:
    """Builds and saves the archive's vocabulary (pinyin, typo correction, cut phrases) once
    the run has imported something, so that no search has to (:meth:`Indexer.refresh_vocabulary`):
    at 100,000 documents a build takes seconds a reader should not wait."""

    name = "vocabulary"

    def __init__(self, indexer: Indexer) -> None:
        self.indexer = indexer

    def run(self, report: ImportReport) -> None:
        counts = report.counts()
        if counts.get("imported") or counts.get("updated"):
            self.indexer.refresh_vocabulary()
