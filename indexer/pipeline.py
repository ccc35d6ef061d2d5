"""The import path: files → extraction → archive (committed) → index.

Each file is read, extracted and committed to the archive on its own, so one bad file never
stops the rest and never leaves anything half-imported. Committed documents are handed to the
engine in batches; if the process dies before a batch reaches the index, the next run (or
``gongkai reindex``/``verify --repair``) indexes them from the archive.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

from archive import Archive, Document, DuplicateIdError
from archive.originals import sha256_of
from archive.vocab import UNKNOWN, canonical_kind, canonical_validity
from indexer.extract import ExtractionError, extract, supported_suffixes
from indexer.header import first_title, infer_kind, parse_date, parse_header, strip_chrome
from indexer.normalize import normalize_doc_number, normalize_index_number

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

    def counts(self) -> dict[str, int]:
        counts = {IMPORTED: 0, DUPLICATE: 0, FAILED: 0, SKIPPED: 0}
        for outcome in self.outcomes:
            counts[outcome.status] += 1
        return counts

    @property
    def failed(self) -> list[FileOutcome]:
        return [o for o in self.outcomes if o.status == FAILED]


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
    """Extract ``data`` (read from ``path``) into a Document with its published metadata."""
    extracted = extract(path, data)
    header = parse_header(extracted.text)
    fields = header.fields
    text = strip_chrome(header.body).strip()
    title = fields.get("title") or first_title(text) or path.stem
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
        source_name=path.name,
        media_type=extracted.media_type,
        extractor=extracted.extractor,
        extra=extra,
    )


ProgressCallback = Callable[[FileOutcome], None]


def import_files(
    archive: Archive,
    files: Iterable[tuple[Path, str]],
    *,
    on_committed: Callable[[list[Document]], None],
    on_progress: ProgressCallback | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    batch: int = 100,
) -> ImportReport:
    """Import ``files`` into ``archive``; committed documents go to ``on_committed`` in batches."""
    report = ImportReport()
    pending: list[Document] = []
    for path, skip_reason in files:
        if skip_reason:
            outcome = FileOutcome(
                str(path), SKIPPED if path.exists() else FAILED, reason=skip_reason
            )
        else:
            outcome = _import_one(archive, path, max_bytes, pending)
        report.outcomes.append(outcome)
        if on_progress:
            on_progress(outcome)
        if len(pending) >= batch:
            on_committed(pending)
            pending = []
    if pending:
        on_committed(pending)
    return report


def _import_one(
    archive: Archive, path: Path, max_bytes: int, pending: list[Document]
) -> FileOutcome:
    try:
        data = read_limited(path, max_bytes)
        existing = archive.has_sha256(sha256_of(data))  # skip extraction for known bytes
        if existing:
            return FileOutcome(str(path), DUPLICATE, existing, reason=f"same bytes as {existing}")
        doc = build_document(path, data)
        result = archive.add(doc, data)
    except (ExtractionError, DuplicateIdError) as exc:
        return FileOutcome(str(path), FAILED, reason=str(exc))
    except PermissionError:
        return FileOutcome(str(path), FAILED, reason="permission denied")
    except OSError as exc:
        return FileOutcome(str(path), FAILED, reason=f"cannot read: {exc.strerror or exc}")
    if result.status == DUPLICATE:
        return FileOutcome(str(path), DUPLICATE, result.id, reason=f"same bytes as {result.id}")
    pending.append(doc)
    return FileOutcome(str(path), IMPORTED, result.id, doc.title)
