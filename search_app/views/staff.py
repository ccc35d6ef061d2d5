"""Staff tools (login required): upload files to import, change a status, correct a document's
type, link documents, confirm or reject proposed relations, add or remove synonym groups. Every
change is recorded with the account name.

Every field is checked before anything is written: dates exactly as the CLI reads them
(:func:`archive.dates.parse_date`: ``yesterday``, ``2019-02-30`` and ``<b>x</b>`` are refused,
they once went into the append-only history for good), notes at most :data:`MAX_NOTE`
characters, and the ``back`` target of the redirect (a CR/LF in it used to fail *after* the
change was stored).

Writes open a writable Gongkai for the request and hold the data directory's write lock; a
second writer (a CLI import, say) makes the request fail with a clear "busy" message.

Uploads are saved in a folder of their own under the data directory (``.uploads/``), named
with the server's process id so that a server starting later removes what a killed one left
(:func:`clean_uploads`); they are extracted in a worker process, never in the server's, and
each document's ``import`` history entry names the account, in the same transaction.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)

from archive.dates import local_time, parse_date
from archive.errors import BusyError, InvalidInput
from archive.relations import TYPE_LABELS, Relations
from archive.vocab import (
    ACTION_LABELS,
    DOC_TYPE_LABELS,
    VALIDITY,
    canonical_doc_type,
    doc_type_label,
)
from indexer.checkreport import document_label
from indexer.extract import supported_suffixes
from indexer.reading import iter_files
from search_app import get_gk, writable_gk
from search_app.auth import has_control_chars, login_required
from search_app.reasons import reason_zh

bp = Blueprint("staff", __name__, url_prefix="/staff")

#: The relation types staff can record, as they read in Chinese (every type, 附件 included).
RELATION_TYPES = TYPE_LABELS
#: Longest note on a status, relation or decision, in characters.
MAX_NOTE = 2000
#: Longest document id, ``by`` reference or ``back`` path in a form.
MAX_FIELD = 500


def _field(name: str, limit: int = MAX_FIELD) -> str:
    """A stripped form field; 400 when it is longer than ``limit`` or holds control
    characters (a note may hold line breaks and tabs)."""
    value = request.form.get(name, "").strip()
    if len(value) > limit:
        abort(400, description=f"{name} 过长：最多 {limit} 个字符（got {len(value)}）。")
    allowed = "\n\r\t" if name == "note" else ""
    if has_control_chars("".join(ch for ch in value if ch not in allowed)):
        abort(400, description=f"{name} 含有控制字符。")
    return value


def _date_field() -> str:
    """The form's ``date`` as YYYY-MM-DD (``""`` when left empty), read like the CLI's
    ``--date``; 400 for anything that is not a calendar date."""
    value = _field("date", 40)
    if not value:
        return ""
    try:
        return parse_date(value)
    except InvalidInput as exc:
        abort(400, description=f"日期无效：{exc}")


def _note() -> str:
    return _field("note", MAX_NOTE)


def _recent(rows: list[dict[str, object]], archive: Any) -> list[dict[str, object]]:
    """History rows as staff read them: local time, the action in words, the document named."""
    docs = archive.get_many(sorted({str(r["doc_id"]) for r in rows}))
    return [
        {
            **row,
            "at": local_time(str(row["at"])),
            "action": ACTION_LABELS.get(str(row["action"]), str(row["action"])),
            "doc": docs.get(str(row["doc_id"])),
        }
        for row in rows
    ]


@bp.route("/")
@login_required
def index() -> Any:
    return _index_page()


def _index_page(error: str = "", form: str = "", status: int = 200) -> Any:
    """The staff page; after a refused form, with its message and the input kept in ``form``
    (the form's name: status, link or unlink)."""
    gk = get_gk()
    relations = list(gk.proposals())
    docs = gk.archive.get_many(sorted({r.src for r in relations} | {r.dst for r in relations}))
    proposals = [{"rel": r, "src": docs.get(r.src), "dst": docs.get(r.dst)} for r in relations]
    recent = _recent(gk.archive.recent_history(15), gk.archive)
    page = render_template(
        "staff/index.html",
        proposals=proposals,
        recent=recent,
        VALIDITY=VALIDITY,
        RELATION_TYPES=RELATION_TYPES,
        report=None,
        error=error,
        failed=form,
        entered=request.form if form else {},
        accept=accepted_suffixes(),
    )
    return page, status


class FormError(Exception):
    """A staff form that cannot be carried out as typed: the page is shown again with
    ``message`` and the input kept."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def resolve(gk: Any, ref: str, field: str) -> Any:
    """The one document ``ref`` names: 文号 in any bracket style, 索引号, exact title or id,
    the same look-up as the CLI (:meth:`Gongkai.lookup`). :class:`FormError` for none or
    several (naming them, so staff can pick one by its 文号 or id)."""
    ref = ref.strip()
    if not ref:
        raise FormError(f"请填写{field}（文号、索引号、名称或编号）。")
    docs = gk.lookup(ref)
    if not docs:
        raise FormError(f"{field}“{ref}”没有对应的文件，请检查文号、索引号或名称。", 404)
    if len(docs) > 1:
        named = "；".join(f"{document_label(d)}，编号 {d.id}" for d in docs[:5])
        raise FormError(f"{field}“{ref}”对应 {len(docs)} 件文件：{named}。请填写其中一件的编号。")
    return docs[0]


def _safe_name(name: str, index: int) -> str:
    name = Path(name.replace("\\", "/")).name.strip().lstrip(".")
    name = re.sub(r"[\x00-\x1f/]", "", name)
    return name[:200] or f"upload-{index}"


@bp.route("/import", methods=["POST"])
@login_required
def upload() -> Any:
    """Import uploaded files, or the rows of an uploaded manifest (JSONL/CSV, see
    :mod:`indexer.manifest`) with the files it names. The page gives each file's result in
    Chinese (:func:`search_app.reasons.reason_zh`); ``Accept: application/json`` gives the
    outcomes as the CLI's ``--json`` does (English reasons), each with ``reason_zh``."""
    files = [f for f in request.files.getlist("files") if f and f.filename]
    manifest = request.files.get("manifest")
    manifest = manifest if manifest and manifest.filename else None
    if not files and manifest is None:
        flash("请选择要导入的文件或清单。")
        return redirect(url_for("staff.index"))
    if manifest is not None:
        suffix = Path(manifest.filename or "").suffix.lower()
        if suffix not in MANIFEST_SUFFIXES:
            return _index_page(error="清单须为 .csv、.tsv 或 .jsonl 文件。", status=400)
    uploads = Path(current_app.config["DATA_DIR"]) / UPLOADS
    uploads.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f"upload-{os.getpid()}-", dir=uploads) as tmp:
        paths = []
        for i, storage in enumerate(files):
            # with a manifest, files sit side by side: its rows name them by file name
            folder = Path(tmp) / ("files" if manifest is not None else str(i))
            folder.mkdir(exist_ok=True)
            path = folder / _safe_name(storage.filename or "", i)
            storage.save(path)
            paths.append(path)
        try:
            with writable_gk() as gk:
                if manifest is not None:
                    listed = Path(tmp) / "files" / f"manifest{suffix}"
                    listed.parent.mkdir(exist_ok=True)
                    manifest.save(listed)
                    report = gk.import_manifest(listed, isolate=True, actor=g.user)
                else:
                    report = gk.import_files(iter_files(paths), isolate=True, actor=g.user)
        except BusyError as exc:
            return _busy(exc)
        except InvalidInput as exc:  # a manifest that cannot be read at all
            return _index_page(error=f"清单无法读取：{reason_zh(str(exc))}", status=400)
    outcomes = _outcomes(report.outcomes, get_gk().archive)
    if request.accept_mimetypes.best == "application/json":
        return jsonify({"counts": report.counts(), "outcomes": outcomes})
    return render_template(
        "staff/index.html",
        proposals=[],
        recent=[],
        VALIDITY=VALIDITY,
        RELATION_TYPES=RELATION_TYPES,
        report={"counts": report.counts(), "outcomes": outcomes},
        accept=accepted_suffixes(),
    )


