"""The JSON API under ``/api/v1`` (read-only, no login; described at ``/api/v1/openapi.json``).

Errors are ``{"error": {"code": ..., "message": ..., "param"?: ...}}`` with a 4xx/5xx status:
``bad_query`` (400, unreadable query syntax), ``bad_parameter`` (400), ``not_found`` (404),
``method_not_allowed`` (405).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, jsonify, request

from archive.vocab import CLUSTER_SECTIONS, KINDS, VALIDITY
from indexer import lookup
from indexer.engines.base import FACET_FIELDS, SORTS
from indexer.following import KIND_LABELS as EVENT_KINDS
from indexer.normalize import normalize_doc_number
from indexer.query import QuerySyntaxError
from indexer.versions import versions_json
from search_app import external_url, get_gk
from search_app.checking import MAX_LINES, check_date, check_refs, run_check
from search_app.errors import json_error
from search_app.params import ParamError, int_param, parse_search
from search_app.views import following
from search_app.views.feed import newest
from search_app.withdrawn import gone_unless_staff, public

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@bp.errorhandler(ParamError)
def _param_error(exc: ParamError) -> Any:
    return json_error(400, str(exc), "bad_parameter", param=exc.name)


@bp.errorhandler(QuerySyntaxError)
def _query_error(exc: QuerySyntaxError) -> Any:
    return json_error(400, str(exc), "bad_query", param="q")


def summary(doc: Any) -> dict[str, object]:
    """A document's metadata without its text, with its URLs."""
    data = doc.to_dict(text=False)
    data.pop("extra", None)
    data["url"] = external_url("document.show", doc_id=doc.id)
    data["api_url"] = external_url("api.document", doc_id=doc.id)
    return data


@bp.route("/search")
def search() -> Any:
    """Same parameters and hit fields as ``gongkai search --json``, plus facets."""
    params = parse_search(request.args)
    limit = int_param(request.args, "limit", 10, 1, 100)
    offset = int_param(request.args, "offset", 0, 0, 10000)
    facets = request.args.get("facets", "1").lower() not in ("0", "false", "no")
    result = get_gk().search(
        params.query(),
        filters=params.filters(),
        sort=params.sort,
        limit=limit,
        offset=offset,
        facets=facets,
        as_of=params.effective_as_of(),
        expand=params.expand,
        exact=request.args.get("exact", "").lower() in ("1", "true", "yes", "on"),
        explain=request.args.get("explain", "").lower() in ("1", "true", "yes", "on"),
    )
    data = result.to_dict()
    if facets:
        data["facets"] = {name: result.facets.get(name, {}) for name in FACET_FIELDS}
    data["query"] = params.query()
    data["limit"], data["offset"] = limit, offset
    return jsonify(data)


def _document_payload(doc: Any, as_of: str | None, text: bool) -> dict[str, object]:
    gk = get_gk()
    data = summary(doc)
    if text:
        data["text"] = doc.text
    data["status"] = gk.status(doc, as_of).to_dict()
    data["original_url"] = external_url("document.original", doc_id=doc.id)
    data["versions"] = versions_json(gk.versions(doc, as_of), doc.id)
    data["ocr"] = ocr_info(doc)
    return data


def ocr_info(doc: Any) -> dict[str, object] | None:
    """For text read by OCR from a scan: the engine, its mean confidence (0–1) and the
    warning the page shows (可能存在识别误差); None for text the file itself carried."""
    if doc.extractor != "ocr":
        return None
    return {
        "engine": doc.extra.get("ocr_engine", ""),
        "confidence": doc.extra.get("ocr_confidence"),
        "pages": doc.extra.get("ocr_pages"),
        "note": "可能存在识别误差",
    }


def _as_of() -> str:
    try:
        return check_date(request.args.get("as_of"))
    except ValueError as exc:
        raise ParamError("as_of", str(exc)) from None


def _text_flag() -> bool:
    return request.args.get("text", "1").lower() not in ("0", "false", "no")


@bp.route("/documents/<doc_id>")
def document(doc_id: str) -> Any:
    gk = get_gk()
    doc = gk.archive.get(doc_id)
    if doc is None:
        abort(404, description=f"no document with id {doc_id!r}")
    gone_unless_staff(gk, doc.id, staff=False)
    return jsonify(_document_payload(doc, _as_of(), _text_flag()))


