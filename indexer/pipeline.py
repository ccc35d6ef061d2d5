"""The import path: files → extraction → archive (committed) → index.

Each file is read, extracted and added to the archive on its own, so one bad file never stops
the rest and never leaves anything half-imported. Additions are committed in small groups (one
transaction and one flush of the original files per group, see :class:`_Group`); a run cut
short loses only its open group, and running it again resumes. Committed documents are handed
to the engine in batches; if the process dies before a batch reaches the index, the next run
(or ``gongkai reindex``/``verify --repair``) indexes them from the archive.
"""

from __future__ import annotations

import contextlib
import os
import re
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

from archive import Archive, Document, DuplicateIdError
from archive.originals import OriginalStore, sha256_of
from archive.relations import Reference
from archive.vocab import NOTICE, OTHER, UNKNOWN, canonical_kind, canonical_validity
from indexer.analysis import TermPositions
from indexer.attachments import named_as_attachment
from indexer.extract import Extracted, ExtractionError, extract, supported_suffixes
from indexer.header import first_title, infer_kind, parse_date, parse_header, strip_chrome
from indexer.normalize import normalize_doc_number, normalize_index_number
from indexer.workers import CHUNK_ITEMS, WorkerPool

#: Committed documents reach the index in batches of this much text (or ``batch`` documents):
#: each batch is one Whoosh commit, and few large commits cost far less than many small ones
#: (Whoosh merges segments on commit). A batch lost to a crash is indexed on the next run.
BATCH_CHARS = 4_000_000
BATCH_DOCS = 500
#: Documents are committed to the archive in groups of at most this many, or this much time.
GROUP_DOCS = 200
GROUP_SECONDS = 1.0
#: With workers, at most WINDOW_ITEMS items a worker (WINDOW_BYTES bytes in all) are read
#: ahead of the one being committed.
WINDOW_ITEMS = 4 * CHUNK_ITEMS
WINDOW_BYTES = 64_000_000
#: What a worker imports before its first item (by the fork server, once).
_PRELOAD = ["indexer.pipeline", "indexer.extract", "indexer.linking"]
DEFAULT_MAX_BYTES = 100 * 1024 * 1024

IMPORTED, DUPLICATE, FAILED, SKIPPED = "imported", "duplicate", "failed", "skipped"


@dataclass
class FileOutcome:
    path: str
    status: str
    id: str = ""
    title: str = ""
    reason: str = ""

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


@dataclass
class ImportReport:
    outcomes: list[FileOutcome] = field(default_factory=list)
    #: (attachment id, notice id) linked by this run (see :mod:`indexer.attachments`).
    attachments: list[tuple[str, str]] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        counts = {IMPORTED: 0, DUPLICATE: 0, FAILED: 0, SKIPPED: 0}
        for outcome in self.outcomes:
            counts[outcome.status] += 1
        return counts

    @property
    def failed(self) -> list[FileOutcome]:
        return [o for o in self.outcomes if o.status == FAILED]


def is_full_batch(docs: list[Document]) -> bool:
    """Whether ``docs`` is a whole batch, as :func:`import_items` hands on while more follow
    (the last batch of an import is usually smaller)."""
    return len(docs) >= BATCH_DOCS or sum(len(d.text) for d in docs) >= BATCH_CHARS


def iter_files(paths: Iterable[Path]) -> Iterator[tuple[Path, str]]:
    """Files under ``paths`` (recursively, in a stable order) with "" or the reason to skip.

    Hidden files and folders are passed over; symbolic links to folders are not followed, so a
    link loop cannot trap the walk. Files named explicitly are always tried.
    """
    suffixes = supported_suffixes()
    for path in paths:
        if path.is_dir():
            for root, dirs, files in os.walk(path, followlinks=False):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(files):
                    if name.startswith("."):
                        continue
                    file = Path(root) / name
                    if file.suffix.lower() in suffixes:
                        yield file, ""
                    else:
                        yield file, f"not a supported file type ({file.suffix or 'no suffix'})"
        elif path.exists():
            yield path, ""
        else:
            yield path, "no such file or folder"


def read_limited(path: Path, max_bytes: int) -> bytes:
    size = path.stat().st_size
    if size > max_bytes:
        raise ExtractionError(f"file is {size} bytes, over the limit of {max_bytes}")
    return path.read_bytes()