MANIFEST_SUFFIXES = (".csv", ".tsv", ".jsonl", ".ndjson")


def accepted_suffixes() -> str:
    """The file picker's ``accept``: every suffix the importer reads."""
    return ",".join(sorted(supported_suffixes()))


def _outcomes(outcomes: list[Any], archive: Any) -> list[dict[str, object]]:
    """Each file's outcome as the CLI's ``--json`` gives it, with its name, the reason in
    Chinese, and for a duplicate the archived document's title and 文号 (not only its id)."""
    docs = archive.get_many(sorted({o.id for o in outcomes if o.id}))
    rows = []
    for o in outcomes:
        doc = docs.get(o.id) if o.id else None
        rows.append(
            {
                **o.to_dict(),
                "title": o.title or (doc.title if doc else ""),
                "doc_number": doc.doc_number if doc else "",
                "name": Path(o.path).name,
                "reason_zh": reason_zh(o.reason, failed=o.status == "failed"),
            }
        )
    return rows


UPLOADS = ".uploads"


def clean_uploads(data_dir: Path) -> list[str]:
    """Remove the upload folders that servers no longer running left in ``data_dir`` (a
    server killed mid-upload); returns their names. Folders of live processes are kept."""
    removed = []
    with contextlib.suppress(OSError):
        for folder in (Path(data_dir) / UPLOADS).glob("upload-*-*"):
            pid = folder.name.split("-")[1]
            if pid.isdigit() and not _alive(int(pid)):
                shutil.rmtree(folder, ignore_errors=True)
                removed.append(folder.name)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _busy(exc: Exception) -> Any:
    return (
        render_template(
            "error.html",
            status=503,
            title="数据目录正忙",
            message=f"另一个写入操作正在进行（{exc}），请稍后再试，本次没有做任何更改。",
        ),
        503,
    )


