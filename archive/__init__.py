"""The archive: the source of truth for documents, their originals, statuses and history.

``Archive``, ``Document`` … are loaded on first use (PEP 562), so that importing a small
module of the package (``archive.errors``, ``archive.vocab``, ``archive.dates``) does not
open SQLite, hashlib and the store: the ``gongkai`` command imports those at start-up.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from archive.document import Document
    from archive.store import AddOutcome, Archive, DuplicateIdError

__all__ = ["AddOutcome", "Archive", "Document", "DuplicateIdError"]

_HOMES = {
    "AddOutcome": "archive.store",
    "Archive": "archive.store",
    "Document": "archive.document",
    "DuplicateIdError": "archive.store",
}


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(import_module(_HOMES[name]), name)
    raise AttributeError(f"module 'archive' has no attribute {name!r}")