def build_document(path: Path, data: bytes) -> Document:
    """Extract ``data`` (read from ``path``) into a Document with its published metadata.

    A file whose name or folder says it is an attachment (附件, see :mod:`indexer.attachments`)
    gets kind ``other`` unless it carries a header block of its own."""
    doc = document_from(extract(path, data), source_name=path.name, fallback_title=path.stem)
    own_header = doc.doc_number or doc.index_number or doc.agency or doc.validity_raw
    if doc.kind == NOTICE and not own_header and named_as_attachment(path):
        doc.kind = OTHER
    return doc


def document_from(extracted: Extracted, *, source_name: str, fallback_title: str) -> Document:
    """A Document from extracted text: the header block read into metadata, the page chrome
    cut off, the title from the header or the first line."""
    header = parse_header(extracted.text)
    fields = header.fields
    text = strip_chrome(header.body).strip()
    title = fields.get("title") or _first_title(text) or fallback_title
    raw_validity = fields.get("validity", "")
    validity = canonical_validity(raw_validity)
    extra: dict[str, object] = dict(extracted.extra)
    if validity is None:
        extra["validity_unrecognized"] = raw_validity
        validity = UNKNOWN
    if fields.get("keywords"):
        extra["keywords"] = fields["keywords"]
    doc_number = fields.get("doc_number", "").strip()
    index_number = fields.get("index_number", "").strip()
    return Document(
        title=title.strip(),
        text=text,
        index_number=index_number,
        index_number_norm=normalize_index_number(index_number) if index_number else "",
        agency=fields.get("agency", "").strip(),
        doc_number=doc_number,
        doc_number_norm=normalize_doc_number(doc_number) if doc_number else "",
        category=fields.get("category", "").strip(),
        date_written=parse_date(fields.get("date_written", "")),
        date_issued=parse_date(fields.get("date_issued", "")),
        date_effective=parse_date(fields.get("date_effective", "")),
        validity=validity,
        validity_raw=raw_validity,
        kind=canonical_kind(fields.get("kind")) or infer_kind(title),
        source_name=source_name,
        media_type=extracted.media_type,
        extractor=extracted.extractor,
        extra=extra,
    )


_BARE_ATTACHMENT = re.compile(r"^附\s*件\s*[0-9０-９一二三四五六七八九十]*\s*[:：]?$")


def _first_title(text: str) -> str:
    """The first line, or for an attachment that opens with a bare ``附件1`` line the line
    after it (the attachment's own title)."""
    title = first_title(text)
    if _BARE_ATTACHMENT.match(title):
        rest = text.split(title, 1)[1]
        return first_title(rest) or title
    return title


ProgressCallback = Callable[[FileOutcome], None]


@dataclass
class Item:
    """One thing to import: a file, or a manifest row (inline text or a file it names).

    ``label`` names it in reports (a path, or ``manifest.jsonl:17``). ``data`` holds inline
    bytes (a manifest row's body); otherwise ``path`` is read. ``meta`` is manifest metadata
    that overrides what the header parser found. A non-empty ``skip`` reports the item with
    ``skip_status`` without reading anything.
    """

    label: str
    path: Path
    data: bytes | None = None
    meta: dict[str, object] | None = None
    skip: str = ""
    skip_status: str = SKIPPED
    sha256: str = ""  # of the bytes read, once read


def build_item(item: Item, data: bytes) -> Document:
    """The Document for ``item`` (runs in a worker process when importing in parallel)."""
    if item.data is not None:
        from indexer.manifest import build_inline

        doc = build_inline(item, data)
    else:
        doc = build_document(item.path, data)
    if item.meta:
        from indexer.manifest import apply_meta

        apply_meta(doc, item.meta)
    return doc


@dataclass(frozen=True)
class Prepared:
    """What an import worker did for a built document besides building it, so that the one
    process that commits need not: its title and body segmented for the index
    (:class:`~indexer.engines.base.IndexDoc` ``title_terms``/``body_terms``) and the
    references its text makes, for linking (:func:`indexer.linking.find_references`, made
    before the document had its id: ``src`` is set when they are used). ``title`` and
    ``body`` are the texts all this came from: use it only for a document still holding
    exactly these. Transient: never stored."""

    title: str
    body: str
    title_terms: TermPositions
    body_terms: TermPositions
    references: tuple[Reference, ...]

    def fits(self, title: str, body: str) -> bool:
        return title == self.title and body == self.body


