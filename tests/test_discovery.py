"""What search engines read: robots.txt, the sitemap index and its pages (valid against the
schemas of the sitemaps.org protocol in tests/schemas/), canonical URLs, and each document page's
Dublin Core meta tags and schema.org Legislation JSON-LD."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest
import xmlschema
from flask.testing import FlaskClient
from helpers import Corpus, attrs, html, one

from archive.harvest import sitemap_entries
from indexer.service import Gongkai
from search_app import create_app
from search_app.metadata import LEGAL_FORCE, script_json
from search_app.views import sitemap

SCHEMAS = Path(__file__).parent / "schemas"
SM = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
BASE = "https://gk.example.gov"


@pytest.fixture
def client(corpus: Corpus) -> FlaskClient:
    return create_app({"DATA_DIR": corpus.data, "BASE_URL": BASE}).test_client()


def updated(corpus: Corpus) -> dict[str, str]:
    with Gongkai(corpus.data, readonly=True) as gk:
        return {r["id"]: r["updated_at"] for r in gk.archive.fields(["id", "updated_at"])}


def test_robots_keeps_crawlers_off_staff_pages_and_query_permutations(client: FlaskClient) -> None:
    response = client.get("/robots.txt")
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    lines = response.data.decode().splitlines()
    assert lines[0] == "User-agent: *"
    disallowed = {line.split(": ", 1)[1] for line in lines if line.startswith("Disallow: ")}
    assert {"/staff/", "/login", "/search?", "/search.atom", "/api/v1/check"} <= disallowed
    assert "Disallow: /" not in lines and "Disallow: /doc/" not in lines
    assert f"Sitemap: {BASE}/sitemap.xml" in lines


def test_sitemap_pages_list_every_document_with_its_lastmod(
    client: FlaskClient, corpus: Corpus, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sitemap, "PAGE_SIZE", 5)
    index_schema = xmlschema.XMLSchema(SCHEMAS / "sitemap_index.xsd")
    page_schema = xmlschema.XMLSchema(SCHEMAS / "sitemap_urlset.xsd")
    index = client.get("/sitemap.xml")
    assert index.headers["Content-Type"] == "application/xml; charset=utf-8"
    index_schema.validate(index.data.decode())
    pages = ET.fromstring(index.data).findall("s:sitemap", SM)
    wanted = updated(corpus)
    assert len(pages) == -(-len(wanted) // 5) >= 3
    found: dict[str, str] = {}
    for number, entry in enumerate(pages, start=1):
        loc = entry.findtext("s:loc", namespaces=SM) or ""
        assert loc == f"{BASE}/sitemap-{number}.xml"
        body = client.get(loc.removeprefix(BASE))
        page_schema.validate(body.data.decode())
        urls = ET.fromstring(body.data).findall("s:url", SM)
        lastmods = []
        for url in urls:
            loc_url = url.findtext("s:loc", namespaces=SM) or ""
            if loc_url == f"{BASE}/":
                assert number == 1
                continue
            doc_id = loc_url.removeprefix(f"{BASE}/doc/")
            found[doc_id] = url.findtext("s:lastmod", namespaces=SM) or ""
            lastmods.append(found[doc_id])
        assert len(lastmods) <= 5
        assert entry.findtext("s:lastmod", namespaces=SM) == max(lastmods)
    assert found == wanted
    assert client.get(f"/sitemap-{len(pages) + 1}.xml").status_code == 404
    assert client.get("/sitemap-0.xml").status_code == 404


def test_sitemap_pages_read_only_the_covering_index(corpus: Corpus) -> None:
    with Gongkai(corpus.data, readonly=True) as gk:
        plan = gk.archive.conn.execute(
            "EXPLAIN QUERY PLAN SELECT id, updated_at FROM documents ORDER BY id LIMIT 5 OFFSET 5"
        ).fetchall()
        assert "COVERING INDEX documents_id_updated" in plan[0][-1]
        every = sitemap_entries(gk.archive, offset=0, limit=1000)
        assert [doc_id for doc_id, _ in every] == sorted(updated(corpus))
        assert sitemap_entries(gk.archive, offset=3, limit=2) == every[3:5]


def test_document_page_head_describes_the_document(client: FlaskClient, corpus: Corpus) -> None:
    doc_id = corpus.ids["guoban-2017-16.txt"]
    with Gongkai(corpus.data, readonly=True) as gk:
        doc = gk.archive.get(doc_id)
        assert doc is not None
        status = gk.status(doc)
    for url in (f"/doc/{doc_id}", f"/doc/{doc_id}?as_of=2000-01-01"):
        tree = html(client.get(url))
        assert attrs(tree, "link[rel=canonical]", "href") == [f"{BASE}/doc/{doc_id}"]
        meta = {
            n.attributes["name"]: n.attributes["content"] for n in tree.css("meta[name^='DC.']")
        }
        assert meta["DC.title"] == doc.title
        assert meta["DC.date"] == (doc.date_issued or doc.date_written)
        if doc.agency:
            assert meta["DC.creator"] == doc.agency
        if doc.doc_number:
            assert meta["DC.identifier"] == doc.doc_number
        data = json.loads(one(tree, "script[type='application/ld+json']").text())
        assert data["@type"] == "Legislation"
        assert data["name"] == doc.title
        assert data["url"] == f"{BASE}/doc/{doc_id}"
        assert data.get("legislationIdentifier", "") == doc.doc_number
        assert data["legislationDate"] == (doc.date_issued or doc.date_written)
        force = LEGAL_FORCE.get(status.validity)
        assert data.get("legislationLegalForce") == (force and f"https://schema.org/{force}")


def test_json_ld_cannot_end_its_script_element(client: FlaskClient, corpus: Corpus) -> None:
    doc_id = corpus.ids["anquan-jiancha.txt"]
    body = client.get(f"/doc/{doc_id}").data.decode()
    head = body[: body.index("</head>")]
    block = head[head.index('<script type="application/ld+json">') :]
    assert block.count("</script>") == 1  # only the element's own end tag
    tree = html(body)
    data = json.loads(one(tree, "script[type='application/ld+json']").text())
    assert "<script>alert(1)</script>" in data["name"]
    assert script_json({"a": "</script><!--&"}) == '{"a": "\\u003c/script\\u003e\\u003c!--\\u0026"}'
    assert "script-src 'self'" in client.get(f"/doc/{doc_id}").headers["Content-Security-Policy"]


def test_search_canonical_drops_the_volatile_parameters(client: FlaskClient) -> None:
    tree = html(client.get("/search?page=2&sort=newest&q=通知&explain=1&agency=国务院办公厅"))
    canonical = attrs(tree, "link[rel=canonical]", "href")
    assert canonical == [
        f"{BASE}/search?q=%E9%80%9A%E7%9F%A5&agency=%E5%9B%BD%E5%8A%A1%E9%99%A2%E5%8A%9E%E5%85%AC%E5%8E%85"
    ]
    assert attrs(html(client.get("/search?page=3")), "link[rel=canonical]", "href") == [
        f"{BASE}/search"
    ]


def test_the_sitemap_schemas_refuse_what_the_protocol_forbids(client: FlaskClient) -> None:
    index_schema = xmlschema.XMLSchema(SCHEMAS / "sitemap_index.xsd")
    page_schema = xmlschema.XMLSchema(SCHEMAS / "sitemap_urlset.xsd")
    index = client.get("/sitemap.xml").data.decode()
    page = client.get("/sitemap-1.xml").data.decode()
    page_schema.validate(page)

    def changed(data: str, change: Callable[[ET.Element], None]) -> str:
        tree = ET.fromstring(data)
        change(tree)
        return ET.tostring(tree, encoding="unicode")

    def first_url(tree: ET.Element) -> ET.Element:
        url = tree.find("s:url", SM)
        assert url is not None
        return url

    def add(name: str, text: str) -> Callable[[ET.Element], None]:
        def change(tree: ET.Element) -> None:
            url = first_url(tree)
            ET.SubElement(url, f"{{{SM['s']}}}{name}").text = text
            order = ["loc", "lastmod", "changefreq", "priority"]
            url[:] = sorted(url, key=lambda e: order.index(e.tag.rsplit("}", 1)[1]))

        return change

    def set_loc(text: str) -> Callable[[ET.Element], None]:
        def change(tree: ET.Element) -> None:
            loc = first_url(tree).find("s:loc", SM)
            assert loc is not None
            loc.text = text

        return change

    def drop_loc(tree: ET.Element) -> None:
        url = first_url(tree)
        loc = url.find("s:loc", SM)
        assert loc is not None
        url.remove(loc)

    # What the protocol allows passes, so the refusals below are the rules, not a blanket no.
    for allowed in (
        add("changefreq", "weekly"),
        add("priority", "0.5"),
        add("lastmod", "2020-01-01T08:30+08:00"),
        add("lastmod", "2020-05"),
        set_loc(f"{BASE}/doc/" + "a" * (2048 - len(BASE) - 5)),
    ):
        page_schema.validate(changed(page, allowed))
    for forbidden in (
        drop_loc,
        set_loc("/doc/relative"),
        set_loc(f"{BASE}/doc/" + "a" * (2049 - len(BASE) - 5)),
        add("lastmod", "2020-01-01T08:30:00"),  # a time needs its zone
        add("lastmod", "2020-13-01"),
        add("changefreq", "sometimes"),
        add("priority", "1.5"),
        add("priority", "-0.1"),
    ):
        with pytest.raises(xmlschema.XMLSchemaValidationError):
            page_schema.validate(changed(page, forbidden))
    with pytest.raises(xmlschema.XMLSchemaValidationError):
        page_schema.validate(index)  # an index is not a page
    with pytest.raises(xmlschema.XMLSchemaValidationError):
        index_schema.validate(page)


def test_a_withdrawn_document_is_in_no_sitemap_and_no_harvest(fresh_corpus: Corpus) -> None:
    """撤回 takes a document off the public site: search engines and harvesters included."""
    gone = next(iter(fresh_corpus.ids.values()))
    with Gongkai(fresh_corpus.data) as gk:
        gk.withdraw(gone, actor="alice", reason="误发")
    client = create_app({"DATA_DIR": fresh_corpus.data, "TESTING": True}).test_client()
    page = client.get("/sitemap-1.xml").get_data(as_text=True)
    listed = client.get("/oai?verb=ListIdentifiers&metadataPrefix=oai_dc").get_data(as_text=True)
    assert f"/doc/{gone}<" not in page and f":{gone}<" not in listed
    kept = next(i for i in fresh_corpus.ids.values() if i != gone)
    assert f"/doc/{kept}<" in page and f":{kept}<" in listed

    def get_record(doc_id: str) -> str:
        url = f"/oai?verb=GetRecord&metadataPrefix=oai_dc&identifier=oai:localhost:{doc_id}"
        return client.get(url).get_data(as_text=True)

    assert "idDoesNotExist" not in get_record(kept)
    assert "idDoesNotExist" in get_record(gone)
