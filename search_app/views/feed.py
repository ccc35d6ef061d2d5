"""The Atom feed of newly published documents (``/feed.atom?agency=…&kind=…``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, abort, render_template, request, url_for

from archive.vocab import KINDS
from indexer.engines.base import Filters
from search_app import get_gk

bp = Blueprint("feed", __name__)
FEED_SIZE = 50


def newest(agency: list[str], kind: list[str], limit: int = FEED_SIZE) -> list[Any]:
    """The newest documents by 发文日期 (optionally of these agencies/kinds)."""
    for value in kind:
        if value not in KINDS:
            raise ValueError(f"kind 只能是 {', '.join(KINDS)}（got {value!r}）")
    gk = get_gk()
    result = gk.search("", filters=Filters(agency=agency, kind=kind), sort="newest", limit=limit)
    docs = gk.archive.get_many([h.id for h in result.hits])
    return [docs[h.id] for h in result.hits if h.id in docs]


@bp.route("/feed.atom")
def atom() -> Any:
    agency = [a for a in request.args.getlist("agency") if a.strip()]
    kind = [k for k in request.args.getlist("kind") if k.strip()]
    try:
        docs = newest(agency, kind)
    except ValueError as exc:
        abort(400, description=str(exc))
    updated = max((d.updated_at for d in docs), default="") or datetime.now(UTC).isoformat(
        timespec="seconds"
    )
    body = render_template(
        "feed.xml",
        docs=docs,
        updated=updated,
        self_url=request.url,
        home=url_for("search.home", _external=True),
        title="公开 · 最新文件" + (f"（{'、'.join(agency)}）" if agency else ""),
    )
    return body, 200, {"Content-Type": "application/atom+xml; charset=utf-8"}