def _build_safely(
    item: Item, data: bytes, prepare: bool = False, originals: str = ""
) -> Document | str | tuple[Document, Prepared]:
    """:func:`build_item`, with any failure turned into its reason (picklable either way).

    With ``prepare``, a built document comes with its :class:`Prepared` work (segmentation
    is the hot loop of indexing; done here, in a worker process, it is off the processes
    that commit and write the index). With ``originals`` (the archive's store of original
    files), a document that was built has its original written there too (see
    :func:`_store_original`)."""
    try:
        doc = build_item(item, data)
        if originals:
            _store_original(originals, data)
        if prepare:
            from indexer.linking import find_references

            return doc, Prepared(
                doc.title,
                doc.text,
                TermPositions.of(doc.title),
                TermPositions.of(doc.text),
                tuple(find_references(doc)),
            )
        return doc
    except ExtractionError as exc:
        return str(exc)
    except RecursionError:
        return "file too deeply structured to read (recursion limit)"
    except MemoryError:
        return "out of memory while extracting"
    except Exception as exc:  # a bug or a library choking on odd input: report, carry on
        return f"could not extract: {type(exc).__name__}: {exc}"


def _store_original(root: str, data: bytes) -> None:
    """Write ``data`` into the content-addressed store at ``root`` from a worker process.

    The write (temp file, rename; not yet flushed) is the one :meth:`Archive.add` makes in a
    group, which then finds the file in place and only adds the row; the group's commit
    flushes all its originals at once before its rows commit. Failing here changes nothing:
    the archive's own write tries again and reports. (An original whose row is then refused,
    e.g. for a clashing manifest id, stays in the store unreferenced, as it would after
    :meth:`Archive.add` refused it.)"""
    store = _STORES.get(root)
    if store is None:
        store = _STORES[root] = OriginalStore(Path(root))
    with contextlib.suppress(OSError):
        store.put(data, durable=False)


_STORES: dict[str, OriginalStore] = {}  # in a worker: the stores it has written to


def import_files(
    archive: Archive,
    files: Iterable[tuple[Path, str]],
    *,
    on_committed: Callable[[list[Document]], None],
    on_progress: ProgressCallback | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    batch: int | None = None,
    workers: int = 1,
) -> ImportReport:
    """Import ``files`` into ``archive``; committed documents go to ``on_committed`` in batches."""
    return import_items(
        archive,
        file_items(files),
        on_committed=on_committed,
        on_progress=on_progress,
        max_bytes=max_bytes,
        batch=batch,
        workers=workers,
    )


def file_items(files: Iterable[tuple[Path, str]]) -> Iterator[Item]:
    """An :class:`Item` for each (path, reason to skip or "") from :func:`iter_files`."""
    for path, reason in files:
        yield Item(
            str(path),
            path,
            skip=reason,
            skip_status=SKIPPED if (reason and path.exists()) else FAILED,
        )


def dry_run(
    data_dir: Path,
    items: Iterable[Item],
    *,
    on_progress: ProgressCallback | None = None,
    max_bytes: int | None = None,
    workers: int = 1,
) -> ImportReport:
    """What importing ``items`` into ``data_dir`` would do, writing nothing anywhere (the data
    directory need not exist). See :func:`import_items`."""
    archive = open_for_dry_run(data_dir)
    try:
        return import_items(
            archive,
            items,
            on_committed=lambda docs: None,
            on_progress=on_progress,
            max_bytes=max_bytes or DEFAULT_MAX_BYTES,
            workers=workers,
            dry_run=True,
        )
    finally:
        if archive is not None:
            archive.close()


