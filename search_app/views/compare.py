"""新旧对照: ``/doc/<old>/compare/<new>``, two versions side by side, article by article.

The alignment and the word diff are :mod:`indexer.versions_diff`'s (the same rows as
``gongkai diff --json``); this page only lays them out: two columns on a screen, one above the
other on a phone, deletions struck through and insertions underlined (``<del>``/``<ins>``, so
they survive printing in black and white and are read out by screen readers).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, render_template

from indexer.diff_report import compare_documents, row_label, row_note
from search_app import get_gk

bp = Blueprint("compare", __name__)


@bp.route("/doc/<old_id>/compare/<new_id>")
def page(old_id: str, new_id: str) -> Any:
    gk = get_gk()
    docs = gk.archive.get_many([old_id, new_id])
    for doc_id in (old_id, new_id):
        if doc_id not in docs:
            abort(404, description=f"没有编号为 {doc_id} 的文件。")
    old, new = docs[old_id], docs[new_id]
    statuses = gk.validity.statuses([old, new])
    report = compare_documents(old, new, {k: v.validity for k, v in statuses.items()})
    rows = [
        {**row.to_dict(), "label": row_label(row), "note": row_note(row)}
        for row in report.comparison.rows
    ]
    return render_template(
        "compare.html", report=report, rows=rows, summary=report.comparison.summary
    )
