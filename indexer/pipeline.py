"""The import as a declared sequence of stages, and the one loop that runs them.

    read ─▶ build ─▶ commit ─▶ (per committed batch) link ─▶ index ─▶ (after the run) attachments

Each item is read (:class:`ReadStage`: skip, size cap, bytes, hash, known duplicate), built
(:class:`BuildStage`: extraction and header, in worker processes when there are several) and
committed (:class:`CommitStage`: the archive's rows in groups; :class:`DryRunStage` only checks).
Committed documents go on in batches to the batch stages that :mod:`indexer.importing`
declares (linking, the index), and after the run to its finishing stages (attachments). The
order of the stages is data (:class:`Stages`), as in paperless-ngx's consumer plugins.

Each file is read, built and added on its own, so one bad file never stops the rest and never
leaves anything half-imported. Additions are committed in small groups (one transaction and one
flush of the original files per group); a run cut short loses only its open group, and running
it again resumes. If the process dies before a batch reaches the index, the next run (or
``gongkai reindex``/``verify --repair``) indexes them from the archive.
"""

from __future__ import annotations

import sqlite3
import time
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Protocol

from archive import Archive, Document, DuplicateIdError
from archive.errors import is_disk_full
from archive.originals import sha256_of
from archive.planner import refresh_statistics
from indexer.building import PRELOAD, WORKER_MEMORY, build_chunk, build_safely, isolated
from indexer.dry_run_stage import DryRunStage
from indexer.extract import ExtractionError, ocr
from indexer.items import (
    BATCH_CHARS,
    BATCH_DOCS,
    DEFAULT_MAX_BYTES,
    DUPLICATE,
    DUPLICATE_TEXT,
    FAILED,
    IMPORTED,
    Batch,
    FileOutcome,
    ImportReport,
    Item,
    Prepared,
    ProgressCallback,
)
from indexer.read_ahead import bytes_of, read_ahead
from indexer.workers import CHUNK_ITEMS, WorkerPool

if TYPE_CHECKING:
    from indexer.near_duplicates import CopyFinder

#: Documents are committed to the archive in groups of at most this many, or this much time.
GROUP_DOCS = 200
GROUP_SECONDS = 1.0
#: With workers, at most WINDOW_ITEMS items a worker (WINDOW_BYTES bytes in all) are read
#: ahead of the one being committed.
WINDOW_ITEMS = 4 * CHUNK_ITEMS
WINDOW_BYTES = 64_000_000
#: An import expected to have fewer items than this is built in the importing process alone.
SERIAL_ITEMS = 2 * CHUNK_ITEMS

Built = Document | str | tuple[Document, Prepared]


class BatchStage(Protocol):
    """A stage that runs on each batch of committed documents (linking, indexing)."""

    name: str

    def run(self, batch: Batch) -> None: ...


class FinishStage(Protocol):
    """A stage that runs once after the last batch, with the whole run's report."""

    name: str

    def run(self, report: ImportReport) -> None: ...


# -- read ------------------------------------------------------------------------------------


