"""The build stage of the import: bytes → :class:`~archive.Document`, in a worker process.

Extraction (:mod:`indexer.extract`), the 政府信息公开 header block (:mod:`indexer.header`) and a
manifest row's metadata make the document; with workers, the worker also writes the original
into the content-addressed store (the only place the pipeline writes it) and prepares the
document for the index and for linking (:class:`~indexer.items.Prepared`). Nothing here touches
the archive's database: this is the part of the import that runs in parallel.
"""

from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path
from typing import Any

from archive import Document
from archive.originals import OriginalStore
from archive.vocab import (
    NOTICE,
    OTHER,
    PROPOSAL_REPLY,
    UNKNOWN,
    canonical_kind,
    canonical_validity,
)
from indexer.analysis import TermPositions
from indexer.attachments import named_as_attachment
from indexer.doctypes import assign_doc_type
from indexer.extract import Extracted, ExtractionError, extract
from indexer.header import first_title, infer_kind, parse_date, parse_header, strip_chrome
from indexer.items import Item, Prepared
from indexer.normalize import normalize_doc_number, normalize_index_number

#: What a worker imports before its first item (by the fork server, once).
PRELOAD = ["indexer.building", "indexer.extract", "indexer.linking", "indexer.near_duplicates"]
#: Formats that inflate compressed data (PDF streams, zip containers) or run another program:
#: always built in a worker process, even by an import without workers, so that a hostile
#: file can only exhaust the worker's memory, never the importer's (or the web server's).
ISOLATED_SUFFIXES = frozenset(
    {".pdf", ".docx", ".doc", ".wps", ".png", ".jpg", ".jpeg", ".tif", ".tiff"}
)
#: How much memory (address space, bytes) a worker may grow by while building; over it, the
#: file being built fails alone ("out of memory"). ``GONGKAI_WORKER_MEMORY_MB`` overrides.
WORKER_MEMORY = int(os.environ.get("GONGKAI_WORKER_MEMORY_MB", "1024")) * 1024 * 1024


def isolated(item: Item) -> bool:
    """Whether ``item`` must be built in a worker process (see :data:`ISOLATED_SUFFIXES`)."""
    return item.data is None and item.path.suffix.lower() in ISOLATED_SUFFIXES


def build_document(path: Path, data: bytes, *, typed: bool = True) -> Document:
    """Extract ``data`` (read from ``path``) into a Document with its published metadata
    (and its document type, unless ``typed`` is False: a caller that applies a manifest row
    types it once, afterwards).

    A file whose name or folder says it is an attachment (附件, see :mod:`indexer.attachments`)
    gets kind ``other`` unless it carries a header block of its own."""
    doc = document_from(
        extract(path, data), source_name=path.name, fallback_title=path.stem, typed=False
    )
    own_header = doc.doc_number or doc.index_number or doc.agency or doc.validity_raw
    if doc.kind == NOTICE and not own_header and named_as_attachment(path):
        doc.kind = OTHER
    if typed:
        assign_doc_type(doc)
    return doc


def document_from(
    extracted: Extracted, *, source_name: str, fallback_title: str, typed: bool = True
) -> Document:
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
    if fields.get("expiry"):
        extra["expiry"] = fields["expiry"]  # 有效期 as published (see indexer.expiry)
    if fields.get("proposal_number"):
        extra["proposal_number"] = fields["proposal_number"]
    if fields.get("genre"):
        extra["genre"] = fields["genre"]
    doc_number = fields.get("doc_number", "").strip()
    index_number = fields.get("index_number", "").strip()
    doc = Document(
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
        kind=canonical_kind(fields.get("kind"))
        or (PROPOSAL_REPLY if fields.get("proposal_number") else infer_kind(title)),
        source_name=source_name,
        media_type=extracted.media_type,
        extractor=extracted.extractor,
        extra=extra,
    )
    if typed:
        assign_doc_type(doc)
    return doc


_BARE_ATTACHMENT = re.compile(r"^附\s*件\s*[0-9０-９一二三四五六七八九十]*\s*[:：]?$")


def _first_title(text: str) -> str:
    """The first line, or for an attachment that opens with a bare ``附件1`` line the line
    after it (the attachment's own title)."""
    title = first_title(text)
    if _BARE_ATTACHMENT.match(title):
        rest = text.split(title, 1)[1]
        return first_title(rest) or title
    return title


def build_item(item: Item, data: bytes) -> Document:
    """The Document for ``item`` (runs in a worker process when importing in parallel)."""
    inline = item.data is not None
    if inline:
        doc = build_inline(item, data, typed=False)
    else:
        doc = build_document(item.path, data, typed=False)
    if item.meta:
        apply_meta(doc, item.meta)
    assign_doc_type(doc)  # once, from the row's title, kind, issuer and 文号 as well
    return doc


