"""``/robots.txt``, ``/sitemap.xml`` and ``/sitemap-<n>.xml``: how search engines find every
document, and what they should leave alone.

Most readers arrive from a search engine. The sitemap is an index (sitemaps.org protocol)
pointing to pages of at most :data:`PAGE_SIZE` URLs (the protocol's limit is 50,000), each
document's ``lastmod`` being its ``updated_at`` in the archive. Each page is one query over
the ``documents_id_updated`` index (:mod:`archive.harvest`), written out as a stream, so a
crawler reading 100,000 documents costs neither their text nor a page held in memory.

``robots.txt`` lets every crawler in but keeps it off the staff tools and sign-in, the API's
write endpoint, the endless permutations of ``/search?…`` (the documents are reached through
the sitemap instead) and the feeds and events of searches; it names the sitemap.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote
from xml.sax.saxutils import escape

from flask import Blueprint, Response, abort

from archive.harvest import sitemap_entries, sitemap_pages
from search_app import external_url, get_gk
from search_app.views.feed import xml_safe

bp = Blueprint("sitemap", __name__)

#: URLs per sitemap page (the protocol allows 50,000; tests lower it).
PAGE_SIZE = 50_000
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
#: Paths crawlers are asked to leave alone (prefixes, as robots.txt matches them).
DISALLOWED = (
    "/staff/",
    "/login",
    "/logout",
    "/search?",
    "/search.atom",
    "/api/v1/search",
    "/api/v1/check",
    "/api/v1/documents/*/events",
)


@bp.route("/robots.txt")
def robots() -> Any:
    lines = ["User-agent: *", *(f"Disallow: {path}" for path in DISALLOWED), "Allow: /", ""]
    lines.append(f"Sitemap: {external_url('sitemap.index')}")
    return "\n".join(lines) + "\n", 200, {"Content-Type": "text/plain; charset=utf-8"}


@bp.route("/sitemap.xml")
def index() -> Any:
    lastmods = sitemap_pages(get_gk().archive, size=PAGE_SIZE) or [""]
    pages = [external_url("sitemap.page", number=n) for n in range(1, len(lastmods) + 1)]

    def body() -> Iterator[str]:
        yield f'<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="{SITEMAP_NS}">\n'
        for url, lastmod in zip(pages, lastmods, strict=True):
            loc = escape(url)
            modified = f"<lastmod>{escape(lastmod)}</lastmod>" if lastmod else ""
            yield f"<sitemap><loc>{loc}</loc>{modified}</sitemap>\n"
        yield "</sitemapindex>\n"

    return _xml(body())


@bp.route("/sitemap-<int:number>.xml")
def page(number: int) -> Any:
    archive = get_gk().archive
    entries = sitemap_entries(archive, offset=max(number - 1, 0) * PAGE_SIZE, limit=PAGE_SIZE)
    if number < 1 or (not entries and number != 1):
        abort(404, description=f"没有第 {number} 页站点地图。")
    # Document URLs are built from one template: url_for per URL costs more than the query.
    marker = "DOCID"
    template = external_url("document.show", doc_id=marker)
    home = external_url("search.home")

    def body() -> Iterator[str]:
        yield f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="{SITEMAP_NS}">\n'
        if number == 1:
            yield f"<url><loc>{escape(home)}</loc></url>\n"
        for doc_id, updated_at in entries:
            loc = escape(xml_safe(template.replace(marker, quote(doc_id, safe=""))))
            yield f"<url><loc>{loc}</loc><lastmod>{escape(updated_at)}</lastmod></url>\n"
        yield "</urlset>\n"

    return _xml(body())


def _xml(chunks: Iterator[str]) -> Response:
    return Response(chunks, content_type="application/xml; charset=utf-8")