class ReadStage:
    """An item's bytes, or its outcome when it is skipped, unreadable or already archived
    (or, in a dry run, already seen earlier in the run)."""

    name = "read"

    def __init__(
        self,
        archive: Archive | None,
        max_bytes: int,
        *,
        dry_run: bool,
        copies: CopyFinder | None = None,
    ) -> None:
        self.archive = archive
        self.max_bytes = max_bytes
        self.hashes: dict[str, str] | None = {} if dry_run else None  # digest → first label
        self.copies = copies  # bytes kept as a copy of a document are not built again
        self.held: dict[int, tuple[Item, bytes]] = {}  # files read ahead (indexer.read_ahead)

    def run(self, item: Item) -> bytes | FileOutcome:
        label = item.label
        if item.skip:
            return FileOutcome(
                label, item.skip_status, item.skip_id, reason=item.skip, changes=item.changes
            )
        try:
            data, hashed = bytes_of(item, self.max_bytes, self.held)
        except ExtractionError as exc:
            return FileOutcome(label, FAILED, reason=str(exc))
        except PermissionError:
            return FileOutcome(label, FAILED, reason="permission denied")
        except OSError as exc:
            return FileOutcome(label, FAILED, reason=f"cannot read: {exc.strerror or exc}")
        if not hashed:  # (else hashed when looked up ahead)
            item.sha256 = sha256_of(data)
        digest = item.sha256
        existing = self.archive.has_sha256(digest) if self.archive is not None else None
        if existing:  # skip extraction for known bytes
            reason = f"same bytes as {existing}"
            restoring = self.hashes is None and self.archive is not None
            if restoring and self.archive.restore_original(digest, data):  # type: ignore[union-attr]
                reason += "; its missing or damaged original file was restored"
            return FileOutcome(label, DUPLICATE, existing, reason=reason)
        kept = self.copies.store.copy_of(digest) if self.copies is not None else None
        if kept is not None:
            held = self.archive.get(kept.doc_id) if self.archive is not None else None
            title = held.title if held is not None else ""
            reason = f"same bytes as a copy of {kept.doc_id} 《{title}》"
            return FileOutcome(label, DUPLICATE_TEXT, kept.doc_id, title, reason=reason)
        if self.hashes is not None:
            earlier = self.hashes.get(digest)
            if earlier is not None:
                return FileOutcome(label, DUPLICATE, reason=f"same bytes as {earlier}")
            self.hashes[digest] = label
        return data


# -- build -----------------------------------------------------------------------------------


class BuildStage:
    """Documents built from bytes (:func:`indexer.building.build_safely`): here, or in
    ``workers`` processes with at most :data:`WINDOW_ITEMS` items each read ahead. With
    ``originals`` (the store's root), each built document's original is written there; with
    ``prepare``, documents come with their :class:`~indexer.items.Prepared` work (with a
    ``text_spec``, the index engine's own fields too: :func:`indexer.engines.text_spec`).

    Workers may each grow by :data:`~indexer.building.WORKER_MEMORY` bytes. Without workers,
    formats that inflate data (:func:`~indexer.building.isolated`), or every item with
    ``isolate`` (the web server's uploads), are still built in one worker process, started
    when first needed, so that no hostile file is ever extracted in this process.

    Starting workers costs about a second (a fork server that imports the extractors and the
    segmenter), more than building a few dozen documents takes, so an import expected to
    have fewer than :data:`SERIAL_ITEMS` items (``expected``) builds its plain-text files
    here."""

    name = "build"

    def __init__(
        self,
        workers: int,
        *,
        prepare: bool,
        originals: str,
        isolate: bool = False,
        expected: int | None = None,
        text_spec: str = "",
    ) -> None:
        self.workers = workers if expected is None or expected >= SERIAL_ITEMS else 1
        self.prepare = prepare and self.workers > 1
        self.text_spec = text_spec
        self.originals = originals
        self.isolate = isolate
        self.pool: WorkerPool | None = None
        self.single: WorkerPool | None = None  # without workers: for isolated items

    def setup(self) -> None:
        if self.workers > 1:
            self.pool = self._pool(self.workers, self.prepare)

    def _pool(self, workers: int, prepare: bool) -> WorkerPool:
        return WorkerPool(
            workers,
            build_chunk,
            prepare,
            self.originals,
            ocr.chosen(),
            self.text_spec if prepare else "",
            preload=PRELOAD,
            memory_limit=WORKER_MEMORY,
        )

    def submit(self, item: Item, data: bytes) -> object:
        """Start building; the ticket's :meth:`result` is the built document."""
        if self.pool is None:
            if self.isolate or isolated(item):
                if self.single is None:
                    self.single = self._pool(1, False)
                return self.single.result(self.single.submit(item, data))
            return build_safely(item, data, False, self.originals)
        return self.pool.submit(item, data)

    def result(self, ticket: object) -> Built:
        if self.pool is None:
            return ticket  # type: ignore[return-value]
        return self.pool.result(ticket)  # type: ignore[arg-type]

    def ahead(self) -> int:
        """How many items may be read ahead of the one being committed."""
        return WINDOW_ITEMS * self.workers if self.pool is not None else 0

    def cleanup(self) -> None:
        for pool in (self.pool, self.single):
            if pool is not None:
                pool.shutdown()
        self.pool = self.single = None


