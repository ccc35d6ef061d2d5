"""Atom feeds that follow one document (``/doc/<id>/feed.atom``) or one search
(``/search.atom?q=…&<the filters of /search>``); the JSON API (``search_app.api``) reads
the same parameters and events through :func:`document_events` and :func:`search_events`.

The events are :mod:`indexer.following`'s; each entry says what happened then and what the
document's status is today. ``/feed.atom?q=就业`` once answered every new document, the query
silently dropped: here an unknown parameter is a 400 that names it. Feeds go through
:func:`~search_app.views.feed.xml_safe` and use absolute URLs from the configured base URL,
as the site feed does.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, abort, render_template, request, url_for
from werkzeug.datastructures import MultiDict

from archive.dates import parse_date
from archive.errors import InvalidInput
from indexer.query import QuerySyntaxError
from search_app import external_url, get_gk
from search_app.params import ParamError, SearchParams, int_param, parse_search
from search_app.views.feed import xml_safe

bp = Blueprint("following", __name__)
FEED_SIZE = 50
#: The parameters of /search that choose documents (not the page's own: page, sort, explain).
SEARCH_FILTERS = (
    "q", "phrase", "wenhao", "title_only", "agency", "category", "kind", "doc_type",
    "validity", "year", "valid_only", "from", "to", "as_of", "expand",
)  # fmt: skip


def check_names(args: MultiDict, allowed: tuple[str, ...]) -> None:
    """Raise :class:`ParamError` for the first parameter not in ``allowed``."""
    for name in args:
        if name not in allowed:
            raise ParamError(
                name, f"unknown parameter {name!r}; this address takes: {', '.join(allowed)}"
            )


def since_param(args: MultiDict) -> str:
    """``since`` as YYYY-MM-DD ("" when absent); raises ParamError."""
    value = (args.get("since") or "").strip()
    if not value:
        return ""
    try:
        return parse_date(value)
    except InvalidInput:
        raise ParamError("since", f"since 必须是 YYYY-MM-DD 格式的日期（got {value!r}）") from None


def document_events(doc_id: str, args: MultiDict, *, api: bool = False) -> list[Any]:
    """The events of one document for these request parameters (``since``; ``limit`` in the
    API). Raises ParamError, NotFoundError."""
    check_names(args, ("since", "limit") if api else ("since",))
    limit = int_param(args, "limit", FEED_SIZE, 1, 200) if api else FEED_SIZE
    return get_gk().document_events(doc_id, since=since_param(args), limit=limit)


def search_events(args: MultiDict, *, api: bool = False) -> tuple[SearchParams, list[Any]]:
    """The search and the events of its matching documents (``since``, and ``limit`` in the
    API). Raises ParamError, QuerySyntaxError."""
    check_names(args, (*SEARCH_FILTERS, "since", *(("limit",) if api else ())))
    params = parse_search(args)
    limit = int_param(args, "limit", FEED_SIZE, 1, 200) if api else FEED_SIZE
    events = get_gk().search_events(
        params.query(),
        filters=params.filters(),
        as_of=params.effective_as_of(),
        expand=params.expand,
        since=since_param(args),
        limit=limit,
    )
    return params, events


def search_feed_args(args: MultiDict) -> str:
    """The query string of ``/search.atom`` for a results page's parameters (the page's own
    ones, such as ``page`` and ``sort``, left out)."""
    return urlencode([(k, v) for k, v in args.items(multi=True) if k in SEARCH_FILTERS and v])


@bp.app_template_global()
def search_feed_url() -> str:
    """``/search.atom`` for the search of the current request (the 订阅 link of a results
    page)."""
    query = search_feed_args(request.args)
    return url_for("following.search_feed") + (f"?{query}" if query else "")


def _atom(title: str, self_url: str, home: str, events: list[Any]) -> Any:
    updated = max(
        (max(e.at, e.doc.updated_at or "") for e in events),
        default=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    body = render_template(
        "following.xml",
        title=title,
        self_url=self_url,
        home=home,
        events=events,
        updated=updated,
    )
    return xml_safe(body), 200, {"Content-Type": "application/atom+xml; charset=utf-8"}


def _self_url(endpoint: str, **values: str) -> str:
    query = urlencode(list(request.args.items(multi=True)))
    return external_url(endpoint, **values) + (f"?{query}" if query else "")


@bp.route("/doc/<doc_id>/feed.atom")
def document_feed(doc_id: str) -> Any:
    doc = get_gk().archive.get(doc_id)
    if doc is None:
        abort(404, description=f"没有编号为 {doc_id} 的文件。")
    try:
        events = document_events(doc_id, request.args)
    except ParamError as exc:
        abort(400, description=str(exc))
    return _atom(
        f"公开 · 关注《{doc.title}》",
        _self_url("following.document_feed", doc_id=doc_id),
        external_url("document.show", doc_id=doc_id),
        events,
    )


@bp.route("/search.atom")
def search_feed() -> Any:
    try:
        params, events = search_events(request.args)
    except ParamError as exc:
        abort(400, description=str(exc))
    except QuerySyntaxError as exc:
        abort(400, description=f"检索式有误：{exc}")
    query = search_feed_args(request.args)
    home = external_url("search.results") + (f"?{query}" if query else "")
    words = params.query() or "全部文件"
    return _atom(f"公开 · 关注检索：{words}", _self_url("following.search_feed"), home, events)
