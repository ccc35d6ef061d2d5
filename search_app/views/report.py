"""The 年度报告 staff page (login required): the tables ``gongkai report annual`` fills, every
count a link to the documents behind it, CSV and XLSX downloads, and a form per answer to
correct its outcome (``gongkai outcome``; CSRF-checked like every staff write, recorded with
the account name).

The page reads with the server's read-only connection, so outcomes read from answers are shown
but not stored here (the CLI's report stores them); a staff correction is stored at once.
"""

from __future__ import annotations

import io
from typing import Any

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for

from archive.errors import BusyError, InvalidInput, NotFoundError
from archive.outcomes import OUTCOME_LABELS, OUTCOMES
from archive.validity import today
from indexer.annual_report import APPLICANT_COLUMNS, SECTION_TITLES, write_csv, write_xlsx
from search_app import get_gk, writable_gk
from search_app.auth import has_control_chars, login_required

bp = Blueprint("report", __name__, url_prefix="/staff/report")

#: Longest reason for an outcome, in characters (as staff notes).
MAX_REASON = 2000
#: Longest agency name in the form.
MAX_AGENCY = 200


def _year() -> int:
    raw = request.args.get("year", "") or str(int(today()[:4]) - 1)
    if not raw.isdigit() or not 1900 <= int(raw) <= 2999:
        abort(400, description="年份应为四位数字，如 2024。")
    return int(raw)


def _agencies() -> list[str]:
    found = [a.strip() for a in request.args.getlist("agency") if a.strip()]
    if any(len(a) > MAX_AGENCY or has_control_chars(a) for a in found):
        abort(400, description="发布机构名称无效。")
    return found


@bp.route("/annual")
@login_required
def annual() -> Any:
    year, agencies = _year(), _agencies()
    report = get_gk().annual_report(year, agencies)
    return render_template(
        "staff/annual_report.html",
        report=report,
        year=year,
        agencies=agencies,
        sections=SECTION_TITLES,
        applicant_columns=APPLICANT_COLUMNS,
        outcomes=OUTCOMES,
        outcome_labels=OUTCOME_LABELS,
    )


@bp.route("/annual.<fmt>")
@login_required
def download(fmt: str) -> Any:
    if fmt not in ("csv", "xlsx"):
        abort(404)
    year, agencies = _year(), _agencies()
    report = get_gk().annual_report(year, agencies)
    name = f"annual-report-{year}.{fmt}"
    if fmt == "csv":
        text = io.StringIO()
        write_csv(report, text)
        body: bytes = ("\ufeff" + text.getvalue()).encode("utf-8")
        mimetype = "text/csv; charset=utf-8"
    else:
        binary = io.BytesIO()
        write_xlsx(report, binary)
        body = binary.getvalue()
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(
        body, mimetype=mimetype, headers={"Content-Disposition": f"attachment; filename={name}"}
    )


@bp.route("/outcome", methods=["POST"])
@login_required
def set_outcome() -> Any:
    """Correct one answer's outcome, with a reason (kept in its history)."""
    doc_id = request.form.get("doc_id", "").strip()
    outcome = request.form.get("outcome", "")
    reason = request.form.get("note", "").strip()
    year = request.form.get("year", "")
    if outcome not in OUTCOMES:
        abort(400, description="办理结果无效。")
    if not reason or len(reason) > MAX_REASON or has_control_chars(reason.replace("\n", "")):
        abort(400, description=f"请填写修改理由（最多 {MAX_REASON} 个字符）。")
    if not year.isdigit() or len(doc_id) > 64:
        abort(400, description="表单无效。")
    try:
        with writable_gk() as gk:
            gk.set_outcome(doc_id, outcome, reason=reason, actor=g.user)
    except BusyError:
        abort(503, description="另一个写入操作正在进行，请稍后再试，本次没有做任何更改。")
    except NotFoundError:
        abort(404, description="没有这份文件。")
    except InvalidInput as exc:
        abort(400, description=str(exc))
    flash(f"已将 {doc_id} 的办理结果改为 {OUTCOME_LABELS[outcome]}。")
    agencies = [a for a in request.form.getlist("agency") if a.strip()]
    target = url_for("report.annual", year=year, agency=agencies)
    return redirect(f"{target}#answers")
