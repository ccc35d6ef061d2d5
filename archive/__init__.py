"""The archive: the source of truth for documents, their originals, statuses and history."""

from archive.document import Document
from archive.store import AddOutcome, Archive, DuplicateIdError

__all__ = ["AddOutcome", "Archive", "Document", "DuplicateIdError"]