def apply_meta(doc: Document, meta: dict[str, object]) -> None:
    """Let a manifest row's metadata override what extraction and the header gave ``doc``
    (a ``doc_type`` it gives is the document's type for good, see :mod:`indexer.doctypes`)."""
    for key, value in meta.items():
        if key == "extra":
            doc.extra.update(value)  # type: ignore[call-overload]
        elif key == "doc_number":
            doc.doc_number = str(value)
            doc.doc_number_norm = normalize_doc_number(doc.doc_number)
        elif key == "index_number":
            doc.index_number = str(value)
            doc.index_number_norm = normalize_index_number(doc.index_number)
        elif key == "doc_type":  # a manifest's type is kept: never inferred again
            doc.doc_type, doc.doc_type_origin = str(value), "manifest"
        else:
            setattr(doc, key, value)
    if "validity" in meta:
        doc.extra.pop("validity_unrecognized", None)
    if "title" in meta and "kind" not in meta:
        doc.kind = infer_kind(doc.title)


def build_inline(item: Item, data: bytes, *, typed: bool = True) -> Document:
    """A Document from a row's inline body: its header block (if any) is parsed, the rest kept
    as is."""
    text = data.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise ExtractionError("empty body")
    extracted = Extracted(text, "text/plain", "manifest:body")
    return document_from(extracted, source_name=item.label, fallback_title=item.label, typed=typed)


def build_safely(
    item: Item, data: bytes, prepare: bool = False, originals: str = "", text_spec: str = ""
) -> Document | str | tuple[Document, Prepared]:
    """:func:`build_item`, with any failure turned into its reason (picklable either way).

    With ``prepare``, a built document comes with its :class:`Prepared` work (segmentation
    is the hot loop of indexing; done here, in a worker process, it is off the processes
    that commit and write the index), and with a ``text_spec`` the index engine's fields
    made of the terms too (:func:`indexer.engines.prepare_text`). With ``originals`` (the
    archive's store of original files), a document that was built has its original written
    there too (see :func:`_store_original`)."""
    try:
        doc = build_item(item, data)
        if originals:
            store_original(originals, data)
        if prepare:
            from indexer.linking import find_references
            from indexer.near_duplicates import fingerprint

            title_terms, body_terms, fields = segmented(doc.title, doc.text, text_spec)
            return doc, Prepared(
                doc.title,
                doc.text,
                title_terms,
                body_terms,
                tuple(find_references(doc)),
                fingerprint(doc.text),
                fields,
            )
        return doc
    except ExtractionError as exc:
        return str(exc)
    except RecursionError:
        return "file too deeply structured to read (recursion limit)"
    except MemoryError:
        return "out of memory while extracting (over the limit for one file)"
    except Exception as exc:  # a bug or a library choking on odd input: report, carry on
        return f"could not extract: {type(exc).__name__}: {exc}"


def store_original(root: str, data: bytes) -> None:
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


def build_chunk(
    chunk: list[tuple[Item, bytes]],
    prepare: bool,
    originals: str,
    ocr_engine: str = "",
    text_spec: str = "",
) -> list[Document | str | tuple[Document, Prepared]]:
    """:func:`build_safely` for each item of a chunk (in a worker, see
    :mod:`indexer.workers`), with the importer's OCR setting (``GONGKAI_OCR``, read where
    the import started: a worker's environment is the fork server's, which may be older)."""
    if ocr_engine:
        from indexer.extract import ocr

        ocr.use(ocr_engine)
    return [build_safely(item, data, prepare, originals, text_spec) for item, data in chunk]


def segment_chunk(
    chunk: list[tuple[tuple[str, str], bytes]], text_spec: str = ""
) -> list[tuple[TermPositions, TermPositions, dict[str, Any] | None]]:
    """In a worker (see :mod:`indexer.workers`): each (title, text) segmented for the index,
    as a rebuild of the index from the archive needs it, with the index engine's fields
    made of the terms for a ``text_spec`` (:func:`segmented`)."""
    return [segmented(title, text, text_spec) for (title, text), _ in chunk]


def segmented(
    title: str, text: str, text_spec: str = ""
) -> tuple[TermPositions, TermPositions, dict[str, Any] | None]:
    """In a worker: ``title`` and ``text`` segmented for the index, and the index engine's
    fields made of their terms for a ``text_spec`` (:func:`indexer.engines.prepare_text`;
    None without one)."""
    from indexer.engines import prepare_text

    title_terms, body_terms = TermPositions.of(title), TermPositions.of(text)
    return title_terms, body_terms, prepare_text(text_spec, title_terms, body_terms)
