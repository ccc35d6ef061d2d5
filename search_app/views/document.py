"""The document page, the original file, and permanent URLs by 文号.

The page puts what people look for first: the status as one plain sentence (the reasoning is
shown to signed-in staff only), the 历次版本 table (every version with its dates and status,
the one in force marked, a 对照 link to compare each with this one), and the 相关解读与答复
box beside the text on a desktop and above it on a phone, each related document with its
validity badge."""

from __future__ import annotations

from io import BytesIO
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)

from archive.relations import TYPE_LABELS
from archive.vocab import CLUSTER_SECTIONS, DOC_TYPES, KINDS, VALIDITY
from indexer import decisions, lookup
from indexer.editing import EDIT_FIELDS
from indexer.history_view import readable
from indexer.normalize import normalize_doc_number
from indexer.pending import pending_for
from search_app import external_url, get_gk
from search_app.checking import check_date
from search_app.filters import WARN
from search_app.metadata import document_json_ld, document_meta
from search_app.withdrawn import gone_unless_staff, public

bp = Blueprint("document", __name__)


#: Cluster parts shown in the 相关解读与答复 box next to the text (the rest go below it).
RELATED_BOX = ("interpretations", "answers", "interprets", "answers_about")


def cluster_sections(cluster: Any, doc_id: str, gk: Any = None) -> list[dict[str, Any]]:
    """Non-trivial cluster lists (a version list holding only this document is left out);
    with ``gk``, withdrawn documents are left out for the public."""
    sections = []
    for attr, label in CLUSTER_SECTIONS:
        docs = list(getattr(cluster, attr, []) or [])
        if gk is not None:
            docs = public(gk, docs)
        if attr == "versions" and all(d.id == doc_id for d in docs):
            continue
        if docs:
            sections.append({"key": attr, "label": label, "docs": docs})
    return sections


@bp.route("/doc/<doc_id>")
def show(doc_id: str) -> Any:
    gk = get_gk()
    doc = gk.archive.get(doc_id)
    if doc is None:
        abort(404, description=f"没有编号为 {doc_id} 的文件。")
    gone_unless_staff(gk, doc.id)
    try:
        as_of = check_date(request.args.get("as_of"))
    except ValueError as exc:
        abort(400, description=str(exc))
    cluster = gk.cluster(doc)
    shown = {d.id: d for d in cluster.documents()}
    # the statuses of every document the page shows, read together (then remembered)
    gk.validity.statuses([doc, *shown.values()], as_of)
    status = gk.status(doc, as_of)
    linked = {}
    for key in ("by", "current_version"):
        target = getattr(status, key)
        if target:
            linked[key] = shown.get(target) or gk.archive.get(target)
    staff = bool(g.get("user"))
    versions = gk.versions(doc, as_of, cluster)  # shown as their own table, with 对照 links
    sections = [s for s in cluster_sections(cluster, doc.id, gk) if s["key"] != "versions"]
    related_docs = {d.id: d for section in sections for d in section["docs"]}
    related_status = gk.validity.statuses(related_docs.values(), as_of) if related_docs else {}
    # The head describes the document as it stands today, whatever date the page is shown for.
    today = gk.status(doc) if as_of else status
    canonical = external_url("document.show", doc_id=doc.id)
    return render_template(
        "document.html",
        doc=doc,
        canonical=canonical,
        head_meta=document_meta(doc, today.validity),
        json_ld=document_json_ld(doc, today.validity, canonical),
        status=status,
        warn=status.validity in WARN,
        linked=linked,
        sections=[s for s in sections if s["key"] not in RELATED_BOX],
        related=[s for s in sections if s["key"] in RELATED_BOX],
        related_status=related_status,
        versions=versions,
        ended_targets=[
            (d, related_status[d.id])
            for section in sections
            if section["key"] in ("interprets", "answers_about")
            for d in section["docs"]
            if related_status.get(d.id) and related_status[d.id].validity in WARN
        ],
        as_of_given=bool(request.args.get("as_of")),
        # Staff see what automatic detection proposes for this document, to confirm or reject.
        pending=pending_for(gk.archive, [doc.id]).get(doc.id, []) if staff else [],
        history=readable(gk.archive, gk.archive.history(doc.id)) if staff else [],
        withdrawn=gk.withdrawal(doc.id) if staff else None,
        EDIT_FIELDS=EDIT_FIELDS,
        KINDS=KINDS,
        VALIDITY=VALIDITY,
        DOC_TYPES=DOC_TYPES,
        RELATION_TYPES=TYPE_LABELS,
        decision=gk.decision(doc.id, as_of),  # a cleanup decision's rows (else none)
        ACTION_LABELS=decisions.ACTION_LABELS,
        OUTCOME_LABELS=decisions.OUTCOME_LABELS,
    )


@bp.route("/doc/<doc_id>/original")
def original(doc_id: str) -> Any:
    gk = get_gk()
    doc = gk.archive.get(doc_id)
    if doc is None:
        abort(404, description=f"没有编号为 {doc_id} 的文件。")
    gone_unless_staff(gk, doc.id)
    try:
        data = gk.archive.originals.read(doc.sha256)
    except FileNotFoundError:
        abort(404, description="原始文件缺失（请运行 gongkai verify）。")
    except PermissionError:  # served by an account the original was not shared with
        current_app.logger.error(
            "cannot read the original of %s: permission denied (see gongkai serve --check)", doc_id
        )
        abort(503, description="原始文件暂时无法读取（服务器没有读取权限），请联系网站管理员。")
    media_type = content_type(doc.media_type, data)
    response = send_file(
        BytesIO(data),
        mimetype=media_type,
        as_attachment=True,
        download_name=doc.source_name or f"{doc.id}",
        etag=doc.sha256,
        max_age=3600,
    )
    response.headers["Content-Type"] = media_type  # exactly once, with the real charset
    return response


def content_type(media_type: str, data: bytes) -> str:
    """The Content-Type of an original: its media type, and for text the charset its bytes
    are really in (UTF-8, GB18030 or UTF-16), not a blanket ``utf-8``."""
    media_type = (media_type or "application/octet-stream").split(";")[0].strip()
    if not media_type.startswith("text/"):
        return media_type
    charset = _charset(data)
    return f"{media_type}; charset={charset}" if charset else media_type


def _charset(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    for name in ("utf-8", "gb18030"):
        try:
            data.decode(name)
        except UnicodeDecodeError:
            continue
        return name
    return ""


@bp.route("/wenhao/<path:number>")
def by_doc_number(number: str) -> Any:
    gk = get_gk()
    normalized = normalize_doc_number(number)
    docs = public(gk, lookup.by_doc_number(gk.archive, normalized))
    if len(docs) == 1:
        return redirect(url_for("document.show", doc_id=docs[0].id), 302)
    if not docs:
        abort(404, description=f"没有文号为 {normalized} 的文件，请检查文号的写法。")
    return render_template("wenhao.html", number=normalized, docs=docs)
