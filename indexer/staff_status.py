"""``gongkai status``: a document's status on a date, or a staff status record made and the
status read back — with the write lock only when something is recorded.

Kept out of :mod:`cli` so the command only parses options and prints; the rules of the
record itself are :meth:`indexer.curation.Curator.set_status`.
"""

from __future__ import annotations

from pathlib import Path

from archive import Document
from archive.errors import InvalidInput
from archive.validity import Status
from archive.vocab import VALIDITY, canonical_validity


def status_or_record(
    data_dir: Path,
    ref: str,
    validity: str = "",
    *,
    clear: bool = False,
    date: str = "",
    by_ref: str = "",
    note: str = "",
    actor: str = "",
    as_of: str | None = None,
) -> tuple[Document, Status]:
    """The document ``ref`` names and its status on ``as_of`` (default today), after
    recording ``validity`` (or, with ``clear``, withdrawing earlier staff records) when asked;
    ``by_ref`` names the document that caused it. InvalidInput (exit 2) for an unknown
    validity or for both a validity and ``clear``."""
    from indexer.service import Gongkai

    changing = bool(validity) or clear
    if validity and clear:
        raise InvalidInput("give VALIDITY or --clear, not both")
    if validity and canonical_validity(validity) is None:
        raise InvalidInput(f"unknown validity {validity!r} (known: {', '.join(VALIDITY)})")
    with Gongkai(data_dir, readonly=not changing) as gk:
        doc = gk.one(ref)
        if not changing:
            return doc, gk.status(doc, as_of)
        by = gk.one(by_ref).id if by_ref else ""
        result = gk.set_status(doc.id, validity, date=date, by=by, note=note, actor=actor)
        if as_of:
            result = gk.status(gk.archive.get(doc.id) or doc, as_of)  # as stored now
        return doc, result
