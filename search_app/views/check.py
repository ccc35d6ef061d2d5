"""The batch validity check page: paste 文号 or titles, get a table or a CSV file."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, Response, render_template, request

from search_app import get_gk
from search_app.checking import MAX_LINES, check_date, run_check, split_refs, summary, to_csv

bp = Blueprint("check", __name__)


@bp.route("/check", methods=["GET", "POST"])
def page() -> Any:
    values = request.form if request.method == "POST" else request.args
    text = values.get("refs", "")
    refs = split_refs(text)
    error, rows = "", None
    try:
        as_of = check_date(values.get("as_of"))
        if refs:
            rows = run_check(get_gk(), refs, as_of)
    except ValueError as exc:
        error, as_of = str(exc), values.get("as_of", "")
    if rows is not None and values.get("format") == "csv":
        filename = f"validity-check-{as_of}.csv"
        return Response(
            to_csv(rows),
            mimetype="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )
    return (
        render_template(
            "check.html",
            text=text,
            as_of=as_of,
            today=date.today().isoformat(),
            rows=rows,
            summary=summary(rows or []),
            queries=len({row.n for row in rows or []}),
            error=error,
            max_lines=MAX_LINES,
        ),
        400 if error else 200,
    )
