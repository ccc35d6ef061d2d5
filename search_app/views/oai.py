"""``/oai``: the OAI-PMH 2.0 endpoint, the answers of :mod:`indexer.oai` written as XML.

The protocol's rules live in :mod:`indexer.oai`; this module only turns an
:class:`~indexer.oai.OaiResponse` into the XML the schema (OAI-PMH.xsd, oai_dc.xsd) defines,
with ElementTree (every text escaped by it; characters XML forbids removed by
:func:`~search_app.views.feed.xml_safe`, as in the feeds). Errors are answered ``200`` with
``<error>`` elements, as the protocol requires. GET and POST (form-encoded) are both accepted.
URLs are absolute from the configured base URL, never from the ``Host`` header.
"""

from __future__ import annotations

import os
import time
import xml.etree.ElementTree as ET
from typing import Any

from flask import Blueprint, current_app, request

from indexer import oai
from search_app import external_url, get_gk
from search_app.views.feed import xml_safe

bp = Blueprint("oai", __name__)

OAI_NS = "http://www.openarchives.org/OAI/2.0/"
OAI_DC_NS = "http://www.openarchives.org/OAI/2.0/oai_dc/"
DC_NS = "http://purl.org/dc/elements/1.1/"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
ET.register_namespace("", OAI_NS)
ET.register_namespace("oai_dc", OAI_DC_NS)
ET.register_namespace("dc", DC_NS)
ET.register_namespace("xsi", XSI_NS)


@bp.route("/oai", methods=["GET", "POST"])
def endpoint() -> Any:
    args = request.values.to_dict(flat=False)
    root = external_url("search.home").rstrip("/")
    repo = oai.Repository(
        name=current_app.config.get("OAI_REPOSITORY_NAME", "公开 · 政府信息检索"),
        base_url=root,
        admin_email=current_app.config.get("OAI_ADMIN_EMAIL")
        or os.environ.get("GONGKAI_ADMIN_EMAIL", "")
        or "admin@localhost.localdomain",
    )
    page_size = int(
        current_app.config.get("OAI_PAGE_SIZE")
        or os.environ.get("GONGKAI_OAI_PAGE_SIZE")
        or oai.PAGE_SIZE
    )
    response = oai.handle(get_gk().archive, args, repo, page_size=page_size)
    body = render(response, repo)
    return body, 200, {"Content-Type": "text/xml; charset=utf-8"}


def _q(ns: str, name: str) -> str:
    return f"{{{ns}}}{name}"


def _sub(parent: ET.Element, tag: str, text: str = "", **attrs: str) -> ET.Element:
    node = ET.SubElement(parent, tag, {k: xml_safe(v) for k, v in attrs.items()})
    if text:
        node.text = xml_safe(text)
    return node


def render(response: oai.OaiResponse, repo: oai.Repository) -> bytes:
    """The XML document of ``response``."""
    top = ET.Element(_q(OAI_NS, "OAI-PMH"))
    top.set(
        _q(XSI_NS, "schemaLocation"),
        f"{OAI_NS} http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd",
    )
    _sub(top, _q(OAI_NS, "responseDate"), time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
    # After badVerb or badArgument the protocol allows the base URL only, no attributes.
    echo = not {e.code for e in response.errors} & {"badVerb", "badArgument"}
    attrs = {"verb": response.verb, **response.arguments} if echo else {}
    _sub(top, _q(OAI_NS, "request"), repo.oai_url, **attrs)
    if response.errors:
        for error in response.errors:
            _sub(top, _q(OAI_NS, "error"), error.message, code=error.code)
        return _serialized(top)
    verb = _sub(top, _q(OAI_NS, response.verb))
    for name, value in response.identify.items():
        _sub(verb, _q(OAI_NS, name), value)
    for fmt in response.formats:
        node = _sub(verb, _q(OAI_NS, "metadataFormat"))
        for name in ("metadataPrefix", "schema", "metadataNamespace"):
            _sub(node, _q(OAI_NS, name), fmt[name])
    for spec, name in response.sets:
        node = _sub(verb, _q(OAI_NS, "set"))
        _sub(node, _q(OAI_NS, "setSpec"), spec)
        _sub(node, _q(OAI_NS, "setName"), name)
    for record in response.records:
        parent = verb if response.verb == "ListIdentifiers" else _sub(verb, _q(OAI_NS, "record"))
        _header(parent, record)
        if record.metadata is not None:
            _dublin_core(_sub(parent, _q(OAI_NS, "metadata")), record.metadata)
    if response.token is not None:
        token = response.token
        attrs = {"cursor": str(token.cursor), "completeListSize": str(token.complete_size)}
        if token.expires:
            attrs["expirationDate"] = token.expires
        _sub(verb, _q(OAI_NS, "resumptionToken"), token.value, **attrs)
    return _serialized(top)


def _header(parent: ET.Element, record: oai.Record) -> None:
    header = _sub(parent, _q(OAI_NS, "header"))
    _sub(header, _q(OAI_NS, "identifier"), record.identifier)
    _sub(header, _q(OAI_NS, "datestamp"), record.datestamp)
    for spec in record.sets:
        _sub(header, _q(OAI_NS, "setSpec"), spec)


def _dublin_core(parent: ET.Element, elements: dict[str, list[str]]) -> None:
    dc = _sub(parent, _q(OAI_DC_NS, "dc"))
    dc.set(
        _q(XSI_NS, "schemaLocation"),
        f"{OAI_DC_NS} http://www.openarchives.org/OAI/2.0/oai_dc.xsd",
    )
    for name, values in elements.items():
        for value in values:
            _sub(dc, _q(DC_NS, name), value)


def _serialized(top: ET.Element) -> bytes:
    return ET.tostring(top, encoding="utf-8", xml_declaration=True)
