"""Staff forms on a document's page: correct its metadata, withdraw it (撤回) or restore it.

The same checks and the same history as ``gongkai edit`` and ``gongkai withdraw``
(:mod:`indexer.editing`, :mod:`indexer.withdrawal`): every field is validated before anything
is written, the reason is required, the change is recorded under the signed-in account, and
the document is re-indexed at once. Like every staff write, these need a signed-in account and
the form's CSRF token (checked for every POST by :mod:`search_app.auth`).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, g, render_template, request

from archive.withdrawals import withdrawals
from indexer.checkreport import document_label
from indexer.editing import EDIT_FIELDS
from search_app import get_gk, writable_gk
from search_app.auth import login_required
from search_app.views.staff import MAX_NOTE, _apply, _back, _field

bp = Blueprint("editing", __name__, url_prefix="/staff/doc")

#: Longest value of a metadata field in the form (a title may be long).
MAX_VALUE = 1000
#: Fields the edit form carries (validity has its own form, the staff status record).
FORM_FIELDS = tuple(f for f in EDIT_FIELDS if f != "validity")


def _reason() -> str:
    reason = _field("note", MAX_NOTE)
    if not reason:
        abort(400, description="请填写理由。")
    return reason


@bp.route("/<doc_id>/edit", methods=["POST"])
@login_required
def edit(doc_id: str) -> Any:
    """Change the fields that differ from the document's current values."""
    wanted = {name: _field(name, MAX_VALUE) for name in FORM_FIELDS if name in request.form}
    reason, back = _reason(), _field("back", 2000)
    with writable_gk() as gk:
        doc = gk.archive.get(doc_id)
        if doc is None:
            abort(404, description=f"没有编号为 {doc_id} 的文件。")
        fields = {k: v for k, v in wanted.items() if v != str(getattr(doc, k, ""))}
        if not fields:
            flash("没有需要修改的字段。")
            return _back(doc.id, back)
        result: dict[str, Any] = {}

        def change() -> None:
            result["edit"] = gk.edit(doc.id, fields, actor=g.user, reason=reason)

        refused = _apply(change)
        if refused is not None:
            return refused
    changed = result["edit"].changes
    flash(f"已修改{document_label(doc)}的 {len(changed)} 个字段。" if changed else "没有变化。")
    return _back(doc.id, back)


@bp.route("/<doc_id>/withdraw", methods=["POST"])
@login_required
def withdraw(doc_id: str) -> Any:
    """Withdraw the document (``action=withdraw``) or restore it (``action=restore``)."""
    action = request.form.get("action", "withdraw")
    if action not in ("withdraw", "restore"):
        abort(400, description="action 只能是 withdraw 或 restore。")
    reason, back = _reason(), _field("back", 2000)
    with writable_gk() as gk:
        doc = gk.archive.get(doc_id)
        if doc is None:
            abort(404, description=f"没有编号为 {doc_id} 的文件。")
        undo = action == "restore"
        refused = _apply(lambda: gk.withdraw(doc.id, undo=undo, actor=g.user, reason=reason))
        if refused is not None:
            return refused
    flash(f"已{'恢复公开' if undo else '撤回'}{document_label(doc)}。")
    return _back(doc.id, back)


@bp.route("/withdrawn")
@login_required
def withdrawn() -> Any:
    """Every withdrawn document, latest first, for staff to review or restore."""
    gk = get_gk()
    records = withdrawals(gk.archive)
    docs = gk.archive.get_many([w.doc_id for w in records])
    return render_template("staff/withdrawn.html", rows=[(w, docs.get(w.doc_id)) for w in records])