def _back_target() -> str:
    """The form's ``back`` path, checked before any change is made (400 if unusable)."""
    return _field("back", 2000)


def _back(doc_id: str = "", target: str = "") -> Any:
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return redirect(target)
    if doc_id:
        return redirect(url_for("document.show", doc_id=doc_id))
    return redirect(url_for("staff.index"))


def _apply(change: Callable[[], object], form: str = "") -> Any:
    """Run one staff change: a busy data directory gives the busy page (returned), a change
    the service refuses gives 400 (with ``form``: the staff page again, input kept); None
    when it went through."""
    try:
        change()
    except BusyError as exc:
        return _busy(exc)
    except (ValueError, LookupError) as exc:
        if form:
            return _index_page(str(exc), form, 400)
        abort(400, description=str(exc))
    return None


@bp.route("/status", methods=["POST"])
@login_required
def set_status() -> Any:
    """Record a status; the document (and the one it rests on, ``by``) may be named by 文号,
    索引号, title or id, as in ``gongkai status``."""
    validity = request.form.get("validity", "")  # "" withdraws earlier staff records
    if validity and validity not in VALIDITY:
        abort(400, description=f"有效性只能是 {'、'.join(VALIDITY)}，或留空以撤销工作人员记录")
    date, by, note, back = _date_field(), _field("by"), _note(), _back_target()
    with writable_gk() as gk:
        try:
            doc = resolve(gk, _field("doc_id"), "文件")
            basis = resolve(gk, by, "依据文件") if by else None
        except FormError as exc:
            return _index_page(str(exc), "status", exc.status)
        refused = _apply(
            lambda: gk.set_status(
                doc.id,
                validity,
                date=date,
                by=basis.id if basis else "",
                note=note,
                actor=g.user,
            ),
            "status",
        )
        if refused is not None:
            return refused
    if validity:
        flash(f"已将{document_label(doc)}的有效性改为 {validity}。")
    else:
        flash(f"已撤销{document_label(doc)}的工作人员有效性记录，按原文与关联推定。")
    return _back(doc.id, back)


def _relation_form(gk: Any) -> tuple[Any, str, Any]:
    """(src, type, dst) of a link or unlink form, both ends looked up like the CLI's; 400 for
    an unknown type, :class:`FormError` for an end that names no single document."""
    rel = request.form.get("type", "")
    if rel not in RELATION_TYPES:
        abort(400, description=f"关系类型只能是 {', '.join(RELATION_TYPES)}")
    src = resolve(gk, _field("src"), "文件")
    return src, rel, resolve(gk, _field("dst"), "目标文件")