# -- commit ----------------------------------------------------------------------------------


class CommitStage:
    """Adds built documents to the archive in groups (:meth:`Archive.begin_group`): up to
    :data:`GROUP_DOCS` of them or :data:`GROUP_SECONDS` of work, whichever comes first. The
    outcomes of a group's items are held until it commits, so that what is reported as
    imported (the progress bar, the report file) is always in the archive; a run cut short
    loses only its open group, which the next run imports again."""

    name = "commit"

    def __init__(
        self,
        archive: Archive,
        report: ImportReport,
        on_progress: ProgressCallback | None,
        actor: str = "import",
        copies: CopyFinder | None = None,
        keep_copies: bool = False,
    ) -> None:
        self.archive = archive
        self.report = report
        self.on_progress = on_progress
        self.actor = actor  # who imports: in each document's import history entry
        #: Fingerprints each document; unless ``keep_copies``, a copy of an archived document
        #: is kept with it instead of imported (see :mod:`indexer.near_duplicates`).
        self.copies = copies
        self.keep_copies = keep_copies
        self.held: list[FileOutcome] = []
        self.started: float | None = None  # when the open group began
        self.added = 0

    def setup(self) -> None:
        pass

    def run(
        self, item: Item, data: bytes, built: Document | str, prepared: Prepared | None = None
    ) -> FileOutcome:
        """Add ``built`` (or report why it could not be built, or keep it as the copy of an
        archived document)."""
        label = item.label
        if not isinstance(built, Document):
            return FileOutcome(label, FAILED, reason=str(built))
        print_ = None
        if self.copies is not None:
            from indexer.near_duplicates import fingerprint

            done = prepared.fingerprint if prepared is not None else None
            print_ = done or fingerprint(built.text)
            match = None if self.keep_copies else self.copies.find(built, print_)
            if match is not None:
                self._open()
                self.copies.keep(
                    match,
                    built,
                    data,
                    item.sha256,
                    actor=self.actor,
                    run_id=self.report.run_id,
                    path=item.source_path,
                )
                return FileOutcome(
                    label, DUPLICATE_TEXT, match.doc_id, match.title, reason=match.reason
                )
        self._open()
        try:
            result = self.archive.add(
                built,
                data,
                actor=self.actor,
                sha256=item.sha256,
                stored=True,
                provenance=item.provenance(self.report.run_id),
                fingerprint=None if print_ is None else print_.stored(),
            )  # (the fingerprint written with the row: one round trip on PostgreSQL)
        except DuplicateIdError as exc:
            return FileOutcome(label, FAILED, reason=str(exc))
        if result.status == DUPLICATE:
            return FileOutcome(label, DUPLICATE, result.id, reason=f"same bytes as {result.id}")
        if self.copies is not None and print_ is not None:
            self.copies.noted(print_)
        return FileOutcome(label, IMPORTED, result.id, built.title)

    def emit(self, outcome: FileOutcome) -> None:
        """Report ``outcome`` once its group has committed."""
        self.held.append(outcome)
        if self.started is None:
            self._flush()

    def checkpoint(self, batch_ends: bool) -> None:
        """Commit the open group when a batch ends or the group is due."""
        if self.started is not None and (
            batch_ends
            or self.added >= GROUP_DOCS
            or time.monotonic() - self.started >= GROUP_SECONDS
        ):
            self.commit()

    def commit(self) -> None:
        if self.started is not None:
            self.archive.commit_group()
            self.started = None
        self._flush()

    def cleanup(self) -> None:
        """Drop only what an error cut short; committed groups stay."""
        if self.started is not None:
            self.archive.rollback_group()
            self.started = None
        self.held.clear()

    def fail_group(self, reason: str) -> None:
        """The open group cannot be written (a full disk): roll it back and report its
        items as failed with ``reason``."""
        if self.started is not None:
            self.archive.rollback_group()
            self.started = None
        self.held = [
            replace(o, status=FAILED, id="", title="", reason=reason)
            if o.status in (IMPORTED, DUPLICATE_TEXT)  # a copy's record is rolled back too
            else o
            for o in self.held
        ]
        self._flush()

    def remove_orphans(self, since: float) -> int:
        """Remove the originals written since ``since`` that no committed document names
        (after the build workers stopped: they write originals ahead of the commit)."""
        referenced = set(self.archive.digests().values())
        if self.copies is not None:
            referenced |= self.copies.store.copy_digests()
        return self.archive.originals.remove_unreferenced(referenced, since=since)

    def _open(self) -> None:
        if self.started is None:
            self.archive.begin_group()
            self.started = time.monotonic()
            self.added = 0
        self.added += 1

    def _flush(self) -> None:
        for outcome in self.held:
            self.report.outcomes.append(outcome)
            if self.on_progress:
                self.on_progress(outcome)
        self.held.clear()


