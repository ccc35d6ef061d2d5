"""Withdrawing a document (撤回) and restoring it: ``gongkai withdraw``, ``gongkai
restore-withdrawn`` (``withdraw --undo``) and the staff form.

A document published by mistake (the wrong file, personal data in an annex) must leave every
public place at once, yet an archive never forgets: the row, the original and the history stay
(:mod:`archive.withdrawals`), the index drops the document (on both engines, because
:class:`indexer.indexing.Indexer` indexes only what is not withdrawn), and the public pages,
feeds and API answer it as gone (410) while staff still see it. Restoring puts it back in the
index. Both are history entries with who and why.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager

from archive import Archive
from archive.errors import InvalidInput, NotFoundError
from archive.withdrawals import Withdrawal, restore, withdraw, withdrawal

Lock = Callable[[], AbstractContextManager[None]]

#: What a public page says of a withdrawn document (no reason: that is for staff).
PUBLIC_NOTICE = "该文件已撤回，不再公开。"


def change_withdrawal(
    archive: Archive,
    lock: Lock,
    sync: Callable[[], object],
    doc_id: str,
    *,
    undo: bool = False,
    actor: str,
    reason: str = "",
    dry_run: bool = False,
) -> dict[str, object]:
    """Withdraw ``doc_id`` (``reason`` required), or with ``undo`` restore it; re-index at
    once. With ``dry_run``, only say what would happen. Returns the report (see
    :func:`render_withdrawal`): ``id``, ``title``, ``withdrawn`` (after), ``changed``,
    ``dry_run``, ``actor``, ``reason``, ``withdrawal`` (the record made or ended)."""
    if not undo and not reason.strip():
        raise InvalidInput("say why the document is withdrawn (--reason)")
    doc = archive.get(doc_id)
    if doc is None:
        raise NotFoundError(f"no document with id {doc_id}")
    current = withdrawal(archive, doc.id)
    if undo and current is None:
        raise InvalidInput(f"document {doc.id} is not withdrawn")
    if not undo and current is not None:
        raise InvalidInput(f"document {doc.id} is already withdrawn (at {current.at})")
    record: Withdrawal | None = current
    if not dry_run:
        with lock():
            if undo:
                record = restore(archive, doc.id, actor=actor, reason=reason)
            else:
                record = withdraw(archive, doc.id, actor=actor, reason=reason)
            sync()
    return {
        "id": doc.id,
        "title": doc.title,
        "withdrawn": not undo,
        "changed": not dry_run,
        "dry_run": dry_run,
        "actor": actor,
        "reason": reason.strip(),
        "withdrawal": record.to_dict() if record is not None else None,
    }


def render_withdrawal(report: dict[str, object]) -> str:
    """The text report of ``gongkai withdraw``."""
    verb = "withdrawn" if report["withdrawn"] else "restored"
    if report["dry_run"]:
        verb = f"would be {verb}"
    line = f"{report['id']} {report['title']}: {verb}"
    return line + (f" ({report['reason']})" if report["reason"] else "")