@bp.route("/type", methods=["POST"])
@login_required
def set_doc_type() -> Any:
    """Correct a document's type (法律, 规章 …; ``auto`` hands it back to inference), with a
    reason: ``gongkai type``."""
    value = _field("doc_type", 40)
    if value != "auto" and canonical_doc_type(value) is None:
        abort(400, description=f"文件类型只能是 {'、'.join(DOC_TYPE_LABELS.values())} 或 auto")
    note, back = _note(), _back_target()
    if not note:
        abort(400, description="请填写修改文件类型的理由。")
    with writable_gk() as gk:
        try:
            doc = resolve(gk, _field("doc_id"), "文件")
        except FormError as exc:
            abort(exc.status, description=str(exc))
        refused = _apply(lambda: gk.set_doc_type(doc.id, value, reason=note, actor=g.user))
        if refused is not None:
            return refused
        typed = gk.archive.get(doc.id)
    flash(f"已将{document_label(doc)}的文件类型改为 {doc_type_label(typed.doc_type)}。")
    return _back(doc.id, back)


@bp.route("/link", methods=["POST"])
@login_required
def link() -> Any:
    date, note, back = _date_field(), _note(), _back_target()
    with writable_gk() as gk:
        try:
            src, rel, dst = _relation_form(gk)
        except FormError as exc:
            return _index_page(str(exc), "link", exc.status)
        refused = _apply(
            lambda: gk.link(
                src.id,
                rel,
                dst.id,
                date=date,
                note=note,
                actor=g.user,
            ),
            "link",
        )
        if refused is not None:
            return refused
    flash(f"已关联：{document_label(src)} {RELATION_TYPES[rel]} {document_label(dst)}。")
    return _back(src.id, back)


@bp.route("/unlink", methods=["POST"])
@login_required
def unlink() -> Any:
    """Reject a relation (it is kept, with its history, as rejected): ``gongkai unlink``."""
    note, back = _note(), _back_target()
    with writable_gk() as gk:
        try:
            src, rel, dst = _relation_form(gk)
            if Relations(gk.archive).find(src.id, rel, dst.id) is None:
                raise FormError(
                    f"没有这条关联：{document_label(src)} {RELATION_TYPES[rel]} "
                    f"{document_label(dst)}。",
                    404,
                )
        except FormError as exc:
            return _index_page(str(exc), "unlink", exc.status)
        refused = _apply(
            lambda: gk.unlink(src.id, rel, dst.id, note=note, actor=g.user),
            "unlink",
        )
        if refused is not None:
            return refused
    flash(f"已撤销关联：{document_label(src)} {RELATION_TYPES[rel]} {document_label(dst)}。")
    return _back(src.id, back)


@bp.route("/proposals/<int:proposal_id>/<action>", methods=["POST"])
@login_required
def decide(proposal_id: int, action: str) -> Any:
    """Confirm or reject an automatic relation (``gongkai proposals`` on the web)."""
    from archive.relations import CONFIRMED, REJECTED

    if action not in ("confirm", "reject"):
        abort(404)
    state = CONFIRMED if action == "confirm" else REJECTED
    note, back = _note(), _back_target()
    with writable_gk() as gk:
        refused = _apply(lambda: gk.set_relation_state(proposal_id, state, note=note, actor=g.user))
        if refused is not None:
            return refused
    flash(("已确认" if action == "confirm" else "已驳回") + f"关联 #{proposal_id}。")
    return _back(target=back)


@bp.route("/synonyms", methods=["GET", "POST"])
@login_required
def synonyms() -> Any:
    """List the staff synonym groups; POST ``action=add`` (terms separated by | or spaces,
    ``replace``, ``note``) or ``action=remove`` (``entry``, ``note``): ``gongkai synonyms``."""
    if request.method == "POST":
        action = request.form.get("action", "")
        note = _note()
        with writable_gk() as gk:
            if action == "add":
                terms = re.split(r"[|｜\s]+", _field("terms"))
                replace = request.form.get("replace", "") == "1"
                refused = _apply(
                    lambda: gk.add_synonym(terms, actor=g.user, note=note, replace=replace)
                )
                done = f"已添加同义词组：{'、'.join(t for t in terms if t)}。"
            elif action == "remove":
                entry = _field("entry", 20)
                if not entry.isdigit():
                    abort(400, description="请指定要删除的同义词组编号。")
                refused = _apply(lambda: gk.remove_synonym(int(entry), actor=g.user, note=note))
                done = f"已删除同义词组 #{entry}。"
            else:
                abort(400, description="action 只能是 add 或 remove")
            if refused is not None:
                return refused
        flash(done)
        return redirect(url_for("staff.synonyms"))
    gk = get_gk()
    return render_template(
        "staff/synonyms.html",
        entries=gk.synonyms.staff_entries(),
        shipped=len(gk.synonyms.current()),
    )
