"""What the public may see of withdrawn documents (撤回): nothing.

Search, feeds and lists already leave them out (the index does not hold them, see
:mod:`archive.withdrawals`). Pages and API answers that take an id or a 文号 ask here: a
withdrawn document answers 410 Gone with a neutral sentence (no reason, no title) to the public,
and stays visible to signed-in staff, who can restore it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from flask import abort, g

from archive.withdrawals import withdrawal, withdrawn_ids
from indexer.withdrawal import PUBLIC_NOTICE

T = TypeVar("T")


def staff_view() -> bool:
    return bool(g.get("user"))


def gone_unless_staff(gk: Any, doc_id: str, *, staff: bool | None = None) -> None:
    """410 for a withdrawn ``doc_id`` unless staff are signed in (``staff`` overrides: the API
    is public whoever asks)."""
    allowed = staff_view() if staff is None else staff
    if not allowed and withdrawal(gk.archive, doc_id) is not None:
        abort(410, description=PUBLIC_NOTICE)


def public(gk: Any, docs: Iterable[T], *, staff: bool | None = None) -> list[T]:
    """``docs`` without the withdrawn ones (all of them for staff)."""
    docs = list(docs)
    if (staff_view() if staff is None else staff) or not docs:
        return docs
    hidden = withdrawn_ids(gk.archive)
    return [d for d in docs if getattr(d, "id", None) not in hidden]