@bp.route("/wenhao/<path:number>")
def by_doc_number(number: str) -> Any:
    normalized = normalize_doc_number(number)
    docs = public(get_gk(), lookup.by_doc_number(get_gk().archive, normalized), staff=False)
    if not docs:
        abort(404, description=f"no document with 文号 {normalized}")
    as_of, text = _as_of(), _text_flag()
    return jsonify(
        {"doc_number": normalized, "documents": [_document_payload(d, as_of, text) for d in docs]}
    )


@bp.route("/documents/<doc_id>/cluster")
def cluster(doc_id: str) -> Any:
    gk = get_gk()
    doc = gk.archive.get(doc_id)
    if doc is None:
        abort(404, description=f"no document with id {doc_id!r}")
    gone_unless_staff(gk, doc.id, staff=False)
    found = gk.cluster(doc)
    data: dict[str, object] = {"doc_id": doc.id}
    for attr, _label in CLUSTER_SECTIONS:
        data[attr] = [summary(d) for d in public(gk, getattr(found, attr, []) or [], staff=False)]
    return jsonify(data)


@bp.route("/documents/<doc_id>/events")
def document_events(doc_id: str) -> Any:
    """What happened to a document, newest first, each event with its status today."""
    if get_gk().archive.get(doc_id) is None:
        abort(404, description=f"no document with id {doc_id!r}")
    events = following.document_events(doc_id, request.args, api=True)
    return jsonify({"doc_id": doc_id, "events": [e.to_dict() for e in events]})


@bp.route("/search/events")
def search_events() -> Any:
    """New matching documents and status changes of matching documents, newest first."""
    params, events = following.search_events(request.args, api=True)
    return jsonify({"query": params.query(), "events": [e.to_dict() for e in events]})


@bp.route("/check", methods=["GET", "POST"])
def check() -> Any:
    """GET ``?ref=…&ref=…&as_of=`` or POST ``{"refs": [...], "as_of": "YYYY-MM-DD"}``."""
    if request.method == "POST":
        try:
            body = request.get_json(silent=True)
        except RecursionError:  # JSON nested deeper than Python's parser can follow
            body = None
        if not isinstance(body, dict):
            raise ParamError("body", 'POST body must be JSON: {"refs": [...], "as_of": "..."}')
        refs = body.get("refs")
        if not isinstance(refs, list) or not all(isinstance(r, str) for r in refs):
            raise ParamError("refs", "refs must be a list of strings")
        raw_date = body.get("as_of") or ""
        if not isinstance(raw_date, str):
            raise ParamError("as_of", "as_of must be a YYYY-MM-DD string")
    else:
        refs = request.args.getlist("ref")
        raw_date = request.args.get("as_of", "")
    refs = [r.strip() for r in refs if r.strip()]
    if not refs:
        raise ParamError("refs", "give at least one 文号, 索引号, id or title to check")
    if len(refs) > MAX_LINES:
        raise ParamError("refs", f"at most {MAX_LINES} references per request")
    try:
        check_refs(refs)
    except ValueError as exc:
        raise ParamError("refs", str(exc)) from None
    try:
        as_of = check_date(raw_date)
    except ValueError as exc:
        raise ParamError("as_of", str(exc)) from None
    rows = run_check(get_gk(), refs, as_of)
    return jsonify(
        {
            "as_of": as_of,
            "results": [r.to_dict() for r in rows],
            "not_found": [r.query for r in rows if not r.found],
        }
    )


@bp.route("/feed")
def feed() -> Any:
    limit = int_param(request.args, "limit", 20, 1, 100)
    agency = [a for a in request.args.getlist("agency") if a.strip()]
    kind = [k for k in request.args.getlist("kind") if k.strip()]
    try:
        docs = newest(agency, kind, limit)
    except ValueError as exc:
        raise ParamError("kind", str(exc)) from None
    return jsonify({"documents": [summary(d) for d in docs]})


@bp.route("/openapi.json")
def openapi() -> Any:
    return jsonify(openapi_document())


# -- OpenAPI ------------------------------------------------------------------------------


def _param(name: str, description: str, schema: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"name": name, "in": "query", "description": description, "schema": schema, **extra}


def _array(items: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "items": items}


