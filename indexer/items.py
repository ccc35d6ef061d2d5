"""What the import's stages hand each other: items in, outcomes and a report out.

These types live apart from the stages that use them (:mod:`indexer.reading`,
:mod:`indexer.building`, :mod:`indexer.pipeline`, :mod:`indexer.manifest`, :mod:`indexer.linking`),
so that none of those modules needs another only for its types.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from archive import Document
from archive.relations import Reference

if TYPE_CHECKING:
    from indexer.analysis import TermPositions
    from indexer.near_duplicates import Fingerprint

#: What happened to an item.
IMPORTED, DUPLICATE, FAILED, SKIPPED = "imported", "duplicate", "failed", "skipped"
#: A manifest row that matched an archived document and changed its metadata
#: (:mod:`indexer.editing`).
UPDATED = "updated"
#: A copy of an archived document (the same text re-saved, or a near copy): kept with that
#: document, not imported as another (see :mod:`indexer.near_duplicates`).
DUPLICATE_TEXT = "duplicate-text"

#: Committed documents reach the index in batches of this much text (or ``BATCH_DOCS``
#: documents): each batch is one Whoosh commit, and few large commits cost far less than many
#: small ones (Whoosh merges segments on commit). A batch lost to a crash is indexed on the
#: next run.
BATCH_CHARS = 4_000_000
BATCH_DOCS = 500
#: The largest file an import reads unless told otherwise.
DEFAULT_MAX_BYTES = 100 * 1024 * 1024


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
    #: With ``skip``: the archived document the outcome is about (a row that updated it).
    skip_id: str = ""
    #: With ``skip``: field → {"before", "after"} of what the row changed (or would).
    changes: dict[str, dict[str, object]] | None = None
    #: Provenance: the path under the imported folder (or a manifest row's ``path``) …
    source_path: str = ""
    #: … and the manifest line (``manifest.csv:17``) when a manifest row gave the item.
    manifest_row: str = ""

    def provenance(self, run_id: int | None) -> dict[str, object]:
        """Where this item came from, for its document's ``import`` history entry."""
        found: dict[str, object] = {}
        if run_id is not None:
            found["run"] = run_id
        if self.source_path:
            found["path"] = self.source_path
        if self.manifest_row:
            found["manifest_row"] = self.manifest_row
        return found


@dataclass
class FileOutcome:
    """What became of one item."""

    path: str
    status: str
    id: str = ""
    title: str = ""
    reason: str = ""
    #: For ``updated``: field → {"before", "after"} (only then in :meth:`to_dict`).
    changes: dict[str, dict[str, object]] | None = None

    def to_dict(self) -> dict[str, object]:
        data = asdict(self)
        if self.changes is None:
            data.pop("changes")
        return data


ProgressCallback = Callable[[FileOutcome], None]


@dataclass
class ImportReport:
    """Every item's outcome, in input order, and the attachments the run linked."""

    outcomes: list[FileOutcome] = field(default_factory=list)
    #: (attachment id, notice id) linked by this run (see :mod:`indexer.attachments`).
    attachments: list[tuple[str, str]] = field(default_factory=list)
    #: Why the run stopped before its last item ("" if it did not): a full disk.
    stopped: str = ""
    #: The import run (:mod:`archive.runs`) this report is of; None for a dry run.
    run_id: int | None = None

    def counts(self) -> dict[str, int]:
        counts = {IMPORTED: 0, DUPLICATE: 0, FAILED: 0, SKIPPED: 0, UPDATED: 0, DUPLICATE_TEXT: 0}
        for outcome in self.outcomes:
            counts[outcome.status] += 1
        return counts

    @property
    def failed(self) -> list[FileOutcome]:
        return [o for o in self.outcomes if o.status == FAILED]


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
    #: The text's fingerprint, for finding copies (:mod:`indexer.near_duplicates`).
    fingerprint: Fingerprint | None = None
    #: The index engine's own fields made of the terms (:func:`indexer.engines.prepare_text`).
    engine_fields: dict[str, Any] | None = None

    def fits(self, title: str, body: str) -> bool:
        return title == self.title and body == self.body


@dataclass
class Batch:
    """Documents committed together, on their way to linking and the index: ``prepared``
    holds the workers' work by id, ``affected`` the ids of other documents that linking
    changed (re-indexed with the batch)."""

    docs: list[Document]
    prepared: dict[str, Prepared] = field(default_factory=dict)
    affected: set[str] = field(default_factory=set)
    #: A whole batch, handed on while more may follow (the last one is usually smaller).
    is_full: bool = False
