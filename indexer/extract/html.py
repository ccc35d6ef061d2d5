"""Saved web pages: the notice's header table and main text, without menus, footers and links.

The page is parsed with selectolax (lexbor). Navigation, scripts and boilerplate blocks are
dropped; then, from <body> down, we descend into a child while it holds nearly all of the
remaining non-link text, so the block that is the document (header table and text) is kept and
the side lists are not. Rendering keeps paragraphs and turns header table rows into
``label：value`` lines for :mod:`indexer.header`.
"""

from __future__ import annotations

import re

from selectolax.lexbor import LexborHTMLParser, LexborNode

from indexer.extract import Extracted, ExtractionError
from indexer.extract.text import decode
from indexer.header import LABELS

MAX_DEPTH = 400
_DROP_TAGS = (
    "script, style, noscript, nav, header, footer, aside, form, iframe, select, button, svg"
)
_BOILERPLATE = re.compile(
    r"(^|[-_\s])(nav|navbar|menu|footer|foot|breadcrumb|crumb|sidebar|share|copyright|"
    r"topbar|toolbar|login|search|friendlink|links)([-_\s]|$)",
    re.IGNORECASE,
)
_BLOCK = {
    "p", "div", "br", "li", "ul", "ol", "tr", "table", "h1", "h2", "h3", "h4", "h5", "h6",
    "section", "article", "main", "blockquote", "pre", "dd", "dt", "dl", "center", "hr",
}  # fmt: skip
_TAG_RE = re.compile(rb"<(/?)([A-Za-z][A-Za-z0-9]*)[^>]*?(/?)>")
# Elements that close themselves implicitly or never hold content: not counted as nesting.
_FLAT = {
    b"p", b"li", b"td", b"th", b"tr", b"dt", b"dd", b"option", b"br", b"hr", b"img", b"meta",
    b"link", b"input", b"area", b"base", b"col", b"embed", b"source", b"track", b"wbr",
}  # fmt: skip
_CHARSET_RE = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_-]+)""", re.IGNORECASE)


def _decode_html(data: bytes) -> str:
    declared = _CHARSET_RE.search(data[:4096])
    if declared:
        name = declared.group(1).decode("ascii").lower()
        if name in {"gbk", "gb2312", "gb18030", "x-gbk"}:
            name = "gb18030"
        try:
            return data.decode(name.removesuffix("-sig"))
        except (LookupError, UnicodeDecodeError):
            pass
    return decode(data)[0]


def nesting_depth(data: bytes) -> int:
    """Deepest element nesting in raw HTML, counted from the tags before parsing.

    Parsing deeply nested markup takes time quadratic in the depth (100,000 nested <div>s take
    seconds to minutes), so hostile files are refused on this cheap count first.
    """
    depth = deepest = 0
    for match in _TAG_RE.finditer(data):
        closing, name, selfclosing = match.groups()
        if name.lower() in _FLAT or selfclosing:
            continue
        if closing:
            depth = max(depth - 1, 0)
        else:
            depth += 1
            deepest = max(deepest, depth)
    return deepest


def _text_len(node: LexborNode) -> int:
    """Characters of text in ``node`` that are not inside links."""
    total = len(re.sub(r"\s+", "", node.text(deep=True)))
    links = sum(len(re.sub(r"\s+", "", a.text(deep=True))) for a in node.css("a"))
    return max(total - links, 0)


def _main_block(body: LexborNode) -> LexborNode:
    node = body
    for _ in range(MAX_DEPTH):
        total = _text_len(node)
        children = [c for c in node.iter() if c.tag not in ("-text", "-comment")]
        if not children or total == 0:
            return node
        best = max(children, key=_text_len)
        if _text_len(best) < 0.85 * total:
            return node
        node = best
    return node


def _render(root: LexborNode) -> str:
    """Text of ``root`` with block structure as line breaks; table rows as ``a：b`` lines."""
    out: list[str] = []
    stack: list[tuple[LexborNode, int]] = [(root, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ExtractionError(f"HTML nested deeper than {MAX_DEPTH} levels")
        if node.tag == "-text":
            out.append(node.text_content or "")
            continue
        if node.tag == "-comment":
            continue
        if node.tag == "tr":
            cells = [re.sub(r"\s+", " ", c.text(deep=True)).strip() for c in node.css("td, th")]
            out.append("\n" + table_row(cells) + "\n")
            continue
        if node.tag in _BLOCK:
            out.append("\n")
        children = list(node.iter(include_text=True))
        for child in reversed(children):
            stack.append((child, depth + 1))
    text = "".join(out).replace("\xa0", " ")
    lines = [re.sub(r"[ \t]+", " ", line).strip() for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def table_row(cells: list[str]) -> str:
    """A header table row: ``名称 | X | 索引号 | Y`` → ``名称：X 索引号：Y``."""
    parts, i = [], 0
    while i < len(cells):
        label = re.sub(r"[\s\u3000:：]+", "", cells[i])
        if label in LABELS and i + 1 < len(cells):
            parts.append(f"{label}：{cells[i + 1]}")
            i += 2
        else:
            parts.append(cells[i])
            i += 1
    return "  ".join(p for p in parts if p)


_PAGE_LINE = re.compile(
    r"^(浏览次数|访问量|阅读量|点击数|字号|【?字体|【?打印|【?关闭|分享到|来源[:：]|发布时间[:：]|"
    r"信息来源[:：]|作者[:：]|\[?\s*(大|中|小)\s*(大|中|小)\s*(大|中|小)?\s*\]?$)"
)


def _drop_page_lines(text: str) -> str:
    """Drop the short page-tool lines sites put around the text (浏览次数, 字号：大 中 小 …)."""
    kept = [line for line in text.splitlines() if not (len(line) <= 60 and _PAGE_LINE.match(line))]
    return "\n".join(kept).strip()


def _with_header(text: str, body: LexborNode) -> str:
    """Put the header table (名称, 文号 …) in front of the text when it lies outside the block
    chosen as the document, as it does on many government sites."""
    from indexer.header import parse_header

    if parse_header(text).fields:
        return text
    rows = []
    for tr in body.css("tr"):
        cells = [re.sub(r"\s+", " ", c.text(deep=True)).strip() for c in tr.css("td, th")]
        row = table_row(cells)
        if row and parse_header(row).fields:
            rows.append(row)
    if not rows:
        return text
    return "\n".join(rows) + "\n\n" + text


def extract_html(data: bytes) -> Extracted:
    if nesting_depth(data) > MAX_DEPTH:
        raise ExtractionError(f"HTML nested deeper than {MAX_DEPTH} levels")
    html = _decode_html(data)
    tree = LexborHTMLParser(html)
    if tree.body is None:
        raise ExtractionError("HTML has no body")
    for node in tree.css(_DROP_TAGS):
        node.decompose()
    for node in tree.body.css("[class], [id]"):
        marker = f"{node.attributes.get('class') or ''} {node.attributes.get('id') or ''}"
        if _BOILERPLATE.search(marker):
            node.decompose()
    title = tree.css_first("title")
    text = _drop_page_lines(_render(_main_block(tree.body)))
    text = _with_header(text, tree.body)
    if not text and title is not None:
        text = title.text(deep=True).strip()
    return Extracted(text, "text/html", "html:selectolax")