_ERRORS = {
    "400": {"$ref": "#/components/responses/Error"},
    "404": {"$ref": "#/components/responses/Error"},
}
_PATH_ID = {"name": "doc_id", "in": "path", "required": True, "schema": {"type": "string"}}
_AS_OF = _param(
    "as_of", "Status on this date (default today)", {"type": "string", "format": "date"}
)
_TEXT = _param("text", "Include the text (default 1)", {"type": "boolean"})
_SINCE = _param(
    "since", "Only events on or after this day (UTC)", {"type": "string", "format": "date"}
)
_EVENT_LIMIT = _param("limit", "How many events (1-200)", {"type": "integer", "default": 50})


def _ok(description: str, ref: str) -> dict[str, Any]:
    return {
        "200": {
            "description": description,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}},
        },
        **_ERRORS,
    }


def openapi_document() -> dict[str, Any]:
    """The OpenAPI 3.0 description of this API (tests check it against the routes)."""
    string = {"type": "string"}
    search_params = [
        _param("q", 'Query: words ANDed, "phrase", -word, a OR b, title:word, 文号', string),
        _param("agency", "发布机构 (repeatable)", _array(string), explode=True),
        _param("category", "主题分类 (repeatable)", _array(string), explode=True),
        _param("kind", "Kind (repeatable)", _array({"type": "string", "enum": list(KINDS)})),
        _param(
            "doc_type",
            "Document type (repeatable): a code, or its Chinese name (法律, 规章, 规范性文件 …)",
            _array(string),
        ),
        _param("year", "Year issued (repeatable)", _array({"type": "integer"})),
        _param(
            "validity", "有效性 (repeatable)", _array({"type": "string", "enum": list(VALIDITY)})
        ),
        _param("valid_only", "Only documents in force", {"type": "boolean"}),
        _param("from", "Issued on or after", {"type": "string", "format": "date"}),
        _param("to", "Issued on or before", {"type": "string", "format": "date"}),
        _param("sort", "Order", {"type": "string", "enum": list(SORTS)}),
        _param(
            "as_of",
            "Judge validity on this date (default today)",
            {"type": "string", "format": "date"},
        ),
        _param("limit", "Hits per page (1-100)", {"type": "integer", "default": 10}),
        _param("offset", "Hits to skip", {"type": "integer", "default": 0}),
        _param("facets", "Include facet counts (default 1)", {"type": "boolean"}),
        _param(
            "expand",
            "Also search synonyms and abbreviations (default 1; 0 searches words as typed)",
            {"type": "boolean"},
        ),
        _param(
            "exact",
            "Search the query as typed: no pinyin reading, no typo correction",
            {"type": "boolean"},
        ),
        _param(
            "explain",
            "Add to each hit an explanation of its rank: [{factor, detail, ...}] (default 0)",
            {"type": "boolean"},
        ),
    ]
    hit_props = {
        name: string
        for name in [
            "id",
            "title",
            "doc_number",
            "index_number",
            "agency",
            "date_issued",
            "validity",
            "kind",
            "doc_type",
            "source",
            "snippet",
        ]
    }
    hit_props["score"] = {"type": "number"}
    hit_props["highlights"] = _array(_array({"type": "integer"}))
    hit_props["explanation"] = _array(
        {"type": "object", "properties": {"factor": string, "detail": string}}
    )
    doc_list = {"type": "array", "items": {"$ref": "#/components/schemas/DocumentSummary"}}
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Gongkai API",
            "version": "1",
            "description": "Search and validity of archived government documents (政府信息公开).",
        },
        "servers": [{"url": "/api/v1"}],
        "paths": {
            "/search": {
                "get": {
                    "summary": "Full-text search with facets",
                    "parameters": search_params,
                    "responses": _ok("Hits and facets", "SearchResult"),
                }
            },
            "/documents/{doc_id}": {
                "get": {
                    "summary": "One document by id, with its status",
                    "parameters": [_PATH_ID, _AS_OF, _TEXT],
                    "responses": _ok("The document", "Document"),
                }
            },
            "/wenhao/{number}": {
                "get": {
                    "summary": "Documents by 文号 (any bracket style)",
                    "parameters": [
                        {"name": "number", "in": "path", "required": True, "schema": string},
                        _AS_OF,
                        _TEXT,
                    ],
                    "responses": _ok("Matching documents", "DocumentList"),
                }
            },
            "/documents/{doc_id}/cluster": {
                "get": {
                    "summary": "Interpretations, answers, versions and relations of a document",
                    "parameters": [_PATH_ID],
                    "responses": _ok("The cluster", "Cluster"),
                }
            },
            "/documents/{doc_id}/events": {
                "get": {
                    "summary": "What happened to a document (status changes, interpretations, "
                    "answers, new versions, repeals), newest first",
                    "parameters": [_PATH_ID, _SINCE, _EVENT_LIMIT],
                    "responses": _ok("Events, each with the document's status today", "Events"),
                }
            },
            "/search/events": {
                "get": {
                    "summary": "New matching documents and status changes of matching "
                    "documents, newest first",
                    "parameters": [
                        p for p in search_params if p["name"] in following.SEARCH_FILTERS
                    ]
                    + [_SINCE, _EVENT_LIMIT],
                    "responses": _ok("Events, each with the document's status today", "Events"),
                }
            },
            "/check": {
                "get": {
                    "summary": "Batch validity check",
                    "parameters": [
                        _param("ref", "文号, 索引号, id or title (repeatable)", _array(string)),
                        _AS_OF,
                    ],
                    "responses": _ok("One row per match", "CheckResult"),
                },
                "post": {
                    "summary": "Batch validity check (JSON body)",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["refs"],
                                    "properties": {
                                        "refs": _array(string),
                                        "as_of": {"type": "string", "format": "date"},
                                    },
                                }
                            }
                        },
                    },
                    "responses": _ok("One row per match", "CheckResult"),
                },
            },
            "/feed": {
                "get": {
                    "summary": "Newest documents",
                    "parameters": [
                        _param("agency", "发布机构 (repeatable)", _array(string)),
                        _param("kind", "Kind (repeatable)", _array({"type": "string"})),
                        _param("limit", "How many (1-100)", {"type": "integer", "default": 20}),
                    ],
                    "responses": _ok("Documents, newest first", "DocumentList"),
                }
            },
            "/openapi.json": {
                "get": {
                    "summary": "This document",
                    "responses": {"200": {"description": "OpenAPI 3 document"}},
                }
            },
        },
        "components": {
            "responses": {
                "Error": {
                    "description": "Error",
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                    },
                }
            },
            "schemas": {
                "Error": {
                    "type": "object",
                    "properties": {
                        "error": {
                            "type": "object",
                            "properties": {"code": string, "message": string, "param": string},
                        }
                    },
                },
                "Hit": {"type": "object", "properties": hit_props},
                "SearchResult": {
                    "type": "object",
                    "properties": {
                        "total": {"type": "integer"},
                        "hits": _array({"$ref": "#/components/schemas/Hit"}),
                        "facets": {
                            "type": "object",
                            "properties": {
                                f: {"type": "object", "additionalProperties": {"type": "integer"}}
                                for f in FACET_FIELDS
                            },
                        },
                        "query": string,
                        "expansions": _array(
                            {
                                "type": "object",
                                "properties": {
                                    "term": string,
                                    "also": _array(string),
                                    "pinyin": string,
                                },
                            }
                        ),
                        "ignored": _array(string),
                        "validity_question": {"type": "boolean"},
                        "validity_answer": string,
                        "limit": {"type": "integer"},
                        "offset": {"type": "integer"},
                    },
                },
                "DocumentSummary": {"type": "object", "additionalProperties": True},
                "Document": {"type": "object", "additionalProperties": True},
                "DocumentList": {"type": "object", "properties": {"documents": doc_list}},
                "Cluster": {
                    "type": "object",
                    "properties": {
                        "doc_id": string,
                        **{attr: doc_list for attr, _ in CLUSTER_SECTIONS},
                    },
                },
                "Events": {
                    "type": "object",
                    "properties": {
                        "doc_id": string,
                        "query": string,
                        "events": _array(
                            {
                                "type": "object",
                                "properties": {
                                    "seq": {"type": "integer"},
                                    "at": string,
                                    "kind": {"type": "string", "enum": list(EVENT_KINDS)},
                                    "kind_label": string,
                                    "what": string,
                                    "doc": {"type": "object", "additionalProperties": True},
                                    "current_validity": string,
                                    "status": {"type": "object", "additionalProperties": True},
                                    "related": {
                                        "type": "object",
                                        "nullable": True,
                                        "additionalProperties": True,
                                    },
                                },
                            }
                        ),
                    },
                },
                "CheckResult": {
                    "type": "object",
                    "properties": {
                        "as_of": string,
                        "results": _array({"type": "object"}),
                        "not_found": _array(string),
                    },
                },
            },
        },
    }