# -- the run ---------------------------------------------------------------------------------


@dataclass
class Stages:
    """The import's stages, in the order they run."""

    read: ReadStage
    build: BuildStage
    commit: CommitStage | DryRunStage
    batch: Sequence[BatchStage] = ()
    finish: Sequence[FinishStage] = ()
    batch_docs: int = BATCH_DOCS

    @property
    def names(self) -> list[str]:
        return [
            self.read.name,
            self.build.name,
            self.commit.name,
            *(s.name for s in self.batch),
            *(s.name for s in self.finish),
        ]


@dataclass
class _Pending:
    """Committed documents not yet handed to the batch stages."""

    docs: list[Document] = field(default_factory=list)
    prepared: dict[str, Prepared] = field(default_factory=dict)
    chars: int = 0

    def take(self, *, full: bool = False) -> Batch:
        batch = Batch(self.docs, self.prepared, is_full=full)
        self.docs, self.prepared, self.chars = [], {}, 0
        return batch


def run(stages: Stages, items: Iterable[Item], report: ImportReport) -> ImportReport:
    """Run ``items`` through ``stages`` in order with one committing process (this one).

    Reading, the duplicate check and the commit happen here; building runs in the build
    stage's workers, with a bounded window of items read ahead, so memory stays bounded
    however many items there are. Outcomes are reported in input order.

    A full disk stops the run cleanly: the open group is rolled back and its items reported
    failed, the originals it wrote are removed, and ``report.stopped`` says why; what was
    committed before stays (and is indexed when there is room)."""
    pending = _Pending()
    window: deque[tuple[Item, bytes, object]] = deque()
    commit = stages.commit

    def finish(item: Item, data: bytes, ticket: object) -> None:
        if isinstance(ticket, FileOutcome):  # read ahead and found skipped or duplicate
            commit.emit(ticket)
            return
        built = stages.build.result(ticket)
        done: Prepared | None = None
        if isinstance(built, tuple):
            built, done = built
        outcome = (
            commit.run(item, data, built, done)
            if isinstance(commit, CommitStage)
            else commit.run(item, data, built)
        )
        if outcome.status == IMPORTED and isinstance(commit, CommitStage):
            assert isinstance(built, Document)
            pending.docs.append(built)
            pending.chars += len(built.text)
            if done is not None:
                pending.prepared[built.id] = done
        commit.emit(outcome)
        batch_ends = len(pending.docs) >= stages.batch_docs or pending.chars >= BATCH_CHARS
        commit.checkpoint(batch_ends)
        if batch_ends:
            _run_batch(stages, pending.take(full=True))

    def feed() -> None:
        window_bytes = 0
        for item in read_ahead(stages.read.archive, stages.read.max_bytes, stages.read.held, items):
            early = stages.read.run(item)
            if isinstance(early, FileOutcome):
                if window:  # reported in input order, after the items ahead of it
                    window.append((item, b"", early))
                else:
                    commit.emit(early)
                continue
            ticket = stages.build.submit(item, early)
            if not stages.build.ahead():
                finish(item, early, ticket)
                continue
            window.append((item, early, ticket))
            window_bytes += len(early)
            while len(window) > stages.build.ahead() or window_bytes > WINDOW_BYTES:
                window_bytes -= len(window[0][1])
                finish(*window.popleft())
        while window:
            finish(*window.popleft())
        commit.commit()

    stages.build.setup()
    began = time.time()
    try:
        feed()
    except (OSError, sqlite3.Error) as exc:
        if not (is_disk_full(exc) and isinstance(commit, CommitStage)):
            raise
        report.stopped = f"disk full ({exc}); free some space and import again to resume"
        commit.fail_group(f"not imported: {report.stopped}")
        pending.docs = [d for d in pending.docs if commit.archive.exists(d.id)]
    finally:
        commit.cleanup()
        stages.build.cleanup()
    if report.stopped and isinstance(commit, CommitStage):
        commit.remove_orphans(began)
    try:
        if pending.docs:
            _run_batch(stages, pending.take())
        for stage in stages.finish:
            stage.run(report)
    except (OSError, sqlite3.Error) as exc:
        if not is_disk_full(exc):
            raise
        report.stopped = report.stopped or (
            f"disk full ({exc}) while indexing: what is archived is kept; free some space "
            "and run `gongkai verify --repair`"
        )
    return report


