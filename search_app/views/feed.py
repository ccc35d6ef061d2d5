"""The Atom feed of newly published documents (``/feed.atom?agency=…&kind=…``).

One control character or NUL in one document's title or text once made the whole feed invalid
XML for every subscriber, so the rendered feed goes through :func:`xml_safe`. Links in it are
absolute from the configured base URL (:func:`search_app.external_url`), never from the
request's ``Host`` header.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, abort, render_template, request

from archive.vocab import KINDS
from indexer.engines.base import Filters
from search_app import external_url, get_gk

bp = Blueprint("feed", __name__)
FEED_SIZE = 50
#: C0 controls other than tab, LF and CR: XML 1.0 forbids them even as character references.
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
#: Other code points XML 1.0 forbids: lone surrogates, U+FFFE and U+FFFF.
_NOT_XML = re.compile("[\ud800-\udfff\ufffe\uffff]")


def xml_safe(text: str) -> str:
    """``text`` with every character XML 1.0 forbids removed (controls) or replaced by U+FFFD
    (lone surrogates, U+FFFE, U+FFFF)."""
    return _NOT_XML.sub("\ufffd", _CONTROLS.sub("", text))


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
    for name in request.args:
        if name not in ("agency", "kind"):  # /feed.atom?q=… once answered every new document
            abort(
                400,
                description=f"unknown parameter {name!r}; this feed takes agency and kind "
                "(follow a search at /search.atom?q=…)",
            )
    agency = [a for a in request.args.getlist("agency") if a.strip()]
    kind = [k for k in request.args.getlist("kind") if k.strip()]
    try:
        docs = newest(agency, kind)
    except ValueError as exc:
        abort(400, description=str(exc))
    updated = max((d.updated_at for d in docs), default="") or datetime.now(UTC).isoformat(
        timespec="seconds"
    )
    query = request.query_string.decode("ascii", "replace")
    self_url = external_url("feed.atom") + (f"?{query}" if query else "")
    body = render_template(
        "feed.xml",
        docs=docs,
        updated=updated,
        self_url=self_url,
        home=external_url("search.home"),
        title="公开 · 最新文件" + (f"（{'、'.join(agency)}）" if agency else ""),
    )
    return xml_safe(body), 200, {"Content-Type": "application/atom+xml; charset=utf-8"}
