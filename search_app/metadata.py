"""What a page's ``<head>`` tells search engines: its canonical URL, Dublin Core ``<meta>``
tags and schema.org JSON-LD of type ``Legislation``.

One document is reachable at ``/doc/<id>``, ``/doc/<id>?as_of=…`` and ``/wenhao/<文号>``; a
search at ``/search?q=…&page=3&sort=…``. Without ``<link rel="canonical">`` a search engine
indexes them as different pages. The document's metadata (title, 发文日期, 发布机构, 文号,
status) goes in ``DC.*`` meta tags and in JSON-LD: ``legislationIdentifier`` is the 文号,
``legislationLegalForce`` the status today (InForce / NotInForce / PartiallyInForce).

The JSON-LD sits in ``<script type="application/ld+json">``: a data block, which browsers
never execute, so the site's ``script-src 'self'`` policy (:mod:`search_app.security`) does not
apply to it and no nonce is needed. It is escaped so that no value can end the element:
``<``, ``>`` and ``&`` are written as ``\\u003c``, ``\\u003e``, ``\\u0026`` (a title holding
``</script>`` stays inside the JSON).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from markupsafe import Markup
from werkzeug.datastructures import MultiDict

from archive import Document
from archive.vocab import (
    AMENDED,
    DOC_TYPE_LABELS,
    EXPIRED,
    NOT_YET,
    PARTLY_INVALID,
    REPEALED,
    VALID,
)

#: Status today → schema.org LegalForceStatus.
LEGAL_FORCE = {
    VALID: "InForce",
    PARTLY_INVALID: "PartiallyInForce",
    AMENDED: "PartiallyInForce",
    EXPIRED: "NotInForce",
    REPEALED: "NotInForce",
    NOT_YET: "NotInForce",
}
#: Parameters of /search that choose what is found (the rest — page, sort, explain, exact,
#: as_of — only change how it is shown, or when).
CANONICAL_SEARCH = (
    "q", "phrase", "wenhao", "title_only", "agency", "category", "kind", "doc_type",
    "validity", "year", "valid_only", "from", "to", "expand",
)  # fmt: skip


def document_meta(doc: Document, validity: str) -> list[tuple[str, str]]:
    """(name, content) of the Dublin Core ``<meta>`` tags of a document page."""
    date = doc.date_issued or doc.date_written
    tags = [
        ("DC.title", doc.title),
        ("DC.creator", doc.agency),
        ("DC.date", date),
        ("DC.identifier", doc.doc_number),
        ("DC.type", DOC_TYPE_LABELS.get(doc.doc_type, doc.doc_type)),
        ("DC.subject", doc.category),
        ("DC.description", f"有效性：{validity}" if validity else ""),
        ("DC.language", "zh"),
    ]
    return [(name, content) for name, content in tags if content]


def document_json_ld(doc: Document, validity: str, url: str) -> Markup:
    """The schema.org ``Legislation`` of a document, ready to sit inside its script element."""
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Legislation",
        "@id": url,
        "url": url,
        "name": doc.title,
        "inLanguage": "zh-CN",
    }
    if doc.doc_number:
        data["legislationIdentifier"] = doc.doc_number
    if doc.date_issued or doc.date_written:
        data["legislationDate"] = doc.date_issued or doc.date_written
    if doc.date_effective:
        data["legislationDateVersion"] = doc.date_effective
    if doc.agency:
        data["legislationPassedBy"] = {"@type": "GovernmentOrganization", "name": doc.agency}
    if doc.doc_type:
        data["legislationType"] = DOC_TYPE_LABELS.get(doc.doc_type, doc.doc_type)
    if validity in LEGAL_FORCE:
        data["legislationLegalForce"] = "https://schema.org/" + LEGAL_FORCE[validity]
    return Markup(script_json(data))


def script_json(data: Any) -> str:
    """``data`` as JSON that cannot end or confuse the HTML element it is written into."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True)
    for char, escaped in (("&", "\\u0026"), ("<", "\\u003c"), (">", "\\u003e")):
        text = text.replace(char, escaped)
    # U+2028/2029 are valid JSON but break older JavaScript parsers of the block.
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def canonical_search_query(args: MultiDict) -> str:
    """The query string of a search's canonical URL: only the parameters that choose what is
    found, non-empty, in a fixed order ("" for the bare search page)."""
    pairs = [
        (name, value) for name in CANONICAL_SEARCH for value in args.getlist(name) if value.strip()
    ]
    return urlencode(pairs)
