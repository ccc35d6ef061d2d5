"""The home page and the results page (``/search?q=…``)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, render_template, request

from archive.vocab import DOC_TYPES, VALIDITY
from indexer.normalize import looks_like_doc_number, normalize_doc_number
from indexer.query import QuerySyntaxError
from search_app import external_url, get_gk
from search_app.metadata import canonical_search_query
from search_app.params import ParamError, SearchParams, int_param, parse_search

bp = Blueprint("search", __name__)
MAX_PAGE = 500
FACET_LIMIT = 12


@bp.route("/")
def home() -> Any:
    gk = get_gk()
    latest = gk.search("", sort="newest", limit=8)
    return render_template(
        "home.html",
        latest=latest.hits,
        statuses=_statuses(gk, latest.hits),
        documents=gk.archive.count(),
    )


@bp.route("/search")
def results() -> Any:
    gk = get_gk()
    page_size = current_app.config["PAGE_SIZE"]
    error = ""
    try:
        params = parse_search(request.args)
        page = int_param(request.args, "page", 1, 1, MAX_PAGE)
    except ParamError as exc:
        params, page, error = SearchParams(q=request.args.get("q", "")), 1, str(exc)
    result = None
    if not error:
        try:
            result = gk.search(
                params.query(),
                filters=params.filters(),
                sort=params.sort,
                limit=page_size,
                offset=(page - 1) * page_size,
                facets=True,
                facet_top=FACET_LIMIT,  # the values shown (_facets): the engine may stop there
                as_of=params.effective_as_of(),
                expand=params.expand,
                exact=request.args.get("exact", "").lower() in ("1", "true", "yes", "on"),
                explain=request.args.get("explain", "").lower() in ("1", "true", "yes", "on"),
            )
        except QuerySyntaxError as exc:
            error = f"检索式有误：{exc}"
    context: dict[str, Any] = {
        "params": params,
        "page": page,
        "error": error,
        "result": result,
        "statuses": _statuses(gk, result.hits) if result else {},
        "facets": _facets(result.facets, params) if result else [],
        "pages": _pages(page, result.total, page_size) if result else [],
        "suggestions": _suggestions(params) if result is not None and not result.total else [],
        "VALIDITY": VALIDITY,
        "canonical": _canonical(),
    }
    return render_template("search.html", **context), 400 if error else 200


def _canonical() -> str:
    """This search's URL without the parameters that only change the view (page, sort, …)."""
    query = canonical_search_query(request.args)
    return external_url("search.results") + (f"?{query}" if query else "")


def _statuses(gk, hits) -> dict[str, Any]:
    """Each hit's status (relations and staff records included), for the badges."""
    found = {h.id: h.status for h in hits if getattr(h, "status", None) is not None}
    missing = [h.id for h in hits if h.id not in found]
    if missing:
        docs = gk.archive.get_many(missing)
        found.update({i: gk.status(doc) for i, doc in docs.items()})
    return found


def _facets(facets: dict[str, dict[str, int]], params: SearchParams) -> list[dict[str, Any]]:
    shown = []
    for name in ("validity", "doc_type", "kind", "agency", "category", "year"):
        counts = facets.get(name, {})
        selected = {str(v) for v in getattr(params, name)}
        if name == "year":
            items = sorted(counts.items(), key=lambda kv: kv[0], reverse=True)
        elif name in ("validity", "doc_type"):
            order = {v: i for i, v in enumerate(VALIDITY if name == "validity" else DOC_TYPES)}
            items = sorted(counts.items(), key=lambda kv: order.get(kv[0], 99))
        else:
            items = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        values = [
            {"value": value, "count": count, "selected": value in selected}
            for value, count in items
        ][:FACET_LIMIT]
        for value in selected - {v["value"] for v in values}:
            values.append({"value": value, "count": 0, "selected": True})
        if values:
            shown.append({"name": name, "values": values})
    return shown


def _pages(page: int, total: int, size: int) -> list[int]:
    last = min(max(1, -(-total // size)), MAX_PAGE)
    return sorted({p for p in (1, last, *range(page - 2, page + 3)) if 1 <= p <= last})


def _suggestions(params: SearchParams) -> list[dict[str, str]]:
    """What to try when nothing matched: drop a filter, check the 文号."""
    tips: list[dict[str, str]] = []
    for name, value in params.active_filters():
        tips.append({"kind": "drop", "name": name, "value": value})
    for ref in (params.wenhao, *params.q.split()):
        if ref and looks_like_doc_number(ref):
            tips.append({"kind": "wenhao", "value": normalize_doc_number(ref)})
    if params.title_only:
        tips.append({"kind": "fulltext", "name": "title_only", "value": ""})
    if params.phrase:
        tips.append({"kind": "phrase", "name": "phrase", "value": params.phrase})
    return tips
