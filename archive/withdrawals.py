"""Withdrawn documents (撤回): gone from the public, kept in the archive.

A withdrawn document keeps its row, original and history; it is left out of the search index
(:mod:`indexer.indexing`), and every public page, list and API answer asks :func:`withdrawn_ids`
or :func:`withdrawal` before showing a document. Withdrawing and restoring are history entries
(``withdraw``, ``restore``) with who and why, so nothing is ever deleted silently and every
withdrawal can be undone.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass

from archive.errors import InvalidInput, NotFoundError
from archive.schema import tables
from archive.store import Archive, now


@dataclass(frozen=True)
class Withdrawal:
    doc_id: str
    at: str
    actor: str
    reason: str

    def to_dict(self) -> dict[str, str]:
        return {"id": self.doc_id, "at": self.at, "actor": self.actor, "reason": self.reason}


def _table_exists(archive: Archive) -> bool:
    """False for an archive opened read-only before migration 11 ran on it."""
    row = True if "withdrawals" in tables(archive.conn) else None
    return row is not None


def withdrawal(archive: Archive, doc_id: str) -> Withdrawal | None:
    """The withdrawal of ``doc_id``, or None when it is public."""
    if not _table_exists(archive):
        return None
    row = archive.conn.execute(
        "SELECT doc_id, at, actor, reason FROM withdrawals WHERE doc_id = ?", (doc_id,)
    ).fetchone()
    return Withdrawal(*row) if row else None


def withdrawn_ids(archive: Archive) -> set[str]:
    """The ids of every withdrawn document, remembered until the archive changes
    (:meth:`Archive.version`, which a web request reads once): every search asks."""
    if not _table_exists(archive):
        return set()
    stamp = archive.version()
    with _lock:
        kept = _kept.get(archive)
    if kept is None or kept[0] != stamp:
        ids = frozenset(str(r[0]) for r in archive.conn.execute("SELECT doc_id FROM withdrawals"))
        kept = (stamp, ids)
        with _lock:
            _kept[archive] = kept
    return set(kept[1])


#: archive → (its version when read, the withdrawn ids); archives of several threads
_lock = threading.Lock()
_kept: weakref.WeakKeyDictionary[Archive, tuple[object, frozenset[str]]] = (
    weakref.WeakKeyDictionary()
)


def withdrawals(archive: Archive) -> list[Withdrawal]:
    """Every withdrawal, latest first (for staff)."""
    if not _table_exists(archive):
        return []
    rows = archive.conn.execute(
        "SELECT doc_id, at, actor, reason FROM withdrawals ORDER BY at DESC, doc_id"
    )
    return [Withdrawal(*r) for r in rows]


def withdraw(archive: Archive, doc_id: str, *, actor: str, reason: str) -> Withdrawal:
    """Withdraw ``doc_id``: recorded with ``actor`` and ``reason`` (required) in the table and
    the history, and a new revision so that the index drops it at the next sync."""
    if not reason.strip():
        raise InvalidInput("say why the document is withdrawn (--reason)")
    with archive.transaction():
        _bump(archive, doc_id)
        if withdrawal(archive, doc_id) is not None:
            raise InvalidInput(f"document {doc_id} is already withdrawn")
        record = Withdrawal(doc_id, now(), actor, reason.strip())
        archive.conn.execute(
            "INSERT INTO withdrawals (doc_id, at, actor, reason) VALUES (?, ?, ?, ?)",
            (record.doc_id, record.at, record.actor, record.reason),
        )
        archive.log(doc_id, actor, "withdraw", {"why": record.reason})
    return record


def restore(archive: Archive, doc_id: str, *, actor: str, reason: str = "") -> Withdrawal:
    """Make a withdrawn ``doc_id`` public again; returns the withdrawal it ended."""
    with archive.transaction():
        _bump(archive, doc_id)
        record = withdrawal(archive, doc_id)
        if record is None:
            raise InvalidInput(f"document {doc_id} is not withdrawn")
        archive.conn.execute("DELETE FROM withdrawals WHERE doc_id = ?", (doc_id,))
        detail: dict[str, object] = {"withdrawn_at": record.at, "withdrawn_by": record.actor}
        if reason.strip():
            detail["why"] = reason.strip()
        archive.log(doc_id, actor, "restore", detail)
    return record


def _bump(archive: Archive, doc_id: str) -> None:
    cursor = archive.conn.execute(
        "UPDATE documents SET rev = rev + 1, updated_at = ? WHERE id = ?", (now(), doc_id)
    )
    if cursor.rowcount == 0:
        raise NotFoundError(f"no document with id {doc_id}")
