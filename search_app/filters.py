"""Template helpers: validity badges, kind labels, paragraphs (Markdown headings as headings),
query-string links, highlighted snippets without Markdown marks, and the plain-language status
sentence the public sees instead of the staff's reasoning (:func:`plain_status`)."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from flask import Flask, request, url_for
from markupsafe import Markup, escape

from archive.vocab import KIND_LABELS, doc_type_label
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
    "doc_type": "文件类型",
}


def badge(validity: str) -> Markup:
    cls = VALIDITY_CLASS.get(validity, "unknown")
    return Markup('<span class="badge badge-{}">{}</span>').format(cls, validity or "未知")


def kind_label(kind: str) -> str:
    return KIND_LABELS.get(kind, kind)


#: A Markdown ATX heading line (``## 第一章``): the marks, then the heading's text.
_MD_HEADING = re.compile(r"^(#{1,6})[ \t\u3000]+(.+?)[ \t#]*$")
#: Markdown heading marks inside a snippet (at its start, after a space or after the ellipsis
#: that opens a snippet).
_MD_MARKS = re.compile(r"(?<![^\s\u3000…])#{1,6}[ \t\u3000]+")


def paragraphs(text: str, markdown: bool = False) -> Markup:
    """Each non-empty line of ``text`` as an escaped paragraph; with ``markdown``, heading
    lines (``# …`` to ``###### …``) become headings (``h2``–``h4``: the page has the ``h1``)."""
    out = []
    for raw in (text or "").splitlines():
        line = raw.strip()
        if not line:
            continue
        heading = _MD_HEADING.match(line) if markdown else None
        if heading:
            level = min(len(heading[1]) + 1, 4)
            out.append(
                Markup('<h{0} class="md-heading">{1}</h{0}>').format(level, heading[2].strip())
            )
        else:
            out.append(Markup("<p>{}</p>").format(line))
    return Markup("\n").join(out)


def is_markdown(doc: Any) -> bool:
    """Whether ``doc`` was imported from a Markdown file (its text keeps the ``#`` marks)."""
    name = (getattr(doc, "source_name", "") or "").lower()
    media = getattr(doc, "media_type", "") or ""
    return name.endswith((".md", ".markdown")) or "markdown" in media


def strip_marks(text: str, spans: Any) -> tuple[str, list[tuple[int, int]]]:
    """``text`` without Markdown heading marks, and ``spans`` moved to match."""
    removed = [False] * len(text)
    for match in _MD_MARKS.finditer(text):
        for i in range(match.start(), match.end()):
            removed[i] = True
    if not any(removed):
        return text, [(int(s), int(e)) for s, e in spans or ()]
    new_pos, kept, n = [], [], 0
    for i, ch in enumerate(text):
        new_pos.append(n)
        if not removed[i]:
            kept.append(ch)
            n += 1
    new_pos.append(n)
    moved = []
    for start, end in spans or ():
        start, end = new_pos[max(0, min(int(start), len(text)))], new_pos[min(int(end), len(text))]
        if end > start:
            moved.append((start, end))
    return "".join(kept), moved


def facet_value_label(name: str, value: str) -> str:
    if name == "doc_type":
        return doc_type_label(value)
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
    """The snippet with <mark> highlights, without Markdown heading marks."""
    return marked(*strip_marks(hit.snippet, hit.highlights))


def doc_url(doc: Any) -> str:
    """The document page of ``doc`` (anything with an ``id``)."""
    return url_for("document.show", doc_id=doc.id)


def cn_date(iso: str) -> str:
    """``2021-07-01`` → ``2021年7月1日`` (anything else unchanged)."""
    match = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", iso or "")
    if not match:
        return iso or ""
    return f"{match[1]}年{int(match[2])}月{int(match[3])}日"


def doc_ref(doc: Any) -> str:
    """《title》（文号） — how a sentence names a document."""
    if doc is None:
        return ""
    ref = f"《{doc.title}》"
    return ref + (f"（{doc.doc_number}）" if doc.doc_number else "")


_ENDED_VERB = {"已废止": "废止", "失效": "失效", "已修改": "修改", "部分失效": "部分失效"}


def plain_status(
    status: Any, by: Any = None, current: Any = None, link: Any = None, start: str = ""
) -> Markup:
    """One plain sentence for the public: ``本文件已于2021年7月1日被《…》（…）废止。``

    ``by`` and ``current`` are the acting document and the current version (or None);
    ``link(doc)`` gives a document's URL, so their names become links; ``start`` is the date
    the document takes effect, for one not yet in force. The reasoning
    (:attr:`Status.note`) is for staff and never part of this sentence."""

    def name(doc: Any) -> Markup:
        text = doc_ref(doc)
        if link is None:
            return Markup("{}").format(text)
        return Markup('<a href="{}">{}</a>').format(link(doc), text)

    when = cn_date(status.since or (start if status.validity == "尚未生效" else ""))
    validity = status.validity
    if validity in ("已废止", "失效", "已修改"):
        verb = _ENDED_VERB[validity]
        sentence = Markup("本文件")
        if getattr(status, "source", "") == "expiry":
            # 本文件有效期已满（本文件第十条：有效期三年），已于2021年6月1日失效。
            sentence += Markup("有效期已满（{}），").format(getattr(status, "expiry", ""))
        sentence += Markup("已于{}").format(when) if when else Markup("已")
        if by is not None and validity != "失效":
            sentence += Markup("被") + name(by)
        sentence += Markup("{}。").format(verb)
        if current is not None and current is not by:
            sentence += Markup("现行版本为") + name(current) + Markup("。")
        return sentence
    if validity == "部分失效":
        sentence = Markup("本文件") + (Markup("自{}起").format(when) if when else Markup(""))
        sentence += Markup("部分失效")
        if by is not None:
            sentence += Markup("（依据") + name(by) + Markup("）")
        return sentence + Markup("，引用前请核对条款。")
    if validity == "尚未生效":
        return Markup("本文件尚未生效") + (
            Markup("，将于{}起施行。").format(when) if when else Markup("。")
        )
    if validity == "有效":
        sentence = Markup("本文件现行有效") + (
            Markup("，自{}起施行").format(when) if when else Markup("")
        )
        expires = getattr(status, "expires", "")
        if expires and expires > getattr(status, "as_of", ""):
            last = (date.fromisoformat(expires) - timedelta(days=1)).isoformat()
            sentence += Markup("，有效期至{}").format(cn_date(last))
        return sentence + Markup("。")
    return Markup("发布机关未标注本文件的有效性，引用前请向发布机关核实。")


def register(app: Flask) -> None:
    app.jinja_env.filters["badge"] = badge
    app.jinja_env.filters["kind_label"] = kind_label
    app.jinja_env.filters["doc_type_label"] = doc_type_label
    app.jinja_env.filters["paragraphs"] = paragraphs
    app.jinja_env.filters["cn_date"] = cn_date
    app.jinja_env.globals.update(
        url_with=url_with,
        FACET_LABELS=FACET_LABELS,
        facet_value_label=facet_value_label,
        escape=escape,
        hit_title=hit_title,
        hit_snippet=hit_snippet,
        plain_status=plain_status,
        doc_ref=doc_ref,
        doc_url=doc_url,
        is_markdown=is_markdown,
    )