def import_items(
    archive: Archive | None,
    items: Iterable[Item],
    *,
    on_committed: Callable[[list[Document]], None],
    on_progress: ProgressCallback | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    batch: int | None = None,
    workers: int = 1,
    dry_run: bool = False,
    prepared: dict[str, Prepared] | None = None,
) -> ImportReport:
    """Import ``items`` in order with one writer (this process).

    Reading, the duplicate check and the archive commit happen here; extraction and header
    parsing run in ``workers`` processes when ``workers > 1``, with at most ``4 × workers``
    items in flight, so memory stays bounded however many items there are. Each document is
    committed on its own; committed documents go to ``on_committed`` in batches of ``batch``.

    With ``dry_run`` everything is read, extracted and checked but nothing is written:
    ``archive`` (read-only, or None when there is none yet) is only asked what it holds, and
    duplicates within the run are found by content hash (and clashing ids by id). Outcomes say
    what a real run would do; a would-be import has no id.

    With ``prepared`` (a dict) and workers, the workers also prepare each document for the
    index and linking, and each committed document's :class:`Prepared` is put in
    ``prepared`` under its id before ``on_committed`` sees it; the caller takes it from there.
    """
    if archive is None and not dry_run:
        raise ValueError("an archive is needed unless dry_run")
    batch = batch or BATCH_DOCS
    report = ImportReport()
    seen = _DryRunState() if dry_run else None
    group = _Group(archive, report, on_progress) if archive is not None and not dry_run else None
    pending: list[Document] = []
    pending_chars = 0
    prepare = prepared is not None and not dry_run and workers > 1
    store = str(archive.originals.root) if archive is not None and not dry_run else ""
    pool = (
        WorkerPool(workers, _build_chunk, prepare, store, preload=_PRELOAD) if workers > 1 else None
    )
    window: deque[tuple[Item, bytes, object]] = deque()
    window_bytes = 0

    def emit(outcome: FileOutcome) -> None:
        if group is not None:
            group.hold(outcome)
            return
        report.outcomes.append(outcome)
        if on_progress:
            on_progress(outcome)

    def finish(item: Item, data: bytes, built: object) -> None:
        nonlocal pending_chars
        if isinstance(built, FileOutcome):  # read ahead and found skipped or duplicate
            emit(built)
            return
        if pool is not None:
            built = pool.result(built)  # type: ignore[arg-type]
        done: Prepared | None = None
        if isinstance(built, tuple):
            built, done = built
        if seen is not None:
            outcome = seen.check(archive, item, built)
        else:
            assert archive is not None and group is not None
            group.open()
            outcome = _commit(archive, item, data, built, pending)
            if outcome.status == IMPORTED:
                assert isinstance(built, Document)
                pending_chars += len(built.text)
                if done is not None and prepared is not None:
                    prepared[built.id] = done
        emit(outcome)
        if len(pending) >= batch or pending_chars >= BATCH_CHARS:
            if group is not None:
                group.commit()
            on_committed(pending[:])
            pending.clear()
            pending_chars = 0
        elif group is not None and group.is_due():
            group.commit()

    try:
        for item in items:
            early = _read(archive, item, max_bytes, seen)
            if isinstance(early, FileOutcome):
                if window:  # reported in input order, after the items ahead of it
                    window.append((item, b"", early))
                else:
                    emit(early)
                continue
            if pool is None:
                finish(item, early, _build_safely(item, early))
                continue
            window.append((item, early, pool.submit(item, early)))
            window_bytes += len(early)
            while len(window) > WINDOW_ITEMS * workers or window_bytes > WINDOW_BYTES:
                window_bytes -= len(window[0][1])
                finish(*window.popleft())
        while window:
            finish(*window.popleft())
        if group is not None:
            group.commit()
    finally:
        if group is not None:
            group.rollback()  # only what an error cut short; committed groups stay
        if pool is not None:
            pool.shutdown()
    if pending:
        on_committed(pending)
    return report


class _Group:
    """The documents an import commits together (:meth:`Archive.begin_group`): up to
    :data:`GROUP_DOCS` of them or :data:`GROUP_SECONDS` of work, whichever comes first. The
    outcomes of a group's items are held until it commits, so that what is reported as
    imported (the progress bar, the report file) is always in the archive; a run cut short
    loses only its open group, which the next run imports again."""

    def __init__(
        self, archive: Archive, report: ImportReport, on_progress: ProgressCallback | None
    ) -> None:
        self.archive = archive
        self.report = report
        self.on_progress = on_progress
        self.held: list[FileOutcome] = []
        self.started: float | None = None  # when the open group began
        self.added = 0

    def open(self) -> None:
        if self.started is None:
            self.archive.begin_group()
            self.started = time.monotonic()
            self.added = 0
        self.added += 1

    def hold(self, outcome: FileOutcome) -> None:
        self.held.append(outcome)
        if self.started is None:
            self._flush()

    def is_due(self) -> bool:
        return self.started is not None and (
            self.added >= GROUP_DOCS or time.monotonic() - self.started >= GROUP_SECONDS
        )

    def commit(self) -> None:
        if self.started is not None:
            self.archive.commit_group()
            self.started = None
        self._flush()

    def rollback(self) -> None:
        if self.started is not None:
            self.archive.rollback_group()
            self.started = None
        self.held.clear()

    def _flush(self) -> None:
        for outcome in self.held:
            self.report.outcomes.append(outcome)
            if self.on_progress:
                self.on_progress(outcome)
        self.held.clear()