def _run_batch(stages: Stages, batch: Batch) -> None:
    if isinstance(stages.commit, CommitStage):  # the group is committed: between groups
        refresh_statistics(stages.commit.archive.conn)
    for stage in stages.batch:
        stage.run(batch)


def plan(
    archive: Archive | None,
    report: ImportReport,
    *,
    dry_run: bool = False,
    workers: int = 1,
    max_bytes: int | None = None,
    on_progress: ProgressCallback | None = None,
    prepare: bool = False,
    text_spec: str = "",
    isolate: bool = False,
    actor: str = "import",
    batch: Sequence[BatchStage] = (),
    finish: Sequence[FinishStage] = (),
    batch_docs: int | None = None,
    expected: int | None = None,
    copies: CopyFinder | None = None,
    keep_copies: bool = False,
) -> Stages:
    """The stages of an import into ``archive`` (None: a dry run with no archive yet), the
    workers preparing what ``text_spec`` says (:func:`indexer.engines.text_spec`); with
    ``copies``, copies of archived documents are kept with them unless ``keep_copies``."""
    if archive is None and not dry_run:
        raise ValueError("an archive is needed unless dry_run")
    read = ReadStage(
        archive,
        max_bytes or DEFAULT_MAX_BYTES,
        dry_run=dry_run,
        copies=None if keep_copies else copies,
    )
    if dry_run:
        return Stages(
            read,
            BuildStage(workers, prepare=False, originals="", isolate=isolate, expected=expected),
            DryRunStage(archive, report, on_progress),
        )
    assert archive is not None
    return Stages(
        read,
        BuildStage(
            workers,
            prepare=prepare,
            # none when the archive keeps its originals in its database (PostgreSQL)
            originals=str(archive.originals.root or ""),
            isolate=isolate,
            expected=expected,
            text_spec=text_spec,
        ),
        CommitStage(archive, report, on_progress, actor, copies, keep_copies),
        batch,
        finish,
        batch_docs or BATCH_DOCS,
    )
