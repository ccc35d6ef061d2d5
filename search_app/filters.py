"""Template helpers: validity badges, kind labels, paragraphs, and query-string links."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import Flask, request
from markupsafe import Markup, escape

from archive.vocab import KIND_LABELS
from indexer.highlight import pieces

VALIDITY_CLASS = {
    "有效": "valid",
    "尚未生效": "notyet",
    "已修改": "amended",
    "部分失效": "partial",
    "失效": "expired",
    "已废止": "repealed",
    "未知": "unknown",
}
#: Statuses that get the can't-miss banner on the document page.
WARN = frozenset({"已废止", "失效", "已修改"})
FACET_LABELS = {
    "agency": "发布机构",
    "category": "主题分类",
    "year": "年份",
    "validity": "有效性",
    "kind": "类型",
}


def badge(validity: str) -> Markup:
    cls = VALIDITY_CLASS.get(validity, "unknown")
    return Markup('<span class="badge badge-{}">{}</span>').format(cls, validity or "未知")


def kind_label(kind: str) -> str:
    return KIND_LABELS.get(kind, kind)


def paragraphs(text: str) -> Markup:
    """Each non-empty line of ``text`` as an escaped paragraph."""
    lines = [line.strip() for line in (text or "").splitlines()]
    return Markup("\n").join(Markup("<p>{}</p>").format(line) for line in lines if line)


def facet_value_label(name: str, value: str) -> str:
    return kind_label(value) if name == "kind" else value


def url_with(endpoint_path: str | None = None, drop: tuple[str, ...] = (), **changes: Any) -> str:
    """The current URL's query with ``changes`` (None removes) and ``drop`` names removed.

    ``toggle=(name, value)`` adds the value to a repeatable param, or removes it if present.
    """
    args = request.args.copy()
    args.pop("page", None)
    for name in drop:
        args.pop(name, None)
    toggle = changes.pop("toggle", None)
    if toggle:
        name, value = toggle
        values = args.getlist(name)
        if str(value) in values:
            values.remove(str(value))
        else:
            values.append(str(value))
        args.setlist(name, values)
    remove = changes.pop("remove", None)
    if remove:
        name, value = remove
        args.setlist(name, [v for v in args.getlist(name) if v != str(value)])
    for name, value in changes.items():
        if value is None:
            args.pop(name, None)
        else:
            args[name] = str(value)
    items = [(k, v) for k, v in args.items(multi=True) if v != ""]
    base = endpoint_path if endpoint_path is not None else request.path
    return base + ("?" + urlencode(items) if items else "")


def marked(text: str, spans: Any) -> Markup:
    """``text`` escaped, with each highlight span in ``<mark>`` (the only markup added)."""
    return Markup("").join(
        Markup("<mark>") + escape(piece) + Markup("</mark>") if hit else escape(piece)
        for piece, hit in pieces(text, spans or ())
    )


def hit_title(hit: Any) -> Markup:
    """The hit's title with <mark> highlights."""
    return marked(hit.title, hit.title_highlights)


def hit_snippet(hit: Any) -> Markup:
    """The snippet with <mark> highlights."""
    return marked(hit.snippet, hit.highlights)


def register(app: Flask) -> None:
    app.jinja_env.filters["badge"] = badge
    app.jinja_env.filters["kind_label"] = kind_label
    app.jinja_env.filters["paragraphs"] = paragraphs
    app.jinja_env.globals.update(
        url_with=url_with,
        FACET_LABELS=FACET_LABELS,
        facet_value_label=facet_value_label,
        escape=escape,
        hit_title=hit_title,
        hit_snippet=hit_snippet,
    )