def _read(
    archive: Archive | None, item: Item, max_bytes: int, seen: _DryRunState | None = None
) -> bytes | FileOutcome:
    """The item's bytes, or its outcome when it is skipped, unreadable or already archived
    (or, in a dry run, already seen earlier in the run)."""
    label = item.label
    if item.skip:
        return FileOutcome(label, item.skip_status, reason=item.skip)
    try:
        data = item.data if item.data is not None else read_limited(item.path, max_bytes)
    except ExtractionError as exc:
        return FileOutcome(label, FAILED, reason=str(exc))
    except PermissionError:
        return FileOutcome(label, FAILED, reason="permission denied")
    except OSError as exc:
        return FileOutcome(label, FAILED, reason=f"cannot read: {exc.strerror or exc}")
    digest = item.sha256 = sha256_of(data)
    existing = archive.has_sha256(digest) if archive is not None else None
    if existing:  # skip extraction for known bytes
        return FileOutcome(label, DUPLICATE, existing, reason=f"same bytes as {existing}")
    if seen is not None:
        earlier = seen.hashes.get(digest)
        if earlier is not None:
            return FileOutcome(label, DUPLICATE, reason=f"same bytes as {earlier}")
        seen.hashes[digest] = label
    return data


class _DryRunState:
    """What a dry run has seen so far: content hashes and explicit ids (label of the first)."""

    def __init__(self) -> None:
        self.hashes: dict[str, str] = {}
        self.ids: dict[str, str] = {}

    def check(self, archive: Archive | None, item: Item, built: object) -> FileOutcome:
        """The outcome a real commit of ``built`` would have (nothing is written)."""
        label = item.label
        if not isinstance(built, Document):
            return FileOutcome(label, FAILED, reason=str(built))
        if built.id:
            if (archive is not None and archive.exists(built.id)) or built.id in self.ids:
                return FileOutcome(
                    label, FAILED, reason=f"id {built.id} is already used by another document"
                )
            self.ids[built.id] = label
        return FileOutcome(label, IMPORTED, built.id, built.title)


def open_for_dry_run(data_dir: Path) -> Archive | None:
    """The archive in ``data_dir`` opened so that nothing is written, or None if there is none
    (see :meth:`Archive.open_untouched`)."""
    return Archive.open_untouched(data_dir)


def _commit(
    archive: Archive, item: Item, data: bytes, built: object, pending: list[Document]
) -> FileOutcome:
    label = item.label
    if not isinstance(built, Document):
        return FileOutcome(label, FAILED, reason=str(built))
    try:
        result = archive.add(built, data, sha256=item.sha256)
    except DuplicateIdError as exc:
        return FileOutcome(label, FAILED, reason=str(exc))
    if result.status == DUPLICATE:
        return FileOutcome(label, DUPLICATE, result.id, reason=f"same bytes as {result.id}")
    pending.append(built)
    return FileOutcome(label, IMPORTED, result.id, built.title)


def _build_chunk(
    chunk: list[tuple[Item, bytes]], prepare: bool, originals: str
) -> list[Document | str | tuple[Document, Prepared]]:
    """:func:`_build_safely` for each item of a chunk (in a worker, see
    :mod:`indexer.workers`)."""
    return [_build_safely(item, data, prepare, originals) for item, data in chunk]


def segment_chunk(
    chunk: list[tuple[tuple[str, str], bytes]],
) -> list[tuple[TermPositions, TermPositions]]:
    """In a worker (see :mod:`indexer.workers`): each (title, text) segmented for the index,
    as a rebuild of the index from the archive needs it."""
    return [(TermPositions.of(title), TermPositions.of(text)) for (title, text), _ in chunk]
